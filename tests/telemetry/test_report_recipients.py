"""Operator reports go to staff and configured addresses only; a learner's opt-in brings them
their own weekly progress e-mail and nothing about anyone else.

Every job of the one beat schedule is run as the beat would run it (task name and kwargs from
``controlpanel.celery``), so the daily, weekly and monthly reports and the weekly progress
e-mail all go out, then each mailbox is read.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import UserPreferences
from controlpanel.celery import app
from lessons.models import LessonProgress
from search.models import SearchHistory
from telemetry import selectors
from telemetry.models import ActiveUserDay, Report
from telemetry.periods import last_complete
from tests.factories import UserFactory
from tests.lessons.factories import CategoryFactory, LessonFactory, LessonProgressFactory

pytestmark = pytest.mark.django_db

SHARED_QUERY = "crazy diamond shine"  # typed by A, B, C and D
PAIR_QUERY = "cordelia desmond duet"  # typed by C and D only: below the threshold
B_ONLY_QUERY = "bartholomew private worry"  # typed by B alone
MAILING_TASKS = {"telemetry.report_due", "progress.weekly_email_send_due"}


@pytest.fixture
def people(settings):
    settings.REPORT_EMAIL_STAFF = True
    settings.REPORT_EMAIL_TO = ["ops@example.com"]
    staff = UserFactory(username="operator", email="operator@example.com", is_staff=True,
                        email_verified_at=timezone.now())
    a = UserFactory(username="annabel_a", first_name="Annabel", email="annabel@example.com",
                    email_verified_at=timezone.now())
    UserPreferences.objects.filter(user=a).update(weekly_progress_email=True)
    b = UserFactory(username="bartholomew_b", first_name="Bartholomew", email="bartholomew@example.com")
    c = UserFactory(username="cordelia_c", first_name="Cordelia", email="cordelia@example.com")
    d = UserFactory(username="desmond_d", first_name="Desmond", email="desmond@example.com")
    return {"staff": staff, "a": a, "b": b, "c": c, "d": d}


def _search(user, query: str, at: datetime) -> None:
    row = SearchHistory.objects.create(user=user, query=query, results_count=2, turbo_used=True, search_time=1.5)
    SearchHistory.objects.filter(pk=row.pk).update(created_at=at)


@pytest.fixture
def activity(people):
    """Searches, completions and active days inside each period a beat job will report on."""
    now = timezone.now()
    category = CategoryFactory(slug="recipients-colour", name="Recipients Colour")
    lessons = [LessonFactory(category=category, slug=f"recipients-lesson-{n}", title=f"Recipients lesson {n}")
               for n in range(8)]
    moments = [last_complete(kind, now).starts_at + timedelta(hours=12) for kind in ("daily", "weekly", "monthly")]
    a, b, c, d = people["a"], people["b"], people["c"], people["d"]
    for at in moments:
        for learner in (a, b, c, d):
            _search(learner, SHARED_QUERY, at)
            ActiveUserDay.objects.get_or_create(day=at.date(), user=learner)
        _search(b, B_ONLY_QUERY, at)
        _search(b, B_ONLY_QUERY, at)
        _search(c, PAIR_QUERY, at)
        _search(d, PAIR_QUERY, at)
    zone = ZoneInfo("UTC")
    today = now.astimezone(zone).date()
    last_monday = today - timedelta(days=today.weekday() + 7)
    for n, learner in enumerate((a, b, c, d)):
        for i in range(n + 1):  # A completes 1 lesson last week, B 2, C 3, D 4
            at = datetime.combine(last_monday + timedelta(days=i), datetime.min.time(), tzinfo=zone) + timedelta(hours=9)
            LessonProgressFactory(user=learner, lesson=lessons[i], status=LessonProgress.Status.COMPLETED, score=1.0,
                                  started_at=at - timedelta(minutes=15), completed_at=at, time_spent_seconds=900)
    return moments


def run_every_beat_job() -> list[str]:
    """Run each scheduled job that can send mail, with the beat's own task name and kwargs."""
    app.loader.import_default_modules()  # what a worker does at start: autodiscover every app's tasks
    ran = []
    for name, entry in app.conf.beat_schedule.items():
        assert "expires" in entry.get("options", {}), f"{name} has no expires"
        if entry["task"] in MAILING_TASKS:
            app.tasks[entry["task"]].apply(kwargs=entry.get("kwargs", {})).get()
            ran.append(name)
    return ran


