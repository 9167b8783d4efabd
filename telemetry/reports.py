"""What a report says: figures for a period, the same headline figures for the period before,
their comparison and charts. How it reads (HTML, text, CSV) is :mod:`telemetry.rendering`.

Everything here reads; :func:`telemetry.services.report_generate` stores the result.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings

from controlpanel.charts import Chart, bar_chart, line_chart
from controlpanel.reporting import ReportSection, section_from_json, section_to_json
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
    "session_median_seconds": ("Session length (median)", "s", "higher"),
}
TOP_ENDPOINTS = 12


def _percent(value: float | None) -> float | None:
    return round(100 * value, 3) if value is not None else None


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def section_figures(section: ReportSection) -> dict[str, float]:
    """A section's numbers for the comparison, under ``section.figure`` keys."""
    return {f"{section.key}.{key}": value for key, (value, *_) in section.comparable().items()}


def section_labels(sections: Iterable[ReportSection]) -> dict[str, tuple[str, str, str | None]]:
    """Label, unit and better direction of every compared section figure."""
    out = {}
    for section in sections:
        for key, (_, label, unit, better) in section.comparable().items():
            out[f"{section.key}.{key}"] = (f"{section.title}: {_lower_first(label)}", unit if unit in {"ms", "s"} else "",
                                           better)
    return out


def stored_sections(data: dict) -> list[ReportSection]:
    """The sections a stored report holds (none for reports stored before sections were)."""
    return [section_from_json(item) for item in data.get("sections", [])]


def figures(period: Period, *, now: datetime, detailed: bool) -> dict:
    """The period's figures; ``detailed`` adds endpoints, breaches, series and other apps' sections."""
    start, end = period.starts_at, period.ends_at
    minutes = (end - start).total_seconds() / 60
    rows = aggregation.request_rows(start, end, group=("route", "method", "status_class"))
    hashing = set(settings.TELEMETRY_HASHING_ROUTES)
    overall = aggregation.total(rows)
    api = aggregation.total(r for r in rows if r["route"].startswith("/api/") and r["route"] not in hashing)
    hashing_agg = aggregation.total(r for r in rows if r["route"] in hashing)
    uptime = selectors.uptime(start=start, end=end, now=now)
    system = selectors.system_summary(start=start, end=end)
    metrics = system["metrics"]
    breaches = selectors.threshold_breaches(start=start, end=end)
    accounts = selectors.account_figures(start=start, end=end, now=min(now, end))
    accounts.pop("sessions_active", None)
    learning = selectors.learning(start=start, end=end)
    search = selectors.search(start=start, end=end)
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
        "active_users": selectors.period_active_users(first_day=period.start, last_day=period.end - timedelta(days=1),
                                                      start=period.starts_at, end=period.ends_at),
        "registrations": accounts["registrations"],
        "sessions_started": accounts["sessions_started"],
        "session_median_seconds": accounts["session_median_seconds"],
        **section_figures(learning),
        **section_figures(search),
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
    })
    sections = (learning, search, selectors.turbo())
    out.update({section.key: section.values() for section in sections})
    out["sections"] = [section_to_json(section) for section in sections]
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


def compare(current: dict, previous: dict, sections: Iterable[ReportSection] = ()) -> list[dict]:
    """Each headline figure next to the previous period's, with the change and whether it is better."""
    labels = {**section_labels(sections), **HEADLINES}
    rows = []
    for key in list(HEADLINES) + sorted(k for k in current if k not in HEADLINES):
        now_value, then_value = current.get(key), previous.get(key)
        change = change_percent = None
        if isinstance(now_value, (int, float)) and isinstance(then_value, (int, float)):
            change = round(now_value - then_value, 3)
            change_percent = round(100 * change / then_value, 1) if then_value else None
        label, unit, better = labels.get(key, (key, "", None))
        verdict = None
        if change is not None and better:
            verdict = "same" if change == 0 else ("better" if (change > 0) == (better == "higher") else "worse")
        rows.append({
            "key": key, "label": label, "unit": unit,
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


def _category_names() -> dict[str, str]:
    from lessons.models import Category

    return dict(Category.objects.values_list("slug", "name"))


def section_charts(section: ReportSection, previous: dict) -> list[tuple[str, Chart]]:
    """A section's bar charts; a compared one gets the previous period's values next to its own.

    Sections label per-category figures by slug (the stable key periods are compared on); a
    reader sees the category's name.
    """
    names = _category_names()
    charts = []
    for index, spec in enumerate(section.charts):
        series = {item.name: list(item.points) for item in spec.series}
        if spec.compare:
            earlier = [(label, previous.get(f"{section.key}.{spec.key}.{label}")) for label, _ in spec.series[0].points]
            if any(value is not None for _, value in earlier):
                series["Previous period"] = earlier
        key = section.key if index == 0 else f"{section.key}-{spec.key}"
        charts.append((key, bar_chart(title=f"{section.title}: {_lower_first(spec.title)}", series=series,
                                      x_format=lambda label: names.get(label, str(label)))))
    return charts


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
    for section in stored_sections(data):
        charts += section_charts(section, previous)
    return charts


def chart_json(key: str, chart: Chart) -> dict:
    return {"key": key, "title": chart.title, "svg": str(chart.svg), "svg_narrow": str(chart.svg_narrow or ""),
            "summary": chart.summary,
            "table": {"headers": chart.table.headers, "rows": chart.table.rows}}
