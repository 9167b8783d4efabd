"""``/metrics``: Prometheus text exposition (format 0.0.4) for staff or a bearer-token scraper.

Request counters and histograms come from the all-time totals every web process adds to, so
any app server answers with the same, cross-process figures; gauges come from the latest
system sample, health probe and threshold states.
"""

from __future__ import annotations

import hmac
from datetime import timedelta

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from controlpanel.api.exceptions import json_error
from telemetry import selectors
from telemetry.histogram import BOUNDS_MS, BUCKET_FIELDS, Stats
from telemetry.models import RequestTotal

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
STATUS_VALUE = {"clear": 0, "warning": 1, "critical": 2}
GAUGES = (
    ("cpu_percent", "controlpanel_system_cpu_percent", "CPU busy, percent, between the last two samples."),
    ("memory_percent", "controlpanel_system_memory_percent", "Memory in use, percent."),
    ("swap_percent", "controlpanel_system_swap_percent", "Swap in use, percent."),
    ("disk_percent", "controlpanel_system_disk_percent", "Disk in use, percent."),
    ("disk_read_bps", "controlpanel_system_disk_read_bytes_per_second", "Disk reads, bytes per second."),
    ("disk_write_bps", "controlpanel_system_disk_write_bytes_per_second", "Disk writes, bytes per second."),
    ("net_recv_bps", "controlpanel_system_network_receive_bytes_per_second", "Network received, bytes per second."),
    ("net_sent_bps", "controlpanel_system_network_transmit_bytes_per_second", "Network sent, bytes per second."),
    ("load_1", "controlpanel_system_load1", "Load average over one minute."),
    ("load_5", "controlpanel_system_load5", "Load average over five minutes."),
    ("load_15", "controlpanel_system_load15", "Load average over fifteen minutes."),
    ("app_rss_bytes", "controlpanel_app_resident_memory_bytes", "Resident memory of the product's own processes."),
    ("app_processes", "controlpanel_app_processes", "Number of the product's own processes."),
)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{key}="{_escape(str(value))}"' for key, value in labels.items()) + "}"


def _number(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


def exposition(*, now=None) -> str:
    now = now or timezone.now()
    lines: list[str] = []

    def family(name: str, kind: str, help_text: str) -> None:
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} {kind}")

    totals = list(RequestTotal.objects.order_by("route", "method", "status_class").values(
        "route", "method", "status_class", "count", "duration_sum_ms", *BUCKET_FIELDS))
    family("controlpanel_http_requests_total", "counter", "Requests by route pattern, method and status class.")
    for row in totals:
        labels = _labels(route=row["route"], method=row["method"], status=f"{row['status_class']}xx")
        lines.append(f"controlpanel_http_requests_total{labels} {row['count']}")

    family("controlpanel_http_request_duration_seconds", "histogram", "Request duration by route pattern and method.")
    histograms: dict[tuple[str, str], Stats] = {}
    for row in totals:
        histograms.setdefault((row["route"], row["method"]), Stats()).add(
            Stats(row["count"], row["duration_sum_ms"], 0.0, [row[name] for name in BUCKET_FIELDS]))
    for (route, method), stats in histograms.items():
        count, sum_ms, buckets = stats.count, stats.sum_ms, stats.buckets
        cumulative = 0
        for index, bound in enumerate(BOUNDS_MS):
            cumulative += buckets[index]
            lines.append(f"controlpanel_http_request_duration_seconds_bucket"
                         f"{_labels(route=route, method=method, le=repr(bound / 1000))} {cumulative}")
        lines.append(f"controlpanel_http_request_duration_seconds_bucket{_labels(route=route, method=method, le='+Inf')} {count}")
        lines.append(f"controlpanel_http_request_duration_seconds_sum{_labels(route=route, method=method)} {_number(sum_ms / 1000)}")
        lines.append(f"controlpanel_http_request_duration_seconds_count{_labels(route=route, method=method)} {count}")

    sample = selectors.latest_sample(now=now)
    if sample is not None:
        for field, name, help_text in GAUGES:
            if sample.get(field) is not None:
                family(name, "gauge", help_text)
                lines.append(f"{name} {_number(sample[field])}")
        family("controlpanel_system_sample_age_seconds", "gauge", "Seconds since the latest system sample.")
        lines.append(f"controlpanel_system_sample_age_seconds {_number(sample['age_seconds'])}")

    health = selectors.latest_health()
    if health is not None:
        family("controlpanel_health_up", "gauge", "1 when the component passed the latest health probe.")
        for component, figures in health["components"].items():
            lines.append(f"controlpanel_health_up{_labels(component=component)} {_number(bool(figures['ok']))}")
    up = selectors.uptime(start=now - timedelta(hours=24), end=now, now=now)["percent"]
    if up is not None:
        family("controlpanel_uptime_ratio", "gauge", "Share of the last 24 hours the health probes passed.")
        lines.append(f"controlpanel_uptime_ratio{_labels(window='24h')} {_number(up / 100)}")

    family("controlpanel_threshold_status", "gauge", "Threshold state: 0 clear, 1 warning, 2 critical.")
    for state in selectors.threshold_states():
        if state["status"] in STATUS_VALUE:
            lines.append(f"controlpanel_threshold_status{_labels(metric=state['metric'])} {STATUS_VALUE[state['status']]}")

    family("controlpanel_reports", "gauge", "Stored reports by kind.")
    for kind, count in selectors.report_counts().items():
        lines.append(f"controlpanel_reports{_labels(kind=kind)} {count}")
    return "\n".join(lines) + "\n"


def _bearer_ok(request) -> bool:
    expected = settings.METRICS_BEARER_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if not expected or scheme.lower() != "bearer" or not token:
        return False
    return hmac.compare_digest(token.strip().encode(), expected.encode())


@never_cache
@require_GET
def metrics(request):
    """Prometheus text for a staff session or ``Authorization: Bearer <METRICS_BEARER_TOKEN>``."""
    if not _bearer_ok(request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            response = json_error("not_authenticated", 401)
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        if not user.is_staff:
            return json_error("permission_denied", 403)
    return HttpResponse(exposition(), content_type=CONTENT_TYPE)
