"""Writes of the lessons app: learner progress on lessons, catalog sync, generation, publishing.

Every service that creates, updates, publishes, unpublishes or deletes lessons sends
``lessons_changed`` inside its transaction (see lessons/signals.py); a first completion sends
``lesson_completed`` so the progress app records the category step in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from controlpanel.api.exceptions import ApplicationError
from lessons.catalog import CatalogError, LessonSpec, load_catalog, render_lesson_html
from lessons.generation import GENERATOR_VERSION, GeneratedLesson, compose_lessons, load_bank
from lessons.models import Category, Lesson, LessonCheck, LessonProgress
from lessons.signals import lesson_completed, lessons_changed

logger = logging.getLogger(__name__)

CATALOG_ROOT = Path(__file__).resolve().parent / "catalog"
# Time spent on a lesson is measured from its start, but an open tab left overnight is not
# practice: it is capped at this many times the lesson's announced minutes.
TIME_SPENT_CAP_FACTOR = 3
# "Where learners stall": a learner stalls on a cell when a lesson there stays in progress this
# long, or is completed with a check score below STALL_SCORE.
STALL_AFTER = timedelta(days=7)
STALL_SCORE = 0.5
STALLED_LEARNERS_THRESHOLD = 3
WEEKLY_GENERATION_COUNT = 5


class InvalidAnswers(ApplicationError):
    code = "invalid_answers"
    message = "The answers do not match the lesson's checks."


class GenerationError(ApplicationError):
    code = "generation_failed"
    message = "Lessons could not be generated with these arguments."


# --- learner progress on one lesson ----------------------------------------------------------

@dataclass(frozen=True)
class CheckResult:
    order: int
    question: str
    choices: list[str]
    your_answer: int | None
    correct_answer: int
    is_correct: bool | None
    explanation: str


@dataclass(frozen=True)
class LessonCompletion:
    """What a learner gets back after completing a lesson (or retrying its checks)."""

    lesson: Lesson
    record: LessonProgress
    newly_completed: bool
    score: float | None  # this submission's share of right answers; None without answers
    results: list[CheckResult]

    @property
    def best_score(self) -> float | None:
        return self.record.score


def _locked_record(*, user, lesson: Lesson) -> LessonProgress:
    """The learner's row for ``lesson``, locked until the transaction ends (created if missing).

    On PostgreSQL a concurrent creator makes get_or_create fall back to a locking read that
    waits for the other transaction and then sees its committed row; on SQLite IMMEDIATE
    transactions serialize writers outright.
    """
    record, _ = LessonProgress.objects.select_for_update().get_or_create(user=user, lesson=lesson)
    return record


@transaction.atomic
def lesson_start(*, user, lesson: Lesson, at: datetime | None = None) -> LessonProgress:
    """Mark ``lesson`` in progress for ``user``; starting again, or after completion, changes nothing."""
    record = _locked_record(user=user, lesson=lesson)
    if record.status == LessonProgress.Status.NOT_STARTED:
        now = at or timezone.now()
        LessonProgress.objects.filter(pk=record.pk).update(status=LessonProgress.Status.IN_PROGRESS, started_at=now,
                                                           updated_at=now)
        record.status, record.started_at, record.updated_at = LessonProgress.Status.IN_PROGRESS, now, now
    return record


def _check_answers(checks: list[LessonCheck], answers: list[int] | None) -> None:
    if answers is None:
        return
    if len(answers) != len(checks):
        raise InvalidAnswers(
            f"This lesson has {len(checks)} check(s); send one answer per check, in order.",
            details={"answers": [f"Expected {len(checks)} answer(s), got {len(answers)}."]},
        )
    problems = {
        str(i): f"Choose 0-{len(check.choices) - 1}."
        for i, (check, answer) in enumerate(zip(checks, answers, strict=True))
        if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < len(check.choices)
    }
    if problems:
        raise InvalidAnswers("Some answers are not a choice of their check.", details={"answers": problems})


def lesson_score(*, checks: list[LessonCheck], answers: list[int] | None) -> float | None:
    """Share of checks answered right (0..1), or None when no answers were given."""
    if answers is None or not checks:
        return None
    right = sum(1 for check, answer in zip(checks, answers, strict=True) if check.answer == answer)
    return round(right / len(checks), 4)


def _time_spent(*, lesson: Lesson, started_at: datetime | None, now: datetime) -> int:
    announced = lesson.minutes * 60
    if started_at is None or started_at > now:
        return announced
    return int(min((now - started_at).total_seconds(), announced * TIME_SPENT_CAP_FACTOR))


@transaction.atomic
def lesson_complete(*, user, lesson: Lesson, answers: list[int] | None = None,
                    at: datetime | None = None) -> LessonCompletion:
    """Complete ``lesson`` for ``user``, scoring ``answers`` (one choice index per check, in order).

    The first completion counts once, whatever the retries or races: the row is locked, the
    status flips once and ``lesson_completed`` (category progress + history event) fires once,
    all in this transaction. Completing again with answers is a retry of the checks: it counts an
    attempt and keeps the best score, but never touches category progress or history. Completing
    again without answers changes nothing. ``at`` backdates the write (demo seed only).
    """
    checks = list(lesson.checks.all())
    _check_answers(checks, answers)
    score = lesson_score(checks=checks, answers=answers)
    now = at or timezone.now()
    record = _locked_record(user=user, lesson=lesson)
    newly_completed = record.status != LessonProgress.Status.COMPLETED
    if newly_completed or answers is not None:
        changes: dict = {"updated_at": now}
        if newly_completed:
            changes.update(
                status=LessonProgress.Status.COMPLETED,
                started_at=record.started_at or now,
                completed_at=now,
                time_spent_seconds=_time_spent(lesson=lesson, started_at=record.started_at, now=now),
                score=score,
            )
        elif score is not None and (record.score is None or score > record.score):
            changes["score"] = score
        LessonProgress.objects.filter(pk=record.pk).update(attempts=F("attempts") + 1, **changes)
        record.refresh_from_db()
        lesson_completed.send(sender=Lesson, user=user, lesson=lesson, record=record, at=at,
                              first_completion=newly_completed)
    results = [
        CheckResult(
            order=check.order,
            question=check.question,
            choices=list(check.choices),
            your_answer=None if answers is None else answers[i],
            correct_answer=check.answer,
            is_correct=None if answers is None else answers[i] == check.answer,
            explanation=check.explanation,
        )
        for i, check in enumerate(checks)
    ]
    return LessonCompletion(lesson=lesson, record=record, newly_completed=newly_completed, score=score,
                            results=results)


# --- writing lessons from specs ----------------------------------------------------------------

def _apply_spec(lesson: Lesson, spec: LessonSpec, category: Category) -> None:
    lesson.slug = spec.slug
    lesson.title = spec.title
    lesson.category = category
    lesson.difficulty = spec.difficulty
    lesson.style = spec.style
    lesson.minutes = spec.minutes
    lesson.summary = spec.summary
    lesson.tags = list(spec.tags)
    lesson.body_markdown = spec.body
    lesson.body_html = render_lesson_html(spec.body)
    lesson.content_hash = spec.content_hash()


def _write_checks(lesson: Lesson, spec: LessonSpec) -> None:
    LessonCheck.objects.filter(lesson=lesson).delete()
    LessonCheck.objects.bulk_create(
        LessonCheck(lesson=lesson, order=i, question=c.question, choices=list(c.choices), answer=c.answer,
                    explanation=c.explanation)
        for i, c in enumerate(spec.checks)
    )


@dataclass
class CatalogSync:
    """What ``catalog_sync`` did: counts per outcome and every rejected file with its reason."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[CatalogError] = field(default_factory=list)
    categories_created: list[str] = field(default_factory=list)
    not_in_files: list[str] = field(default_factory=list)


