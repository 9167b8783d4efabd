from django.urls import path
from rest_framework.routers import SimpleRouter

from telemetry.api import views

app_name = "telemetry-api"

router = SimpleRouter(use_regex_path=False)  # path() routes: readable names in telemetry and logs
router.register("reports", views.ReportViewSet, basename="report")

urlpatterns = [
    path("metrics/system/", views.SystemMetricsView.as_view(), name="metrics-system"),
    path("metrics/alerts/", views.AlertListView.as_view(), name="metrics-alerts"),
    path("metrics/performance/", views.PerformanceMetricsView.as_view(), name="metrics-performance"),
    path("metrics/telemetry/", views.TelemetryMetricsView.as_view(), name="metrics-telemetry"),
    *router.urls,
]
