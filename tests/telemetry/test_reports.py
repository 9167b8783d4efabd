"""Reports: periods, content, exactly-once generation, the command, e-mail and webhook delivery."""

import json
import threading
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from accounts.models import UserPreferences
from telemetry import services
from telemetry.collector import collector, flush
from telemetry.models import Report, ThresholdEvent
from telemetry.periods import period_for
from tests.factories import UserFactory
from tests.telemetry.factories import health, sample

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 10)


def record(at: datetime, *, route="/api/v1/lessons/", status=200, duration_ms=20.0, count=1):
    for _ in range(count):
        collector.record(route=route, method="GET", status=status, duration_ms=duration_ms, now=at.timestamp())


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_generating_twice_returns_the_one_report():
    first = services.report_generate(kind="daily", day=DAY)
    second = services.report_generate(kind="daily", day=DAY)
    assert (first.status, second.status) == ("created", "existing")
    assert first.report.pk == second.report.pk
    assert Report.objects.count() == 1


def test_force_regenerates_in_place():
    first = services.report_generate(kind="daily", day=DAY).report
    record(utc(2026, 3, 10, 12, 0), count=4)
    flush()
    again = services.report_generate(kind="daily", day=DAY, force=True)
    assert again.status == "regenerated"
    assert again.report.pk == first.pk and again.report.version == 2
    assert again.report.data["headline"]["requests"] == 4
    assert Report.objects.count() == 1


def test_a_period_that_is_not_over_is_refused():
    with pytest.raises(services.PeriodNotOver):
        services.report_generate(kind="monthly", day=datetime.now(UTC).date())
    assert Report.objects.count() == 0


def test_an_unknown_period_kind_is_refused():
    with pytest.raises(services.InvalidPeriod):
        services.report_generate(kind="hourly", day=DAY)


def test_default_period_is_the_last_finished_one():
    report = services.report_generate(kind="weekly", now=utc(2026, 3, 11, 0, 10)).report
    assert (report.period_start, report.period_end) == (date(2026, 3, 2), date(2026, 3, 9))


def test_report_content_compares_with_the_previous_period():
    # Previous day: 10 requests at 40 ms; this day: 20 at 10 ms, two of them server errors.
    record(utc(2026, 3, 9, 9, 0), count=10, duration_ms=40.0)
    record(utc(2026, 3, 10, 9, 0), count=18, duration_ms=10.0)
    record(utc(2026, 3, 10, 15, 30), count=2, duration_ms=10.0, status=500)
    flush()
    for minute in range(0, 24 * 60, 60):
        health(utc(2026, 3, 10) + timedelta(minutes=minute), ok=minute != 600)
    for hour in range(24):
        sample(utc(2026, 3, 10, hour, 5), cpu_percent=20.0 + hour, memory_percent=50.0)
    ThresholdEvent.objects.create(metric="cpu", at=utc(2026, 3, 10, 23, 0), previous="clear", status="warning", value=88.0)
    UserFactory(date_joined=utc(2026, 3, 10, 8, 0))
    with override_settings(TELEMETRY_HEALTH_SECONDS=3600):
        data = services.report_generate(kind="daily", day=DAY).report.data
    head = data["headline"]
    assert head["requests"] == 20
    assert head["error_rate_percent"] == 10.0
    assert 8 < head["p50_ms"] <= 10
    assert head["cpu_average"] == pytest.approx(31.5)
    assert head["cpu_peak"] == 43.0
    assert head["threshold_breaches"] == 1
    assert head["registrations"] == 1
    assert head["uptime_percent"] == pytest.approx(100 * 23 / 24, abs=0.01)
    rows = {row["key"]: row for row in data["comparison"]}
    assert (rows["requests"]["current"], rows["requests"]["previous"], rows["requests"]["change_percent"]) == (20, 10, 100.0)
    assert rows["p50_ms"]["verdict"] == "better"
    assert rows["error_rate_percent"]["verdict"] == "worse"
    endpoint = data["endpoints"][0]
    assert (endpoint["route"], endpoint["requests"], endpoint["server_errors"]) == ("/api/v1/lessons/", 20, 2)
    assert {"p50_ms", "p95_ms", "p99_ms"} <= set(endpoint)
    assert data["threshold_breaches"][0]["to"] == "warning"