@transaction.atomic
def catalog_sync(*, root: Path | str = CATALOG_ROOT) -> CatalogSync:
    """Upsert the authored catalog by slug: created, updated (content hash changed) or unchanged.

    Files that fail validation are reported and leave their lesson in the database as it was;
    the rest load. Authored lessons whose file disappeared are reported, not deleted (learners'
    progress refers to them). A broken ``categories.yaml`` raises ``CatalogError``.
    """
    load = load_catalog(root)
    report = CatalogSync(rejected=list(load.errors))
    categories = {}
    for spec in load.categories:
        category, created = Category.objects.update_or_create(
            slug=spec.slug, defaults={"name": spec.name, "description": spec.description, "order": spec.order}
        )
        categories[spec.slug] = category
        if created:
            report.categories_created.append(spec.slug)
    existing = {lesson.slug: lesson for lesson in Lesson.objects.filter(slug__in=[s.slug for s in load.lessons])}
    written: dict[str, tuple[Lesson, LessonSpec]] = {}
    for spec in load.lessons:
        lesson = existing.get(spec.slug)
        if lesson is not None and lesson.source != Lesson.Source.AUTHORED:
            report.rejected.append(CatalogError(f"{spec.category}/{spec.slug}.md",
                                                f"slug {spec.slug!r} is taken by a generated lesson"))
            continue
        if lesson is not None and lesson.content_hash == spec.content_hash():
            report.unchanged.append(spec.slug)
            continue
        is_new = lesson is None
        lesson = lesson or Lesson(source=Lesson.Source.AUTHORED, is_published=True, published_at=timezone.now())
        _apply_spec(lesson, spec, categories[spec.category])
        try:
            with transaction.atomic():
                lesson.save()
                _write_checks(lesson, spec)
        except IntegrityError:
            taken = Lesson.objects.filter(title=spec.title).exclude(slug=spec.slug).values_list("slug", flat=True).first()
            reason = f"title {spec.title!r} is already used by lesson {taken!r}" if taken else "conflicts with a stored lesson"
            report.rejected.append(CatalogError(f"{spec.category}/{spec.slug}.md", reason))
            continue
        written[spec.slug] = (lesson, spec)
        (report.created if is_new else report.updated).append(spec.slug)
    if written:
        wanted = {p for _, spec in written.values() for p in spec.prerequisites}
        ids = dict(Lesson.objects.filter(slug__in=wanted).values_list("slug", "id"))
        for lesson, spec in written.values():
            lesson.prerequisites.set([ids[p] for p in spec.prerequisites if p in ids])
        lessons_changed.send(sender=Lesson, lesson_ids=[lesson.pk for lesson, _ in written.values()])
    on_disk = {spec.slug for spec in load.lessons} | {e.source.rsplit("/", 1)[-1].removesuffix(".md") for e in load.errors}
    report.not_in_files = sorted(
        Lesson.objects.filter(source=Lesson.Source.AUTHORED).exclude(slug__in=on_disk).values_list("slug", flat=True)
    )
    report.rejected.sort(key=lambda e: e.source)
    return report


