"""load_lessons: syncing the authored catalog files into the database."""

import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from lessons.models import Category, Lesson, LessonCheck
from lessons.services import CATALOG_ROOT, catalog_sync
from lessons.signals import lessons_changed
from progress.models import ProgressEvent
from progress.selectors import category_progress_get
from progress.services import lesson_complete
from tests.lessons.factories import right_answers

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("load_lessons", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def root(tmp_path) -> Path:
    """A writable copy of the real catalog."""
    copy = tmp_path / "catalog"
    shutil.copytree(CATALOG_ROOT, copy)
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_load_lessons_creates_the_whole_authored_catalog():
    out, err = run()
    assert "36 created, 0 updated, 0 unchanged, 0 rejected" in out
    assert err == ""
    assert Category.objects.count() == 6
    assert Lesson.objects.filter(source=Lesson.Source.AUTHORED, is_published=True).count() == 36
    colour = Lesson.objects.get(slug="colour-wheel-three-primaries")
    assert list(colour.prerequisites.values_list("slug", flat=True)) == ["colour-value-scale"]
    assert colour.checks.count() == 2
    assert "<h2>Objective</h2>" in colour.body_html


def test_load_lessons_twice_changes_nothing_the_second_time():
    run()
    before = list(Lesson.objects.order_by("pk").values_list("pk", "content_hash", "updated_at"))
    checks = list(LessonCheck.objects.order_by("pk").values_list("pk", flat=True))
    sent = []
    lessons_changed.connect(lambda **kw: sent.append(kw["lesson_ids"]), weak=False, dispatch_uid="test-idem")
    try:
        out, _ = run()
    finally:
        lessons_changed.disconnect(dispatch_uid="test-idem")
    assert "0 created, 0 updated, 36 unchanged, 0 rejected" in out
    assert list(Lesson.objects.order_by("pk").values_list("pk", "content_hash", "updated_at")) == before
    assert list(LessonCheck.objects.order_by("pk").values_list("pk", flat=True)) == checks
    assert sent == []


def test_edited_file_is_updated_and_announced_while_the_rest_stay_unchanged(root):
    catalog_sync(root=root)
    lesson = Lesson.objects.get(slug="drawing-blind-contour")
    edit(root / "drawing" / "drawing-blind-contour.md", "title: ", "title: Really ")
    sent = []
    lessons_changed.connect(lambda **kw: sent.append(kw["lesson_ids"]), weak=False, dispatch_uid="test-edit")
    try:
        report = catalog_sync(root=root)
    finally:
        lessons_changed.disconnect(dispatch_uid="test-edit")
    assert (report.updated, len(report.unchanged), report.created) == (["drawing-blind-contour"], 35, [])
    assert sent == [[lesson.pk]]
    lesson.refresh_from_db()
    assert lesson.title.startswith("Really ")


def test_invalid_file_is_rejected_with_its_name_and_reason_while_the_others_load(root):
    edit(root / "colour" / "colour-value-scale.md", "## Reflection", "## Afterthoughts")
    out, err = run("--root", str(root))
    assert "colour/colour-value-scale.md: missing section(s) '## Reflection'" in err
    # Its dependants are rejected too, naming the reason; everything else loads.
    assert "colour/colour-wheel-three-primaries.md: prerequisite 'colour-value-scale' was rejected" in err
    assert not Lesson.objects.filter(slug="colour-value-scale").exists()
    assert Lesson.objects.filter(slug="drawing-blind-contour").exists()
    assert "rejected" in out and "0 updated" in out


def test_invalid_edit_leaves_the_stored_lesson_as_it_was(root):
    catalog_sync(root=root)
    stored = Lesson.objects.get(slug="writing-voice-rewrite")
    edit(root / "writing" / "writing-voice-rewrite.md", "difficulty: 5", "difficulty: 9")
    report = catalog_sync(root=root)
    assert [e.source for e in report.rejected] == ["writing/writing-voice-rewrite.md"]
    assert "difficulty must be 1-5, got 9" in report.rejected[0].reason
    again = Lesson.objects.get(slug="writing-voice-rewrite")
    assert (again.difficulty, again.content_hash, again.updated_at) == (5, stored.content_hash, stored.updated_at)


def test_strict_mode_fails_the_command_when_a_file_is_rejected(root):
    edit(root / "writing" / "writing-voice-rewrite.md", "style: analytical", "style: operatic")
    with pytest.raises(CommandError, match=r"^1 lesson file\(s\) rejected"):
        run("--root", str(root), "--strict")


def test_broken_categories_file_stops_the_sync_before_touching_anything(root):
    (root / "categories.yaml").write_text("- slug: [unclosed\n", encoding="utf-8")
    with pytest.raises(CommandError, match="categories.yaml"):
        run("--root", str(root))
    assert Lesson.objects.count() == 0


def test_a_new_lesson_raises_every_learners_total_in_its_category(root, user):
    catalog_sync(root=root)
    drawing = Category.objects.get(slug="drawing")
    first = Lesson.objects.filter(category=drawing).order_by("difficulty", "title").first()
    lesson_complete(user=user, lesson=first, answers=right_answers(first))
    assert (category_progress_get(user=user, category=drawing).progress, category_progress_get(user=user, category=drawing).total_lessons) == (1, 6)
    new = (root / "drawing" / "drawing-blind-contour.md").read_text(encoding="utf-8")
    new = new.replace("slug: drawing-blind-contour", "slug: drawing-blind-contour-again")
    new = new.replace("title: ", "title: Again, ", 1)
    (root / "drawing" / "drawing-blind-contour-again.md").write_text(new, encoding="utf-8")
    report = catalog_sync(root=root)
    assert report.created == ["drawing-blind-contour-again"]
    row = category_progress_get(user=user, category=drawing)
    assert (row.progress, row.total_lessons) == (1, 7)


def test_unpublishing_a_completed_lesson_lowers_its_count_and_total_together(catalog, user):
    from lessons.services import lessons_publish

    writing = Category.objects.get(slug="writing")
    for lesson in Lesson.objects.filter(category=writing):
        lesson_complete(user=user, lesson=lesson, answers=right_answers(lesson))
    assert category_progress_get(user=user, category=writing).progress == 6
    lessons_publish(lessons=Lesson.objects.filter(slug__in=["writing-voice-rewrite", "writing-scene-tension"]),
                    publish=False)
    row = category_progress_get(user=user, category=writing)
    assert (row.progress, row.total_lessons, row.is_complete) == (4, 4, True)
    assert not ProgressEvent.objects.filter(user=user).exclude(source=ProgressEvent.Source.LESSON).exists()
