"""Parallel completions of one lesson by one learner count once (real threads, real transactions)."""

import threading

import pytest
from django.db import connection

from progress.models import LearningStreak, ProgressEvent
from progress.selectors import category_progress_get
from progress.services import lesson_complete, lesson_start
from tests.factories import UserFactory
from tests.lessons.factories import CategoryFactory, lesson_with_checks, right_answers

THREADS = 8


def in_parallel(target, n: int = THREADS) -> list:
    barrier = threading.Barrier(n)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(target())
        except Exception as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_completions_of_one_lesson_count_once():
    user = UserFactory()
    category = CategoryFactory()
    lesson = lesson_with_checks(2, category=category)
    lesson_with_checks(1, category=category)
    results = in_parallel(lambda: lesson_complete(user=user, lesson=lesson, answers=[0, 1]))
    assert sum(1 for r in results if r.newly_completed) == 1
    row = category_progress_get(user=user, category=category)
    assert (row.progress, row.total_lessons) == (1, 2)
    assert ProgressEvent.objects.filter(user=user).count() == 1
    assert LearningStreak.objects.get(user=user).current == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_completions_of_different_lessons_each_count_and_never_pass_the_total():
    user = UserFactory()
    category = CategoryFactory()
    lessons = [lesson_with_checks(1, category=category) for _ in range(3)]
    lesson_start(user=user, lesson=lessons[0])
    jobs = iter(lessons * 2)  # each lesson twice, six threads
    lock = threading.Lock()

    def next_job():
        with lock:
            return next(jobs)

    def complete_next():
        lesson = next_job()
        return lesson_complete(user=user, lesson=lesson, answers=right_answers(lesson))

    in_parallel(complete_next, n=6)
    row = category_progress_get(user=user, category=category)
    assert (row.progress, row.total_lessons) == (3, 3)
    events = list(ProgressEvent.objects.filter(user=user).order_by("created_at", "id").values_list("previous", "new"))
    assert sorted(events) == [(0, 1), (1, 2), (2, 3)]
