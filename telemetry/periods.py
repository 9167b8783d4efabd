"""Report periods: daily, weekly (Monday start) and monthly, in the report time zone.

A period is a half-open range of local dates ``[start, end)``; its instants run from local
midnight of ``start`` to local midnight of ``end``, so a day in a DST zone may last 23 or
25 hours. A period can only be reported on once it is over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

KINDS = ("daily", "weekly", "monthly")


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date
    time_zone: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    # In UTC: subtracting two datetimes that share a ZoneInfo compares wall clocks and would
    # make every DST day 24 hours long.
    @property
    def starts_at(self) -> datetime:
        return local_midnight(self.start, self.zone).astimezone(UTC)

    @property
    def ends_at(self) -> datetime:
        return local_midnight(self.end, self.zone).astimezone(UTC)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def label(self) -> str:
        if self.kind == "daily":
            return f"{self.start:%A %d %B %Y}"
        if self.kind == "weekly":
            last = self.end - timedelta(days=1)
            return f"week of {self.start:%d %b} – {last:%d %b %Y}"
        return f"{self.start:%B %Y}"

    def previous(self) -> Period:
        return period_for(self.kind, self.start - timedelta(days=1), self.time_zone)

    def is_over(self, now: datetime) -> bool:
        return now >= self.ends_at


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``zone`` (midnight, or the first valid time after a gap)."""
    naive = datetime.combine(day, time.min)
    aware = naive.replace(tzinfo=zone)
    # A midnight skipped by a DST jump does not exist; a round trip through UTC lands after the gap.
    return aware.astimezone(ZoneInfo("UTC")).astimezone(zone)


def period_for(kind: str, day: date, time_zone: str | None = None) -> Period:
    """The period of ``kind`` that contains ``day``."""
    time_zone = time_zone or settings.REPORT_TIME_ZONE
    if kind == "daily":
        start, end = day, day + timedelta(days=1)
    elif kind == "weekly":
        start = day - timedelta(days=day.weekday())
        end = start + timedelta(days=7)
    elif kind == "monthly":
        start = day.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
    else:
        raise ValueError(f"unknown period kind: {kind}")
    return Period(kind=kind, start=start, end=end, time_zone=time_zone)


def last_complete(kind: str, now: datetime, time_zone: str | None = None) -> Period:
    """The most recent period of ``kind`` that is over at ``now``."""
    time_zone = time_zone or settings.REPORT_TIME_ZONE
    today = now.astimezone(ZoneInfo(time_zone)).date()
    return period_for(kind, today, time_zone).previous()
