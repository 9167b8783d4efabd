"""The turbo index follows every catalog change, in the writer's transaction."""

import pytest
from django.core.management import call_command
from django.db import transaction

from lessons.models import Lesson
from lessons.services import lessons_delete, lessons_publish
from search import index, selectors
from tests.search.factories import CategoryFactory, LessonFactory, delete_lessons, save_lesson


def turbo_slugs(query: str) -> list[str]:
    return [hit.slug for hit in selectors.search_execute(query=query, turbo=True).items]


def in_sync() -> bool:
    return selectors.turbo_status()["index_in_sync"]


def test_a_created_lesson_is_found_at_once(db):
    LessonFactory(slug="new-one", title="Marbling with ink")
    assert turbo_slugs("marbling") == ["new-one"]
    assert in_sync()


def test_an_updated_lesson_is_found_by_its_new_words_only(db):
    lesson = LessonFactory(slug="renamed", title="Marbling with ink")
    lesson.title = "Suminagashi floating ink"
    save_lesson(lesson)
    assert turbo_slugs("marbling") == []
    assert turbo_slugs("suminagashi") == ["renamed"]
    assert in_sync()


def test_an_unpublished_lesson_leaves_the_index(db):
    lesson = LessonFactory(slug="to-hide", title="Marbling with ink")
    assert lessons_publish(lessons=[lesson], publish=False) == 1  # a bulk update: no post_save
    assert turbo_slugs("marbling") == []
    assert in_sync()


def test_a_republished_lesson_comes_back(db):
    lesson = LessonFactory(slug="back", title="Marbling with ink", is_published=False)
    assert turbo_slugs("marbling") == []
    lessons_publish(lessons=[lesson], publish=True)
    assert turbo_slugs("marbling") == ["back"]
    assert in_sync()


def test_a_deleted_lesson_leaves_the_index(db):
    lesson = LessonFactory(slug="gone", title="Marbling with ink")
    delete_lessons(Lesson.objects.filter(pk=lesson.pk))
    assert turbo_slugs("marbling") == []
    assert in_sync()


def test_a_lesson_deleted_by_the_lessons_service_leaves_the_index(db):
    lesson = LessonFactory(slug="rejected", title="Marbling draft", source=Lesson.Source.GENERATED)
    lessons_publish(lessons=[lesson], publish=False)
    lesson.refresh_from_db()
    assert lessons_delete(lessons=[lesson]) == 1
    assert turbo_slugs("marbling") == []
    assert in_sync()


def test_a_renamed_category_is_searchable_by_its_new_name(db):
    category = CategoryFactory(slug="printing", name="Printing")
    LessonFactory(slug="lino", title="Lino cut", category=category)
    category.name = "Printmaking"
    category.save()
    assert turbo_slugs("printmaking") == ["lino"]
    assert in_sync()


def test_index_changes_roll_back_with_the_catalog_change(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        LessonFactory(slug="never", title="Marbling with ink")
        assert turbo_slugs("marbling") == ["never"]  # visible inside the writer's transaction
        raise RuntimeError("abort")
    assert turbo_slugs("marbling") == []
    assert in_sync()


def test_rebuild_command_reports_progress_and_leaves_the_index_in_sync(db, capsys):
    for n in range(3):
        LessonFactory(slug=f"rebuilt-{n}", title=f"Stencil print {n}")
    call_command("rebuild_search_index")
    out = capsys.readouterr().out
    assert "[3/3] 100% indexed" in out
    assert "Indexed 3 published lessons" in out and "in sync: yes" in out
    assert sorted(turbo_slugs("stencil")) == ["rebuilt-0", "rebuilt-1", "rebuilt-2"]
    status = selectors.turbo_status()
    assert status["index_documents"] == 3 and status["last_rebuild_at"] is not None


def test_an_index_whose_catalog_is_gone_is_emptied_after_migrate(db):
    LessonFactory(slug="orphan", title="Marbling with ink")
    Lesson.objects.all()._raw_delete(Lesson.objects.db)  # as a database flush would: no signals
    assert not in_sync()
    assert index.sync_after_migrate() == "cleared"
    assert in_sync() and turbo_slugs("marbling") == []


def test_a_small_catalog_missing_from_the_index_is_indexed_after_migrate(db):
    LessonFactory(slug="unindexed", title="Marbling with ink")
    index.clear_index()
    assert not in_sync()
    assert index.sync_after_migrate() == "rebuilt"
    assert turbo_slugs("marbling") == ["unindexed"]
