"""report_learning_stats: the learning figures the periodic reports embed."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from progress.selectors import report_learning_stats
from progress.services import lesson_complete, lesson_start, progress_mark
from tests.factories import UserFactory
from tests.lessons.factories import CategoryFactory, LessonFactory, lesson_with_checks, right_answers

pytestmark = pytest.mark.django_db

END = datetime(2026, 6, 10, tzinfo=UTC)


def test_report_counts_completions_learners_scores_and_streaks_in_the_window():
    drawing, colour = CategoryFactory(slug="drawing"), CategoryFactory(slug="colour")
    d_lessons = [lesson_with_checks(2, category=drawing) for _ in range(8)]
    c_lessons = LessonFactory.create_batch(3, category=colour)
    keen, casual, idle = UserFactory(), UserFactory(), UserFactory()
    for i, lesson in enumerate(d_lessons[:7]):  # seven days in a row up to the last day of the window
        lesson_complete(user=keen, lesson=lesson, answers=[0, 1] if i % 2 == 0 else [0, 0],
                        at=END - timedelta(days=6 - i, hours=2))
    lesson_complete(user=casual, lesson=c_lessons[0], answers=right_answers(c_lessons[0]), at=END - timedelta(days=3))
    lesson_start(user=casual, lesson=c_lessons[1], at=END - timedelta(days=2))
    progress_mark(user=casual, category=colour, marked=3, at=END - timedelta(days=1))
    lesson_complete(user=idle, lesson=c_lessons[0], answers=right_answers(c_lessons[0]), at=END - timedelta(days=40))  # before the window
    stats = report_learning_stats(start=END - timedelta(days=7), end=END)
    json.dumps(stats)
    assert stats["lessons_completed"] == 7 + 1
    assert stats["completions_by_category"] == {"drawing": 7, "colour": 1}
    assert stats["active_learners"] == 2 and stats["learners_completing"] == 2
    assert stats["progress_events"] == 7 + 1 + 1 and stats["manual_updates"] == 1
    assert stats["lessons_started"] == 7 + 1 + 1  # a completion without a start counts as started
    assert stats["average_score"] == round((4 * 1.0 + 3 * 0.5) / 7, 4)  # the casual lesson has no checks: no score
    assert (stats["learners_streak_3"], stats["learners_streak_7"]) == (1, 1)


def test_report_of_an_empty_window_is_all_zeros():
    CategoryFactory(slug="writing")
    stats = report_learning_stats(start=END - timedelta(days=1), end=END)
    assert stats["lessons_completed"] == stats["active_learners"] == stats["progress_events"] == 0
    assert stats["average_score"] is None and stats["completions_by_category"] == {"writing": 0}
