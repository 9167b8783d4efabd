"""Writes of the progress app: category progress, its history, streaks and achievements.

Invariants kept here and nowhere else: ``0 <= progress <= total_lessons`` (also a database
constraint), exactly one ``ProgressEvent`` per change of a learner's category progress (or per
first completion of a lesson), written in the same transaction as the change.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Least
from django.utils import timezone

from controlpanel.api.exceptions import ApplicationError, NotFoundError
from lessons.models import Category, Lesson, LessonProgress
from progress.models import Achievement, LearningStreak, ProgressEvent, UserAchievement, UserProgress
from progress.selectors import published_totals, user_time_zone

logger = logging.getLogger(__name__)


class CategoryNotFound(NotFoundError):
    code = "category_not_found"
    message = "No such category."


class ProgressOutOfRange(ApplicationError):
    code = "progress_out_of_range"
    message = "Progress must be between 0 and the category's number of lessons."


def _locked_row(*, user, category: Category) -> UserProgress:
    """The learner's row for ``category``, locked for this transaction (created at 0 if missing)."""
    row, _ = UserProgress.objects.select_for_update().get_or_create(
        user=user, category=category,
        defaults={"total_lessons": published_totals().get(category.pk, 0)},
    )
    return row


@transaction.atomic
def progress_record_lesson(*, user, lesson: Lesson, at: datetime | None = None) -> ProgressEvent:
    """Count one newly completed lesson: category progress +1 (never past its total), one event.

    Called once per first completion, inside ``lesson_complete``'s transaction. When the
    category is already full (e.g. set by hand), progress stays and the event still records the
    completion, with ``previous == new``.
    """
    now = at or timezone.now()
    row = _locked_row(user=user, category=lesson.category)
    previous = row.progress
    UserProgress.objects.filter(pk=row.pk).update(
        progress=Least(F("progress") + 1, F("total_lessons")), last_updated=now
    )
    row.refresh_from_db(fields=["progress", "total_lessons", "last_updated"])
    event = ProgressEvent.objects.create(
        user=user, category=lesson.category, previous=previous, new=row.progress,
        source=ProgressEvent.Source.LESSON, lesson=lesson, created_at=now,
    )
    streak_record_activity(user=user, at=now)
    return event


@transaction.atomic
def progress_set(*, user, category: Category, progress: int, at: datetime | None = None) -> UserProgress:
    """Set the learner's progress in ``category`` by hand (0..total); one event when it changes."""
    now = at or timezone.now()
    row = _locked_row(user=user, category=category)
    if isinstance(progress, bool) or not isinstance(progress, int) or not 0 <= progress <= row.total_lessons:
        raise ProgressOutOfRange(
            f"Progress in {category.name} must be between 0 and {row.total_lessons}.",
            details={"progress": [f"Must be an integer from 0 to {row.total_lessons}."]},
        )
    if progress != row.progress:
        ProgressEvent.objects.create(user=user, category=category, previous=row.progress, new=progress,
                                     source=ProgressEvent.Source.MANUAL, created_at=now)
        UserProgress.objects.filter(pk=row.pk).update(progress=progress, last_updated=now)
        row.progress, row.last_updated = progress, now
        schedule_achievements(user=user, at=at)
    return row


@transaction.atomic
def progress_sync_totals() -> int:
    """Align every learner's ``total_lessons`` with the published lesson count of its category.

    Runs when the catalog changes (``lessons_changed``). A shrinking category lowers progress
    that would exceed the new total, with one SYSTEM event per lowered row. Returns the number
    of rows changed; costs O(categories) queries when nothing is out of line.
    """
    totals = published_totals()
    now = timezone.now()
    changed = 0
    for category_id in Category.objects.values_list("pk", flat=True):
        total = totals.get(category_id, 0)
        stale = UserProgress.objects.filter(category_id=category_id).exclude(total_lessons=total)
        over = list(stale.filter(progress__gt=total).select_for_update().values_list("pk", "user_id", "progress"))
        if over:
            ProgressEvent.objects.bulk_create(
                ProgressEvent(user_id=user_id, category_id=category_id, previous=progress, new=total,
                              source=ProgressEvent.Source.SYSTEM, created_at=now)
                for _, user_id, progress in over
            )
            UserProgress.objects.filter(pk__in=[pk for pk, _, _ in over]).update(
                progress=total, total_lessons=total, last_updated=now
            )
        changed += len(over) + stale.update(total_lessons=total)
    return changed


