"""Selectors the dashboard pages build on (same reads as the API, called directly)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lessons.models import LessonProgress
from lessons.selectors import LessonNotFound, continue_lessons, lesson_detail, lesson_list
from progress.services import lesson_complete, lesson_start
from tests.lessons.factories import right_answers

pytestmark = pytest.mark.django_db


def test_continue_lessons_lists_my_started_lessons_most_recent_first(user, other_user, catalog, django_assert_max_num_queries):
    lesson_start(user=user, lesson=catalog["drawing-blind-contour"], at=timezone.now() - timedelta(days=2))
    lesson_start(user=user, lesson=catalog["writing-sensory-notes"])
    lesson_start(user=other_user, lesson=catalog["colour-value-scale"])
    lesson_complete(user=user, lesson=catalog["music-rhythm-steady-pulse"], answers=right_answers(catalog["music-rhythm-steady-pulse"]))
    with django_assert_max_num_queries(1):
        rows = [(r.lesson.slug, r.lesson.category.name) for r in continue_lessons(user=user)]
    assert rows == [("writing-sensory-notes", "Writing"), ("drawing-blind-contour", "Drawing")]


def test_lesson_list_takes_a_plain_dict_of_filters(user, catalog):
    lesson_start(user=user, lesson=catalog["writing-sensory-notes"])
    rows = lesson_list(user=user, filters={"category": "writing", "difficulty": None, "status": "in_progress"})
    assert [(lesson.slug, lesson.user_status) for lesson in rows] == [("writing-sensory-notes", "in_progress")]


def test_lesson_detail_reports_prerequisites_met_and_my_record(user, catalog):
    detail = lesson_detail(user=user, slug="colour-wheel-three-primaries")
    assert (detail.prerequisites_met, detail.status) == (False, LessonProgress.Status.NOT_STARTED)
    lesson_complete(user=user, lesson=catalog["colour-value-scale"], answers=right_answers(catalog["colour-value-scale"]))
    assert lesson_detail(user=user, slug="colour-wheel-three-primaries").prerequisites_met
    with pytest.raises(LessonNotFound):
        lesson_detail(user=user, slug="no-such-lesson")
