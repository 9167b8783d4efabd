"""Writes of the lessons app: catalog sync, generation, publishing.

Every service that creates, updates, publishes, unpublishes or deletes lessons sends
``lessons_changed`` inside its transaction (see lessons/signals.py). A learner's work on a
lesson (start, checks, completion) is the progress app's use case (progress.services).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from controlpanel.errors import ApplicationError
from lessons.catalog import CatalogError, LessonSpec, load_catalog, render_lesson_html
from lessons.generation import GENERATOR_VERSION, GeneratedLesson, compose_lessons, load_bank
from lessons.models import Category, Lesson, LessonCheck, LessonProgress
from lessons.signals import lessons_changed

logger = logging.getLogger(__name__)

CATALOG_ROOT = Path(__file__).resolve().parent / "catalog"
# "Where learners stall": a learner stalls on a cell when a lesson there stays in progress this
# long, or is completed with a check score below STALL_SCORE.
STALL_AFTER = timedelta(days=7)
STALL_SCORE = 0.5
STALLED_LEARNERS_THRESHOLD = 3
WEEKLY_GENERATION_COUNT = 5


class GenerationError(ApplicationError):
    code = "generation_failed"
    message = "Lessons could not be generated with these arguments."


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


def default_seed(*, now: datetime | None = None) -> int:
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
    seed = default_seed(now=now)
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