def test_report_has_charts_and_html_with_their_tables():
    record(utc(2026, 3, 10, 9, 0), count=3)
    flush()
    report = services.report_generate(kind="daily", day=DAY).report
    keys = [chart["key"] for chart in report.charts]
    assert keys[:5] == ["traffic", "latency", "endpoints", "features", "system"]
    traffic = report.charts[0]
    assert len(traffic["table"]["rows"]) == 24  # one row per hour
    assert "<svg" in report.html and "Figures behind" in report.html
    assert "<script" not in report.html


@override_settings(REPORT_TIME_ZONE="Asia/Kolkata")
def test_daily_report_boundaries_in_kolkata_are_exact_to_the_minute():
    record(utc(2026, 3, 9, 18, 29))  # 23:59 on 9 March in Kolkata
    record(utc(2026, 3, 9, 18, 30), count=2)  # 00:00 on 10 March
    record(utc(2026, 3, 10, 18, 29), count=3)  # 23:59 on 10 March
    record(utc(2026, 3, 10, 18, 30), count=4)  # 00:00 on 11 March
    flush()
    report = services.report_generate(kind="daily", day=DAY, now=utc(2026, 3, 12)).report
    assert report.time_zone == "Asia/Kolkata"
    assert report.starts_at == utc(2026, 3, 9, 18, 30)
    assert report.data["headline"]["requests"] == 5
    assert report.data["previous"]["headline"]["requests"] == 1


@override_settings(REPORT_TIME_ZONE="Europe/Berlin")
def test_daily_report_of_the_berlin_spring_change_covers_23_hours():
    record(utc(2026, 3, 28, 22, 59))  # 23:59 CET on the 28th
    record(utc(2026, 3, 28, 23, 0), count=2)  # 00:00 CET on the 29th
    record(utc(2026, 3, 29, 21, 59), count=3)  # 23:59 CEST on the 29th
    record(utc(2026, 3, 29, 22, 0), count=4)  # 00:00 CEST on the 30th
    flush()
    report = services.report_generate(kind="daily", day=date(2026, 3, 29), now=utc(2026, 4, 1)).report
    assert report.data["period"]["hours"] == 23
    assert report.data["headline"]["requests"] == 5
    assert len(report.charts[0]["table"]["rows"]) == 23


@override_settings(REPORT_TIME_ZONE="America/Sao_Paulo")
def test_monthly_report_in_sao_paulo_takes_the_local_month():
    record(utc(2026, 3, 1, 2, 59))  # 23:59 on 28 February
    record(utc(2026, 3, 1, 3, 0), count=2)  # 00:00 on 1 March
    record(utc(2026, 4, 1, 2, 59), count=3)  # 23:59 on 31 March
    flush()
    report = services.report_generate(kind="monthly", day=date(2026, 3, 5), now=utc(2026, 4, 2)).report
    assert report.data["headline"]["requests"] == 5
    assert len(report.charts[0]["table"]["rows"]) == 31  # one row per day


def test_period_of_a_report_matches_its_row():
    report = services.report_generate(kind="monthly", day=date(2026, 2, 14)).report
    period = period_for("monthly", date(2026, 2, 14))
    assert (report.period_start, report.period_end, report.starts_at, report.ends_at) == (
        period.start, period.end, period.starts_at, period.ends_at)


# --- the command -------------------------------------------------------------------------

def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("generate_report", *args, stdout=out)
    return out.getvalue()


def test_command_creates_then_returns_the_existing_report_then_forces():
    assert "Created Daily report from 2026-03-10" in run("--period", "daily", "--date", "2026-03-10")
    assert "Already there: Daily report from 2026-03-10" in run("--period", "daily", "--date", "2026-03-10")
    assert "Regenerated Daily report from 2026-03-10" in run("--period", "daily", "--date", "2026-03-10", "--force")
    assert Report.objects.get().version == 2


def test_command_rejects_a_bad_date():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run("--period", "daily", "--date", "10/03/2026")


def test_command_rejects_an_unknown_period():
    with pytest.raises(CommandError):
        run("--period", "hourly")


def test_command_refuses_an_unfinished_period():
    with pytest.raises(CommandError, match="not over"):
        run("--period", "weekly", "--date", datetime.now(UTC).date().isoformat())


# --- delivery ----------------------------------------------------------------------------

