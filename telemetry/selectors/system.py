"""System reads: samples and their rollups, thresholds, health probes and uptime."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from telemetry import fastpaths
from telemetry.models import (
    ROLLUP_METRICS,
    AppProcess,
    HealthCheck,
    SystemRollup,
    SystemSample,
    ThresholdEvent,
    ThresholdState,
    ThresholdStatus,
)

SAMPLE_FIELDS = (
    "cpu_percent", "memory_percent", "memory_used_bytes", "memory_total_bytes", "swap_percent", "swap_used_bytes",
    "disk_percent", "disk_used_bytes", "disk_total_bytes", "disk_read_bps", "disk_write_bps", "net_recv_bps",
    "net_sent_bps", "load_1", "load_5", "load_15", "app_rss_bytes", "app_processes",
)
RESOLUTIONS = ("raw", "minute", "hour")
COMPONENTS = ("database", "cache", "broker")


# --- thresholds ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Threshold:
    metric: str
    field: str
    warning: float
    critical: float
    window_seconds: int


def thresholds() -> list[Threshold]:
    """The configured thresholds: CPU on a 10-minute average, memory and disk on the last minute."""
    return [
        Threshold("cpu", "cpu_percent", settings.TELEMETRY_CPU_WARNING, settings.TELEMETRY_CPU_CRITICAL,
                  settings.TELEMETRY_CPU_WINDOW_SECONDS),
        Threshold("memory", "memory_percent", settings.TELEMETRY_MEMORY_WARNING, settings.TELEMETRY_MEMORY_CRITICAL,
                  settings.TELEMETRY_THRESHOLD_WINDOW_SECONDS),
        Threshold("disk", "disk_percent", settings.TELEMETRY_DISK_WARNING, settings.TELEMETRY_DISK_CRITICAL,
                  settings.TELEMETRY_THRESHOLD_WINDOW_SECONDS),
    ]


def threshold_states(*, host: str | None = None) -> list[dict]:
    """Each of ``host``'s thresholds (default: this host) with its limits (never evaluated: ``unknown``)."""
    host = settings.CONTROLPANEL_HOST_NAME if host is None else host
    states = {state.metric: state for state in ThresholdState.objects.filter(host=host)}
    gap = settings.TELEMETRY_THRESHOLD_HYSTERESIS
    out = []
    for threshold in thresholds():
        state = states.get(threshold.metric)
        out.append({
            "host": host,
            "metric": threshold.metric,
            "status": state.status if state else "unknown",
            "value": state.value if state else None,
            "window_seconds": threshold.window_seconds,
            "warning": threshold.warning,
            "critical": threshold.critical,
            "warning_clears_below": threshold.warning - gap,
            "critical_clears_below": threshold.critical - gap,
            "since": state.since.isoformat() if state else None,
            "evaluated_at": state.evaluated_at.isoformat() if state else None,
        })
    return out


def window_average(*, field: str, seconds: int, now: datetime, host: str | None = None) -> float | None:
    host = settings.CONTROLPANEL_HOST_NAME if host is None else host
    values = [v for v in SystemSample.objects.filter(host=host, at__gt=now - timedelta(seconds=seconds), at__lte=now)
              .values_list(field, flat=True) if v is not None]
    return round(sum(values) / len(values), 2) if values else None


def threshold_breaches(*, start: datetime, end: datetime) -> list[dict]:
    """Threshold changes in ``[start, end)`` that raised a warning or a critical state."""
    events = ThresholdEvent.objects.filter(at__gte=start, at__lt=end).exclude(status=ThresholdStatus.CLEAR).order_by("at")
    return [
        {"host": e.host, "metric": e.metric, "at": e.at.isoformat(), "from": e.previous, "to": e.status, "value": e.value}
        for e in events[:200]
    ]


METRIC_LABELS = {"cpu": "CPU", "memory": "Memory", "disk": "Disk"}


