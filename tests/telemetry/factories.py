"""Rows the telemetry tests build directly: samples, probes and synthetic request minutes."""

from datetime import datetime

from telemetry.histogram import BUCKET_FIELDS, bucket_index
from telemetry.models import HealthCheck, SystemSample
from telemetry.services import system_sample_store


def health(at: datetime, ok: bool = True, **components) -> HealthCheck:
    flags = {"database_ok": ok, "cache_ok": ok, "broker_ok": ok, **components}
    return HealthCheck.objects.create(at=at, ok=all(flags.values()), **flags)


def sample(at: datetime, **values) -> SystemSample:
    defaults = {
        "cpu_percent": 10.0, "memory_percent": 40.0, "memory_used_bytes": 4 * 2**30, "memory_total_bytes": 10 * 2**30,
        "swap_percent": 0.0, "swap_used_bytes": 0, "disk_percent": 50.0, "disk_used_bytes": 50 * 2**30,
        "disk_total_bytes": 100 * 2**30, "disk_read_bps": 100.0, "disk_write_bps": 200.0, "net_recv_bps": 300.0,
        "net_sent_bps": 400.0, "load_1": 0.5, "load_5": 0.4, "load_15": 0.3, "app_rss_bytes": 100 * 2**20,
        "app_processes": 3,
    }
    host, roles = values.pop("host", None), values.pop("roles", None)
    defaults.update(values)
    return system_sample_store(at=at, values=defaults, host=host, roles=roles)


def histogram_row(durations_ms: list[float]) -> dict:
    """Bucket columns for a list of durations, as the collector would fill them."""
    row = dict.fromkeys(BUCKET_FIELDS, 0)
    for duration in durations_ms:
        row[BUCKET_FIELDS[bucket_index(duration)]] += 1
    return row