@pytest.fixture
def recipients(settings):
    settings.REPORT_EMAIL_TO = ["ops@example.com"]
    verified = timezone.now()  # reports go to verified addresses only; even a verified learner gets none
    staff = UserFactory(is_staff=True, email="Boss@example.com", email_verified_at=verified)
    UserFactory(is_staff=True, is_active=False, email="gone@example.com", email_verified_at=verified)
    learner = UserFactory(email="learner@example.com", email_verified_at=verified)
    UserPreferences.objects.filter(user=learner).update(weekly_progress_email=True)
    UserFactory(email="quiet@example.com")
    return staff, learner


def test_email_goes_to_staff_and_configured_addresses_as_text_and_html_never_to_learners(recipients):
    report = services.report_generate(kind="daily", day=DAY, send=True).report
    assert sorted(m.to[0] for m in mail.outbox) == ["Boss@example.com", "ops@example.com"]
    message = mail.outbox[0]
    assert message.subject == "[Control Panel] Daily report — Tuesday 10 March 2026"
    assert "This period against the previous one" in message.body
    assert "<" not in message.body.split("\n", 1)[0]
    # It says what it holds, and where staff find the report: no attachment, no admin page claimed.
    assert message.attachments == []
    assert "The HTML version of this e-mail is the whole report" in message.body
    assert f"http://127.0.0.1:8000/staff/reports/{report.pk}/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and html.startswith("<!doctype html>") and "<svg" in html
    assert report.delivery["email"]["status"] == "sent"
    assert report.delivery["email"]["recipients"] == 2
    assert report.sent_at is not None


def test_a_sent_report_is_not_sent_again_unless_forced(recipients):
    services.report_generate(kind="daily", day=DAY, send=True)
    services.report_generate(kind="daily", day=DAY, send=True)
    assert len(mail.outbox) == 2
    services.report_generate(kind="daily", day=DAY, send=True, force=True)
    assert len(mail.outbox) == 4


def test_without_recipients_the_email_is_skipped():
    report = services.report_generate(kind="daily", day=DAY, send=True).report
    assert mail.outbox == []
    assert report.delivery["email"]["status"] == "skipped"
    assert report.delivery["webhook"]["status"] == "skipped"


