"""Request performance and engagement reads: endpoints, objectives, feature usage, users."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from controlpanel.reporting import ReportSection
from progress.reports import report_section as learning_section
from search.reports import report_section as search_section
from search.reports import turbo_section
from telemetry import aggregation
from telemetry.models import ActiveUserDay
from telemetry.selectors.system import uptime

logger = logging.getLogger("controlpanel.telemetry")

# --- request performance ---------------------------------------------------------------

def route_group(route: str) -> str:
    """Feature area of a route: the segment after ``/api/v1/``, else admin or pages."""
    if route.startswith("/api/v1/"):
        segment = route[len("/api/v1/"):].split("/", 1)[0]
        return segment or "api"
    if route.startswith("/admin/"):
        return "admin"
    if route.startswith("<"):
        return "unmatched"
    return "pages"


def endpoint_table(rows: list[dict], minutes: float) -> list[dict]:
    per_endpoint = aggregation.fold(rows, lambda row: (row["route"], row["method"]))
    table = []
    for (route, method), agg in per_endpoint.items():
        table.append({"route": route, "method": method, "group": route_group(route), **agg.summary(minutes=minutes)})
    table.sort(key=lambda row: (-row["requests"], row["route"], row["method"]))
    return table


def objectives_status(api: aggregation.Agg, uptime_figures: dict) -> list[dict]:
    median = api.percentile(0.5)
    target_ms = settings.OBJECTIVE_MEDIAN_MS
    target_uptime = settings.OBJECTIVE_UPTIME_PERCENT
    uptime_percent = uptime_figures.get("percent")
    return [
        {
            "name": "median_response",
            "description": f"API median response under {target_ms:g} ms (password-hashing routes reported apart)",
            "target": target_ms,
            "value": median,
            "unit": "ms",
            "status": "no_data" if median is None else ("met" if median < target_ms else "missed"),
        },
        {
            "name": "uptime",
            "description": f"Uptime of at least {target_uptime:g}% measured by health probes",
            "target": target_uptime,
            "value": uptime_percent,
            "unit": "%",
            "status": "no_data" if uptime_percent is None else ("met" if uptime_percent >= target_uptime else "missed"),
        },
    ]


def series_step(window: timedelta) -> str:
    if window <= timedelta(hours=6):
        return "minute"
    if window <= timedelta(days=14):
        return "hour"
    return "day"


def performance_summary(*, window: timedelta, now: datetime | None = None, end: datetime | None = None,
                        include_series: bool = True) -> dict:
    """Per endpoint and overall p50/p95/p99, error rate and throughput over the last ``window``."""
    end = end or now or timezone.now()
    start = end - window
    minutes = window.total_seconds() / 60
    rows = aggregation.request_rows(start, end, group=("route", "method", "status_class"))
    hashing = set(settings.TELEMETRY_HASHING_ROUTES)
    overall = aggregation.total(rows)
    api = aggregation.total(r for r in rows if r["route"].startswith("/api/") and r["route"] not in hashing)
    hashing_agg = aggregation.total(r for r in rows if r["route"] in hashing)
    uptime_figures = uptime(start=start, end=end, now=end)
    summary = {
        "window": {"start": start.isoformat(), "end": end.isoformat(), "seconds": int(window.total_seconds())},
        "overall": overall.summary(minutes=minutes),
        "api": api.summary(minutes=minutes),
        "password_hashing": hashing_agg.summary(minutes=minutes),
        "endpoints": endpoint_table(rows, minutes),
        "objectives": objectives_status(api, uptime_figures),
        "uptime": uptime_figures,
    }
    if include_series:
        step = series_step(window)
        zone = ZoneInfo(settings.REPORT_TIME_ZONE)
        summary["series"] = {
            "step": step,
            "points": [
                {"at": aggregation.iso(key), "requests": agg.count, "server_errors": agg.server_errors,
                 "p50_ms": agg.percentile(0.5), "p95_ms": agg.percentile(0.95), "p99_ms": agg.percentile(0.99)}
                for key, agg in aggregation.request_series(start, end, step=step, zone=zone)
            ],
        }
    return summary


def feature_usage(*, start: datetime, end: datetime) -> list[dict]:
    rows = aggregation.request_rows(start, end, group=("route",))
    groups = aggregation.fold(rows, lambda row: route_group(row["route"]))
    grand = sum(agg.count for agg in groups.values())
    usage = [{"group": name, "requests": agg.count, "share": round(agg.count / grand, 4) if grand else None}
             for name, agg in groups.items()]
    usage.sort(key=lambda row: (-row["requests"], row["group"]))
    return usage


# --- engagement ------------------------------------------------------------------------

def section(key: str, title: str, build: Callable[..., ReportSection], **kwargs) -> ReportSection:
    """Another app's report section; one that fails is logged and shown as not available."""
    try:
        return build(**kwargs)
    except Exception as exc:
        logger.exception("report section %s failed", key)
        return ReportSection.unavailable(key, title, f"{title} failed: {type(exc).__name__}")


