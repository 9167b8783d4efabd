"""System sampling with psutil, without ever blocking.

CPU %, disk and network rates are differences of cumulative counters between this sample and
the host's previous one (its counters are stored on the sample row), so any of the product's
processes on a host can take the host's next sample and nothing waits on
``cpu_percent(interval=...)``. A first sample (or one after a counter reset) has no rates.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import psutil
from django.conf import settings

ROLES = ("web", "worker")


@dataclass(frozen=True)
class Reading:
    values: dict
    counters: dict
    processes: dict


def _counters() -> dict:
    cpu = psutil.cpu_times()
    idle = cpu.idle + getattr(cpu, "iowait", 0.0)
    counters = {"time": time.time(), "cpu_total": sum(cpu), "cpu_idle": idle, "boot_time": psutil.boot_time()}
    disk = psutil.disk_io_counters()
    if disk is not None:
        counters["disk_read"] = disk.read_bytes
        counters["disk_write"] = disk.write_bytes
    net = psutil.net_io_counters()
    if net is not None:
        counters["net_recv"] = net.bytes_recv
        counters["net_sent"] = net.bytes_sent
    return counters


def _rate(current: dict, previous: dict, key: str, elapsed: float) -> float | None:
    if key not in current or key not in previous or elapsed <= 0:
        return None
    delta = current[key] - previous[key]
    return round(delta / elapsed, 1) if delta >= 0 else None


def process_rss(pid: int | None = None) -> int:
    """Resident memory of one process (this one by default); 0 when it is gone."""
    try:
        return int(psutil.Process(pid).memory_info().rss)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0


def read(previous_counters: dict | None, processes: dict | None = None) -> Reading:
    """One reading of the machine; rates against ``previous_counters`` when they are usable.

    ``processes`` is this deployment's processes on the machine, per role (``{"web":
    {"processes": 2, "rss_bytes": …}}``), as they registered themselves.
    """
    counters = _counters()
    previous = previous_counters or {}
    same_boot = previous.get("boot_time") == counters["boot_time"]
    elapsed = counters["time"] - previous.get("time", counters["time"]) if same_boot else 0.0
    cpu_percent = None
    if same_boot and elapsed > 0:
        total = counters["cpu_total"] - previous.get("cpu_total", counters["cpu_total"])
        idle = counters["cpu_idle"] - previous.get("cpu_idle", counters["cpu_idle"])
        if total > 0:
            cpu_percent = round(max(0.0, min(100.0, 100.0 * (total - idle) / total)), 1)
    memory = psutil.virtual_memory()
    swap = psutil.swap_memory()
    disk = psutil.disk_usage(settings.TELEMETRY_DISK_PATH)
    load_1, load_5, load_15 = os.getloadavg()
    processes = processes or {}
    values = {
        "cpu_percent": cpu_percent,
        "memory_percent": round(memory.percent, 1),
        "memory_used_bytes": int(memory.total - memory.available),
        "memory_total_bytes": int(memory.total),
        "swap_percent": round(swap.percent, 1),
        "swap_used_bytes": int(swap.used),
        "disk_percent": round(disk.percent, 1),
        "disk_used_bytes": int(disk.used),
        "disk_total_bytes": int(disk.total),
        "disk_read_bps": _rate(counters, previous, "disk_read", elapsed) if same_boot else None,
        "disk_write_bps": _rate(counters, previous, "disk_write", elapsed) if same_boot else None,
        "net_recv_bps": _rate(counters, previous, "net_recv", elapsed) if same_boot else None,
        "net_sent_bps": _rate(counters, previous, "net_sent", elapsed) if same_boot else None,
        "load_1": round(load_1, 2),
        "load_5": round(load_5, 2),
        "load_15": round(load_15, 2),
        "app_rss_bytes": sum(p["rss_bytes"] for p in processes.values()),
        "app_processes": sum(p["processes"] for p in processes.values()),
    }
    return Reading(values=values, counters=counters, processes=processes)
