"""What a report says: figures for a period, the same headline figures for the period before,
their comparison and charts. How it reads (HTML, text, CSV) is :mod:`telemetry.rendering`.

Everything here reads; :func:`telemetry.services.report_generate` stores the result.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from controlpanel.charts import Chart, bar_chart, line_chart
from telemetry import aggregation, selectors
from telemetry.models import SystemRollup
from telemetry.periods import Period
from telemetry.rendering import (  # noqa: F401 - kept importable from here
    render_body,
    render_csv,
    render_html,
    render_text,
    webhook_text,
)

# Headline figures, in display order: label, unit and which direction is better.
HEADLINES: dict[str, tuple[str, str, str | None]] = {
    "requests": ("Requests", "", None),
    "throughput_per_minute": ("Requests per minute", "/min", None),
    "p50_ms": ("API median (p50)", "ms", "lower"),
    "p95_ms": ("API p95", "ms", "lower"),
    "p99_ms": ("API p99", "ms", "lower"),
    "error_rate_percent": ("Server error rate", "%", "lower"),
    "client_error_rate_percent": ("Client error rate", "%", "lower"),
    "password_hashing_p50_ms": ("Login/registration median", "ms", "lower"),
    "uptime_percent": ("Uptime", "%", "higher"),
    "cpu_average": ("CPU average", "%", "lower"),
    "cpu_peak": ("CPU peak", "%", "lower"),
    "memory_average": ("Memory average", "%", "lower"),
    "memory_peak": ("Memory peak", "%", "lower"),
    "disk_peak": ("Disk used (peak)", "%", "lower"),
    "app_rss_peak_mb": ("App memory (peak RSS)", "MB", "lower"),
    "threshold_breaches": ("Threshold breaches", "", "lower"),
    "active_users": ("Active users", "", "higher"),
    "registrations": ("Registrations", "", "higher"),
    "sessions_started": ("Logins (sessions started)", "", "higher"),
}
# Other apps' figures where a direction is clearly better (the rest are shown without a verdict).
FOREIGN_BETTER = {
    "lessons_completed": "higher", "lessons_started": "higher", "active_learners": "higher", "average_score": "higher",
    "learners_streak_3": "higher", "learners_streak_7": "higher", "zero_result_rate": "lower", "speedup": "higher",
    "turbo_p50_ms": "lower", "turbo_p95_ms": "lower", "plain_p50_ms": "lower", "plain_p95_ms": "lower",
    "cache_hit_rate": "higher",
}
TOP_ENDPOINTS = 12


def _percent(value: float | None) -> float | None:
    return round(100 * value, 3) if value is not None else None


def _scalars(prefix: str, data: Any) -> dict[str, float]:
    """Top-level numbers of another app's figures, flattened one level, for the comparison."""
    out: dict[str, float] = {}
    if not isinstance(data, dict):
        return out
    for key, value in data.items():
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float)):
            out[f"{prefix}.{key}"] = value
        elif isinstance(value, dict):
            for inner, inner_value in value.items():
                if isinstance(inner_value, (int, float)) and not isinstance(inner_value, bool):
                    out[f"{prefix}.{key}.{inner}"] = inner_value
    return out