# --- generation --------------------------------------------------------------------------------

def generation_cells(*, category: str | None = None, difficulty: int | None = None,
                     now: datetime | None = None) -> list[tuple[str, int]]:
    """Every (category, difficulty) cell the bank can fill, thinnest first.

    Thinness is the number of lessons already in the cell (pending generated ones included, so
    a week's batch is not repeated before review). A cell where at least
    STALLED_LEARNERS_THRESHOLD learners stall counts as one lesson thinner. Ties follow the
    category order, then difficulty, so the order is deterministic for a given database.
    """
    bank = load_bank()
    categories = list(Category.objects.filter(slug__in=list(bank)).values_list("slug", flat=True))
    if category is not None and category not in categories:
        known = ", ".join(categories) or "none"
        raise GenerationError(f"Unknown category {category!r} (known: {known}).", code="unknown_category")
    if difficulty is not None and difficulty not in range(1, 6):
        raise GenerationError(f"Difficulty must be 1-5, got {difficulty}.", code="invalid_difficulty")
    now = now or timezone.now()
    sizes = {(row["category__slug"], row["difficulty"]): row["n"]
             for row in Lesson.objects.values("category__slug", "difficulty").annotate(n=Count("id")).order_by()}
    stalled_filter = (Q(status=LessonProgress.Status.IN_PROGRESS, started_at__lt=now - STALL_AFTER)
                      | Q(status=LessonProgress.Status.COMPLETED, score__lt=STALL_SCORE))
    stalled = {(row["lesson__category__slug"], row["lesson__difficulty"]): row["n"]
               for row in LessonProgress.objects.filter(stalled_filter)
               .values("lesson__category__slug", "lesson__difficulty").annotate(n=Count("user", distinct=True)).order_by()}
    cells = [(c, d) for c in categories for d in range(1, 6)
             if (category is None or c == category) and (difficulty is None or d == difficulty)]

    def thinness(cell: tuple[str, int]) -> tuple:
        size = sizes.get(cell, 0) - (1 if stalled.get(cell, 0) >= STALLED_LEARNERS_THRESHOLD else 0)
        return (size, -stalled.get(cell, 0), categories.index(cell[0]), cell[1])

    return sorted(cells, key=thinness)


def default_seed(now: datetime | None = None) -> int:
    """The ISO year and week (e.g. 202648): one reproducible batch per week."""
    return int((now or timezone.now()).strftime("%G%V"))


