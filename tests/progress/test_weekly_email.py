"""The weekly progress e-mail: once per learner and week, only their own progress, and a
one-click unsubscribe link that needs no sign-in."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from accounts.models import UserPreferences
from lessons.models import LessonProgress
from lessons.selectors import lesson_recommendations
from progress import tasks, weekly_email
from progress.models import LearningStreak, WeeklyProgressEmail
from tests.factories import UserFactory
from tests.lessons.factories import CategoryFactory, LessonFactory, LessonProgressFactory
from tests.pages.conftest import assert_clean_html

pytestmark = pytest.mark.django_db

ZONE = "Europe/Lisbon"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://panel.example.com"


@pytest.fixture
def lessons():
    category = CategoryFactory(slug="weekly-drawing", name="Weekly Drawing")
    return [LessonFactory(category=category, title=f"Weekly lesson {n}", slug=f"weekly-lesson-{n}", difficulty=1)
            for n in range(6)]


def opted_in(**kwargs):
    kwargs.setdefault("email_verified_at", timezone.now())  # e-mail goes only to verified addresses
    user = UserFactory(**kwargs)
    UserPreferences.objects.filter(user=user).update(weekly_progress_email=True, time_zone=ZONE, daily_goal_minutes=20)
    user.refresh_from_db()
    return user


def last_week_start(zone: str = ZONE):
    return weekly_email.last_finished_week(now=timezone.now(), zone=ZoneInfo(zone))


def completed(user, lesson, *, day, minutes: int, hour: int = 10) -> LessonProgress:
    at = datetime.combine(day, time(hour), tzinfo=ZoneInfo(ZONE))
    return LessonProgressFactory(user=user, lesson=lesson, status=LessonProgress.Status.COMPLETED, score=1.0,
                                 started_at=at - timedelta(minutes=minutes), completed_at=at,
                                 time_spent_seconds=minutes * 60)


@pytest.fixture
def learner(lessons):
    """Opted in, with two lessons last week (Monday 25 min: goal met; Wednesday 10 min) and a streak."""
    user = opted_in(username="ines", first_name="Inês", email="ines@example.com")
    monday = last_week_start()
    completed(user, lessons[0], day=monday, minutes=25)
    completed(user, lessons[1], day=monday + timedelta(days=2), minutes=10)
    LearningStreak.objects.create(user=user, current=2, best=5, last_day=timezone.now().astimezone(ZoneInfo(ZONE)).date())
    return user


def mails_to(outbox, user):
    return [m for m in outbox if user.email in m.to + m.cc + m.bcc]


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


# --- sending once -----------------------------------------------------------------------------

def test_an_opted_in_learner_gets_exactly_one_email_per_week_even_when_the_task_runs_twice(learner, mailoutbox):
    assert tasks.weekly_email_send_due_task.delay().get() == 1
    assert tasks.weekly_email_send_due_task.delay().get() == 0
    assert weekly_email.weekly_email_send_due() == 0
    assert len(mails_to(mailoutbox, learner)) == 1 and len(mailoutbox) == 1
    row = WeeklyProgressEmail.objects.get()
    assert (row.user_id, row.week_start, row.status) == (learner.pk, last_week_start(), WeeklyProgressEmail.Status.SENT)
    assert row.claimed_at is not None and row.sent_at is not None and row.error == ""


def test_the_next_week_brings_the_next_email(learner, mailoutbox):
    now = timezone.now()
    weekly_email.weekly_email_send_due(now=now)
    weekly_email.weekly_email_send_due(now=now + timedelta(days=7))
    weekly_email.weekly_email_send_due(now=now + timedelta(days=7, hours=1))
    assert len(mailoutbox) == 2
    starts = sorted(WeeklyProgressEmail.objects.values_list("week_start", flat=True))
    assert starts == [last_week_start(), last_week_start() + timedelta(days=7)]


def test_a_week_another_run_has_claimed_is_not_sent_again(learner, mailoutbox):
    WeeklyProgressEmail.objects.create(user=learner, week_start=last_week_start(), claimed_at=timezone.now())
    assert weekly_email.weekly_email_send_due() == 0
    assert mailoutbox == []


def test_a_failed_send_is_recorded_and_the_next_run_sends_it_once(learner, mailoutbox, monkeypatch):
    def broken(message, fail_silently=False):
        raise ConnectionRefusedError("smtp down")

    with monkeypatch.context() as patch:
        patch.setattr("django.core.mail.EmailMultiAlternatives.send", broken)
        assert weekly_email.weekly_email_send_due() == 0
    row = WeeklyProgressEmail.objects.get()
    assert row.status == WeeklyProgressEmail.Status.FAILED and "smtp down" in row.error and row.claimed_at is None
    assert weekly_email.weekly_email_send_due() == 1
    assert weekly_email.weekly_email_send_due() == 0
    assert len(mailoutbox) == 1
    assert WeeklyProgressEmail.objects.get().status == WeeklyProgressEmail.Status.SENT


def test_opted_out_inactive_and_addressless_users_get_no_email(lessons, mailoutbox):
    quiet = UserFactory(email="quiet@example.com")  # never opted in
    gone = opted_in(email="gone@example.com")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    nowhere = opted_in(email="")
    for user in (quiet, gone, nowhere):
        completed(user, lessons[0], day=last_week_start(), minutes=30)
    assert weekly_email.weekly_email_send_due() == 0
    assert mailoutbox == []
    assert not WeeklyProgressEmail.objects.exists()


# --- content ----------------------------------------------------------------------------------

def test_the_email_has_the_learners_week_streak_goal_next_lessons_and_dashboard_link(learner, mailoutbox):
    weekly_email.weekly_email_send_due()
    [message] = mailoutbox
    monday = last_week_start()
    assert message.to == [learner.email] and message.cc == [] and message.bcc == []
    assert message.subject == (f"Your week in Control Panel: 2 lessons, 35 min "
                               f"({monday:%-d %b} – {monday + timedelta(days=6):%-d %b %Y})")
    text, html = message.body, html_of(message)
    assert "Hello Inês," in text and "Hello Inês, here is your week" in html
    assert "- Lessons completed: 2" in text
    assert "- Minutes of practice: 35" in text
    assert "- Daily goal (20 min) met on 1 of 7 days" in text
    assert f"  {monday:%a %-d %b}: 1 lesson, 25 min (goal met)" in text
    assert "- Current streak: 2 days" in text and "- Best streak: 5 days" in text
    assert "- 2 of 6 lessons completed" in text
    upcoming = lesson_recommendations(user=learner, limit=3)
    assert upcoming, "the learner has lessons within reach"
    for item in upcoming:
        url = f"https://panel.example.com/lessons/{item.lesson.slug}/"
        assert item.lesson.title in text and url in text
        assert item.lesson.title in html and f'href="{url}"' in html
    assert "Weekly lesson 0" not in text.split("What to do next", 1)[1]  # done already, not suggested
    assert "Your dashboard: https://panel.example.com/home/" in text
    assert 'href="https://panel.example.com/home/"' in html


def test_the_email_holds_only_the_recipients_own_progress(learner, lessons, mailoutbox):
    other = UserFactory(username="zebulon", first_name="Zebulon", email="zebulon@example.com")
    for lesson in lessons[:5]:
        completed(other, lesson, day=last_week_start() + timedelta(days=1), minutes=50)
    weekly_email.weekly_email_send_due()
    [message] = mailoutbox
    everything = message.subject + message.body + html_of(message) + repr(message.extra_headers)
    assert "zebulon" not in everything.lower()
    assert "- Lessons completed: 2" in message.body


def test_the_list_unsubscribe_header_offers_one_click(learner, mailoutbox):
    weekly_email.weekly_email_send_due()
    [message] = mailoutbox
    header = message.extra_headers["List-Unsubscribe"]
    assert header.startswith("<https://panel.example.com/email/unsubscribe/") and header.endswith("/>")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = header[1:-1]
    assert link in message.body and link in html_of(message)
    assert "List-Unsubscribe" in message.message().as_string()


def test_the_week_is_the_last_one_over_in_the_learners_time_zone():
    monday_10_utc = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
    week = weekly_email.last_finished_week
    assert week(now=monday_10_utc, zone=ZoneInfo("Europe/Lisbon")).isoformat() == "2026-03-09"
    assert week(now=monday_10_utc, zone=ZoneInfo("Pacific/Honolulu")).isoformat() == "2026-03-09"  # Monday 00:00
    assert week(now=monday_10_utc, zone=ZoneInfo("Pacific/Kiritimati")).isoformat() == "2026-03-09"  # Tuesday
    assert week(now=monday_10_utc, zone=ZoneInfo("Pacific/Pago_Pago")).isoformat() == "2026-03-02"  # still Sunday


# --- unsubscribe ------------------------------------------------------------------------------

def unsubscribe_path(user) -> str:
    return weekly_email.unsubscribe_url(user=user).removeprefix("https://panel.example.com")


def prefers_email(user) -> bool:
    return UserPreferences.objects.get(user=user).weekly_progress_email


def test_the_signed_link_unsubscribes_without_signing_in(learner):
    client = Client(enforce_csrf_checks=True)
    path = unsubscribe_path(learner)
    page = client.get(path)
    html = page.content.decode()
    assert page.status_code == 200 and "Stop the weekly progress e-mail?" in html
    assert '<button type="submit" class="button">Unsubscribe</button>' in html
    assert learner.email not in html and learner.username not in html
    assert_clean_html(html)
    assert prefers_email(learner) is True  # looking at the page changes nothing
    done = client.post(path)
    assert done.status_code == 200 and "You are unsubscribed" in done.content.decode()
    assert_clean_html(done.content.decode())
    assert prefers_email(learner) is False
    assert client.post(path).status_code == 200  # a second click is harmless


def test_a_mail_clients_one_click_post_unsubscribes(learner, mailoutbox):
    client = Client(enforce_csrf_checks=True)
    response = client.post(unsubscribe_path(learner), data="List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert prefers_email(learner) is False
    assert weekly_email.weekly_email_send_due() == 0 and mailoutbox == []


def test_the_link_in_the_sent_email_works(learner, mailoutbox):
    weekly_email.weekly_email_send_due()
    link = mailoutbox[0].extra_headers["List-Unsubscribe"][1:-1]
    assert Client().post(link.removeprefix("https://panel.example.com")).status_code == 200
    assert prefers_email(learner) is False


def swapped_payload(user) -> str:
    """Another account's id with this account's signature."""
    theirs = signing.dumps({"u": user.pk + 1}, salt=weekly_email.UNSUBSCRIBE_SALT)
    mine = weekly_email.unsubscribe_token(user=user)
    return theirs.split(":", 1)[0] + ":" + mine.split(":", 1)[1]


@pytest.mark.parametrize("forge", [
    lambda user: signing.dumps({"u": user.pk}, salt="some.other.purpose"),
    lambda user: signing.dumps({"u": user.pk}, salt=weekly_email.UNSUBSCRIBE_SALT, key="not-our-secret-key-" * 3),
    lambda user: weekly_email.unsubscribe_token(user=user)[:-2] + "xx",
    lambda user: swapped_payload(user),
    lambda user: signing.dumps({"u": str(user.pk)}, salt=weekly_email.UNSUBSCRIBE_SALT),
    lambda user: "not-a-token",
])
def test_a_forged_or_damaged_token_is_refused_with_400(learner, forge):
    client = Client()
    path = f"/email/unsubscribe/{forge(learner)}/"
    for response in (client.get(path), client.post(path), client.post(path, data="List-Unsubscribe=One-Click",
                                                                         content_type="application/x-www-form-urlencoded")):
        assert response.status_code == 400
        html = response.content.decode()
        assert "This link is not valid" in html and "Unsubscribe</button>" not in html
        assert_clean_html(html)
    assert prefers_email(learner) is True


def test_a_token_for_a_deleted_account_is_refused(learner):
    path = unsubscribe_path(learner)
    learner.delete()
    assert Client().get(path).status_code == 400


def test_the_service_refuses_a_bad_token():
    with pytest.raises(weekly_email.InvalidUnsubscribeLink):
        weekly_email.weekly_email_unsubscribe(token="garbage")
