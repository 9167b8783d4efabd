"""Telemetry reads, shaped for the metrics API, the staff dashboard, ``/metrics`` and reports.

Every function returns JSON-ready dicts (or model rows for the report list), so the API, the
dashboard pages and the reports show the same figures. ``from telemetry import selectors``
reaches all of them; the submodules group them by subject.
"""

from telemetry.selectors.activity import (
    account_figures,
    active_users,
    endpoint_table,
    engagement_summary,
    feature_usage,
    learning,
    objectives_status,
    performance_summary,
    period_active_users,
    route_group,
    search,
    section,
    series_step,
    turbo,
)
from telemetry.selectors.reports import (
    ReportDetail,
    charts_from_json,
    report_counts,
    report_detail,
    report_list,
    report_recipients,
)
from telemetry.selectors.system import (
    COMPONENTS,
    METRIC_LABELS,
    RESOLUTIONS,
    SAMPLE_FIELDS,
    Threshold,
    alert_dict,
    alert_list,
    app_processes,
    auto_resolution,
    fleet_summary,
    host_list,
    latest_health,
    latest_sample,
    period_was_served,
    system_metrics_snapshot,
    system_series,
    system_summary,
    threshold_breaches,
    threshold_states,
    thresholds,
    uptime,
    window_average,
)

__all__ = [
    "COMPONENTS", "METRIC_LABELS", "RESOLUTIONS", "SAMPLE_FIELDS", "ReportDetail", "Threshold", "account_figures", "active_users",
    "alert_dict", "alert_list", "app_processes", "fleet_summary", "host_list", "period_active_users", "period_was_served",
    "auto_resolution", "charts_from_json", "endpoint_table", "engagement_summary", "feature_usage", "learning",
    "latest_health", "latest_sample", "objectives_status", "performance_summary", "report_counts", "report_detail",
    "report_list", "report_recipients", "route_group", "search", "section", "series_step", "system_metrics_snapshot", "system_series",
    "system_summary", "threshold_breaches", "threshold_states", "thresholds", "turbo", "uptime", "window_average",
]
