"""Time series for the live staff charts, read from the retention tiers with a bounded number of points.

Each range names the tier it is read from and the bucket the points are folded into, so every
series has at most ``MAX_POINTS`` points whatever the range: the last 15 minutes come from the
raw samples and request minutes, a year from the hour rows folded into days. Times are Unix
seconds (what the charts plot); a bucket without data is a gap (``None``), not a zero, for
gauges, and a zero for counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from telemetry import aggregation
from telemetry.models import ActiveUserDay, ReleaseMark, SystemRollup, SystemSample

MAX_POINTS = 400


@dataclass(frozen=True)
class Range:
    key: str
    label: str
    span: timedelta
    system_tier: str  # "raw", "minute" or "hour"
    request_tier: str  # "minute" or "hour"
    bucket_seconds: int


RANGES = {
    r.key: r for r in (
        Range("15m", "15 min", timedelta(minutes=15), "raw", "minute", 5),
        Range("1h", "1 h", timedelta(hours=1), "raw", "minute", 10),
        Range("6h", "6 h", timedelta(hours=6), "minute", "minute", 60),
        Range("24h", "24 h", timedelta(hours=24), "minute", "minute", 300),
        Range("7d", "7 d", timedelta(days=7), "hour", "hour", 3600),
        Range("30d", "30 d", timedelta(days=30), "hour", "hour", 2 * 3600),
        Range("1y", "1 y", timedelta(days=365), "hour", "hour", 86400),
    )
}
DEFAULT_RANGE = "1h"
SYSTEM_SERIES = ("cpu_percent", "memory_percent", "disk_read_bps", "disk_write_bps", "net_recv_bps", "net_sent_bps")


def range_for(key: str | None) -> Range:
    return RANGES.get(key or DEFAULT_RANGE, RANGES[DEFAULT_RANGE])


def _buckets(start: datetime, end: datetime, size: int) -> list[int]:
    first = int(start.timestamp()) // size * size
    return list(range(first, int(end.timestamp()) + 1, size))


def _bucket(moment: datetime, size: int) -> int:
    return int(moment.timestamp()) // size * size


def system_charts(*, chart_range: Range, now: datetime) -> dict:
    """Per host: CPU and memory percent, disk and network bytes per second, one point per bucket."""
    start, size = now - chart_range.span, chart_range.bucket_seconds
    sums: dict[str, dict[int, dict[str, list[float]]]] = {}
    if chart_range.system_tier == "raw":
        rows = SystemSample.objects.filter(at__gte=start, at__lte=now).exclude(host="").values("host", "at", *SYSTEM_SERIES)
        for row in rows:
            cell = sums.setdefault(row["host"], {}).setdefault(_bucket(row["at"], size), {})
            for name in SYSTEM_SERIES:
                if row[name] is not None:
                    total = cell.setdefault(name, [0.0, 0])
                    total[0] += row[name]
                    total[1] += 1
    else:
        fields = [f"{name}_{part}" for name in SYSTEM_SERIES for part in ("sum", "n")]
        rows = (SystemRollup.objects.filter(resolution=chart_range.system_tier, start__gte=start, start__lte=now)
                .exclude(host="").values("host", "start", *fields))
        for row in rows:
            cell = sums.setdefault(row["host"], {}).setdefault(_bucket(row["start"], size), {})
            for name in SYSTEM_SERIES:
                if row[f"{name}_n"]:
                    total = cell.setdefault(name, [0.0, 0])
                    total[0] += row[f"{name}_sum"]
                    total[1] += row[f"{name}_n"]
    times = _buckets(start, now, size)
    hosts = {}
    for host, cells in sorted(sums.items()):
        series = {"t": times}
        for name in SYSTEM_SERIES:
            series[name] = [round(cells[t][name][0] / cells[t][name][1], 2) if t in cells and name in cells[t] else None
                            for t in times]
        hosts[host] = series
    return hosts


def request_charts(*, chart_range: Range, now: datetime, top_endpoints: int = 5) -> dict:
    """API throughput (requests a minute), 5xx error rate and p50/p95/p99 over time, overall and per busiest endpoint."""
    minutes_only = chart_range.request_tier == "minute"
    # Request rows are whole minutes (or hours): a point is never finer than its tier's row.
    size = max(chart_range.bucket_seconds, 60 if minutes_only else 3600)
    start = now - chart_range.span
    rows = aggregation.request_rows(start, now, group=("time", "route", "status_class"), minutes_only=minutes_only)
    api_rows = [r for r in rows if r["route"].startswith("/api/")]
    # The bucket still under way is left out: its requests are not all flushed yet.
    times = [t for t in _buckets(start, now, size) if t + size <= now.timestamp()]
    step_minutes = size / 60

    def series_of(selected: list[dict]) -> dict:
        folded = aggregation.fold(selected, lambda r: _bucket(r["time"], size))
        out = {"t": times, "requests_per_minute": [], "error_rate_percent": [], "p50_ms": [], "p95_ms": [], "p99_ms": []}
        for t in times:
            agg = folded.get(t)
            count = agg.count if agg else 0
            out["requests_per_minute"].append(round(count / step_minutes, 2))
            out["error_rate_percent"].append(round(100 * agg.server_errors / count, 2) if count else None)
            for q, name in ((0.5, "p50_ms"), (0.95, "p95_ms"), (0.99, "p99_ms")):
                out[name].append(agg.percentile(q) if count else None)
        return out

    totals = aggregation.fold(api_rows, lambda r: r["route"])
    busiest = sorted(totals, key=lambda route: -totals[route].count)[:top_endpoints]
    return {
        "overall": series_of(api_rows),
        "endpoints": {route: series_of([r for r in api_rows if r["route"] == route]) for route in busiest},
    }


def search_charts(*, chart_range: Range, now: datetime) -> dict:
    """Server time of searches, turbo against plain: the median per bucket (buckets of at least a minute)."""
    from search.models import SearchHistory

    start = now - chart_range.span
    size = max(60, chart_range.bucket_seconds)
    times = _buckets(start, now, size)
    cells: dict[tuple[int, bool], list[float]] = {}
    for at, turbo, took in (SearchHistory.objects.filter(created_at__gte=start, created_at__lte=now, cached=False)
                            .values_list("created_at", "turbo_used", "search_time").iterator()):
        cells.setdefault((_bucket(at, size), turbo), []).append(took)

    def median(values):
        if not values:
            return None
        ordered = sorted(values)
        return round(ordered[len(ordered) // 2], 2)

    return {
        "t": times,
        "turbo_p50_ms": [median(cells.get((t, True))) for t in times],
        "plain_p50_ms": [median(cells.get((t, False))) for t in times],
    }


def learner_charts(*, chart_range: Range, now: datetime) -> dict:
    """Active learners per day (days are the finest grain kept), over the range or at least the last week."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(settings.REPORT_TIME_ZONE)
    last = now.astimezone(zone).date()
    days = max(7, chart_range.span.days)
    first = last - timedelta(days=days - 1)
    counts = dict.fromkeys((first + timedelta(days=i) for i in range(days)), 0)
    for day in ActiveUserDay.objects.filter(day__gte=first, day__lte=last).values_list("day", flat=True).iterator():
        counts[day] = counts.get(day, 0) + 1
    return {
        "t": [int(datetime.combine(day, datetime.min.time(), tzinfo=zone).timestamp()) for day in counts],
        "active": list(counts.values()),
    }