# --- streaks ---------------------------------------------------------------------------------

def _recount_streak(*, user, zone) -> tuple[int, int, date | None]:
    """(current run, best run, last day) from the learner's completion days; O(history)."""
    moments = LessonProgress.objects.filter(user=user, completed_at__isnull=False).values_list("completed_at", flat=True)
    days = sorted({moment.astimezone(zone).date() for moment in moments})
    best = run = 0
    previous = None
    for day in days:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        best = max(best, run)
        previous = day
    return run, best, previous


@transaction.atomic
def streak_record_activity(*, user, at: datetime) -> LearningStreak:
    """Count ``at``'s local day as active; O(1) for activity in time order.

    A day earlier than the last one recorded (only backdated writes do that) recounts the
    streak from the completion history instead.
    """
    zone = user_time_zone(user)
    day = at.astimezone(zone).date()
    streak, _ = LearningStreak.objects.select_for_update().get_or_create(user=user)
    if streak.last_day is None or day - streak.last_day > timedelta(days=1):
        streak.current = 1
    elif day - streak.last_day == timedelta(days=1):
        streak.current += 1
    elif day < streak.last_day:
        streak.current, best, streak.last_day = _recount_streak(user=user, zone=zone)
        streak.best = max(best, streak.current)
        streak.save()
        return streak
    streak.last_day = max(day, streak.last_day or day)
    streak.best = max(streak.best, streak.current)
    streak.save()
    return streak


# --- achievements ----------------------------------------------------------------------------

def _earned_codes(*, user) -> set[str]:
    """Codes of every achievement whose rule the learner meets now."""
    figures = LessonProgress.objects.filter(user=user, status=LessonProgress.Status.COMPLETED).aggregate(
        done=Count("pk"),
        categories=Count("lesson__category", distinct=True),
        perfect=Count("pk", filter=Q(score=1)),
        stretch=Count("pk", filter=Q(lesson__difficulty=5)),
    )
    best = LearningStreak.objects.filter(user=user).values_list("best", flat=True).first() or 0
    full = UserProgress.objects.filter(user=user, total_lessons__gt=0, progress=F("total_lessons")).exists()
    categories = Category.objects.filter(lessons__is_published=True).distinct().count()
    rules = {
        "first-lesson": figures["done"] >= 1,
        "five-lessons": figures["done"] >= 5,
        "ten-lessons": figures["done"] >= 10,
        "perfect-score": figures["perfect"] >= 1,
        "streak-3": best >= 3,
        "streak-7": best >= 7,
        "category-complete": full,
        "explorer": categories > 0 and figures["categories"] >= categories,
        "stretch": figures["stretch"] >= 1,
    }
    return {code for code, met in rules.items() if met}


@transaction.atomic
def achievements_award(*, user, at: datetime | None = None) -> list[UserAchievement]:
    """Award every achievement the learner has earned and not yet received; each only once."""
    earned = _earned_codes(user=user)
    have = set(UserAchievement.objects.filter(user=user).values_list("achievement__code", flat=True))
    missing = list(Achievement.objects.filter(code__in=earned - have))
    if not missing:
        return []
    awards = [UserAchievement(user=user, achievement=a, awarded_at=at or timezone.now()) for a in missing]
    UserAchievement.objects.bulk_create(awards, ignore_conflicts=True)  # a concurrent run may win: fine
    return awards


def _enqueue_awards(user_id: int) -> None:
    from progress.tasks import award_achievements_task

    try:
        award_achievements_task.delay(user_id=user_id)
    except Exception:  # a broker outage must not fail a request whose data is already committed
        logger.warning("could not enqueue achievements for user %s", user_id, exc_info=True)


def schedule_achievements(*, user, at: datetime | None = None) -> None:
    """Evaluate achievements after this transaction commits, in a Celery task.

    Backdated writes (``at`` given: the demo seed) award achievements themselves, with dates.
    """
    if at is None:
        transaction.on_commit(lambda: _enqueue_awards(user.pk))

