"""Staff pages: the live system page and the reports (list, detail, downloads).

The live page is rendered with the same selectors as the metrics API, then kept fresh by
``static/js/app.js``, which polls ``system_live_data`` with the session cookie. That endpoint
returns exactly the page's figures from those selectors in one response. The page does not poll
the ``/api/v1/metrics/*`` endpoints themselves: two of them every five seconds would use up a
staff member's API allowance (1000 requests an hour) in about 40 minutes of watching.
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from controlpanel.api.exceptions import json_error
from controlpanel.charts import format_number, line_chart
from controlpanel.decorators import staff_member_required
from controlpanel.errors import ApplicationError
from controlpanel.reporting import ReportSection
from telemetry import rendering, selectors, services
from telemetry.agent import process_sampler
from telemetry.models import ReleaseMark, Report
from telemetry.selectors import live

LIVE_WINDOW = timedelta(minutes=5)
DEFAULT_POLL_MS = 5000
REPORTS_PER_PAGE = 25
DOWNLOADS = {"html": "text/html; charset=utf-8", "json": "application/json", "csv": "text/csv; charset=utf-8"}




@staff_member_required
def staff_index(request):
    return redirect("staff:system")


def _poll_ms(request) -> int:
    """Poll interval: ``?poll=`` in milliseconds (bounded to 0.5-60 s), else every five seconds."""
    try:
        value = int(request.GET.get("poll", DEFAULT_POLL_MS))
    except ValueError:
        value = DEFAULT_POLL_MS
    return max(500, min(value, 60_000))


# The live charts, in page order (static/js/live-charts.js draws each from the live JSON).
LIVE_CHART_SLOTS = [
    {"key": "cpu", "title": "CPU % per host", "empty": "No host has sampled in this range yet."},
    {"key": "memory", "title": "Memory % per host", "empty": "No host has sampled in this range yet."},
    {"key": "disk", "title": "Disk read and write per host", "empty": "No disk figures in this range yet."},
    {"key": "network", "title": "Network in and out per host", "empty": "No network figures in this range yet."},
    {"key": "throughput", "title": "API requests per minute", "empty": "No API requests in this range."},
    {"key": "errors", "title": "API server errors (5xx) %", "empty": "No API requests in this range."},
    {"key": "latency", "title": "API latency p50 / p95 / p99 (ms)", "empty": "No API requests in this range."},
    {"key": "endpoints", "title": "p95 latency of the busiest endpoints (ms)", "empty": "No API requests in this range."},
    {"key": "search", "title": "Search server time, turbo and plain (median ms)", "empty": "Nobody searched in this range."},
    {"key": "learners", "title": "Active learners per day", "empty": "No learner was active in these days."},
]

# How the live page (static/js/app.js) formats a figure of each unit.
LIVE_FORMATS = {"ms": "ms", "ratio": "ratio", "x": "float", "time": "time"}


def figure_rows(section: ReportSection) -> list[dict]:
    """A section's figures as live rows: label, value and how the page's script formats it."""
    rows = []
    for figure in section.figures if section.available else ():
        fmt = "yes-no" if isinstance(figure.value, bool) else LIVE_FORMATS.get(figure.unit, "text")
        rows.append({"key": figure.key, "label": figure.label, "format": fmt, "display": _display(figure.value, fmt)})
    return rows


def _display(value, fmt: str) -> str:
    """The server-rendered text of a live figure (the page's script formats later polls alike)."""
    if value is None or value == "":
        return "–"
    if fmt == "yes-no":
        return "yes" if value else "no"
    if fmt == "ms":
        return f"{float(value):.2f} ms"
    if fmt == "ratio":
        return f"{100 * float(value):.2f} %"
    if fmt == "float":
        return f"{float(value):.2f}"
    if fmt == "time" and isinstance(value, str):
        try:
            return timezone.localtime(datetime.fromisoformat(value)).strftime("%H:%M:%S")
        except ValueError:
            return value
    return str(value)


def _health_state(ok) -> str:
    return "unknown" if ok is None else ("ok" if ok else "down")


# The page without JavaScript: the host's last hour of samples as one mean per minute (60 points in the
# picture and rows in its table), read the way the live charts read them.
FALLBACK_RANGE = live.Range("fallback", "1 h", timedelta(hours=1), system_tier="raw", request_tier="minute",
                            bucket_seconds=60)


def _system_chart(now, *, host: str):
    series = live.system_charts(chart_range=FALLBACK_RANGE, now=now).get(host)
    if not series:
        return None
    minutes = [(timezone.localtime(datetime.fromtimestamp(t, UTC)), cpu, memory)
               for t, cpu, memory in zip(series["t"], series["cpu_percent"], series["memory_percent"], strict=True)
               if cpu is not None or memory is not None]  # minutes without a sample are not rows
    lines = {"CPU %": [(at, cpu) for at, cpu, _ in minutes], "Memory %": [(at, memory) for at, _, memory in minutes]}
    return line_chart(title="CPU and memory, last hour (mean of each minute)", series=lines, y_title="%", height=260)


def _host(request) -> str | None:
    return (request.GET.get("host") or "").strip()[:100] or None


def _chart_options(request, chart_range) -> list[dict]:
    """The range picker: one link per range, keeping the host and the poll interval."""
    options = []
    for key, option in live.RANGES.items():
        query = request.GET.copy()
        query["range"] = key
        options.append({"key": key, "label": option.label, "href": f"?{query.urlencode()}",
                        "current": key == chart_range.key})
    return options


@staff_member_required
def system_live(request):
    process_sampler.ensure_sample()
    now = timezone.now()
    turbo = selectors.turbo()
    host = _host(request)
    chart_range = live.range_for(request.GET.get("range"))
    figures = _live_figures(now, turbo=turbo, host=host, range_key=chart_range.key)
    system, performance = figures["system"], figures["performance"]
    health = system.get("health") or {}
    components = health.get("components") or dict.fromkeys(selectors.COMPONENTS)
    poll_ms = _poll_ms(request)
    window_seconds = int(LIVE_WINDOW.total_seconds())
    context = {
        "now": timezone.localtime(now),
        "system": system,
        "performance": performance,
        "turbo": figures["turbo"],
        "turbo_rows": figure_rows(turbo),
        "health_state": _health_state(health.get("ok")),
        "health_components": [
            (name, {"state": _health_state((c or {}).get("ok")), "ms": (c or {}).get("ms")}) for name, c in components.items()
        ],
        "system_chart": _system_chart(now, host=system["host"]),
        "chart_range": chart_range,
        "live_chart_slots": LIVE_CHART_SLOTS,
        "recent_marks": ReleaseMark.objects.order_by("-at")[:5],
        "range_options": _chart_options(request, chart_range),
        "hosts": system["hosts"],
        "host": system["host"],
        "fleet": system["fleet"],
        "live_url": reverse("staff:system-live") + f"?range={chart_range.key}" + (f"&host={host}" if host else ""),
        "poll_ms": poll_ms,
        "poll_seconds": f"{poll_ms / 1000:g}",
        "window_minutes": window_seconds // 60,
        "staff_tab": "system",
    }
    return render(request, "staff/system.html", context)


def _live_figures(now, *, turbo: ReportSection | None = None, host: str | None = None,
                  range_key: str | None = None) -> dict:
    return {
        "generated_at": now.isoformat(),
        "system": selectors.system_metrics_snapshot(now=now, host=host),
        "performance": selectors.performance_summary(window=LIVE_WINDOW, now=now, include_series=False),
        "turbo": (turbo or selectors.turbo()).values(),
        "charts": live.live_charts(range_key=range_key, now=now),
    }


@never_cache
def system_live_data(request):
    """The live page's figures as JSON (staff, session cookie); errors in the API envelope."""
    if not request.user.is_authenticated:
        return json_error("not_authenticated", 401)
    if not request.user.is_staff:
        return json_error("permission_denied", 403)
    process_sampler.ensure_sample()
    return JsonResponse(_live_figures(timezone.now(), host=_host(request), range_key=request.GET.get("range")))


@staff_member_required
@require_POST
def release_mark_add(request):
    """Mark a change now ("new cache settings"): every live chart draws it, to compare before and after."""
    try:
        mark = services.release_mark_create(label=request.POST.get("label", ""))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Marked “{mark.label}” on the charts.")
    chart_range = live.range_for(request.POST.get("range"))
    return redirect(reverse("staff:system") + f"?range={chart_range.key}")


@staff_member_required
def release_mark_compare(request, mark_id):
    """The same window before and after a release or marked change."""
    mark = ReleaseMark.objects.filter(pk=mark_id).first()
    if mark is None:
        raise Http404("No such mark.")
    comparison = live.mark_comparison(mark=mark, window_key=request.GET.get("window", "1h"))
    context = {
        "comparison": comparison,
        "mark": mark,
        "windows": list(live.COMPARE_WINDOWS),
        "staff_tab": "system",
    }
    return render(request, "staff/mark_compare.html", context)


ALERTS_PER_PAGE = 50


@staff_member_required
def alert_log(request):
    """Every threshold change per host (the same rows as ``metrics/alerts/``), newest first."""
    host = _host(request)
    page = Paginator(selectors.alert_list(host=host), ALERTS_PER_PAGE).get_page(request.GET.get("page"))
    alerts = []
    for event in page.object_list:
        alert = selectors.alert_dict(event)
        alert["at_local"] = timezone.localtime(event.at)
        alerts.append(alert)
    context = {
        "page_obj": page,
        "alerts": alerts,
        "host": host,
        "hosts": [h["host"] for h in selectors.host_list()],
        "limits": [{"label": selectors.METRIC_LABELS.get(t.metric, t.metric), "warning": t.warning,
                    "critical": t.critical} for t in selectors.thresholds()],
        "hysteresis": settings.TELEMETRY_THRESHOLD_HYSTERESIS,
        "query_string": f"host={host}" if host else "",
        "staff_tab": "alerts",
    }
    return render(request, "staff/alerts.html", context)


@staff_member_required
def report_list(request):
    kind = request.GET.get("kind") or None
    if kind not in Report.Kind.values:
        kind = None
    page = Paginator(selectors.report_list(kind=kind), REPORTS_PER_PAGE).get_page(request.GET.get("page"))
    counts = selectors.report_counts()
    context = {
        "page_obj": page,
        "rows": [{"report": r, "last_day": r.period_end - timedelta(days=1)} for r in page.object_list],
        "kind": kind,
        "kinds": [(value, label, counts.get(value, 0)) for value, label in Report.Kind.choices],
        "query_string": f"kind={kind}" if kind else "",
        "staff_tab": "reports",
    }
    return render(request, "staff/reports.html", context)


@staff_member_required
@require_POST
def report_generate(request):
    """Generate the last finished report of a period now (the scheduler does it too; it exists only once)."""
    kind = request.POST.get("kind", "")
    if kind not in Report.Kind.values:
        messages.error(request, "Choose a daily, weekly or monthly report.")
        return redirect("staff:reports")
    try:
        result = services.report_generate(kind=kind)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("staff:reports")
    if result.status == "existing":
        messages.info(request, "That report already exists; here it is.")
    else:
        messages.success(request, f"{result.report.get_kind_display()} report generated.")
    return redirect("staff:report", report_id=result.report.pk)


def _highlights(data: dict) -> list[tuple[str, str]]:
    head = data.get("headline") or {}
    wanted = [
        ("requests", "Requests", ""), ("p50_ms", "API p50", " ms"), ("p95_ms", "API p95", " ms"),
        ("p99_ms", "API p99", " ms"), ("error_rate_percent", "Server errors", " %"),
        ("uptime_percent", "Uptime", " %"), ("active_users", "Active users", ""),
        ("registrations", "Registrations", ""),
    ]
    out = []
    for key, label, unit in wanted:
        if key in head:
            value = head[key]
            out.append((label, "–" if value is None else f"{format_number(value)}{unit}"))
    return out


def _delivery_row(channel: str, outcome) -> dict:
    if not isinstance(outcome, dict):
        return {"channel": channel, "status": str(outcome), "details": ""}
    details = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in outcome.items()
                        if k != "status" and not isinstance(v, (dict, list)))
    return {"channel": channel, "status": str(outcome.get("status", "unknown")), "details": details[:300]}


