"""Staff pages: the live system page and the reports, with their downloads."""

from datetime import timedelta

import pytest
from django.utils import timezone

from telemetry import services as telemetry_services
from telemetry.models import Report
from tests.pages.conftest import assert_clean_html

pytestmark = pytest.mark.django_db

STAFF_PAGES = ("/staff/system/", "/staff/reports/")


@pytest.fixture
def report():
    yesterday = timezone.localdate() - timedelta(days=1)
    return telemetry_services.report_generate(kind="daily", day=yesterday).report


def test_staff_pages_send_visitors_to_login(client):
    for path in STAFF_PAGES:
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


def test_staff_pages_are_forbidden_to_learners(page_client):
    for path in STAFF_PAGES:
        response = page_client.get(path)
        assert response.status_code == 403
        assert "Error 403" in response.content.decode()


def test_staff_navigation_shows_system_reports_admin_and_docs(staff_page_client):
    html = staff_page_client.get("/home/").content.decode()
    for href in ('href="/staff/system/"', 'href="/staff/reports/"', 'href="/admin/"', 'href="/api/v1/docs/"'):
        assert href in html


def test_learner_navigation_has_no_staff_links(page_client):
    html = page_client.get("/account/").content.decode()
    assert "/staff/" not in html and 'href="/admin/"' not in html


def test_system_page_shows_the_latest_sample_and_health(staff_page_client):
    sample = telemetry_services.system_sample_record()
    telemetry_services.health_probe()
    response = staff_page_client.get("/staff/system/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f"{sample.memory_percent:.1f} %" in html
    for label in ("CPU", "Memory", "Disk read", "Network in", "p50 latency", "p95 latency", "p99 latency", "Throughput",
                  "Error rate (5xx)", "Uptime, 24 h", "Thresholds", "Turbo search"):
        assert f">{label}<" in html
    assert 'class="pill state-ok">ok</span>' in html
    assert '<dt>Index in sync</dt><dd data-field="turbo.index_in_sync" data-format="yes-no">' in html
    assert_clean_html(html)


def test_system_page_polls_its_figures_at_a_configurable_interval(staff_page_client):
    html = staff_page_client.get("/staff/system/?poll=750").content.decode()
    assert 'data-poll-ms="750"' in html
    assert 'data-live-url="/staff/system/live.json?range=1h"' in html
    assert 'data-field="system.latest.cpu_percent"' in html and 'data-field="performance.api.p95_ms"' in html


def test_live_figures_match_the_metrics_selectors(staff_page_client):
    sample = telemetry_services.system_sample_record()
    response = staff_page_client.get("/staff/system/live.json")
    body = response.json()
    assert response.status_code == 200 and "no-cache" in response["Cache-Control"]
    assert body["system"]["latest"]["memory_percent"] == sample.memory_percent
    assert {"p50_ms", "p95_ms", "p99_ms", "throughput_per_minute", "error_rate"} <= set(body["performance"]["api"])
    assert "turbo" in body


def test_live_figures_refuse_visitors_and_learners_in_the_error_envelope(client, page_client):
    anonymous = client.get("/staff/system/live.json")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "not_authenticated"
    learner = page_client.get("/staff/system/live.json")
    assert learner.status_code == 403 and set(learner.json()) == {"code", "message", "details"}


def test_system_page_bounds_a_silly_poll_interval(staff_page_client):
    assert 'data-poll-ms="500"' in staff_page_client.get("/staff/system/?poll=1").content.decode()
    assert 'data-poll-ms="5000"' in staff_page_client.get("/staff/system/?poll=soon").content.decode()


def test_system_page_before_any_scheduled_sample_shows_this_host_sampled_now(staff_page_client, settings):
    from telemetry.models import SystemSample

    assert not SystemSample.objects.exists()
    html = staff_page_client.get("/staff/system/").content.decode()
    assert "no sample yet" not in html
    assert f"Machine: {settings.CONTROLPANEL_HOST_NAME}" in html
    assert SystemSample.objects.filter(host=settings.CONTROLPANEL_HOST_NAME).count() == 1


def test_reports_list_links_each_report_and_its_downloads(staff_page_client, report):
    html = staff_page_client.get("/staff/reports/").content.decode()
    assert f'href="/staff/reports/{report.pk}/"' in html
    for fmt in ("html", "json", "csv"):
        assert f'href="/staff/reports/{report.pk}/download/{fmt}/"' in html
    assert "Daily (1)" in html
    assert_clean_html(html)


def test_reports_list_filters_by_kind(staff_page_client, report):
    html = staff_page_client.get("/staff/reports/?kind=weekly").content.decode()
    assert f'href="/staff/reports/{report.pk}/"' not in html
    assert "No reports yet." in html


def test_report_detail_shows_charts_with_a_table_alternative(staff_page_client, report):
    response = staff_page_client.get(f"/staff/reports/{report.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert report.title in html
    assert html.count('class="chart chart-wide"') == html.count('class="chart chart-narrow"') == len(report.charts) > 0
    assert html.count("<table>") >= len(report.charts)
    assert "Show the figures" in html
    assert_clean_html(html)


def test_report_downloads_are_attachments_in_each_format(staff_page_client, report):
    json_response = staff_page_client.get(f"/staff/reports/{report.pk}/download/json/")
    assert json_response["Content-Disposition"].startswith("attachment; filename=\"report-daily-")
    assert json_response.json()["title"] == report.title
    csv_response = staff_page_client.get(f"/staff/reports/{report.pk}/download/csv/")
    assert csv_response.content.decode().startswith("section,metric,current,previous")
    html_response = staff_page_client.get(f"/staff/reports/{report.pk}/download/html/")
    assert html_response["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in html_response["Content-Security-Policy"]


def test_unknown_report_or_format_is_a_404(staff_page_client, report):
    assert staff_page_client.get(f"/staff/reports/{report.pk + 1000}/").status_code == 404
    assert staff_page_client.get(f"/staff/reports/{report.pk}/download/exe/").status_code == 404


def test_report_pages_are_forbidden_to_learners(page_client, report):
    assert page_client.get(f"/staff/reports/{report.pk}/").status_code == 403
    assert page_client.get(f"/staff/reports/{report.pk}/download/json/").status_code == 403


def test_staff_can_generate_the_last_daily_report_from_the_list(staff_page_client):
    response = staff_page_client.post("/staff/reports/generate/", {"kind": "daily"}, follow=True)
    html = response.content.decode()
    assert "Daily report generated." in html
    report = Report.objects.get()
    assert response.redirect_chain[-1][0] == f"/staff/reports/{report.pk}/"
    again = staff_page_client.post("/staff/reports/generate/", {"kind": "daily"}, follow=True)
    assert "That report already exists; here it is." in again.content.decode()
    assert Report.objects.count() == 1


def test_generating_an_unknown_kind_of_report_explains(staff_page_client):
    response = staff_page_client.post("/staff/reports/generate/", {"kind": "hourly"}, follow=True)
    assert "Choose a daily, weekly or monthly report." in response.content.decode()
    assert not Report.objects.exists()


def test_learners_cannot_generate_reports(page_client):
    assert page_client.post("/staff/reports/generate/", {"kind": "daily"}).status_code == 403
    assert not Report.objects.exists()
