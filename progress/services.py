"""Writes of the progress app: the lesson-completion use case, self-paced markers, streaks, badges.

The completion use case lives here, in the app that may import both ``lessons`` (whose rows
it writes) and the progress records it keeps: start a lesson, answer a check, complete it.

One truth: category progress is never stored. "N of M lessons" is counted from completions
(``LessonProgress.objects.counted()``), so nothing here can make two views disagree. What a
learner sets by hand is a separate self-paced marker (``UserProgress.marked``).

Invariants kept here and nowhere else: a lesson's first completion happens once, whatever the
retries or races, with exactly one ``ProgressEvent`` in the same transaction; a completion
needs an answer to every check; the score of record is never replaced by a retry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from accounts.models import User
from controlpanel.errors import ApplicationError, NotFoundError
from lessons.models import Category, Lesson, LessonCheck, LessonProgress
from progress.models import Achievement, LearningStreak, ProgressEvent, UserAchievement, UserProgress
from progress.selectors import counted_in_category, published_totals, user_time_zone

logger = logging.getLogger(__name__)

# Time spent on a lesson is measured from its start, but an open tab left overnight is not
# practice: it is capped at this many times the lesson's announced minutes.
TIME_SPENT_CAP_FACTOR = 3


class CategoryNotFound(NotFoundError):
    code = "category_not_found"
    message = "No such category."


class ProgressOutOfRange(ApplicationError):
    code = "progress_out_of_range"
    message = "Progress must be between 0 and the category's number of lessons."


class InvalidAnswers(ApplicationError):
    code = "invalid_answers"
    message = "The answers do not match the lesson's checks."


class CheckNotFound(NotFoundError):
    code = "check_not_found"
    message = "This lesson has no such check."


# --- the lesson-completion use case ----------------------------------------------------------

@dataclass(frozen=True)
class CheckResult:
    """One check after the learner answered it: shown only for checks they have attempted."""

    order: int
    question: str
    choices: list[str]
    your_answer: int
    correct_answer: int
    is_correct: bool
    first_answer: int
    first_try_correct: bool
    explanation: str


@dataclass(frozen=True)
class LessonCompletion:
    """What a learner gets back after completing a lesson (or retrying its checks)."""

    lesson: Lesson
    record: LessonProgress
    newly_completed: bool
    score: float | None  # this attempt's share of right answers
    results: list[CheckResult]

    @property
    def score_of_record(self) -> float | None:
        return self.record.score

    @property
    def best_score(self) -> float | None:
        return self.record.best_score


def _locked_record(*, user: User, lesson: Lesson) -> LessonProgress:
    """The learner's row for ``lesson``, locked until the transaction ends (created if missing).

    On PostgreSQL a concurrent creator makes get_or_create fall back to a locking read that
    waits for the other transaction and then sees its committed row; on SQLite IMMEDIATE
    transactions serialize writers outright.
    """
    record, _ = LessonProgress.objects.select_for_update().get_or_create(user=user, lesson=lesson)
    return record


def _mark_started(record: LessonProgress, now: datetime) -> None:
    if record.status == LessonProgress.Status.NOT_STARTED:
        LessonProgress.objects.filter(pk=record.pk).update(status=LessonProgress.Status.IN_PROGRESS, started_at=now,
                                                           updated_at=now)
        record.status, record.started_at, record.updated_at = LessonProgress.Status.IN_PROGRESS, now, now


@transaction.atomic
def lesson_start(*, user: User, lesson: Lesson, at: datetime | None = None) -> LessonProgress:
    """Mark ``lesson`` in progress for ``user``; starting again, or after completion, changes nothing."""
    record = _locked_record(user=user, lesson=lesson)
    _mark_started(record, at or timezone.now())
    return record


def _valid_choice(check: LessonCheck, answer) -> bool:
    return not isinstance(answer, bool) and isinstance(answer, int) and 0 <= answer < len(check.choices)


def _check_answers(checks: list[LessonCheck], answers: list[int] | None) -> list[int]:
    """The answers, one valid choice per check, or InvalidAnswers saying what is missing."""
    if answers is None or len(answers) != len(checks):
        got = "none" if answers is None else len(answers)
        raise InvalidAnswers(
            f"Answer every check to complete this lesson: it has {len(checks)} check(s).",
            details={"answers": [f"Expected {len(checks)} answer(s), one per check in order; got {got}."]},
        )
    problems = {str(i): f"Choose 0-{len(check.choices) - 1}."
                for i, (check, answer) in enumerate(zip(checks, answers, strict=True)) if not _valid_choice(check, answer)}
    if problems:
        raise InvalidAnswers("Some answers are not a choice of their check.", details={"answers": problems})
    return list(answers)


def share_right(*, checks: list[LessonCheck], answers: list[int]) -> float | None:
    """Share of ``checks`` answered right by ``answers`` (0..1), None for a lesson without checks."""
    if not checks:
        return None
    right = sum(1 for check, answer in zip(checks, answers, strict=True) if check.answer == answer)
    return round(right / len(checks), 4)


def _time_spent(*, lesson: Lesson, started_at: datetime | None, now: datetime) -> int:
    announced = lesson.minutes * 60
    if started_at is None or started_at > now:
        return announced
    return int(min((now - started_at).total_seconds(), announced * TIME_SPENT_CAP_FACTOR))


@dataclass(frozen=True)
class CheckFeedback:
    """The answer to one instant check. ``first_try`` is False once the check had an answer before."""

    order: int
    choice: int
    correct: bool
    answer: int
    answer_text: str
    explanation: str
    first_try: bool


@transaction.atomic
def lesson_check_answer(*, user: User, lesson: Lesson, order: int, choice: int,
                        at: datetime | None = None) -> CheckFeedback:
    """Check one answer before completing: an attempt like any other.

    The first answer the learner ever gives to a check is kept as that check's first try (it
    is what the score of record counts); the right answer is revealed, so later answers to
    the same check no longer count as a first try. Starts the lesson if it was not started.
    """
    check = next((c for c in lesson.checks.all() if c.order == order), None)
    if check is None:
        raise CheckNotFound(details={"order": order})
    if not _valid_choice(check, choice):
        raise InvalidAnswers("Choose one of the answers.", code="invalid_choice",
                             details={"choice": [f"Choose 0-{len(check.choices) - 1}."]})
    record = _locked_record(user=user, lesson=lesson)
    now = at or timezone.now()
    _mark_started(record, now)
    key = str(order)
    first_try = key not in record.first_answers
    if first_try:
        record.first_answers = {**record.first_answers, key: choice}
        LessonProgress.objects.filter(pk=record.pk).update(first_answers=record.first_answers, updated_at=now)
    return CheckFeedback(order=order, choice=choice, correct=choice == check.answer, answer=check.answer,
                         answer_text=check.choices[check.answer], explanation=check.explanation, first_try=first_try)


@transaction.atomic
def lesson_complete(*, user: User, lesson: Lesson, answers: list[int] | None,
                    at: datetime | None = None) -> LessonCompletion:
    """Complete ``lesson`` for ``user`` with ``answers`` (one choice index per check, in order).

    Every check needs an answer. The first completion counts once, whatever the retries or
    races: the row is locked, the status flips once, the category's history event and the
    streak are written once, all in this transaction. Its score is the score of record: each
    check counts the learner's first answer to it (an earlier instant check included), so
    checking an answer and then picking the revealed one does not make a first try. Completing
    again is a retry: it counts an attempt and may raise the best score (and reach mastery),
    never the score of record, progress or history. ``at`` backdates the write (demo seed only).
    """
    checks = list(lesson.checks.all())
    answers = _check_answers(checks, answers) if checks else []
    now = at or timezone.now()
    record = _locked_record(user=user, lesson=lesson)
    newly_completed = record.status != LessonProgress.Status.COMPLETED
    if newly_completed:
        # One learner's first completions queue here, so each history event counts the
        # completions committed before it (two lessons completed at once: 0→1, then 1→2).
        _locked_streak(user=user)
    first_answers = {**{str(c.order): a for c, a in zip(checks, answers, strict=True)}, **record.first_answers}
    attempt_score = share_right(checks=checks, answers=answers)
    changes: dict = {"updated_at": now, "last_answers": answers, "first_answers": first_answers}
    if newly_completed:
        of_record = share_right(checks=checks, answers=[first_answers[str(c.order)] for c in checks])
        changes.update(
            status=LessonProgress.Status.COMPLETED,
            started_at=record.started_at or now,
            completed_at=now,
            time_spent_seconds=_time_spent(lesson=lesson, started_at=record.started_at, now=now),
            score=of_record,
            best_score=1.0 if of_record is None else of_record,
        )
    elif attempt_score is not None and (record.best_score is None or attempt_score > record.best_score):
        changes["best_score"] = attempt_score
    LessonProgress.objects.filter(pk=record.pk).update(attempts=F("attempts") + 1, **changes)
    record.refresh_from_db()
    if newly_completed:
        _record_first_completion(user=user, lesson=lesson, at=now)
    schedule_achievements(user=user)
    results = [
        CheckResult(order=check.order, question=check.question, choices=list(check.choices), your_answer=answer,
                    correct_answer=check.answer, is_correct=answer == check.answer,
                    first_answer=first_answers[str(check.order)],
                    first_try_correct=first_answers[str(check.order)] == check.answer, explanation=check.explanation)
        for check, answer in zip(checks, answers, strict=True)
    ]
    return LessonCompletion(lesson=lesson, record=record, newly_completed=newly_completed, score=attempt_score,
                            results=results)


def _record_first_completion(*, user: User, lesson: Lesson, at: datetime) -> ProgressEvent:
    """The history event of a first completion (counted completions before → after) and the streak."""
    after = counted_in_category(user=user, category_id=lesson.category_id)
    before = after - 1 if lesson.is_published else after
    event = ProgressEvent.objects.create(
        user=user, category_id=lesson.category_id, previous=before, new=after,
        source=ProgressEvent.Source.LESSON, lesson=lesson, created_at=at,
    )
    streak_record_activity(user=user, at=at)
    return event


# --- the self-paced marker -----------------------------------------------------------------

@dataclass(frozen=True)
class MarkerUpdate:
    category: Category
    marked: int


def _validated_marker(*, category: Category, marked, totals: dict[int, int]) -> int:
    total = totals.get(category.pk, 0)
    if isinstance(marked, bool) or not isinstance(marked, int) or not 0 <= marked <= total:
        raise ProgressOutOfRange(
            f"Progress in {category.name} must be between 0 and {total}.",
            details={"progress": [f"Must be an integer from 0 to {total}."]},
        )
    return marked


def _write_marker(*, user: User, category: Category, marked: int, now: datetime) -> None:
    row, created = UserProgress.objects.select_for_update().get_or_create(
        user=user, category=category, defaults={"marked": marked, "last_updated": now})
    previous = None if created else row.marked
    if previous != marked:
        ProgressEvent.objects.create(user=user, category=category, previous=previous or 0, new=marked,
                                     source=ProgressEvent.Source.MANUAL, created_at=now)
        if not created:
            UserProgress.objects.filter(pk=row.pk).update(marked=marked, last_updated=now)


@transaction.atomic
def progress_mark(*, user: User, category: Category, marked: int, at: datetime | None = None) -> None:
    """Set the learner's self-paced marker in ``category`` (0..published lessons); one event when it changes.

    The marker says "I have done this many lessons of this category outside the product". It
    is shown beside the counted progress, never instead of it: it completes no lesson, awards
    no badge and moves no figure that counts completions.
    """
    marked = _validated_marker(category=category, marked=marked, totals=published_totals())
    _write_marker(user=user, category=category, marked=marked, now=at or timezone.now())


@transaction.atomic
def progress_mark_many(*, user: User, updates: list[MarkerUpdate], at: datetime | None = None) -> None:
    """Set several markers at once, all or nothing: one invalid value changes none of them."""
    totals = published_totals()
    problems = {}
    for update in updates:
        try:
            _validated_marker(category=update.category, marked=update.marked, totals=totals)
        except ProgressOutOfRange as exc:
            problems[update.category.slug] = exc.details["progress"]
    if problems:
        raise ProgressOutOfRange("Nothing was changed: some values are out of range.", details=problems)
    now = at or timezone.now()
    for update in updates:
        _write_marker(user=user, category=update.category, marked=update.marked, now=now)


# --- streaks ---------------------------------------------------------------------------------

def _recount_streak(*, user: User, zone) -> tuple[int, int, date | None]:
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


def _locked_streak(*, user: User) -> LearningStreak:
    streak, _ = LearningStreak.objects.select_for_update().get_or_create(user=user)
    return streak


@transaction.atomic
def streak_record_activity(*, user: User, at: datetime) -> LearningStreak:
    """Count ``at``'s local day as active; O(1) for activity in time order.

    A day earlier than the last one recorded (only backdated writes do that) recounts the
    streak from the completion history instead.
    """
    zone = user_time_zone(user=user)
    day = at.astimezone(zone).date()
    streak = _locked_streak(user=user)
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

def _earned_codes(*, user: User) -> set[str]:
    """Codes of every achievement whose rule the learner meets now."""
    figures = LessonProgress.objects.filter(user=user, status=LessonProgress.Status.COMPLETED).aggregate(
        done=Count("pk"),
        categories=Count("lesson__category", distinct=True),
        perfect=Count("pk", filter=Q(score=1)),  # the score of record: a genuine first try
        stretch=Count("pk", filter=Q(lesson__difficulty=5)),
    )
    best = LearningStreak.objects.filter(user=user).values_list("best", flat=True).first() or 0
    totals = published_totals()
    done_in = dict(LessonProgress.objects.counted().filter(user=user).values_list("lesson__category_id")
                   .annotate(n=Count("pk")).order_by())
    full = any(totals.get(category_id, 0) and n >= totals[category_id] for category_id, n in done_in.items())
    categories = len(totals)
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
def achievements_award(*, user: User, at: datetime | None = None) -> list[UserAchievement]:
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


def schedule_achievements(*, user: User) -> None:
    """Evaluate achievements after this transaction commits, in a Celery task (idempotent).

    Every completion schedules it, backdated or not; the demo seed also awards with dates as
    it goes (``achievements_award(at=...)``), so its tasks find nothing left to award.
    """
    transaction.on_commit(lambda: _enqueue_awards(user.pk))

