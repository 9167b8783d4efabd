"""The learner's weekly progress e-mail: their own digest (a read), sending it once per learner
and week, and the one-click unsubscribe behind its signed link.

Week: an ISO week, Monday to Sunday, in the learner's own time zone (their preferences, the
zone every progress figure already counts days in). A run sends each opted-in learner the last
week that has fully ended in their zone at that moment. The beat runs it on Mondays at 10:00
(REPORT_TIME_ZONE, UTC by default), when Sunday is over in every inhabited zone except
UTC-11 and UTC-12, whose learners get the week before: still exactly one e-mail a week.

Exactly once: one WeeklyProgressEmail row per learner and week (a unique constraint), created
and then claimed by a conditional update (``claimed_at`` still empty) before anything is sent,
so of duplicated or replayed runs exactly one sends. A failed send releases its claim for a
later run; a claim whose worker died mid-send stays taken (never twice, at worst not at all).

Only the recipient's own data goes into their e-mail: the digest is built from selectors
scoped to that one user.

Unsubscribe: the link carries the user id signed with SECRET_KEY under a salt of its own
(``django.core.signing``). It does not expire: an unsubscribe link in an old e-mail must keep
working, and all it can do is switch the e-mail off.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User, UserPreferences
from controlpanel.errors import ApplicationError
from lessons.selectors import lesson_recommendations
from progress.models import WeeklyProgressEmail
from progress.selectors import activity_by_day, daily_goal_minutes, progress_summary, user_time_zone

logger = logging.getLogger("controlpanel.progress")

UNSUBSCRIBE_SALT = "progress.weekly_email.unsubscribe"
NEXT_LESSONS = 3


class InvalidUnsubscribeLink(ApplicationError):
    code = "invalid_unsubscribe_link"
    message = "This unsubscribe link is not valid. Open the link from the e-mail itself, or change it on your account page."


# --- reads -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class DigestDay:
    day: date
    lessons_completed: int
    minutes: int
    goal_met: bool


@dataclass(frozen=True)
class NextLesson:
    title: str
    url: str
    reasons: list[str]


@dataclass(frozen=True)
class WeeklyDigest:
    """One learner's week, and nobody else's: what their weekly e-mail shows."""

    user_id: int
    name: str
    email: str
    time_zone: str
    week_start: date  # Monday
    week_end: date  # Sunday (the last day, included)
    days: list[DigestDay]
    lessons_completed: int
    minutes: int
    active_days: int
    daily_goal_minutes: int
    goal_days_met: int
    current_streak: int
    best_streak: int
    lessons_completed_total: int
    lessons_total: int
    overall_percent: float
    next_lessons: list[NextLesson]
    dashboard_url: str
    account_url: str
    unsubscribe_url: str


def absolute_url(path: str) -> str:
    """``path`` under SITE_URL, for links that leave the site (e-mails)."""
    return f"{settings.SITE_URL}{path}"


def last_finished_week(*, now: datetime, zone) -> date:
    """The Monday of the last ISO week that has fully ended in ``zone`` at ``now``."""
    today = now.astimezone(zone).date()
    return today - timedelta(days=today.weekday() + 7)


def unsubscribe_token(*, user: User) -> str:
    return signing.dumps({"u": user.pk}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(*, user: User) -> str:
    return absolute_url(reverse("weekly-email-unsubscribe", kwargs={"token": unsubscribe_token(user=user)}))


def unsubscribe_user(*, token: str) -> User | None:
    """The user an unsubscribe token was signed for; None when it is forged, garbled or stale."""
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    user_id = payload.get("u") if isinstance(payload, dict) else None
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        return None
    return User.objects.filter(pk=user_id).first()


def weekly_digest(*, user: User, week_start: date) -> WeeklyDigest:
    """``user``'s week from Monday ``week_start`` (their time zone), with their progress now.

    Lessons and minutes per day come from ``activity_by_day``; streaks, overall progress and
    the next lessons are as they stand when the digest is built.
    """
    zone = user_time_zone(user=user)
    week_end = week_start + timedelta(days=6)
    today = timezone.now().astimezone(zone).date()
    reach = max(7, (today - week_start).days + 1)
    activity = {d.day: d for d in activity_by_day(user=user, days=reach) if week_start <= d.day <= week_end}
    goal = daily_goal_minutes(user=user)
    days = []
    for offset in range(7):
        day = week_start + timedelta(days=offset)
        found = activity.get(day)
        lessons, minutes = (found.lessons_completed, found.minutes) if found else (0, 0)
        days.append(DigestDay(day=day, lessons_completed=lessons, minutes=minutes, goal_met=minutes >= goal))
    summary = progress_summary(user=user)
    next_lessons = [
        NextLesson(title=item.lesson.title, reasons=list(item.reasons),
                   url=absolute_url(reverse("lessons:detail", kwargs={"slug": item.lesson.slug})))
        for item in lesson_recommendations(user=user, limit=NEXT_LESSONS)[:NEXT_LESSONS]
    ]
    return WeeklyDigest(
        user_id=user.pk,
        name=user.first_name or user.username,
        email=user.email,
        time_zone=str(zone),
        week_start=week_start,
        week_end=week_end,
        days=days,
        lessons_completed=sum(d.lessons_completed for d in days),
        minutes=sum(d.minutes for d in days),
        active_days=sum(1 for d in days if d.lessons_completed or d.minutes),
        daily_goal_minutes=goal,
        goal_days_met=sum(1 for d in days if d.goal_met),
        current_streak=summary.current_streak,
        best_streak=summary.best_streak,
        lessons_completed_total=summary.lessons_completed,
        lessons_total=summary.lessons_total,
        overall_percent=summary.overall_percent,
        next_lessons=next_lessons,
        dashboard_url=absolute_url(reverse("home")),
        account_url=absolute_url(reverse("accounts:profile")),
        unsubscribe_url=unsubscribe_url(user=user),
    )


def weekly_email_recipients():
    """Active users who opted in and have an e-mail address."""
    return (User.objects.filter(is_active=True, preferences__weekly_progress_email=True, email_verified_at__isnull=False)
            .exclude(email="").select_related("preferences").order_by("pk"))


def weekly_email_message(digest: WeeklyDigest) -> EmailMultiAlternatives:
    """The multipart e-mail of one digest, to its own learner only, with one-click unsubscribe."""
    context = {"digest": digest}
    subject = " ".join(render_to_string("progress/email/weekly_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("progress/email/weekly.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[digest.email],
        headers={
            "List-Unsubscribe": f"<{digest.unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",  # RFC 8058
        },
    )
    message.attach_alternative(render_to_string("progress/email/weekly.html", context), "text/html")
    return message


# --- writes ----------------------------------------------------------------------------------

def _claim(*, user: User, week_start: date) -> WeeklyProgressEmail | None:
    """This learner's row for the week, claimed by this run; None when another run has it."""
    row, _ = WeeklyProgressEmail.objects.get_or_create(user=user, week_start=week_start)
    claimed = WeeklyProgressEmail.objects.filter(
        pk=row.pk, claimed_at__isnull=True,
        status__in=[WeeklyProgressEmail.Status.PENDING, WeeklyProgressEmail.Status.FAILED],
    ).update(claimed_at=timezone.now(), status=WeeklyProgressEmail.Status.PENDING)
    return row if claimed else None


