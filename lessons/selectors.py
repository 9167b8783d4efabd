"""Reads of the lessons app for the API and the dashboard pages.

Lists carry the requesting learner's status on every row through one LEFT JOIN, never a
query per row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import F, FilteredRelation, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from accounts.models import User
from controlpanel.errors import NotFoundError
from lessons import fastpaths
from lessons.filters import LessonFilterSet
from lessons.models import Category, Lesson, LessonCheck, LessonProgress
from lessons.recommendations import Recommendation, lesson_recommendations  # noqa: F401 (public selector)

LIST_FIELDS = ("id", "slug", "title", "category__slug", "category__name", "category__order", "difficulty", "style",
               "minutes", "summary", "tags", "source")


class LessonNotFound(NotFoundError):
    code = "lesson_not_found"
    message = "No such lesson."


def _with_user_status(qs: QuerySet[Lesson], user: User) -> QuerySet[Lesson]:
    """Annotate ``user_status`` (not_started when no row), ``user_score`` (score of record) and
    ``user_best_score`` by one LEFT JOIN; ``user_mastery`` follows from them (``mastery_of``)."""
    return qs.annotate(
        mine=FilteredRelation("progress_records", condition=Q(progress_records__user=user)),
        user_status=Coalesce(F("mine__status"), Value(LessonProgress.Status.NOT_STARTED)),
        user_score=F("mine__score"),
        user_best_score=F("mine__best_score"),
    )


def lesson_list(*, user: User, filters: Mapping[str, Any] | None = None) -> QuerySet[Lesson]:
    """Published lessons in catalog order with the learner's status (``user_status``).

    ``filters`` are values of :class:`lessons.filters.LessonFilterSet` (category slug, difficulty,
    style, status; None or "" for none); a value it rejects is a ValueError. The API and the page
    run that FilterSet over this list themselves, to answer bad values their own way.
    """
    qs = _with_user_status(Lesson.objects.published().select_related("category").only(*LIST_FIELDS), user)
    qs = qs.order_by("category__order", "difficulty", "title", "id")
    if filters:
        filterset = LessonFilterSet(filters, queryset=qs)
        if not filterset.is_valid():
            raise ValueError(f"invalid lesson filters: {filterset.errors.as_data()}")
        qs = filterset.qs
    return qs


def catalog_page(*, user: User) -> fastpaths.CatalogPage:
    """``lesson_list(user=...)`` without filters, for a paginator: each page is one written statement and the
    count another (``lessons.fastpaths``); its rows carry the same attributes the list's representation reads."""
    return fastpaths.CatalogPage(user_id=user.pk)


def lesson_statuses(*, user: User, lesson_ids: list[int]) -> dict[int, str]:
    """The learner's status on each of ``lesson_ids`` they have a row for (absent: not started); one statement."""
    if not lesson_ids:
        return {}
    return fastpaths.lesson_statuses(user_id=user.pk, lesson_ids=lesson_ids)


def category_list() -> QuerySet[Category]:
    return Category.objects.all()


def lesson_get_published(*, slug: str) -> Lesson:
    """The published lesson ``slug`` (with its category) or LessonNotFound."""
    lesson = fastpaths.published_lesson(slug=slug)
    if lesson is None:
        raise LessonNotFound(details={"slug": slug})
    return lesson


@dataclass(frozen=True)
class LessonLink:
    slug: str
    title: str
    difficulty: int
    completed: bool = False


@dataclass(frozen=True)
class CheckAttempt:
    first_answer: int
    first_correct: bool
    last_answer: int | None
    last_correct: bool | None
    correct_answer: int
    explanation: str


@dataclass(frozen=True)
class LessonDetail:
    """A lesson as a learner sees it: sanitized HTML, checks without answers, neighbours, state."""

    lesson: Lesson
    checks: list[LessonCheck]
    prerequisites: list[LessonLink]
    previous: LessonLink | None
    next: LessonLink | None
    record: LessonProgress | None

    @property
    def status(self) -> str:
        return self.record.status if self.record else LessonProgress.Status.NOT_STARTED

    @property
    def prerequisites_met(self) -> bool:
        return all(p.completed for p in self.prerequisites)

    @property
    def mastery(self) -> str:
        return self.record.mastery if self.record else LessonProgress.Mastery.NOT_STARTED

    def attempt(self, check: LessonCheck) -> CheckAttempt | None:
        """What the learner answered to ``check``, or None when they have not attempted it yet.

        Only an attempted check reveals its right answer and explanation.
        """
        first = (self.record.first_answers if self.record else {}).get(str(check.order))
        if first is None:
            return None
        last_answers = self.record.last_answers or []
        last = last_answers[check.order] if check.order < len(last_answers) else None
        return CheckAttempt(first_answer=first, first_correct=first == check.answer, last_answer=last,
                            last_correct=None if last is None else last == check.answer,
                            correct_answer=check.answer, explanation=check.explanation)


def lesson_detail(*, user: User, slug: str) -> LessonDetail:
    """The published lesson ``slug`` for ``user``; LessonNotFound otherwise. Five queries, all hand-written
    (lessons.fastpaths): the lesson with its category, the neighbours, the prerequisites with the learner's
    completion of each, the checks and the learner's record."""
    lesson = lesson_get_published(slug=slug)
    previous, following = fastpaths.neighbours(category_id=lesson.category_id, difficulty=lesson.difficulty,
                                               title=lesson.title)
    return LessonDetail(
        lesson=lesson,
        checks=fastpaths.lesson_checks(lesson_id=lesson.pk),
        prerequisites=[LessonLink(slug=s, title=t, difficulty=d, completed=c)
                       for s, t, d, c in fastpaths.prerequisites(lesson_id=lesson.pk, user_id=user.pk)],
        previous=LessonLink(*previous) if previous else None,
        next=LessonLink(*following) if following else None,
        record=fastpaths.lesson_record(user_id=user.pk, lesson_id=lesson.pk),
    )


def continue_lessons(*, user: User, limit: int = 5) -> QuerySet[LessonProgress]:
    """The learner's lessons in progress, most recently touched first (for "continue where you left off")."""
    return (
        LessonProgress.objects.filter(user=user, status=LessonProgress.Status.IN_PROGRESS, lesson__is_published=True)
        .select_related("lesson", "lesson__category")
        .only("id", "status", "started_at", "updated_at", "score", "attempts", *(f"lesson__{f}" for f in LIST_FIELDS if f != "id"),
              "lesson__id")
        .order_by("-updated_at", "-id")[:limit]
    )


def category_completion(*, user: User, category: Category) -> tuple[int, int]:
    """(counted completions, published lessons) of one category for the lesson page's sidebar.

    The same count as the progress app's category figures (``LessonProgress.objects.counted``).
    """
    done = LessonProgress.objects.counted().filter(user=user, lesson__category=category).count()
    return done, Lesson.objects.published().filter(category=category).count()