def _publish_generated_default() -> bool:
    return bool(getattr(settings, "LESSONS_PUBLISH_GENERATED", False))


def lessons_generate(*, count: int, category: str | None = None, difficulty: int | None = None,
                     seed: int | None = None, dry_run: bool = False,
                     publish: bool | None = None) -> list[Lesson] | list[GeneratedLesson]:
    """Compose ``count`` new lessons into the thinnest cells and store them (unpublished, for review).

    Same database, arguments and seed give the same lessons. ``publish`` overrides the
    LESSONS_PUBLISH_GENERATED setting; ``dry_run`` returns the composed ``GeneratedLesson``
    list without writing. May return fewer than ``count`` when the bank is exhausted.
    """
    if count < 1:
        raise GenerationError("Count must be at least 1.", code="invalid_count")
    seed = default_seed() if seed is None else seed
    cells = generation_cells(category=category, difficulty=difficulty)
    taken = list(Lesson.objects.values_list("slug", "title", "content_hash"))
    candidates: dict[str, list[tuple[str, int]]] = {}
    for slug, cat, diff in Lesson.objects.published().values_list("slug", "category__slug", "difficulty"):
        candidates.setdefault(cat, []).append((slug, diff))
    generated = compose_lessons(
        cells=cells, count=count, seed=seed, taken_slugs={t[0] for t in taken}, taken_titles={t[1] for t in taken},
        taken_hashes={t[2] for t in taken}, prerequisite_candidates=candidates,
    )
    if dry_run:
        return generated
    return _store_generated(generated, seed=seed, publish=_publish_generated_default() if publish is None else publish)


def lessons_generate_weekly(*, now: datetime | None = None) -> list[Lesson]:
    """The weekly batch: WEEKLY_GENERATION_COUNT lessons seeded by the ISO week, once per week.

    A second run in the same week (a redelivered or duplicated beat message) only tops the
    batch up to the weekly count, so the task is idempotent.
    """
    seed = default_seed(now)
    done = Lesson.objects.filter(source=Lesson.Source.GENERATED, generator_seed=seed).count()
    missing = WEEKLY_GENERATION_COUNT - done
    return lessons_generate(count=missing, seed=seed) if missing > 0 else []


@transaction.atomic
def _store_generated(generated: list[GeneratedLesson], *, seed: int, publish: bool) -> list[Lesson]:
    categories = {c.slug: c for c in Category.objects.all()}
    now = timezone.now()
    lessons = []
    for item in generated:
        spec = item.spec
        lesson = Lesson(source=Lesson.Source.GENERATED, generator_version=GENERATOR_VERSION, generator_seed=seed,
                        generator_parts=item.parts, is_published=publish, published_at=now if publish else None)
        _apply_spec(lesson, spec, categories[spec.category])
        lesson.save()
        _write_checks(lesson, spec)
        if spec.prerequisites:
            lesson.prerequisites.set(Lesson.objects.filter(slug__in=spec.prerequisites))
        lessons.append(lesson)
    if lessons:
        lessons_changed.send(sender=Lesson, lesson_ids=[lesson.pk for lesson in lessons])
    return lessons


# --- review ----------------------------------------------------------------------------------

@transaction.atomic
def lessons_publish(*, lessons: Iterable[Lesson], publish: bool = True) -> int:
    """Publish (or unpublish) ``lessons``; returns how many changed state."""
    ids = [lesson.pk for lesson in lessons if lesson.is_published != publish]
    if not ids:
        return 0
    Lesson.objects.filter(pk__in=ids).update(is_published=publish, published_at=timezone.now() if publish else None)
    lessons_changed.send(sender=Lesson, lesson_ids=ids)
    return len(ids)


class LessonInUse(ApplicationError):
    code = "lesson_in_use"
    message = "Only unpublished generated lessons nobody has worked on can be deleted."


@transaction.atomic
def lessons_delete(*, lessons: Iterable[Lesson]) -> int:
    """Delete generated lessons rejected in review; lessons learners touched or depend on stay."""
    ids = [lesson.pk for lesson in lessons]
    deletable = Lesson.objects.filter(pk__in=ids, source=Lesson.Source.GENERATED, is_published=False)
    if deletable.count() != len(ids) or LessonProgress.objects.filter(lesson_id__in=ids).exists():
        raise LessonInUse()
    deleted = list(deletable.values_list("pk", flat=True))
    deletable.delete()
    lessons_changed.send(sender=Lesson, lesson_ids=deleted)
    return len(deleted)
