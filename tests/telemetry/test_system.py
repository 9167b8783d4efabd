"""System sampling, rollups, thresholds with hysteresis, health probes and retention."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from telemetry import sampler, selectors, services
from telemetry.models import (
    HealthCheck,
    RequestHour,
    RequestMinute,
    SystemRollup,
    SystemSample,
    ThresholdEvent,
    ThresholdState,
)
from tests.telemetry.factories import health, sample

pytestmark = pytest.mark.django_db

SAMPLE_FIELDS = {
    "cpu_percent", "memory_percent", "memory_used_bytes", "memory_total_bytes", "swap_percent", "swap_used_bytes",
    "disk_percent", "disk_used_bytes", "disk_total_bytes", "disk_read_bps", "disk_write_bps", "net_recv_bps",
    "net_sent_bps", "load_1", "load_5", "load_15", "app_rss_bytes", "app_processes",
}


def test_a_reading_has_every_field_and_no_rates_without_a_previous_sample():
    reading = sampler.read(None)
    assert set(reading.values) == SAMPLE_FIELDS
    assert reading.values["cpu_percent"] is None
    assert reading.values["disk_read_bps"] is None and reading.values["net_sent_bps"] is None
    assert 0 < reading.values["memory_percent"] < 100
    assert reading.values["memory_total_bytes"] > reading.values["memory_used_bytes"] > 0
    assert 0 < reading.values["disk_percent"] < 100
    assert reading.values["load_1"] >= 0
    assert {"cpu_total", "cpu_idle", "time", "boot_time"} <= set(reading.counters)


def test_rates_come_from_the_previous_counters():
    first = sampler.read(None)
    earlier = dict(first.counters, time=first.counters["time"] - 10)
    if "net_recv" in earlier:
        earlier["net_recv"] -= 5000
    earlier["cpu_total"] -= 20.0
    earlier["cpu_idle"] -= 15.0
    second = sampler.read(earlier)
    assert second.values["cpu_percent"] is not None and 0 <= second.values["cpu_percent"] <= 100
    if "net_recv" in earlier:
        assert second.values["net_recv_bps"] >= 400  # at least 5000 bytes over a little more than 10 s


def test_counters_from_another_boot_give_no_rates():
    reading = sampler.read(None)
    stale = dict(reading.counters, boot_time=reading.counters["boot_time"] - 86400)
    assert sampler.read(stale).values["cpu_percent"] is None


def test_recording_a_sample_stores_it_with_rollups_and_threshold_states():
    services.system_sample_record()
    time.sleep(0.05)  # the kernel counts CPU time in 10 ms ticks: samples closer than one tick have no rate
    services.system_sample_record()
    assert SystemSample.objects.count() == 2
    second = SystemSample.objects.order_by("-at").first()
    assert second.cpu_percent is not None  # the first sample's counters gave the rate
    assert second.app_processes >= 0
    minute = SystemRollup.objects.filter(resolution="minute")
    assert sum(r.samples for r in minute) == 2
    assert SystemRollup.objects.filter(resolution="hour").count() >= 1
    assert set(ThresholdState.objects.values_list("metric", flat=True)) == {"cpu", "memory", "disk"}


def test_rollups_average_and_peak_over_their_minute():
    at = datetime(2026, 4, 2, 9, 30, 5, tzinfo=UTC)
    sample(at, cpu_percent=20.0, disk_read_bps=None)
    sample(at + timedelta(seconds=10), cpu_percent=60.0, disk_read_bps=50.0)
    rollup = SystemRollup.objects.get(resolution="minute", start=at.replace(second=0))
    assert rollup.samples == 2
    assert rollup.average("cpu_percent") == pytest.approx(40.0)
    assert rollup.cpu_percent_max == pytest.approx(60.0)
    assert rollup.average("disk_read_bps") == pytest.approx(50.0)  # an empty rate does not drag the mean
    hour = SystemRollup.objects.get(resolution="hour", start=at.replace(minute=0, second=0))
    assert hour.samples == 2


@pytest.mark.parametrize(
    ("current", "value", "expected"),
    [
        ("clear", 84.0, "clear"),
        ("clear", 86.0, "warning"),
        ("clear", 96.0, "critical"),
        ("warning", 80.0, "warning"),  # holds until below 75
        ("warning", 74.0, "clear"),
        ("critical", 90.0, "critical"),  # holds until below 85
        ("critical", 84.0, "warning"),
        ("critical", 70.0, "clear"),
        ("warning", None, "warning"),
    ],
)
def test_threshold_hysteresis(current, value, expected):
    assert services.next_status(current, value, warning=85, critical=95, hysteresis=10) == expected


def test_cpu_threshold_uses_the_ten_minute_average_and_records_changes():
    now = timezone.now()
    for seconds in range(0, 600, 60):
        sample(now - timedelta(seconds=seconds), cpu_percent=90.0)
    services.thresholds_evaluate(now=now)
    state = ThresholdState.objects.get(metric="cpu")
    assert (state.status, state.value) == ("warning", 90.0)
    event = ThresholdEvent.objects.get(metric="cpu")
    assert (event.previous, event.status) == ("clear", "warning")
    # One quiet sample barely moves a ten-minute average: still a warning, no new event.
    sample(now + timedelta(seconds=10), cpu_percent=10.0)
    services.thresholds_evaluate(now=now + timedelta(seconds=10))
    assert ThresholdState.objects.get(metric="cpu").status == "warning"
    assert ThresholdEvent.objects.filter(metric="cpu").count() == 1


def test_threshold_states_are_part_of_the_snapshot():
    sample(timezone.now(), memory_percent=99.0)
    services.thresholds_evaluate()
    states = {s["metric"]: s for s in selectors.system_metrics_snapshot()["thresholds"]}
    assert states["memory"]["status"] == "critical"
    assert states["memory"]["critical"] == 98.0
    assert states["memory"]["critical_clears_below"] == 88.0
    assert states["disk"]["status"] == "clear"


def test_health_probe_records_each_component():
    check = services.health_probe()
    assert check.ok is True
    assert check.database_ok and check.cache_ok and check.broker_ok
    assert check.database_ms is not None and check.database_ms >= 0


@override_settings(TELEMETRY_HEALTH_SECONDS=60)
def test_uptime_from_health_records():
    start = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
    for minute in range(60):
        health(start + timedelta(minutes=minute), ok=minute not in (10, 11, 12))  # three failing minutes
    figures = selectors.uptime(start=start, end=start + timedelta(hours=1), now=start + timedelta(hours=2))
    assert figures["probes"] == 60
    assert figures["failed_probes"] == 3
    assert figures["down_seconds"] == 180
    assert figures["percent"] == pytest.approx(100 * 57 / 60, abs=0.001)


@override_settings(TELEMETRY_HEALTH_SECONDS=60)
def test_uptime_counts_time_without_probes_as_unknown_not_up():
    start = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
    for minute in list(range(30)) + list(range(40, 60)):  # the monitor was silent for ten minutes
        health(start + timedelta(minutes=minute))
    figures = selectors.uptime(start=start, end=start + timedelta(hours=1), now=start + timedelta(hours=2))
    # Each probe speaks for at most two intervals: minute 29 covers 29-31, leaving 31-40 unknown.
    assert figures["unknown_seconds"] == 9 * 60
    assert figures["percent"] == pytest.approx(100 * 51 / 60, abs=0.001)


@override_settings(TELEMETRY_HEALTH_SECONDS=60)
def test_uptime_per_component():
    start = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
    for minute in range(10):
        health(start + timedelta(minutes=minute), broker_ok=minute >= 5)
    figures = selectors.uptime(start=start, end=start + timedelta(minutes=10), now=start + timedelta(hours=1))
    assert figures["components"]["database"] == 100.0
    assert figures["components"]["broker"] == 50.0
    assert figures["percent"] == 50.0


@pytest.mark.parametrize("microsecond", [0, 98_703, 499_999, 500_500, 999_999])
def test_a_healthy_system_is_exactly_100_percent_up_whatever_the_probe_times(microsecond):
    # Probe times carry microseconds; SQLite's julianday() rounds them to the millisecond and
    # once left a sliver of the first minute unmeasured (99.999% on a healthy system).
    start = datetime(2026, 6, 1, 0, 0, 7, microsecond, tzinfo=UTC)
    health(start)
    health(start + timedelta(seconds=10, microseconds=123_457))
    now = start + timedelta(seconds=20)
    figures = selectors.uptime(start=now - timedelta(days=7), end=now, now=now)
    assert figures["percent"] == 100.0
    assert figures["unknown_seconds"] == 0
    assert figures["components"] == {"database": 100.0, "cache": 100.0, "broker": 100.0}


def test_uptime_before_the_first_probe_is_not_measured():
    health(datetime(2026, 6, 2, tzinfo=UTC))
    figures = selectors.uptime(start=datetime(2026, 5, 1, tzinfo=UTC), end=datetime(2026, 6, 1, tzinfo=UTC),
                               now=datetime(2026, 7, 1, tzinfo=UTC))
    assert figures["percent"] is None


def test_prune_keeps_each_tier_for_its_retention():
    now = timezone.now()
    sample(now - timedelta(hours=49))
    sample(now - timedelta(hours=47))
    old_minute = (now - timedelta(days=31)).replace(second=0, microsecond=0)
    RequestMinute.objects.create(minute=old_minute, route="/a/", method="GET", status_class=2, count=1)
    RequestMinute.objects.create(minute=now.replace(second=0, microsecond=0), route="/a/", method="GET", status_class=2, count=1)
    RequestHour.objects.create(hour=(now - timedelta(days=400)).replace(minute=0, second=0, microsecond=0),
                               route="/a/", method="GET", status_class=2, count=1)
    health(now - timedelta(days=400))
    deleted = services.telemetry_prune(now=now)
    assert deleted["system_samples"] == 1
    assert deleted["request_minutes"] == 1
    assert deleted["request_hours"] == 1
    assert deleted["health_checks"] == 1
    assert SystemSample.objects.count() == 1
    assert RequestMinute.objects.count() == 1
    # the 49-hour-old sample's hour rollup outlives the raw row
    assert SystemRollup.objects.filter(resolution="hour").count() == 2
    assert HealthCheck.objects.count() == 0


@pytest.mark.parametrize("this_host_sampled", [True, False])
def test_the_system_card_shows_the_latest_sample_of_the_host_asked_for(settings, this_host_sampled):
    """The card's latest sample is ``latest_sample``'s for every host asked for: a host of the list, one whose
    only sample is older than the raw retention, one that never sampled, and (no host asked) this host, or
    whichever host sampled last when this one has not."""
    now = timezone.now()
    settings.CONTROLPANEL_HOST_NAME = "here"
    if this_host_sampled:
        sample(now - timedelta(minutes=3), host="here", cpu_percent=11.0)
        sample(now - timedelta(minutes=2), host="here", cpu_percent=12.0)
    sample(now - timedelta(minutes=1), host="there", cpu_percent=21.0)
    sample(now - timedelta(hours=settings.TELEMETRY_RETENTION_RAW_HOURS + 1), host="gone", cpu_percent=31.0)
    for host in (None, "here", "there", "gone", "never"):
        card = selectors.system_metrics_snapshot(now=now, host=host)
        assert card["latest"] == selectors.latest_sample(now=now, host=host), host
    assert selectors.system_metrics_snapshot(now=now)["latest"]["cpu_percent"] == (12.0 if this_host_sampled else 21.0)
    assert selectors.system_metrics_snapshot(now=now, host="gone")["latest"]["cpu_percent"] == 31.0