def alert_dict(event: ThresholdEvent) -> dict:
    """One threshold transition as the alert log, the API and the notifications show it."""
    from django.urls import reverse

    label = METRIC_LABELS.get(event.metric, event.metric)
    if event.status == ThresholdStatus.CLEAR:
        headline = f"{label} on {event.host} cleared: {event.value:.1f} % is below {event.threshold or 0:.0f} %"
    else:
        headline = (f"{label} on {event.host} is {event.status}: {event.value:.1f} % is above "
                    f"{event.threshold or 0:.0f} %")
    path = f"{reverse('staff:system')}?host={event.host}"
    return {
        "id": event.pk,
        "host": event.host,
        "metric": event.metric,
        "metric_label": label,
        "at": event.at.isoformat(),
        "from": event.previous,
        "to": event.status,
        "kind": "cleared" if event.status == ThresholdStatus.CLEAR else event.status,
        "value": event.value,
        "threshold": event.threshold,
        "headline": headline,
        "url": settings.SITE_URL.rstrip("/") + path,
        "notified_at": event.notified_at.isoformat() if event.notified_at else None,
        "delivery": event.delivery or {},
    }


def alert_list(*, host: str | None = None):
    """Threshold transitions, newest first (a queryset: the API and the page paginate it)."""
    events = ThresholdEvent.objects.order_by("-at", "-pk")
    return events.filter(host=host) if host else events


# --- system ----------------------------------------------------------------------------

def app_processes(*, host: str, now: datetime) -> dict:
    """This deployment's live processes on ``host`` (registered, seen in the last three intervals), per role."""
    fresh = now - timedelta(seconds=3 * settings.TELEMETRY_SAMPLE_SECONDS)
    roles: dict[str, dict] = {}
    for role, rss in AppProcess.objects.filter(host=host, seen_at__gte=fresh).values_list("role", "rss_bytes"):
        figures = roles.setdefault(role, {"processes": 0, "rss_bytes": 0})
        figures["processes"] += 1
        figures["rss_bytes"] += rss
    return {"roles": roles, "host_roles": sorted(roles)}


def _sample_dict(sample: SystemSample, now: datetime) -> dict:
    out = {"at": sample.at.isoformat(), "host": sample.host, "roles": sample.roles}
    out.update({name: getattr(sample, name) for name in SAMPLE_FIELDS})
    out["processes"] = sample.processes
    age = (now - sample.at).total_seconds()
    out["age_seconds"] = round(age, 1)
    out["stale"] = age > 3 * settings.TELEMETRY_SAMPLE_SECONDS
    return out


def latest_sample(*, now: datetime | None = None, host: str | None = None) -> dict | None:
    """The newest sample of ``host`` (default: this host, else whichever host sampled last)."""
    now = now or timezone.now()
    samples = SystemSample.objects.order_by("-at")
    sample = samples.filter(host=host or settings.CONTROLPANEL_HOST_NAME).first()
    if sample is None and host is None:
        sample = samples.first()
    return _sample_dict(sample, now) if sample is not None else None


def host_list(*, now: datetime | None = None) -> list[dict]:
    """Every host that sampled within the raw retention, with its latest sample and worst threshold."""
    now = now or timezone.now()
    since = now - timedelta(hours=settings.TELEMETRY_RETENTION_RAW_HOURS)
    names = (SystemSample.objects.filter(at__gte=since).exclude(host="").values_list("host", flat=True)
             .distinct().order_by("host"))
    states: dict[str, str] = {}
    rank = {ThresholdStatus.CLEAR: 0, ThresholdStatus.WARNING: 1, ThresholdStatus.CRITICAL: 2}
    for name, status in ThresholdState.objects.values_list("host", "status"):
        if rank.get(status, 0) >= rank.get(states.get(name, ThresholdStatus.CLEAR), 0):
            states[name] = status
    hosts = []
    for name in names:
        latest = latest_sample(now=now, host=name)
        hosts.append({"host": name, "roles": latest["roles"] if latest else [], "status": states.get(name, "unknown"),
                      "latest": latest})
    return hosts