def figures(period: Period, *, now: datetime, detailed: bool) -> dict:
    """The period's figures; ``detailed`` adds endpoints, breaches, series and other apps' sections."""
    start, end = period.starts_at, period.ends_at
    minutes = (end - start).total_seconds() / 60
    rows = aggregation.request_rows(start, end, group=("route", "method", "status_class"))
    hashing = set(settings.TELEMETRY_HASHING_ROUTES)
    overall = aggregation.total(rows)
    api = aggregation.total(r for r in rows if r["route"].startswith("/api/") and r["route"] not in hashing)
    hashing_agg = aggregation.total(r for r in rows if r["route"] in hashing)
    uptime = selectors.uptime(start, end, now=now)
    system = selectors.system_summary(start, end)
    metrics = system["metrics"]
    breaches = selectors.threshold_breaches(start, end)
    accounts = selectors.account_figures(start, end, now=min(now, end))
    accounts.pop("sessions_active", None)
    learning = selectors.foreign("progress.selectors", "report_learning_stats", start=start, end=end)
    search = selectors.foreign("search.selectors", "report_search_stats", start=start, end=end)
    rss_peak = metrics["app_rss_bytes"]["peak"]
    headline = {
        "requests": overall.count,
        "throughput_per_minute": round(overall.count / minutes, 3) if minutes else None,
        "p50_ms": api.percentile(0.5),
        "p95_ms": api.percentile(0.95),
        "p99_ms": api.percentile(0.99),
        "error_rate_percent": _percent(overall.summary()["error_rate"]),
        "client_error_rate_percent": _percent(overall.summary()["client_error_rate"]),
        "password_hashing_p50_ms": hashing_agg.percentile(0.5),
        "uptime_percent": uptime["percent"],
        "cpu_average": metrics["cpu_percent"]["average"],
        "cpu_peak": metrics["cpu_percent"]["peak"],
        "memory_average": metrics["memory_percent"]["average"],
        "memory_peak": metrics["memory_percent"]["peak"],
        "disk_peak": metrics["disk_percent"]["peak"],
        "app_rss_peak_mb": round(rss_peak / 2**20, 1) if rss_peak else None,
        "threshold_breaches": len(breaches),
        "active_users": selectors.active_users(period.start, period.end - timedelta(days=1)),
        "registrations": accounts["registrations"],
        "sessions_started": accounts["sessions_started"],
        **_scalars("learning", learning),
        **_scalars("search", search),
    }
    out = {
        "period": period_dict(period),
        "headline": headline,
    }
    if not detailed:
        return out
    endpoints = selectors.endpoint_table(rows, minutes)
    groups = aggregation.fold(rows, lambda row: selectors.route_group(row["route"]))
    out.update({
        "traffic": {
            "overall": overall.summary(minutes=minutes),
            "api": api.summary(minutes=minutes),
            "password_hashing": hashing_agg.summary(minutes=minutes),
            "by_group": sorted(
                ({"group": g, "requests": a.count, "share": round(a.count / overall.count, 4) if overall.count else None}
                 for g, a in groups.items()),
                key=lambda row: (-row["requests"], row["group"]),
            ),
        },
        "endpoints": endpoints,
        "uptime": uptime,
        "objectives": selectors.objectives_status(api, uptime),
        "system": system,
        "threshold_breaches": breaches,
        "accounts": accounts,
        "learning": learning,
        "search": search,
        "turbo": selectors.foreign("search.selectors", "turbo_status"),
    })
    return out


def period_dict(period: Period) -> dict:
    return {
        "kind": period.kind,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "starts_at": period.starts_at.astimezone(period.zone).isoformat(),
        "ends_at": period.ends_at.astimezone(period.zone).isoformat(),
        "time_zone": period.time_zone,
        "label": period.label,
        "hours": round((period.ends_at - period.starts_at).total_seconds() / 3600, 2),
    }


def _better(key: str) -> str | None:
    if key in HEADLINES:
        return HEADLINES[key][2]
    return FOREIGN_BETTER.get(key.rsplit(".", 1)[-1])


def label_of(key: str) -> str:
    if key in HEADLINES:
        return HEADLINES[key][0]
    section, _, name = key.partition(".")
    return f"{section.capitalize()}: {name.replace('.', ' · ').replace('_', ' ')}"


def compare(current: dict, previous: dict) -> list[dict]:
    """Each headline figure next to the previous period's, with the change and whether it is better."""
    rows = []
    for key in list(HEADLINES) + sorted(k for k in current if k not in HEADLINES):
        now_value, then_value = current.get(key), previous.get(key)
        change = change_percent = None
        if isinstance(now_value, (int, float)) and isinstance(then_value, (int, float)):
            change = round(now_value - then_value, 3)
            change_percent = round(100 * change / then_value, 1) if then_value else None
        better = _better(key)
        verdict = None
        if change is not None and better:
            verdict = "same" if change == 0 else ("better" if (change > 0) == (better == "higher") else "worse")
        rows.append({
            "key": key, "label": label_of(key), "unit": HEADLINES.get(key, ("", "", None))[1],
            "current": now_value, "previous": then_value, "change": change, "change_percent": change_percent,
            "verdict": verdict,
        })
    return rows


# --- charts ----------------------------------------------------------------------------

def _step(period: Period) -> str:
    return "day" if period.kind == "monthly" else "hour"


