"""The hand-built API bodies of the lesson reads equal what their declared serializers give."""

from datetime import UTC
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from lessons.api.serializers import (
    LessonDetailOutputSerializer,
    LessonListOutputSerializer,
    RecommendationOutputSerializer,
)
from lessons.models import Lesson, LessonProgress
from lessons.recommendations import Candidate, CategoryInfo, Recommendation
from lessons.selectors import LessonDetail, LessonLink

text = st.text(max_size=40)
scores = st.none() | st.floats(min_value=0, max_value=1) | st.sampled_from([0.0, 1.0, 1])
lessons = st.builds(
    SimpleNamespace,
    slug=text, title=text, category=st.builds(SimpleNamespace, slug=text, name=text),
    difficulty=st.integers(min_value=1, max_value=5), style=st.sampled_from(Lesson.Style.values),
    minutes=st.integers(min_value=1, max_value=240), summary=text, tags=st.lists(text, max_size=5),
    source=st.sampled_from(Lesson.Source.values), user_status=st.sampled_from(LessonProgress.Status.values),
    user_score=scores, user_best_score=scores,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(lessons, max_size=5))
def test_the_fast_lesson_list_body_is_the_serializers(page):
    assert LessonListOutputSerializer.represent_many(page) == LessonListOutputSerializer(page, many=True).data


recommendations = st.builds(
    Recommendation,
    lesson=st.builds(Candidate, id=st.integers(min_value=1), slug=text, title=text, category_id=st.integers(min_value=1),
                     difficulty=st.integers(min_value=1, max_value=5), style=st.sampled_from(Lesson.Style.values),
                     minutes=st.integers(min_value=1, max_value=240), summary=text),
    category=st.builds(CategoryInfo, id=st.integers(min_value=1), slug=text, name=text, order=st.integers(),
                       published=st.integers(min_value=0)),
    status=st.sampled_from(LessonProgress.Status.values), level=st.integers(min_value=1, max_value=5),
    score=st.floats(min_value=-10, max_value=10, allow_nan=False), reasons=st.lists(text, max_size=4),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(recommendations, max_size=5))
def test_the_fast_recommendations_body_is_the_serializers(ranked):
    assert RecommendationOutputSerializer.represent_many(ranked) == RecommendationOutputSerializer(ranked, many=True).data


links = st.builds(LessonLink, slug=text, title=text, difficulty=st.integers(min_value=1, max_value=5),
                  completed=st.booleans())
times = st.none() | st.datetimes(timezones=st.just(UTC))


@st.composite
def lesson_details(draw):
    checks = [
        SimpleNamespace(order=order, question=draw(text), choices=draw(st.lists(text, min_size=2, max_size=4)),
                        answer=draw(st.integers(min_value=0, max_value=3)), explanation=draw(text))
        for order in range(draw(st.integers(min_value=0, max_value=3)))
    ]
    record = draw(st.none() | st.builds(
        SimpleNamespace, status=st.sampled_from(LessonProgress.Status.values),
        mastery=st.sampled_from(LessonProgress.Mastery.values), score=scores, best_score=scores,
        attempts=st.integers(min_value=0, max_value=50), time_spent_seconds=st.integers(min_value=0, max_value=10**6),
        started_at=times, completed_at=times,
        first_answers=st.dictionaries(st.sampled_from(["0", "1", "2"]), st.integers(min_value=0, max_value=3)),
        last_answers=st.lists(st.none() | st.integers(min_value=0, max_value=3), max_size=3),
    ))
    lesson = draw(lessons)
    lesson.body_html = draw(text)
    return LessonDetail(lesson=lesson, checks=checks, prerequisites=draw(st.lists(links, max_size=3)),
                        previous=draw(st.none() | links), next=draw(st.none() | links), record=record)


@settings(max_examples=200, deadline=None)
@given(lesson_details())
def test_the_fast_lesson_detail_body_is_the_serializers(detail):
    assert LessonDetailOutputSerializer.represent(detail) == LessonDetailOutputSerializer(detail).data
