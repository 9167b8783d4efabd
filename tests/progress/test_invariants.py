"""Progress invariants: never past the total, one history event per change, all in one transaction."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lessons.models import LessonProgress
from lessons.services import lesson_complete
from lessons.signals import lesson_completed
from progress.models import ProgressEvent, UserProgress
from progress.services import ProgressOutOfRange, progress_set
from tests.factories import UserFactory
from tests.lessons.factories import CategoryFactory, lesson_with_checks

pytestmark = pytest.mark.django_db

ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("complete"), st.integers(0, 3)),  # lesson index
        st.tuples(st.just("set"), st.integers(-2, 6)),  # manual value, sometimes out of range
    ),
    max_size=15,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(actions=ACTIONS)
def test_progress_never_exceeds_total_and_every_change_has_exactly_one_event(actions):
    user = UserFactory()
    category = CategoryFactory()
    lessons = [lesson_with_checks(1, category=category) for _ in range(4)]
    first_completions = 0
    for kind, value in actions:
        before = UserProgress.objects.filter(user=user, category=category).values_list("progress", flat=True).first() or 0
        events_before = ProgressEvent.objects.filter(user=user).count()
        if kind == "complete":
            newly = lesson_complete(user=user, lesson=lessons[value], answers=[0]).newly_completed
            first_completions += newly
            expected_events = 1 if newly else 0
        else:
            try:
                progress_set(user=user, category=category, progress=value)
            except ProgressOutOfRange:
                assert not 0 <= value <= 4
            expected_events = 1 if 0 <= value <= 4 and value != before else 0
        row = UserProgress.objects.get(user=user, category=category) if UserProgress.objects.filter(user=user).exists() else None
        if row is not None:
            assert 0 <= row.progress <= row.total_lessons == 4
        assert ProgressEvent.objects.filter(user=user).count() - events_before == expected_events
    assert ProgressEvent.objects.filter(user=user, source="lesson").count() == first_completions
    last = ProgressEvent.objects.filter(user=user).order_by("-created_at", "-id").first()
    if last is not None:
        assert last.new == UserProgress.objects.get(user=user, category=category).progress


def test_a_failure_after_the_progress_step_rolls_the_whole_completion_back(user):
    category = CategoryFactory()
    lesson = lesson_with_checks(1, category=category)

    def explode(**kwargs):
        raise RuntimeError("downstream failure")

    lesson_completed.connect(explode, weak=False, dispatch_uid="test-explode")
    try:
        with pytest.raises(RuntimeError):
            lesson_complete(user=user, lesson=lesson, answers=[0])
    finally:
        lesson_completed.disconnect(dispatch_uid="test-explode")
    assert not LessonProgress.objects.filter(user=user, status="completed").exists()
    assert not ProgressEvent.objects.filter(user=user).exists()
    assert not UserProgress.objects.filter(user=user, progress__gt=0).exists()


def test_completing_in_a_full_category_keeps_progress_at_total_and_still_records_the_lesson(user):
    category = CategoryFactory()
    lessons = [lesson_with_checks(1, category=category) for _ in range(2)]
    progress_set(user=user, category=category, progress=2)
    lesson_complete(user=user, lesson=lessons[0], answers=[0])
    row = UserProgress.objects.get(user=user, category=category)
    assert (row.progress, row.total_lessons) == (2, 2)
    event = ProgressEvent.objects.filter(user=user, source="lesson").get()
    assert (event.previous, event.new, event.lesson_id) == (2, 2, lessons[0].pk)


def test_the_database_refuses_progress_above_total(user):
    from django.db import IntegrityError, transaction

    category = CategoryFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        UserProgress.objects.create(user=user, category=category, progress=3, total_lessons=2)