def _system_points(start: datetime, end: datetime, step: str, zone) -> dict[str, list]:
    rollups = SystemRollup.objects.filter(resolution=SystemRollup.Resolution.HOUR, start__gte=start, start__lt=end)
    acc: dict = {}
    for rollup in rollups:
        key = aggregation.step_key(rollup.start, step, zone)
        slot = acc.setdefault(key, {"cpu": [0.0, 0], "memory": [0.0, 0]})
        slot["cpu"][0] += rollup.cpu_percent_sum
        slot["cpu"][1] += rollup.cpu_percent_n
        slot["memory"][0] += rollup.memory_percent_sum
        slot["memory"][1] += rollup.memory_percent_n
    points: dict[str, list] = {"CPU %": [], "Memory %": []}
    for key in aggregation.step_starts(start, end, step, zone):
        slot = acc.get(key)
        x = aggregation.local_x(key, zone)
        for name, metric in (("CPU %", "cpu"), ("Memory %", "memory")):
            total, n = slot[metric] if slot else (0.0, 0)
            points[name].append((x, round(total / n, 2) if n else None))
    return points


def _foreign_chart(title: str, data: Any, *, prefix: str, previous: dict) -> Chart | None:
    """A bar chart of the first labelled numbers another app returned (e.g. completions per
    category), next to the previous period's when the headline kept them."""
    if not isinstance(data, dict):
        return None
    for key, value in data.items():
        if isinstance(value, dict) and value and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value.values()):
            labels = list(value)[:20]
            series = {"This period": [(label, value[label]) for label in labels]}
            earlier = [(label, previous.get(f"{prefix}.{key}.{label}")) for label in labels]
            if any(v is not None for _, v in earlier):
                series["Previous period"] = earlier
            return bar_chart(title=f"{title}: {key.replace('_', ' ')}", series=series)
        if not (isinstance(value, list) and value and all(isinstance(item, dict) for item in value)):
            continue
        first = value[0]
        label_key = next((k for k in ("category", "name", "label", "slug", "query", "day", "date") if k in first), None)
        number_keys = [k for k, v in first.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if label_key is None or not number_keys:
            continue
        series = {
            k.replace("_", " "): [(str(item.get(label_key)), item.get(k)) for item in value[:20]]
            for k in number_keys[:3]
        }
        return bar_chart(title=f"{title}: {key.replace('_', ' ')}", series=series)
    return None


def charts_for(period: Period, data: dict) -> list[tuple[str, Chart]]:
    zone = period.zone
    start, end = period.starts_at, period.ends_at
    step = _step(period)
    series = aggregation.request_series(start, end, step=step, zone=zone)
    per = "hour" if step == "hour" else "day"
    xs = [(aggregation.local_x(key, zone), agg) for key, agg in series]
    charts = [
        ("traffic", line_chart(
            title=f"Requests per {per}",
            series={"Requests": [(x, a.count) for x, a in xs], "Server errors": [(x, a.server_errors) for x, a in xs]},
            y_title="requests",
        )),
        ("latency", line_chart(
            title=f"Response time per {per} (ms)",
            series={q: [(x, a.percentile(v)) for x, a in xs] for q, v in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))},
            y_title="ms",
        )),
    ]
    top = data["endpoints"][:TOP_ENDPOINTS]
    charts.append(("endpoints", bar_chart(
        title="Busiest endpoints: p50 and p95 (ms)",
        series={
            "p50": [(f"{row['method']} {row['route']}", row["p50_ms"]) for row in top],
            "p95": [(f"{row['method']} {row['route']}", row["p95_ms"]) for row in top],
        },
        horizontal=True, height=max(260, 34 * len(top) + 100),
    )))
    charts.append(("features", bar_chart(
        title="Feature usage by area (requests)",
        series={"Requests": [(row["group"], row["requests"]) for row in data["traffic"]["by_group"]]},
    )))
    charts.append(("system", line_chart(
        title=f"CPU and memory, average per {per} (%)",
        series=_system_points(start, end, step, zone), y_title="%",
    )))
    previous = data.get("previous", {}).get("headline", {})
    for key, title in (("learning", "Learning"), ("search", "Search")):
        chart = _foreign_chart(title, data.get(key), prefix=key, previous=previous)
        if chart is not None:
            charts.append((key, chart))
    return charts


def chart_json(key: str, chart: Chart) -> dict:
    return {"key": key, "title": chart.title, "svg": str(chart.svg), "summary": chart.summary,
            "table": {"headers": chart.table.headers, "rows": chart.table.rows}}
