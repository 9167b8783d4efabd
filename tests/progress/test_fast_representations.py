"""The hand-built API bodies of the hot progress reads equal what their declared serializers give."""

from datetime import UTC, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from progress import selectors, services
from progress.api.serializers import ProgressEventOutputSerializer, SummaryOutputSerializer
from progress.models import ProgressEvent
from progress.selectors import Badge, DailyGoal, ProgressSummary, WeekFigures
from tests.factories import UserFactory
from tests.lessons.factories import CategoryFactory, lesson_with_checks, right_answers

ZONES = st.sampled_from([UTC, ZoneInfo("Pacific/Auckland"), ZoneInfo("America/St_Johns"), ZoneInfo("Europe/Berlin")])
moments = st.builds(lambda moment, zone: moment.replace(tzinfo=UTC).astimezone(zone),
                    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)), ZONES)
counts = st.integers(min_value=0, max_value=10_000)
text = st.text(max_size=30)
badges = st.builds(Badge, code=text, name=text, description=text, icon=text, awarded_at=st.none() | moments)
weeks = st.builds(WeekFigures, starts_on=st.dates(), lessons_completed=counts, minutes=counts, progress_events=counts)
summaries = st.builds(
    ProgressSummary,
    overall_percent=st.floats(min_value=0, max_value=100),
    lessons_completed=counts, lessons_total=counts,
    average_score=st.none() | st.floats(min_value=0, max_value=1),
    categories_complete=counts, categories_total=counts, current_streak=counts, best_streak=counts,
    active_today=st.booleans(), badges=st.lists(badges, max_size=6), last_activity=st.none() | moments,
    this_week=weeks, last_week=weeks,
    daily_goal=st.builds(DailyGoal, goal_minutes=st.integers(min_value=0, max_value=240), today_minutes=counts,
                         lessons_today=counts),
)


@settings(max_examples=200, deadline=None)
@given(summaries)
def test_the_fast_summary_body_is_the_serializers(summary):
    assert SummaryOutputSerializer.represent(summary) == SummaryOutputSerializer(summary).data


events = st.builds(
    SimpleNamespace,
    id=st.integers(min_value=1, max_value=2**62), category=st.builds(SimpleNamespace, slug=text, name=text),
    previous=counts, new=counts, source=st.sampled_from(ProgressEvent.Source.values),
    lesson=st.none() | st.builds(SimpleNamespace, slug=text, title=text), created_at=moments,
)


def as_row(event) -> dict:
    """The event as ``progress_history_rows`` gives it."""
    return {"id": event.id, "previous": event.previous, "new": event.new, "source": event.source,
            "created_at": event.created_at, "category__slug": event.category.slug,
            "category__name": event.category.name, "lesson__slug": event.lesson and event.lesson.slug,
            "lesson__title": event.lesson and event.lesson.title}


@settings(max_examples=200, deadline=None)
@given(st.lists(events, max_size=5))
def test_the_fast_history_page_is_the_serializers(page):
    assert ProgressEventOutputSerializer.represent_many([as_row(e) for e in page]) == \
        ProgressEventOutputSerializer(page, many=True).data


def test_history_rows_are_the_events_fields(db):
    """Each row of ``progress_history_rows`` holds what the event's models hold, with and without a lesson, in
    the same order and under the same filters."""
    user, category = UserFactory(), CategoryFactory()
    other = CategoryFactory()
    for n in range(3):
        lesson = lesson_with_checks(category=category if n % 2 else other)
        services.lesson_complete(user=user, lesson=lesson, answers=right_answers(lesson))
    services.progress_mark(user=user, category=category, marked=1)
    for filters in ({}, {"category": category}, {"category": other.slug}):
        events = list(selectors.progress_history(user=user, **filters))
        rows = list(selectors.progress_history_rows(user=user, **filters))
        assert len(rows) == len(events) > 0
        assert rows == [as_row(e) for e in events]
    assert any(row["lesson__slug"] is None for row in selectors.progress_history_rows(user=user))
