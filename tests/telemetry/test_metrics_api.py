"""The staff-only metrics API and /metrics (Prometheus text)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from telemetry import services
from telemetry.collector import collector, flush
from tests.factories import UserFactory
from tests.telemetry.factories import health, sample

pytestmark = pytest.mark.django_db

STAFF_ENDPOINTS = [
    "/api/v1/metrics/system/",
    "/api/v1/metrics/performance/",
    "/api/v1/metrics/telemetry/",
    "/api/v1/reports/",
]


@pytest.fixture
def report():
    return services.report_generate(kind="daily", day=date(2026, 1, 5)).report


@pytest.mark.parametrize("path", STAFF_ENDPOINTS)
def test_anonymous_callers_get_401_on_metrics_endpoints(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("path", STAFF_ENDPOINTS)
def test_learners_get_403_on_metrics_endpoints(auth_client, path):
    response = auth_client.get(path)
    assert response.status_code == 403
    assert response.json() == {"code": "permission_denied", "message": response.json()["message"], "details": {}}


@pytest.mark.parametrize("path", STAFF_ENDPOINTS)
def test_staff_get_metrics(staff_client, path):
    response = staff_client.get(path)
    assert response.status_code == 200, response.content
    assert isinstance(response.json(), dict)


@pytest.mark.parametrize("suffix", ["", "html/", "csv/"])
def test_report_views_are_staff_only(api_client, auth_client, staff_client, report, suffix):
    path = f"/api/v1/reports/{report.pk}/{suffix}"
    assert api_client.get(path).status_code == 401
    assert auth_client.get(path).json()["code"] == "permission_denied"
    assert staff_client.get(path).status_code == 200


def test_system_metrics_show_latest_sample_thresholds_and_series(staff_client):
    now = timezone.now()
    for seconds in (120, 60, 0):
        sample(now - timedelta(seconds=seconds), cpu_percent=30.0 + seconds / 10)
    services.thresholds_evaluate(now=now)
    health(now)
    body = staff_client.get("/api/v1/metrics/system/?window=15m").json()
    assert body["latest"]["cpu_percent"] == 30.0
    assert body["latest"]["memory_total_bytes"] == 10 * 2**30
    assert {t["metric"]: t["status"] for t in body["thresholds"]} == {"cpu": "clear", "memory": "clear", "disk": "clear"}
    assert body["health"]["ok"] is True
    assert body["series"]["resolution"] == "raw"
    assert [p["cpu_percent"] for p in body["series"]["points"]] == [42.0, 36.0, 30.0]


def test_system_series_at_minute_resolution_has_averages_and_peaks(staff_client):
    now = timezone.now().replace(second=30, microsecond=0) - timedelta(minutes=2)
    sample(now, cpu_percent=10.0)
    sample(now + timedelta(seconds=10), cpu_percent=50.0)
    body = staff_client.get("/api/v1/metrics/system/?window=1h&resolution=minute").json()
    point = body["series"]["points"][0]
    assert (point["cpu_percent"], point["cpu_percent_max"], point["samples"]) == (30.0, 50.0, 2)


@pytest.mark.parametrize("window", ["forever", "0m", "400d", "-1h", "5x"])
def test_bad_windows_are_a_validation_error(staff_client, window):
    response = staff_client.get(f"/api/v1/metrics/performance/?window={window}")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "window" in response.json()["details"]


def test_a_too_fine_resolution_for_the_window_is_refused(staff_client):
    response = staff_client.get("/api/v1/metrics/system/?window=30d&resolution=raw")
    assert response.status_code == 400
    assert "resolution" in response.json()["details"]


def test_performance_has_endpoints_percentiles_error_rate_and_objectives(staff_client):
    now = timezone.now().timestamp()
    for duration in (10.0, 20.0, 30.0, 40.0):
        collector.record(route="/api/v1/lessons/", method="GET", status=200, duration_ms=duration, now=now)
    collector.record(route="/api/v1/lessons/", method="GET", status=500, duration_ms=400.0, now=now)
    collector.record(route="/api/v1/auth/login/", method="POST", status=200, duration_ms=240.0, now=now)
    flush()
    body = staff_client.get("/api/v1/metrics/performance/?window=1h").json()
    lessons = next(e for e in body["endpoints"] if e["route"] == "/api/v1/lessons/")
    assert lessons["requests"] == 5
    assert lessons["server_errors"] == 1
    assert lessons["error_rate"] == 0.2
    assert 25 < lessons["p50_ms"] <= 30
    assert 300 < lessons["p99_ms"] <= 400
    # Login is bcrypt-bound by design: its own line, outside the median objective.
    logins = next(e for e in body["endpoints"] if e["route"] == "/api/v1/auth/login/")
    assert body["password_hashing"]["requests"] == logins["requests"] >= 1
    assert body["api"]["requests"] == body["overall"]["requests"] - logins["requests"]
    median = next(o for o in body["objectives"] if o["name"] == "median_response")
    assert median["status"] == "met" and median["value"] == lessons["p50_ms"]
    assert body["overall"]["requests"] >= 6
    assert body["series"]["step"] == "minute"
    assert sum(p["requests"] for p in body["series"]["points"]) == body["overall"]["requests"]


def test_performance_objective_missed_when_the_median_is_slow(staff_client):
    now = timezone.now().timestamp()
    for _ in range(5):
        collector.record(route="/api/v1/search/", method="GET", status=200, duration_ms=900.0, now=now)
    flush()
    body = staff_client.get("/api/v1/metrics/performance/?window=15m").json()
    median = next(o for o in body["objectives"] if o["name"] == "median_response")
    assert median["status"] == "missed"


def test_telemetry_shows_engagement_feature_usage_and_uptime(auth_client, staff_client):
    auth_client.get("/api/v1/auth/me/")
    staff_client.get("/api/v1/metrics/system/")
    flush()
    health(timezone.now() - timedelta(minutes=1))
    body = staff_client.get("/api/v1/metrics/telemetry/?window=7d").json()
    assert body["active_users"]["day"] == 2
    assert body["active_users"]["month"] == 2
    assert body["daily_active_users"][-1]["users"] == 2
    groups = {row["group"]: row["requests"] for row in body["feature_usage"]}
    assert groups["auth"] >= 1 and groups["metrics"] >= 1
    assert body["accounts"]["sessions_started"] >= 2
    assert body["uptime"]["percent"] == 100.0
    assert {"learning", "search", "turbo"} <= set(body)


def test_report_list_detail_html_and_csv(staff_client, report):
    listing = staff_client.get("/api/v1/reports/?kind=daily").json()
    assert listing["count"] == 1
    assert listing["results"][0]["links"]["html"] == f"/api/v1/reports/{report.pk}/html/"
    detail = staff_client.get(f"/api/v1/reports/{report.pk}/").json()
    assert detail["data"]["period"]["start"] == "2026-01-05"
    assert {c["key"] for c in detail["charts"]} >= {"traffic", "latency", "endpoints", "system"}
    html = staff_client.get(f"/api/v1/reports/{report.pk}/html/")
    assert html["Content-Type"].startswith("text/html")
    assert "script-src" not in html["Content-Security-Policy"] and "default-src 'none'" in html["Content-Security-Policy"]
    assert b"<svg" in html.content and b"Daily report" in html.content
    csv = staff_client.get(f"/api/v1/reports/{report.pk}/csv/")
    assert csv["Content-Type"].startswith("text/csv")
    assert "attachment" in csv["Content-Disposition"]
    assert csv.content.decode().splitlines()[0] == "section,metric,current,previous,change,change_percent"


def test_unknown_report_is_a_404_envelope(staff_client):
    response = staff_client.get("/api/v1/reports/999999/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_report_list_rejects_an_unknown_kind(staff_client):
    response = staff_client.get("/api/v1/reports/?kind=hourly")
    assert response.status_code == 400
    assert "kind" in response.json()["details"]


# --- /metrics ---------------------------------------------------------------------------

def test_prometheus_refuses_anonymous_callers():
    response = Client().get("/metrics")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_prometheus_refuses_a_learner_session():
    client = Client()
    client.force_login(UserFactory())
    response = client.get("/metrics")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_prometheus_refuses_a_learner_api_token(auth_client):
    assert auth_client.get("/metrics").status_code == 401


def test_prometheus_serves_a_staff_session():
    client = Client()
    client.force_login(UserFactory(is_staff=True))
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"


@override_settings(METRICS_BEARER_TOKEN="scrape-token-0123456789abcdef")
def test_prometheus_accepts_the_configured_bearer_token_only():
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-0123456789abcdef").status_code == 200
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong-token").status_code == 401


@override_settings(METRICS_BEARER_TOKEN="")
def test_an_empty_bearer_setting_never_matches():
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401


@override_settings(METRICS_BEARER_TOKEN="scrape-token-0123456789abcdef")
def test_prometheus_counters_and_histograms_come_from_the_shared_totals():
    now = datetime.now(UTC).timestamp()
    for duration in (0.5, 5.0, 50.0):
        collector.record(route='/api/v1/x/"quoted"/', method="GET", status=200, duration_ms=duration, now=now)
    collector.record(route='/api/v1/x/"quoted"/', method="GET", status=503, duration_ms=5.0, now=now)
    flush()
    sample(timezone.now(), cpu_percent=12.5)
    health(timezone.now())
    text = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-0123456789abcdef").content.decode()
    route = 'route="/api/v1/x/\\"quoted\\"/"'
    assert f'controlpanel_http_requests_total{{{route},method="GET",status="2xx"}} 3' in text
    assert f'controlpanel_http_requests_total{{{route},method="GET",status="5xx"}} 1' in text
    assert f'controlpanel_http_request_duration_seconds_bucket{{{route},method="GET",le="0.001"}} 1' in text
    assert f'controlpanel_http_request_duration_seconds_bucket{{{route},method="GET",le="0.005"}} 3' in text
    assert f'controlpanel_http_request_duration_seconds_bucket{{{route},method="GET",le="+Inf"}} 4' in text
    assert f'controlpanel_http_request_duration_seconds_count{{{route},method="GET"}} 4' in text
    assert "controlpanel_system_cpu_percent 12.5" in text
    assert 'controlpanel_health_up{component="database"} 1' in text
    assert "# TYPE controlpanel_http_request_duration_seconds histogram" in text