def fleet_summary(hosts: list[dict]) -> dict:
    """The fleet: hosts reporting, mean CPU, memory and disk percent, summed memory, traffic and app RSS."""
    live = [h["latest"] for h in hosts if h["latest"] and not h["latest"]["stale"]]

    def mean(field):
        values = [s[field] for s in live if s[field] is not None]
        return round(sum(values) / len(values), 1) if values else None

    def total(field):
        values = [s[field] for s in live if s[field] is not None]
        return sum(values) if values else None

    return {
        "hosts": len(hosts), "hosts_reporting": len(live),
        "cpu_percent": mean("cpu_percent"), "memory_percent": mean("memory_percent"),
        "disk_percent": mean("disk_percent"), "memory_used_bytes": total("memory_used_bytes"),
        "memory_total_bytes": total("memory_total_bytes"), "app_rss_bytes": total("app_rss_bytes"),
        "app_processes": total("app_processes"), "net_recv_bps": total("net_recv_bps"),
        "net_sent_bps": total("net_sent_bps"), "disk_read_bps": total("disk_read_bps"),
        "disk_write_bps": total("disk_write_bps"),
    }


def auto_resolution(window: timedelta) -> str:
    if window <= timedelta(hours=1):
        return "raw"
    if window <= timedelta(days=2):
        return "minute"
    return "hour"


def system_series(*, start: datetime, end: datetime, resolution: str, host: str | None = None) -> list[dict]:
    """CPU, memory, disk, network, load and app RSS of ``host`` over ``[start, end)``: averages, and peaks for rollups.

    Without a host, every host's points (each tagged with its host, in time order).
    """
    if resolution == "raw":
        rows = SystemSample.objects.filter(at__gte=start, at__lt=end).order_by("at")
        if host is not None:
            rows = rows.filter(host=host)
        return [{"at": s.at.isoformat(), "host": s.host, **{m: getattr(s, m) for m in ROLLUP_METRICS}} for s in rows]
    rollups = SystemRollup.objects.filter(resolution=resolution, start__gte=start, start__lt=end).order_by("start")
    if host is not None:
        rollups = rollups.filter(host=host)
    series = []
    for rollup in rollups:
        point = {"at": rollup.start.isoformat(), "host": rollup.host, "samples": rollup.samples}
        for metric in ROLLUP_METRICS:
            average = rollup.average(metric)
            point[metric] = round(average, 2) if average is not None else None
            point[f"{metric}_max"] = getattr(rollup, f"{metric}_max")
        series.append(point)
    return series


def system_summary(*, start: datetime, end: datetime) -> dict:
    """Average and peak of each rolled-up metric over the hours starting in ``[start, end)``."""
    rollups = SystemRollup.objects.filter(resolution=SystemRollup.Resolution.HOUR, start__gte=start, start__lt=end)
    sums = dict.fromkeys(ROLLUP_METRICS, 0.0)
    counts = dict.fromkeys(ROLLUP_METRICS, 0)
    peaks: dict[str, float | None] = dict.fromkeys(ROLLUP_METRICS)
    samples = 0
    for rollup in rollups:
        samples += rollup.samples
        for metric in ROLLUP_METRICS:
            sums[metric] += getattr(rollup, f"{metric}_sum")
            counts[metric] += getattr(rollup, f"{metric}_n")
            peak = getattr(rollup, f"{metric}_max")
            if peak is not None and (peaks[metric] is None or peak > peaks[metric]):
                peaks[metric] = peak
    return {
        "samples": samples,
        "metrics": {
            metric: {
                "average": round(sums[metric] / counts[metric], 2) if counts[metric] else None,
                "peak": peaks[metric],
            }
            for metric in ROLLUP_METRICS
        },
    }


def latest_health() -> dict | None:
    check = HealthCheck.objects.order_by("-at").first()
    if check is None:
        return None
    return {
        "at": check.at.isoformat(),
        "ok": check.ok,
        "components": {
            name: {"ok": getattr(check, f"{name}_ok"), "ms": getattr(check, f"{name}_ms")} for name in COMPONENTS
        },
    }


