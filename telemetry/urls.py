from django.urls import path

from telemetry import prometheus

app_name = "telemetry"

urlpatterns = [
    path("metrics", prometheus.metrics, name="metrics"),
]
