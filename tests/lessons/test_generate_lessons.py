"""generate_lessons, the weekly task and the review flow (publish, delete) on the database."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from lessons.catalog import CheckSpec, LessonSpec, validate_lesson
from lessons.generation import GENERATOR_VERSION
from lessons.models import Category, Lesson
from lessons.services import (
    LessonInUse,
    generation_cells,
    lessons_delete,
    lessons_generate,
    lessons_generate_weekly,
    lessons_publish,
)
from lessons.signals import lessons_changed
from lessons.tasks import generate_weekly_task
from progress.selectors import category_progress_get
from tests.lessons.factories import LessonProgressFactory

pytestmark = pytest.mark.django_db


def generate(*args) -> str:
    out = StringIO()
    call_command("generate_lessons", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def stored_spec(lesson: Lesson) -> LessonSpec:
    """Rebuild the spec of a stored lesson, to validate it with the authored catalog's rules."""
    return LessonSpec(
        slug=lesson.slug, title=lesson.title, category=lesson.category.slug, difficulty=lesson.difficulty,
        style=lesson.style, minutes=lesson.minutes, summary=lesson.summary, tags=tuple(lesson.tags),
        prerequisites=tuple(lesson.prerequisites.values_list("slug", flat=True)),
        checks=tuple(CheckSpec(c.question, tuple(c.choices), c.answer, c.explanation) for c in lesson.checks.all()),
        body=lesson.body_markdown,
    )


def test_generate_lessons_count_five_makes_five_valid_lessons_waiting_in_review(catalog):
    out = generate("--count", "5", "--seed", "11")
    made = Lesson.objects.filter(source=Lesson.Source.GENERATED)
    assert made.count() == 5
    assert "Created 5 lesson(s)." in out and "seed 11" in out
    categories = set(Category.objects.values_list("slug", flat=True))
    for lesson in made:
        spec = stored_spec(lesson)
        validate_lesson(spec, categories=categories)
        assert spec.content_hash() == lesson.content_hash
        assert (lesson.is_published, lesson.generator_version, lesson.generator_seed) == (False, GENERATOR_VERSION, 11)
        assert {"technique", "exercise", "twists", "checks"} <= set(lesson.generator_parts)
        assert "<h2>Reflection</h2>" in lesson.body_html
    assert len({lesson.title for lesson in made}) == 5


def test_generated_lessons_in_review_are_invisible_to_learners(auth_client, catalog):
    lessons_generate(count=2, seed=3)
    assert auth_client.get("/api/v1/lessons/").json()["count"] == 36


def test_same_seed_gives_the_same_lessons(catalog):
    first = [(g.spec.slug, g.spec.content_hash(), g.parts) for g in lessons_generate(count=5, seed=42, dry_run=True)]
    second = [(g.spec.slug, g.spec.content_hash(), g.parts) for g in lessons_generate(count=5, seed=42, dry_run=True)]
    other = [g.spec.slug for g in lessons_generate(count=5, seed=43, dry_run=True)]
    assert first == second
    assert [slug for slug, _, _ in first] != other


def test_dry_run_writes_nothing(catalog):
    out = generate("--count", "3", "--seed", "5", "--dry-run")
    assert "Would create 3 lesson(s)." in out
    assert not Lesson.objects.filter(source=Lesson.Source.GENERATED).exists()


def test_generation_fills_the_thinnest_cells_first(catalog):
    cells = generation_cells()
    sizes = {(c, d): Lesson.objects.filter(category__slug=c, difficulty=d).count() for c, d in cells}
    assert [sizes[cell] for cell in cells] == sorted(sizes[cell] for cell in cells)
    made = lessons_generate(count=5, seed=1)
    assert [(lesson.category.slug, lesson.difficulty) for lesson in made] == cells[:5]


def test_a_cell_where_learners_stall_is_filled_before_equally_thin_ones(catalog):
    from tests.factories import UserFactory

    stuck = Lesson.objects.get(slug="writing-six-word-stories")  # writing, difficulty 3: three lessons
    for _ in range(3):
        LessonProgressFactory(user=UserFactory(), lesson=stuck, status="completed", score=0.0)
    cells = generation_cells()
    assert cells.index(("writing", 3)) < cells.index(("writing", 4))


def test_category_and_difficulty_options_limit_the_cells(catalog):
    made = lessons_generate(count=3, category="music-rhythm", difficulty=2, seed=9)
    assert {(lesson.category.slug, lesson.difficulty) for lesson in made} == {("music-rhythm", 2)}
    assert len({lesson.title for lesson in made}) == 3


def test_unknown_category_is_a_command_error(catalog):
    with pytest.raises(CommandError, match="Unknown category 'sculpture'"):
        generate("--count", "1", "--category", "sculpture")


@override_settings(LESSONS_PUBLISH_GENERATED=True)
def test_a_setting_publishes_generated_lessons_directly(catalog):
    made = lessons_generate(count=2, seed=8)
    assert all(lesson.is_published and lesson.published_at for lesson in made)


def test_publish_flag_overrides_the_setting(catalog):
    generate("--count", "1", "--seed", "2", "--publish")
    assert Lesson.objects.get(source=Lesson.Source.GENERATED).is_published


def test_weekly_task_generates_five_once_per_week(catalog):
    assert len(generate_weekly_task.delay().get()) == 5
    assert lessons_generate_weekly() == []
    assert Lesson.objects.filter(source=Lesson.Source.GENERATED).count() == 5


def test_publishing_in_review_announces_the_change_and_raises_learners_totals(catalog, user):
    drawing = Category.objects.get(slug="drawing")
    before = category_progress_get(user=user, category=drawing).total_lessons
    made = lessons_generate(count=2, category="drawing", seed=4)
    sent = []
    lessons_changed.connect(lambda **kw: sent.append(sorted(kw["lesson_ids"])), weak=False, dispatch_uid="test-pub")
    try:
        assert lessons_publish(lessons=made, publish=True) == 2
        assert lessons_publish(lessons=Lesson.objects.filter(pk__in=[m.pk for m in made]), publish=True) == 0
    finally:
        lessons_changed.disconnect(dispatch_uid="test-pub")
    assert sent == [sorted(m.pk for m in made)]
    assert category_progress_get(user=user, category=drawing).total_lessons == before + 2


def test_only_generated_lessons_in_review_can_be_deleted(catalog):
    made = lessons_generate(count=2, seed=6)
    with pytest.raises(LessonInUse):
        lessons_delete(lessons=[made[0], Lesson.objects.get(slug="drawing-blind-contour")])
    assert lessons_delete(lessons=[made[0]]) == 1
    assert not Lesson.objects.filter(pk=made[0].pk).exists()


def test_admin_publish_action_publishes_through_the_service(client, staff_user, catalog):
    made = lessons_generate(count=1, seed=12)[0]
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    response = client.post("/admin/lessons/lesson/", {"action": "publish", "_selected_action": [made.pk]})
    assert response.status_code == 302
    made.refresh_from_db()
    assert made.is_published


def test_admin_lesson_page_previews_the_sanitized_lesson(client, staff_user, catalog):
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    lesson = Lesson.objects.get(slug="drawing-blind-contour")
    page = client.get(f"/admin/lessons/lesson/{lesson.pk}/change/").content.decode()
    assert "Lesson as learners see it" in page
    assert "<h2>Objective</h2>" in page
