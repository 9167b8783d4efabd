"""How a stored report reads: the HTML document and body, the e-mail text, the CSV and the
webhook summary, all drawn from the report's data and charts."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from django.template.loader import render_to_string

from controlpanel.charts import format_number
from controlpanel.reporting import Figure, ReportSection, section_from_json

# The stored report document carries its own <style>; nothing else may load, run or frame it
# (wherever it is served: the API, the staff download, the admin).
REPORT_DOCUMENT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    text = format_number(value)
    return f"{text} {unit}".strip() if unit and unit not in {"%", "/min"} else f"{text}{unit}"


def figure_text(figure: Figure) -> str:
    if figure.unit in {"ms", "s"}:
        return _fmt(figure.value, figure.unit)
    if figure.unit == "time" and figure.value:
        return _moment(figure.value)
    return _fmt(figure.value)


def section_view(section: ReportSection) -> dict:
    """A section as facts (label, text) and tables of text, for the templates."""
    if not section.available:
        return {"key": section.key, "title": section.title, "available": False, "reason": section.reason,
                "facts": [], "tables": []}
    facts = [(figure.label, figure_text(figure)) for figure in section.figures]
    for chart in section.charts:
        if chart.compare:
            facts += [(f"{chart.title} · {label}", _fmt(value)) for label, value in chart.series[0].points]
    tables = [{"title": table.title, "headers": [c.replace("_", " ") for c in table.columns],
               "rows": [[_fmt(value) for value in row] for row in table.rows[:50]]} for table in section.tables]
    return {"key": section.key, "title": section.title, "available": True, "reason": None, "facts": facts,
            "tables": tables}


def _change_text(row: dict) -> str:
    if row["change_percent"] is not None:
        return f"{row['change_percent']:+.1f}%"
    if row["change"]:
        return f"{row['change']:+,g}"
    return "—"


def _moment(text: str) -> str:
    return datetime.fromisoformat(text).strftime("%H:%M on %d %b %Y")


def render_context(data: dict, charts: list[dict]) -> dict:
    system_rows = [
        (name.replace("_", " "), _fmt(figure["average"]), _fmt(figure["peak"]))
        for name, figure in data["system"]["metrics"].items()
    ]
    return {
        "data": data,
        "title": data["title"],
        "period": data["period"],
        "period_text": f"{_moment(data['period']['starts_at'])} to {_moment(data['period']['ends_at'])} "
                       f"({data['period']['time_zone']}, {data['period']['hours']:g} hours)",
        "generated_text": _moment(data["generated_at"]),
        "comparison": [
            {**row, "current_text": _fmt(row["current"], row["unit"]), "previous_text": _fmt(row["previous"], row["unit"]),
             "change_text": _change_text(row)}
            for row in data["comparison"]
        ],
        "endpoints": [
            {**row, "error_text": "—" if row["error_rate"] is None else f"{100 * row['error_rate']:.2f}%"}
            for row in data["endpoints"]
        ],
        "system_rows": system_rows,
        # Reports stored before sections were kept their other apps' figures in the JSON only.
        "sections": [section_view(section_from_json(item)) for item in data.get("sections", [])],
        "charts": charts,
        "product": "Control Panel",
    }


def render_html(data: dict, charts: list[dict]) -> str:
    return render_to_string("telemetry/report_document.html", render_context(data, charts))


def render_body(data: dict, charts: list[dict]) -> str:
    """The report without ``<html>`` or styles, for a dashboard page that brings its own."""
    return render_to_string("telemetry/report_body.html", render_context(data, charts))


def render_text(data: dict, url: str | None = None) -> str:
    """The e-mail's text part; ``url`` is the report's page for staff."""
    return render_to_string("telemetry/report_email.txt", {**render_context(data, []), "report_url": url})


def render_csv(data: dict) -> str:
    """The headline comparison, then one row per endpoint."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["section", "metric", "current", "previous", "change", "change_percent"])
    for row in data.get("comparison", []):
        writer.writerow(["headline", row["key"], _csv(row["current"]), _csv(row["previous"]),
                         _csv(row["change"]), _csv(row["change_percent"])])
    writer.writerow([])
    columns = ["method", "route", "requests", "throughput_per_minute", "p50_ms", "p95_ms", "p99_ms", "mean_ms",
               "max_ms", "server_errors", "error_rate", "client_errors"]
    writer.writerow(["endpoint", *columns])
    for row in data.get("endpoints", []):
        writer.writerow(["endpoint", *(_csv(row.get(c)) for c in columns)])
    return buffer.getvalue()


def _csv(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    # A cell starting with =, +, - or @ is a formula to a spreadsheet; routes are ours, but be safe.
    if text[:1] in {"=", "+", "@"} or (text[:1] == "-" and not _is_number(text)):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def webhook_text(data: dict, url: str | None = None) -> str:
    """A short Slack-style summary of the report."""
    head = data["headline"]
    parts = [
        f"*{data['title']}*",
        f"Requests: {_fmt(head['requests'])} · p50 {_fmt(head['p50_ms'], 'ms')} · p95 {_fmt(head['p95_ms'], 'ms')}"
        f" · p99 {_fmt(head['p99_ms'], 'ms')}",
        f"Server errors: {_fmt(head['error_rate_percent'], '%')} · Uptime: {_fmt(head['uptime_percent'], '%')}",
        f"Active users: {_fmt(head['active_users'])} · Registrations: {_fmt(head['registrations'])}"
        f" · Threshold breaches: {_fmt(head['threshold_breaches'])}",
    ]
    for objective in data.get("objectives", []):
        parts.append(f"Objective {objective['description']}: {objective['status'].replace('_', ' ')}")
    if url:
        parts.append(url)
    return "\n".join(parts)