def system_metrics_snapshot(*, now: datetime | None = None, host: str | None = None) -> dict:
    """The live system card: every host and the fleet, one host's latest sample and thresholds
    (``host``, default this one), latest health and 24-hour uptime."""
    now = now or timezone.now()
    hosts = host_list(now=now)
    wanted = host or settings.CONTROLPANEL_HOST_NAME
    # A host of the list carries its latest sample already; only one that has not sampled within the raw
    # retention (or the fallback to whichever host sampled last) needs its own read.
    latest = next((h["latest"] for h in hosts if h["host"] == wanted and h["latest"]), None) or latest_sample(
        now=now, host=host)
    return {
        "generated_at": now.isoformat(),
        "host": latest["host"] if latest else wanted,
        "latest": latest,
        "thresholds": threshold_states(host=latest["host"] if latest else host),
        "hosts": hosts,
        "fleet": fleet_summary(hosts),
        "health": latest_health(),
        "uptime_24h": uptime(start=now - timedelta(hours=24), end=now, now=now),
        "sample_seconds": settings.TELEMETRY_SAMPLE_SECONDS,
    }


def period_was_served(*, start: datetime, end: datetime) -> bool:
    """Did the product run at all in ``[start, end)``: any request counted, health probe or system sample."""
    from telemetry.models import RequestMinute

    return (RequestMinute.objects.filter(minute__gte=start, minute__lt=end).exists()
            or HealthCheck.objects.filter(at__gte=start, at__lt=end).exists()
            or SystemSample.objects.filter(at__gte=start, at__lt=end).exists())


# --- uptime ----------------------------------------------------------------------------

def uptime(*, start: datetime, end: datetime, now: datetime | None = None) -> dict:
    """Uptime over ``[start, end)`` measured from the health probes.

    Each probe speaks for the time until the next one, at most two probe intervals; time no
    probe speaks for counts as unknown, and uptime is the share of the measured range (from
    the first probe ever, up to now) that passing probes cover. A dead monitor therefore
    lowers uptime instead of hiding an outage. Per component, the same with that check alone.
    """
    now = now or timezone.now()
    end = min(end, now)
    horizon = timedelta(seconds=2 * settings.TELEMETRY_HEALTH_SECONDS)
    first = HealthCheck.objects.order_by("at").values_list("at", flat=True).first()
    empty = {"percent": None, "measured_seconds": 0, "up_seconds": 0, "down_seconds": 0, "unknown_seconds": 0,
             "probes": 0, "failed_probes": 0, "components": dict.fromkeys(COMPONENTS)}
    if first is None or first >= end:
        return empty
    start = max(start, first)
    if start >= end:
        return empty
    # Epoch seconds and flags straight from the database (``fastpaths.probe_rows``): a day is 1,440 probes
    # and a month ~43,000, and turning each into an aware datetime and booleans would cost more than the
    # whole computation.
    rows = fastpaths.probe_rows(start - horizon, end)
    start_s, end_s, horizon_s = start.timestamp(), end.timestamp(), horizon.total_seconds()
    if start == first and rows:
        # The range starts at the first probe ever: take its time as the database reports it,
        # so a rounding difference between Python and SQL never leaves a sliver unmeasured.
        start_s = rows[0][0]
    measured = end_s - start_s
    up = 0.0
    covered = 0.0
    component_up = dict.fromkeys(COMPONENTS, 0.0)
    probes = failed = 0
    for index, (at, ok, *components) in enumerate(rows):
        until = min(at + horizon_s, end_s)
        if index + 1 < len(rows):
            until = min(until, rows[index + 1][0])
        lower = max(at, start_s)
        if until <= lower:
            continue
        span = until - lower
        covered += span
        if at >= start_s:
            probes += 1
            failed += 0 if ok else 1
        if ok:
            up += span
        for name, component_ok in zip(COMPONENTS, components, strict=True):
            if component_ok:
                component_up[name] += span
    unknown = max(0.0, measured - covered)
    return {
        "percent": round(100 * up / measured, 3) if measured else None,
        "measured_seconds": round(measured, 1),
        "up_seconds": round(up, 1),
        "down_seconds": round(covered - up, 1),
        "unknown_seconds": round(unknown, 1),
        "probes": probes,
        "failed_probes": failed,
        "components": {name: round(100 * component_up[name] / measured, 3) if measured else None for name in COMPONENTS},
    }
