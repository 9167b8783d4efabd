"""Lessons written straight into the catalog tables, for search tests (no loader needed)."""

import hashlib

import factory

from lessons.models import Category, Lesson


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"search-category-{n}")
    name = factory.Sequence(lambda n: f"Search Category {n}")
    order = factory.Sequence(lambda n: n)


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    slug = factory.Sequence(lambda n: f"search-lesson-{n}")
    title = factory.Sequence(lambda n: f"Search lesson {n}")
    category = factory.SubFactory(CategoryFactory)
    difficulty = 1
    style = Lesson.Style.VISUAL
    minutes = 15
    summary = "A short lesson."
    tags = factory.LazyFunction(list)
    body_markdown = "## Steps\n\nDo the thing."
    body_html = "<h2>Steps</h2><p>Do the thing.</p>"
    content_hash = factory.LazyAttribute(lambda lesson: hashlib.sha256(lesson.slug.encode()).hexdigest())
    is_published = True