class Hook:
    """A local webhook that answers the given statuses in turn and keeps what it received."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.received: list[dict] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.received.append(json.loads(body))
                status = hook.statuses.pop(0) if hook.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_webhook_is_retried_after_a_server_error_and_the_outcome_recorded():
    with Hook([500, 200]) as hook, override_settings(SLACK_WEBHOOK_URL=hook.url, REPORT_DELIVERY_BACKOFF_SECONDS=0.01):
        report = services.report_generate(kind="daily", day=DAY, send=True).report
    assert len(hook.received) == 2
    assert hook.received[-1]["text"].startswith("*Daily report — Tuesday 10 March 2026*")
    assert hook.received[-1]["text"].endswith(f"http://127.0.0.1:8000/staff/reports/{report.pk}/")  # a link to read it
    outcome = Report.objects.get(pk=report.pk).delivery["webhook"]
    assert (outcome["status"], outcome["attempts"], outcome["http_status"]) == ("delivered", 2, 200)


def test_webhook_client_errors_are_not_retried():
    with Hook([400]) as hook, override_settings(SLACK_WEBHOOK_URL=hook.url, REPORT_DELIVERY_BACKOFF_SECONDS=0.01):
        report = services.report_generate(kind="daily", day=DAY, send=True).report
    assert len(hook.received) == 1
    assert report.delivery["webhook"] | {"at": None} == {
        "status": "failed", "attempts": 1, "http_status": 400, "error": "HTTP 400", "at": None}
    assert report.sent_at is None


def test_webhook_that_never_answers_fails_after_every_attempt():
    with Hook([]) as hook:
        url = hook.url  # the server is gone once the block ends
    with override_settings(SLACK_WEBHOOK_URL=url, REPORT_DELIVERY_BACKOFF_SECONDS=0.01, REPORT_DELIVERY_ATTEMPTS=3):
        report = services.report_generate(kind="daily", day=DAY, send=True).report
    assert report.delivery["webhook"]["status"] == "failed"
    assert report.delivery["webhook"]["attempts"] == 3
    assert "ConnectionRefused" in report.delivery["webhook"]["error"] or "URLError" in report.delivery["webhook"]["error"]


# --- other apps' figures -----------------------------------------------------------------

def _completed_lesson(user, category_slug: str, at: datetime):
    from lessons.models import Category, Lesson, LessonProgress

    category, _ = Category.objects.get_or_create(slug=category_slug, defaults={"name": category_slug.title()})
    lesson = Lesson.objects.create(
        slug=f"{category_slug}-{at:%d%H%M}", title=f"{category_slug} {at:%d %H:%M}", category=category, difficulty=1,
        style="visual", summary="s", body_markdown="b", body_html="<p>b</p>", content_hash=f"{category_slug}{at:%d%H%M}")
    return LessonProgress.objects.create(user=user, lesson=lesson, status="completed", started_at=at, completed_at=at)


def test_report_learning_section_comes_from_the_progress_selector():
    user = UserFactory()
    _completed_lesson(user, "drawing", utc(2026, 3, 9, 10, 0))
    _completed_lesson(user, "drawing", utc(2026, 3, 10, 10, 0))
    _completed_lesson(user, "music", utc(2026, 3, 10, 11, 0))
    report = services.report_generate(kind="daily", day=DAY).report
    learning = report.data["learning"]
    assert learning["lessons_completed"] == 2
    assert learning["completions_by_category"] == {"drawing": 1, "music": 1}
    rows = {row["key"]: row for row in report.data["comparison"]}
    assert (rows["learning.lessons_completed"]["current"], rows["learning.lessons_completed"]["previous"]) == (2, 1)
    assert rows["learning.lessons_completed"]["verdict"] == "better"
    chart = next(c for c in report.charts if c["key"] == "learning")
    assert chart["table"]["headers"] == ["", "This period", "Previous period"]
    assert ["Drawing", "1", "1"] in chart["table"]["rows"]  # the category's name, not its slug


def _search(user, query: str, at: datetime, *, results: int, turbo: bool, took_ms: float):
    from search.models import SearchHistory

    row = SearchHistory.objects.create(user=user, query=query, results_count=results, turbo_used=turbo,
                                       search_time=took_ms)
    SearchHistory.objects.filter(pk=row.pk).update(created_at=at)


def test_report_search_section_comes_from_the_search_selector():
    user, second, third = UserFactory(), UserFactory(), UserFactory()
    _search(user, "colour", utc(2026, 3, 9, 9, 0), results=4, turbo=True, took_ms=2.0)
    _search(user, "colour", utc(2026, 3, 10, 9, 0), results=4, turbo=True, took_ms=2.0)
    _search(user, "rhythm", utc(2026, 3, 10, 9, 5), results=0, turbo=True, took_ms=1.0)
    _search(second, "rhythm", utc(2026, 3, 10, 9, 6), results=0, turbo=False, took_ms=30.0)
    _search(third, "Rhythm", utc(2026, 3, 10, 9, 7), results=0, turbo=True, took_ms=1.0)
    report = services.report_generate(kind="daily", day=DAY).report
    search = report.data["search"]
    assert (search["searches"], search["zero_result_rate"], search["turbo_share"]) == (4, 0.75, 0.75)
    rows = {row["key"]: row for row in report.data["comparison"]}
    assert (rows["search.searches"]["current"], rows["search.searches"]["previous"]) == (4, 1)
    assert rows["search.zero_result_rate"]["verdict"] == "worse"
    chart = next(c for c in report.charts if c["key"] == "search")
    assert [row[:2] for row in chart["table"]["rows"]] == [["rhythm", "3"]]  # "colour": one learner, not shown
    assert "turbo" in report.data and "index_documents" in report.data["turbo"]


def test_live_engagement_counts_lessons_and_searches(staff_client):
    user = UserFactory()
    now = datetime.now(UTC)
    _completed_lesson(user, "drawing", now - timedelta(hours=2))
    _search(user, "colour", now - timedelta(hours=1), results=3, turbo=True, took_ms=2.0)
    body = staff_client.get("/api/v1/metrics/telemetry/?window=1d").json()
    assert (body["lessons_completed"], body["searches"]) == (1, 1)
    assert body["turbo"]["searches_24h"] == 1


def test_report_holds_the_learning_search_and_turbo_sections_by_name():
    # The sections are imported by name (progress.reports, search.reports): a renamed selector
    # or figure fails here instead of reading "not available" in the e-mail.
    from controlpanel.reporting import section_from_json

    user = UserFactory()
    _completed_lesson(user, "drawing", utc(2026, 3, 10, 10, 0))
    report = services.report_generate(kind="daily", day=DAY).report
    sections = {item["key"]: section_from_json(item) for item in report.data["sections"]}
    assert list(sections) == ["learning", "search", "turbo"]
    assert all(section.available for section in sections.values())
    assert sections["learning"].figure("lessons_completed").value == 1
    assert sections["learning"].figure("lessons_completed").better == "higher"
    assert sections["search"].figure("searches").value == 0
    assert sections["search"].figure("zero_result_rate").better == "lower"
    assert sections["turbo"].figure("index_in_sync").label == "Index in sync"
    assert "<h2 id=\"report-learning\">Learning</h2>" in report.html and "Lessons completed" in report.html
    assert "Not available" not in report.html


def test_a_failing_section_is_logged_and_shown_as_not_available(monkeypatch, caplog):
    from telemetry.selectors import activity

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(activity, "search_section", broken)
    report = services.report_generate(kind="daily", day=DAY).report
    assert report.data["search"] == {"available": False, "reason": "Search failed: RuntimeError"}
    assert "Not available: Search failed: RuntimeError" in report.html
    assert report.data["learning"]["lessons_completed"] == 0
    assert any(record.levelname == "ERROR" and "search" in record.getMessage() for record in caplog.records)


def test_a_first_start_writes_no_report_for_a_day_the_product_did_not_run(capsys):
    call_command("generate_report", "--period", "daily", "--only-if-served")
    assert "Skipped: The product recorded nothing in that period" in capsys.readouterr().out
    assert Report.objects.count() == 0
    # Once the product ran that day (a health probe, say), the same command writes the report.
    yesterday = period_for("daily", timezone.now().date()).previous()
    health(yesterday.starts_at + timedelta(hours=12))
    call_command("generate_report", "--period", "daily", "--only-if-served")
    assert Report.objects.filter(kind="daily", period_start=yesterday.start).count() == 1


def test_learners_who_only_learned_count_as_active_users_in_the_headline():
    # A learner completed lessons (say on the dashboard before request telemetry reached them) but
    # no API call of theirs was counted: the headline must not say "Active users 0" beside it.
    user = UserFactory()
    _completed_lesson(user, "drawing", utc(2026, 3, 10, 10, 0))
    other = UserFactory()
    _completed_lesson(other, "music", utc(2026, 3, 10, 11, 0))
    report = services.report_generate(kind="daily", day=DAY).report
    assert report.data["learning"]["active_learners"] == 2
    assert report.data["headline"]["active_users"] == 2


def test_reports_and_the_engagement_api_carry_session_lengths_and_progress_rates(staff_client):
    from accounts.models import AuthSession
    from progress.services import lesson_complete, lesson_start
    from tests.lessons.factories import LessonFactory, right_answers

    learners = UserFactory.create_batch(3)
    start = utc(2026, 3, 10, 8, 0)
    for learner, minutes in zip(learners, (4, 10, 30), strict=True):
        AuthSession.objects.create(user=learner, created_at=start, last_seen_at=start + timedelta(minutes=minutes),
                                   expires_at=start + timedelta(days=7), absolute_expires_at=start + timedelta(days=30))
    lessons = LessonFactory.create_batch(3)
    for lesson in lessons:  # three started, two of them completed the same day
        lesson_start(user=learners[0], lesson=lesson, at=start + timedelta(hours=1))
    for lesson in lessons[:2]:
        lesson_complete(user=learners[0], lesson=lesson, answers=right_answers(lesson), at=start + timedelta(hours=2))
    record(start + timedelta(hours=3), route="/api/v1/lessons/", count=2)
    flush()
    report = services.report_generate(kind="daily", day=DAY).report
    assert report.data["accounts"]["sessions_started"] == 3
    assert (report.data["accounts"]["session_median_seconds"], report.data["accounts"]["session_p90_seconds"]) == (600.0, 1800.0)
    assert report.data["headline"]["session_median_seconds"] == 600.0
    assert report.data["learning"]["completion_rate"] == round(2 / 3, 4)
    assert report.data["learning"]["lessons_per_active_learner"] == 2.0
    assert "a session lasted 600 s at the median, 1800 s at the 90th percentile" in report.html

    live = staff_client.get("/api/v1/metrics/telemetry/", {"window": "365d"})
    assert live.status_code == 200, live.content
    live = live.json()
    assert live["accounts"]["session_median_seconds"] is not None
    assert {"completion_rate", "lessons_per_active_learner"} <= set(live["learning"])
    assert {"group": "lessons", "requests": 2} in [{k: row[k] for k in ("group", "requests")} for row in live["feature_usage"]]