def release_marks(*, start: datetime, end: datetime) -> list[dict]:
    """Releases and marked changes in ``[start, end]``, oldest first, as the charts draw them."""
    marks = ReleaseMark.objects.filter(at__gte=start, at__lte=end).order_by("at")[:50]
    return [{"t": int(m.at.timestamp()), "at": m.at.isoformat(), "kind": m.kind, "label": m.label} for m in marks]


def live_charts(*, range_key: str | None, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    chart_range = range_for(range_key)
    return {
        "range": {"key": chart_range.key, "label": chart_range.label, "seconds": int(chart_range.span.total_seconds()),
                  "bucket_seconds": chart_range.bucket_seconds, "start": int((now - chart_range.span).timestamp()),
                  "end": int(now.timestamp())},
        "system": system_charts(chart_range=chart_range, now=now),
        "api": request_charts(chart_range=chart_range, now=now),
        "search": search_charts(chart_range=chart_range, now=now),
        "learners": learner_charts(chart_range=chart_range, now=now),
        "marks": release_marks(start=now - max(chart_range.span, timedelta(days=7)), end=now),
    }


COMPARE_WINDOWS = {"15m": timedelta(minutes=15), "1h": timedelta(hours=1), "6h": timedelta(hours=6),
                   "24h": timedelta(hours=24), "7d": timedelta(days=7)}


def _system_average(*, start: datetime, end: datetime) -> dict:
    """Mean CPU and memory percent over every host's minute rollups in ``[start, end)``."""
    rows = SystemRollup.objects.filter(resolution=SystemRollup.Resolution.MINUTE, start__gte=start, start__lt=end)
    totals = {"cpu_percent": [0.0, 0], "memory_percent": [0.0, 0]}
    for row in rows.values("cpu_percent_sum", "cpu_percent_n", "memory_percent_sum", "memory_percent_n"):
        for name, total in totals.items():
            total[0] += row[f"{name}_sum"]
            total[1] += row[f"{name}_n"]
    return {name: round(total[0] / total[1], 2) if total[1] else None for name, total in totals.items()}


def mark_comparison(*, mark: ReleaseMark, window_key: str, now: datetime | None = None) -> dict:
    """The same window before and after a mark: API latency, errors and throughput, CPU and memory.

    The "after" window ends now if the mark is more recent than the window; it says how much of
    the window it covers, so a comparison is never of unequal spans without saying so.
    """
    from telemetry.selectors.activity import performance_summary

    now = now or timezone.now()
    window = COMPARE_WINDOWS.get(window_key, COMPARE_WINDOWS["1h"])
    after_end = min(mark.at + window, now)
    sides = {}
    for name, start, end in (("before", mark.at - window, mark.at), ("after", mark.at, after_end)):
        span = end - start
        api = performance_summary(window=span, end=end, include_series=False)["api"] if span.total_seconds() > 0 else {}
        sides[name] = {"start": start.isoformat(), "end": end.isoformat(), "seconds": int(span.total_seconds()),
                       "api": api, "system": _system_average(start=start, end=end)}
    rows = []
    for label, side, key, unit in (
        ("API p50", "api", "p50_ms", "ms"), ("API p95", "api", "p95_ms", "ms"), ("API p99", "api", "p99_ms", "ms"),
        ("Requests per minute", "api", "throughput_per_minute", ""), ("Server errors (5xx)", "api", "error_rate", "ratio"),
        ("CPU (mean of hosts)", "system", "cpu_percent", "%"), ("Memory (mean of hosts)", "system", "memory_percent", "%"),
    ):
        before, after = sides["before"][side].get(key), sides["after"][side].get(key)
        change = round(100 * (after - before) / before, 1) if before and after is not None else None
        rows.append({"label": label, "unit": unit, "before": before, "after": after, "change_percent": change})
    return {"mark": {"id": mark.pk, "label": mark.label, "kind": mark.kind, "at": mark.at.isoformat()},
            "window": window_key if window_key in COMPARE_WINDOWS else "1h", "complete": after_end == mark.at + window,
            "sides": sides, "rows": rows}