def _report_or_404(report_id: int):
    detail = selectors.report_detail(pk=report_id)
    if detail is None:
        raise Http404("No such report.")
    return detail


@staff_member_required
def report_detail(request, report_id):
    detail = _report_or_404(report_id)
    report = detail.report
    context = {
        "report": report,
        "last_day": report.period_end - timedelta(days=1),
        "charts": detail.charts,
        "highlights": _highlights(detail.data),
        "delivery": [_delivery_row(channel, outcome) for channel, outcome in (report.delivery or {}).items()],
        "staff_tab": "reports",
    }
    return render(request, "staff/report_detail.html", context)


@staff_member_required
def report_download(request, report_id, fmt):
    if fmt not in DOWNLOADS:
        raise Http404("Unknown download format.")
    detail = _report_or_404(report_id)
    report = detail.report
    filename = f"report-{report.kind}-{report.period_start:%Y-%m-%d}.{fmt}"
    if fmt == "json":
        response = JsonResponse(report.data, json_dumps_params={"indent": 2})
    elif fmt == "csv":
        response = HttpResponse(rendering.render_csv(report.data), content_type=DOWNLOADS[fmt])
    else:
        response = HttpResponse(report.html, content_type=DOWNLOADS[fmt])
        # The standalone document brings its own styles; let it show them, and nothing else.
        response["Content-Security-Policy"] = rendering.REPORT_DOCUMENT_CSP
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