def _still_wanted(user: User) -> bool:
    return User.objects.filter(pk=user.pk, is_active=True, preferences__weekly_progress_email=True).exclude(
        email="").exists()


def _send_one(*, user: User, week_start: date) -> bool:
    """Claim, build and send one learner's e-mail for the week; record the outcome."""
    row = _claim(user=user, week_start=week_start)
    if row is None:
        return False
    rows = WeeklyProgressEmail.objects.filter(pk=row.pk)
    if not _still_wanted(user):  # unsubscribed or deactivated since the run began
        rows.update(status=WeeklyProgressEmail.Status.SKIPPED, error="no longer opted in")
        return False
    try:
        weekly_email_message(weekly_digest(user=user, week_start=week_start)).send(fail_silently=False)
    except Exception as exc:  # SMTP, socket or a digest that could not be built: retried by a later run
        logger.warning("weekly progress e-mail failed", extra={"user_id": user.pk, "error": type(exc).__name__})
        rows.update(status=WeeklyProgressEmail.Status.FAILED, claimed_at=None, error=f"{type(exc).__name__}: {exc}"[:500])
        return False
    rows.update(status=WeeklyProgressEmail.Status.SENT, sent_at=timezone.now(), error="")
    return True


def weekly_email_send_due(*, now: datetime | None = None) -> int:
    """Send each opted-in learner their last finished week's e-mail, once; returns how many went out.

    Idempotent: a learner whose e-mail for that week was sent (or is being sent by another
    run) is passed over, so running it twice sends nothing more.
    """
    now = now or timezone.now()
    sent = 0
    for user in weekly_email_recipients().iterator(chunk_size=200):
        week_start = last_finished_week(now=now, zone=user_time_zone(user=user))
        sent += _send_one(user=user, week_start=week_start)
    logger.info("weekly progress e-mails sent", extra={"sent": sent})
    return sent


def weekly_email_unsubscribe(*, token: str) -> User:
    """Switch the weekly progress e-mail off for the user the signed ``token`` names."""
    user = unsubscribe_user(token=token)
    if user is None:
        raise InvalidUnsubscribeLink()
    UserPreferences.objects.filter(user=user).update(weekly_progress_email=False, updated_at=timezone.now())
    return user
