"""factory_boy factories for the lessons app (categories, lessons, checks, learner progress)."""

import hashlib

import factory

from lessons.catalog import render_lesson_html
from lessons.models import Category, Lesson, LessonCheck, LessonProgress
from lessons.signals import lessons_changed
from tests.factories import UserFactory

BODY = """## Objective

Learn to see the edge of a shape before you draw it.

## Warm-up

Draw ten quick circles.

## Steps

1. Look.
2. Draw.

## Exercise

Draw a cup without lifting the pen.

## Reflection

What surprised you?
"""


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.LazyAttribute(lambda c: c.slug.replace("-", " ").title())
    description = "A category made for the test suite."
    order = factory.Sequence(lambda n: n)


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    slug = factory.Sequence(lambda n: f"test-lesson-{n}")
    title = factory.Sequence(lambda n: f"Test Lesson {n}")
    category = factory.SubFactory(CategoryFactory)
    difficulty = 1
    style = Lesson.Style.VISUAL
    minutes = 15
    summary = "A lesson written only for the test suite."
    tags = factory.LazyFunction(lambda: ["test"])
    body_markdown = BODY
    body_html = factory.LazyAttribute(lambda lesson: render_lesson_html(lesson.body_markdown))
    content_hash = factory.LazyAttribute(lambda lesson: hashlib.sha256(lesson.slug.encode()).hexdigest())
    is_published = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """Written as the lessons services write: the change is announced, so search indexes it."""
        lesson = super()._create(model_class, *args, **kwargs)
        lessons_changed.send(sender=Lesson, lesson_ids=[lesson.pk])
        return lesson


class LessonCheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LessonCheck

    lesson = factory.SubFactory(LessonFactory)
    order = factory.Sequence(lambda n: n)
    question = "Which choice is right?"
    choices = factory.LazyFunction(lambda: ["Wrong", "Right", "Also wrong"])
    answer = 1
    explanation = "Because the second choice is the right one."


class LessonProgressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LessonProgress

    user = factory.SubFactory(UserFactory)
    lesson = factory.SubFactory(LessonFactory)


def lesson_with_checks(n_checks: int = 2, **kwargs) -> Lesson:
    """A published lesson whose check i has its right answer at choice index i % 3."""
    lesson = LessonFactory(**kwargs)
    for i in range(n_checks):
        LessonCheckFactory(lesson=lesson, order=i, answer=i % 3)
    return lesson


def right_answers(lesson: Lesson) -> list[int]:
    """The right answer to every check of ``lesson``, in order."""
    return [check.answer for check in lesson.checks.order_by("order")]


def wrong_answers(lesson: Lesson) -> list[int]:
    """A wrong answer to every check of ``lesson``, in order."""
    return [(check.answer + 1) % len(check.choices) for check in lesson.checks.order_by("order")]
