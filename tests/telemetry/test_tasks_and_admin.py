"""Beat tasks run their services; staff see reports in the admin; selectors the dashboard uses."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from telemetry import selectors, services, tasks
from telemetry.models import HealthCheck, Report, SystemSample
from telemetry.periods import last_complete
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_sample_and_probe_tasks_record_rows():
    tasks.sample_system_task.delay()
    tasks.probe_health_task.delay()
    assert SystemSample.objects.count() == 1
    assert HealthCheck.objects.get().ok is True


def test_report_due_task_builds_the_last_finished_period_once():
    tasks.report_due_task.delay(period="daily")
    tasks.report_due_task.delay(period="daily")
    report = Report.objects.get()
    assert report.period_start == last_complete("daily", timezone.now()).start
    assert report.delivery["email"]["status"] == "skipped"  # no recipients yet, but delivery was attempted


def test_report_generate_task_takes_plain_values():
    pk = tasks.report_generate_task.delay(period="weekly", day="2026-03-04").get()
    assert Report.objects.get(pk=pk).period_start == date(2026, 3, 2)


def test_prune_task_returns_what_it_deleted():
    SystemSample.objects.create(at=timezone.now() - timedelta(days=3), memory_percent=1, memory_used_bytes=1,
                                memory_total_bytes=2, swap_percent=0, swap_used_bytes=0, disk_percent=1,
                                disk_used_bytes=1, disk_total_bytes=2, load_1=0, load_5=0, load_15=0)
    assert tasks.prune_task.delay().get()["system_samples"] == 1


def test_staff_see_reports_and_their_document_in_the_admin():
    report = services.report_generate(kind="daily", day=date(2026, 3, 10)).report
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    listing = client.get("/admin/telemetry/report/")
    assert listing.status_code == 200 and b"Daily report from 2026-03-10" in listing.content
    document = client.get(f"/admin/telemetry/report/{report.pk}/document/")
    assert document.status_code == 200 and document.content.startswith(b"<!doctype html>")
    assert "default-src 'none'" in document["Content-Security-Policy"]


def test_learners_cannot_open_the_admin_report_document():
    report = services.report_generate(kind="daily", day=date(2026, 3, 10)).report
    client = Client()
    client.force_login(UserFactory())
    response = client.get(f"/admin/telemetry/report/{report.pk}/document/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_report_detail_gives_charts_and_a_body_fragment_for_pages():
    report = services.report_generate(kind="daily", day=date(2026, 3, 10)).report
    detail = selectors.report_detail(pk=report.pk)
    assert [chart.title for chart in detail.charts][:2] == ["Requests per hour", "Response time per hour (ms)"]
    assert str(detail.charts[0].svg).startswith("<svg")
    assert "{#" not in detail.body_html and "<article" in detail.body_html
    assert "<html" not in detail.body_html and "<style" not in detail.body_html
    assert selectors.report_detail(pk=999999) is None
    assert list(selectors.report_list(kind="daily")) == [report]


def test_live_snapshot_for_the_dashboard():
    services.system_sample_record(now=datetime.now(UTC))
    snapshot = selectors.system_metrics_snapshot()
    assert snapshot["latest"]["stale"] is False
    assert {t["metric"] for t in snapshot["thresholds"]} == {"cpu", "memory", "disk"}
    assert snapshot["uptime_24h"]["percent"] is None  # no probe yet: not measured, not claimed
