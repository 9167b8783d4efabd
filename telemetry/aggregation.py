"""Reading the request tiers: sums over a time range, folded into per-endpoint and per-step figures.

A range is read from the hour rows for every whole UTC hour inside it and from the minute rows
for the ragged edges, so a month costs ~720 hour rows per key while a range that starts at a
half hour (Asia/Kolkata midnight) is still exact to the minute.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from telemetry import fastpaths
from telemetry.histogram import Stats
from telemetry.models import RequestHour, RequestMinute

_BUCKET_KEYS = fastpaths.SUM_KEYS[3:]  # h00..h32, the summed latency buckets


@dataclass(slots=True)
class Agg(Stats):
    """:class:`~telemetry.histogram.Stats` read back from the tiers, with counts per status class."""

    by_class: dict[int, int] = field(default_factory=dict)

    def add_row(self, row: dict) -> None:
        n = int(row["n"] or 0)
        self.add(Stats(n, float(row["s"] or 0), float(row["mx"] or 0), [int(row[key] or 0) for key in _BUCKET_KEYS]))
        status_class = row.get("status_class")
        if status_class is not None:
            self.by_class[status_class] = self.by_class.get(status_class, 0) + n

    @property
    def server_errors(self) -> int:
        return self.by_class.get(5, 0)

    @property
    def client_errors(self) -> int:
        return self.by_class.get(4, 0)

    def summary(self, *, minutes: float | None = None) -> dict:
        """The figures every table shows, JSON-ready."""
        return {
            "requests": self.count,
            "throughput_per_minute": round(self.count / minutes, 3) if minutes else None,
            "p50_ms": self.percentile(0.50),
            "p95_ms": self.percentile(0.95),
            "p99_ms": self.percentile(0.99),
            "mean_ms": round(self.sum_ms / self.count, 3) if self.count else None,
            "max_ms": round(self.max_ms, 3) if self.count else None,
            "server_errors": self.server_errors,
            "client_errors": self.client_errors,
            "error_rate": round(self.server_errors / self.count, 6) if self.count else None,
            "client_error_rate": round(self.client_errors / self.count, 6) if self.count else None,
            "status_classes": {f"{k}xx": v for k, v in sorted(self.by_class.items())},
        }


def _floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _ceil_hour(moment: datetime) -> datetime:
    floor = _floor_hour(moment)
    return floor if floor == moment else floor + timedelta(hours=1)


def _floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _ceil_minute(moment: datetime) -> datetime:
    floor = _floor_minute(moment)
    return floor if floor == moment else floor + timedelta(minutes=1)


def _parts(start: datetime, end: datetime, *, minutes_only: bool) -> list[tuple[type, str, datetime, datetime]]:
    """Which tier covers which part of ``[start, end)``; minute edges are whole minutes."""
    start, end = _floor_minute(start.astimezone(UTC)), _ceil_minute(end.astimezone(UTC))
    if start >= end:
        return []
    if minutes_only:
        return [(RequestMinute, "minute", start, end)]
    first_hour, last_hour = _ceil_hour(start), _floor_hour(end)
    if first_hour >= last_hour:
        return [(RequestMinute, "minute", start, end)]
    parts = [(RequestHour, "hour", first_hour, last_hour)]
    if start < first_hour:
        parts.append((RequestMinute, "minute", start, first_hour))
    if last_hour < end:
        parts.append((RequestMinute, "minute", last_hour, end))
    return parts


def request_rows(start: datetime, end: datetime, *, group: Iterable[str], minutes_only: bool = False,
                 routes: Iterable[str] | None = None) -> list[dict]:
    """Summed rows over ``[start, end)`` grouped by ``group`` (route, method, status_class, time)."""
    group = tuple(group)
    rows: list[dict] = []
    for model, column, lower, upper in _parts(start, end, minutes_only=minutes_only):
        fields = [column if name == "time" else name for name in group]
        for row in fastpaths.request_sums(model, column, lower, upper, group=fields,
                                          routes=None if routes is None else list(routes)):
            if not group and not row["n"]:
                continue
            if "time" in group:
                row["time"] = row.pop(column)
            rows.append(row)
    return rows


def fold(rows: Iterable[dict], key) -> dict:
    """Rows folded into one :class:`Agg` per ``key(row)``."""
    folded: dict = {}
    for row in rows:
        k = key(row)
        agg = folded.get(k)
        if agg is None:
            agg = folded[k] = Agg()
        agg.add_row(row)
    return folded


def total(rows: Iterable[dict]) -> Agg:
    agg = Agg()
    for row in rows:
        agg.add_row(row)
    return agg


def step_starts(start: datetime, end: datetime, step: str, zone: ZoneInfo) -> list:
    """Every step's key in ``[start, end)``: UTC minute/hour starts, or local dates for days."""
    if step == "day":
        first, last = start.astimezone(zone).date(), (end - timedelta(microseconds=1)).astimezone(zone).date()
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]
    size = timedelta(minutes=1) if step == "minute" else timedelta(hours=1)
    floor = _floor_minute if step == "minute" else _floor_hour
    cursor, keys = floor(start.astimezone(UTC)), []
    while cursor < end:
        keys.append(cursor)
        cursor += size
    return keys


def step_key(moment: datetime, step: str, zone: ZoneInfo):
    moment = moment.astimezone(UTC)
    if step == "minute":
        return _floor_minute(moment)
    if step == "hour":
        return _floor_hour(moment)
    return moment.astimezone(zone).date()


def request_series(start: datetime, end: datetime, *, step: str, zone: ZoneInfo | None = None) -> list[tuple[object, Agg]]:
    """One :class:`Agg` per step (minute, hour or local day) over ``[start, end)``, gaps as zeros."""
    zone = zone or ZoneInfo(settings.REPORT_TIME_ZONE)
    rows = request_rows(start, end, group=("time", "status_class"), minutes_only=step == "minute")
    folded = fold(rows, lambda row: step_key(row["time"], step, zone))
    return [(key, folded.get(key, Agg())) for key in step_starts(start, end, step, zone)]


def local_x(key, zone: ZoneInfo):
    """A step key as a chart x value: local time for instants, the date itself for days."""
    if isinstance(key, datetime):
        return key.astimezone(zone)
    return key


def iso(key) -> str:
    if isinstance(key, (datetime, date)):
        return key.isoformat()
    return str(key)