def learning(*, start: datetime, end: datetime) -> ReportSection:
    return section("learning", "Learning", learning_section, start=start, end=end)


def search(*, start: datetime, end: datetime) -> ReportSection:
    return section("search", "Search", search_section, start=start, end=end)


def turbo(*, now: datetime | None = None) -> ReportSection:
    return section("turbo", "Turbo status", turbo_section, now=now)


def active_users(*, first_day, last_day) -> int:
    """Distinct users who called the product on local days ``first_day`` … ``last_day``."""
    return ActiveUserDay.objects.filter(day__gte=first_day, day__lte=last_day).values("user_id").distinct().count()


def period_active_users(*, first_day, last_day, start: datetime, end: datetime) -> int:
    """Distinct users active in a report period: those who called the product, and those whose
    learning moved (a completion or a marker), so the headline never says 0 next to learning done."""
    from lessons.models import LessonProgress
    from progress.models import ProgressEvent

    callers = set(ActiveUserDay.objects.filter(day__gte=first_day, day__lte=last_day).values_list("user_id", flat=True))
    # The learning section's "active learners": a progress event, a completion or a start in the period.
    learners = set(ProgressEvent.objects.filter(created_at__gte=start, created_at__lt=end).values_list("user_id", flat=True))
    learners |= set(LessonProgress.objects.filter(Q(completed_at__gte=start, completed_at__lt=end)
                                                  | Q(started_at__gte=start, started_at__lt=end))
                    .values_list("user_id", flat=True))
    return len(callers | learners)


def account_figures(*, start: datetime, end: datetime, now: datetime) -> dict:
    from accounts.models import AuthSession, User
    from accounts.selectors import session_lengths

    lengths = session_lengths(start=start, end=end)
    return {
        "registrations": User.objects.filter(date_joined__gte=start, date_joined__lt=end).count(),
        "sessions_started": lengths["sessions"],
        "session_median_seconds": lengths["median_seconds"],
        "session_p90_seconds": lengths["p90_seconds"],
        "sessions_active": AuthSession.objects.filter(revoked_at__isnull=True, expires_at__gt=now).count(),
        "users_total": User.objects.filter(is_active=True).count(),
    }


def engagement_summary(*, window: timedelta = timedelta(days=30), now: datetime | None = None) -> dict:
    """Active users (day, week, month), sessions, feature usage, learning, search, turbo and uptime."""
    now = now or timezone.now()
    start = now - window
    zone = ZoneInfo(settings.REPORT_TIME_ZONE)
    today = now.astimezone(zone).date()
    first_day = start.astimezone(zone).date()
    daily = dict(
        ActiveUserDay.objects.filter(day__gte=first_day, day__lte=today).values_list("day")
        .annotate(users=Count("user_id")).order_by()
    )
    days = [first_day + timedelta(days=i) for i in range((today - first_day).days + 1)]
    learned = learning(start=start, end=now)
    searched = search(start=start, end=now)
    return {
        "window": {"start": start.isoformat(), "end": now.isoformat(), "seconds": int(window.total_seconds())},
        "active_users": {
            "day": active_users(first_day=today, last_day=today),
            "week": active_users(first_day=today - timedelta(days=6), last_day=today),
            "month": active_users(first_day=today - timedelta(days=29), last_day=today),
            "window": active_users(first_day=first_day, last_day=today),
        },
        "daily_active_users": [{"day": d.isoformat(), "users": daily.get(d, 0)} for d in days],
        "accounts": account_figures(start=start, end=now, now=now),
        "feature_usage": feature_usage(start=start, end=now),
        "lessons_completed": learned.value("lessons_completed"),
        "searches": searched.value("searches"),
        "learning": learned.values(),
        "search": searched.values(),
        "turbo": turbo().values(),
        "uptime": uptime(start=start, end=now, now=now),
    }