def everything_in(message) -> str:
    parts = [message.subject, message.body, repr(message.to + message.cc + message.bcc),
             repr(message.extra_headers), *(content for content, _ in getattr(message, "alternatives", []))]
    return "\n".join(parts).lower()


def test_every_job_runs_and_a_learner_only_ever_receives_their_own_weekly_email(people, activity, mailoutbox):
    ran = run_every_beat_job()
    assert {"report-daily", "report-weekly", "report-monthly", "progress-weekly-email"} <= set(ran)
    a = people["a"]
    to_a = [m for m in mailoutbox if a.email in m.to + m.cc + m.bcc]
    assert len(to_a) == 1
    [mine] = to_a
    assert mine.to == [a.email] and mine.subject.startswith("Your week in Control Panel")
    assert "- Lessons completed: 1" in mine.body
    text = everything_in(mine)
    for other in ("b", "c", "d", "staff"):
        assert people[other].username.lower() not in text
        assert people[other].email.lower() not in text
        assert people[other].first_name.lower() not in text or not people[other].first_name
    for query in (B_ONLY_QUERY, PAIR_QUERY, SHARED_QUERY):
        assert query not in text
    assert "report" not in mine.subject.lower()


def test_learners_who_did_not_opt_in_receive_nothing(people, activity, mailoutbox):
    run_every_beat_job()
    for learner in ("b", "c", "d"):
        assert not [m for m in mailoutbox if people[learner].email in m.to + m.cc + m.bcc]


def test_staff_and_configured_addresses_receive_each_operator_report(people, activity, mailoutbox):
    run_every_beat_job()
    reports = [m for m in mailoutbox if m.subject.startswith("[Control Panel]")]
    assert sorted({m.to[0] for m in reports}) == ["operator@example.com", "ops@example.com"]
    for address in ("operator@example.com", "ops@example.com"):
        kinds = sorted(m.subject.split()[2] for m in reports if m.to == [address])
        assert kinds == ["Daily", "Monthly", "Weekly"]
    assert all(len(m.to) == 1 and not m.cc and not m.bcc for m in mailoutbox)
    assert Report.objects.count() == 3 and all(r.delivery["email"]["recipients"] == 2 for r in Report.objects.all())


def test_reports_list_the_shared_query_but_never_one_learners_or_any_name(people, activity, mailoutbox):
    run_every_beat_job()
    for report in Report.objects.all():
        top = report.data["search"]["top_queries"]
        shown = [row["query"] for row in top]
        assert SHARED_QUERY in shown, report
        assert B_ONLY_QUERY not in shown and PAIR_QUERY not in shown
        assert all(set(row) == {"query", "searches", "learners"} for row in top)
        assert next(row for row in top if row["query"] == SHARED_QUERY)["learners"] == 4
    for message in (m for m in mailoutbox if m.subject.startswith("[Control Panel]")):
        text = everything_in(message)
        assert SHARED_QUERY in text
        assert B_ONLY_QUERY not in text and PAIR_QUERY not in text
        for learner in ("a", "b", "c", "d"):
            assert people[learner].username.lower() not in text and people[learner].email.lower() not in text


def test_recipients_are_staff_and_configured_addresses_whatever_learners_prefer(people, settings):
    UserPreferences.objects.update(weekly_progress_email=True)
    UserFactory(username="former", email="former@example.com", is_staff=True, is_active=False)
    assert selectors.report_recipients() == ["operator@example.com", "ops@example.com"]
    settings.REPORT_EMAIL_TO = ["OPS@example.com", "Operator@Example.com", " audit@example.com "]
    assert selectors.report_recipients() == ["operator@example.com", "OPS@example.com", "audit@example.com"]
    settings.REPORT_EMAIL_STAFF = False
    settings.REPORT_EMAIL_TO = []
    assert selectors.report_recipients() == []


def test_the_metrics_api_never_lists_one_learners_query(people, activity, staff_client):
    body = staff_client.get("/api/v1/metrics/telemetry/?window=90d").content.decode()
    assert SHARED_QUERY in body
    assert B_ONLY_QUERY not in body and PAIR_QUERY not in body
    for learner in ("a", "b", "c", "d"):
        assert people[learner].username not in body
