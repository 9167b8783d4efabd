"""Lessons written straight into the catalog tables, for search tests (no loader needed).

The lessons suite's factories with short, predictable text: search tests count which lessons
a word matches, so titles, summaries, bodies and tags here carry no extra words.
"""

import factory

from tests.lessons import factories as lessons


class CategoryFactory(lessons.CategoryFactory):
    slug = factory.Sequence(lambda n: f"search-category-{n}")
    name = factory.Sequence(lambda n: f"Search Category {n}")
    description = ""


class LessonFactory(lessons.LessonFactory):
    slug = factory.Sequence(lambda n: f"search-lesson-{n}")
    title = factory.Sequence(lambda n: f"Search lesson {n}")
    category = factory.SubFactory(CategoryFactory)
    summary = "A short lesson."
    tags = factory.LazyFunction(list)
    body_markdown = "## Steps\n\nDo the thing."
    body_html = "<h2>Steps</h2><p>Do the thing.</p>"


def save_lesson(lesson) -> None:
    """Edit a lesson the way the lessons services do: save it and announce the change."""
    from lessons.signals import lessons_changed

    lesson.save()
    lessons_changed.send(sender=type(lesson), lesson_ids=[lesson.pk])


def delete_lessons(queryset) -> None:
    """Delete lessons the way ``lessons_delete`` does: delete them and announce the change."""
    from lessons.signals import lessons_changed

    ids = list(queryset.values_list("pk", flat=True))
    queryset.delete()
    lessons_changed.send(sender=queryset.model, lesson_ids=ids)
