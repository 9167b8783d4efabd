"""One truth for progress: every view that says "N of M lessons" agrees, whatever the learner does.

A hypothesis state machine drives random sequences of what a learner and staff can do (start a
lesson, check an answer, complete it right or wrong, retry, set a self-paced marker, publish or
unpublish a lesson, add a lesson) through the API and the pages, and after every step asserts
that the API's progress rows, the summary, the lessons list, the lesson page's sidebar, the home
page bars, the progress page's charts, the recommendations' reasons, the history and the report
all count the same completions. Runs on whichever storage shape the suite runs on.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from controlpanel.api.ratelimit import clear_counters
from lessons.models import Lesson, LessonProgress
from lessons.services import lessons_publish
from progress.models import ProgressEvent
from progress.selectors import report_learning_stats
from tests.conftest import login
from tests.factories import UserFactory
from tests.lessons.factories import CategoryFactory, LessonCheckFactory, LessonFactory
from tests.pages.conftest import signed_in

pytestmark = pytest.mark.django_db(transaction=False)

CATEGORIES = 3
LESSONS_PER_CATEGORY = 3
EXPLORED = Counter()  # rules run and examples, printed by test_every_view_agrees_* for the closing figures


def add_lesson(category, n: int) -> Lesson:
    lesson = LessonFactory(category=category, difficulty=1 + n % 3, title=f"{category.name} lesson {n}")
    for order in range(1 + n % 2):
        LessonCheckFactory(lesson=lesson, order=order, answer=(n + order) % 3)
    return lesson


class ProgressViews(RuleBasedStateMachine):
    """The learner's state lives in the database; the machine only remembers what it created."""

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()  # each example rolls back to an empty catalog
        cache.clear()
        clear_counters()  # a rolled-back learner's id comes back: its rate-limit counters must not
        EXPLORED["examples"] += 1

    @initialize()
    def setup(self):
        self.categories = [CategoryFactory(order=i) for i in range(CATEGORIES)]
        self.lessons = [add_lesson(category, i * LESSONS_PER_CATEGORY + j)
                        for i, category in enumerate(self.categories) for j in range(LESSONS_PER_CATEGORY)]
        self.user = UserFactory()
        self.api = login_client(self.user)
        self.page = signed_in(self.user)

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- what a learner and staff do ------------------------------------------------------

    def _lesson(self, index: int) -> Lesson:
        return self.lessons[index % len(self.lessons)]

    @rule(index=st.integers(0, 40))
    def start(self, index):
        EXPLORED["start"] += 1
        lesson = self._lesson(index)
        response = self.api.post(f"/api/v1/lessons/{lesson.slug}/start/")
        assert response.status_code == (200 if lesson_published(lesson) else 404), response.content

    @rule(index=st.integers(0, 40), order=st.integers(0, 1), choice=st.integers(0, 2))
    def check(self, index, order, choice):
        EXPLORED["check"] += 1
        lesson = self._lesson(index)
        response = self.api.post(f"/api/v1/lessons/{lesson.slug}/checks/{order}/", {"choice": choice}, format="json")
        if not lesson_published(lesson):
            assert response.status_code == 404
        elif order >= lesson.checks.count():
            assert (response.status_code, response.json()["code"]) == (404, "check_not_found")
        else:
            assert response.status_code == 200, response.content

    @rule(index=st.integers(0, 40), right=st.lists(st.booleans(), min_size=2, max_size=2))
    def complete(self, index, right):
        EXPLORED["complete"] += 1
        lesson = self._lesson(index)
        checks = list(lesson.checks.order_by("order"))
        answers = [c.answer if ok else (c.answer + 1) % 3 for c, ok in zip(checks, right, strict=False)]
        response = self.api.post(f"/api/v1/lessons/{lesson.slug}/complete/", {"answers": answers}, format="json")
        assert response.status_code == (200 if lesson_published(lesson) else 404), response.content

    @rule(index=st.integers(0, 40))
    def complete_without_answers(self, index):
        EXPLORED["complete_without_answers"] += 1
        lesson = self._lesson(index)
        response = self.api.post(f"/api/v1/lessons/{lesson.slug}/complete/", {}, format="json")
        assert response.status_code == (400 if lesson_published(lesson) else 404)

    @rule(category=st.integers(0, CATEGORIES - 1), value=st.integers(-1, 6))
    def put_progress(self, category, value):
        EXPLORED["put_progress"] += 1
        slug = self.categories[category].slug
        response = self.api.put(f"/api/v1/progress/{slug}/", {"progress": value}, format="json")
        total = Lesson.objects.published().filter(category=self.categories[category]).count()
        assert response.status_code == (200 if 0 <= value <= total else 400), response.content

    @rule(index=st.integers(0, 40), publish=st.booleans())
    def publish(self, index, publish):
        EXPLORED["publish" if publish else "unpublish"] += 1
        lessons_publish(lessons=[Lesson.objects.get(pk=self._lesson(index).pk)], publish=publish)

    @rule(category=st.integers(0, CATEGORIES - 1))
    def add(self, category):
        EXPLORED["add_lesson"] += 1
        self.lessons.append(add_lesson(self.categories[category], len(self.lessons)))

    # --- every view agrees ------------------------------------------------------------------

    @invariant()
    def every_view_counts_the_same_completions(self):
        if not hasattr(self, "user"):
            return
        EXPLORED["steps checked"] += 1
        truth = counted_truth(self.user, self.categories)

        rows = {r["category"]["slug"]: r for r in self.api.get("/api/v1/progress/").json()["results"]}
        assert {slug: (r["progress"], r["total_lessons"]) for slug, r in rows.items()} == truth
        for slug, r in rows.items():
            done, total = truth[slug]
            assert r["is_complete"] == (total > 0 and done == total)
            assert r["marked"] is None or 0 <= r["marked"] <= total

        summary = self.api.get("/api/v1/progress/summary/").json()
        done_all, total_all = sum(d for d, _ in truth.values()), sum(t for _, t in truth.values())
        assert (summary["lessons_completed"], summary["lessons_total"]) == (done_all, total_all)
        assert summary["overall_percent"] == (round(100 * done_all / total_all, 1) if total_all else 0.0)
        assert summary["categories_complete"] == sum(1 for d, t in truth.values() if t and d == t)

        for category in self.categories:
            listed = self.api.get("/api/v1/lessons/", {"category": category.slug, "page_size": 100}).json()["results"]
            assert (sum(1 for item in listed if item["status"] == "completed"), len(listed)) == truth[category.slug]

        home = self.page.get("/home/")
        assert {bar["slug"]: (bar["progress"], bar["total"]) for bar in home.context["categories"]} == truth
        assert home.context["summary"].lessons_completed == done_all

        progress_page = self.page.get("/progress/")
        for item in progress_page.context["category_charts"]:
            assert (item["progress"], item["total"]) == truth[item["slug"]]
        series = progress_page.context["series"]
        for slug, (done, _) in truth.items():
            values = [value for _, value in series[slug]]
            assert values[-1] == done and values == sorted(values), (slug, values)

        for category in self.categories:
            sample = Lesson.objects.published().filter(category=category).first()
            if sample is not None:
                sidebar = self.page.get(f"/lessons/{sample.slug}/").context["category_progress"]
                assert (sidebar["progress"], sidebar["total"]) == truth[category.slug]

        shares = {slug: d / t for slug, (d, t) in truth.items() if t}
        names = {c.name: c.slug for c in self.categories}
        for rec in self.api.get("/api/v1/lessons/recommendations/", {"limit": 20}).json():
            slug = names[rec["category"]["name"]]
            if "your lowest category" in rec["reasons"]:
                assert shares[slug] == min(shares.values()) and shares[slug] < 1, (rec, shares)

        completed = LessonProgress.objects.filter(user=self.user, status="completed")
        lesson_events = ProgressEvent.objects.filter(user=self.user, source="lesson")
        assert lesson_events.count() == completed.count()
        history = self.api.get("/api/v1/progress/history/", {"page_size": 100}).json()
        assert sum(1 for e in history["results"] if e["source"] == "lesson") == min(completed.count(), 100)

        now = timezone.now()
        stats = report_learning_stats(start=now - timedelta(days=1), end=now + timedelta(seconds=1))
        assert stats["lessons_completed"] == completed.count()


def lesson_published(lesson: Lesson) -> bool:
    return Lesson.objects.filter(pk=lesson.pk, is_published=True).exists()


def counted_truth(user, categories) -> dict[str, tuple[int, int]]:
    """The one definition, computed independently: completed published lessons of published lessons."""
    truth = {}
    for category in categories:
        published = Lesson.objects.filter(category=category, is_published=True)
        done = LessonProgress.objects.filter(user=user, status="completed", lesson__in=published).count()
        truth[category.slug] = (done, published.count())
    return truth


def login_client(user):
    from rest_framework.test import APIClient

    client = APIClient(REMOTE_ADDR="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login(client, user.username)['access']}")
    return client


def test_every_view_agrees_on_progress_after_any_sequence_of_actions(db, capsys):
    run_state_machine_as_test(
        ProgressViews,
        settings=settings(max_examples=20, stateful_step_count=12, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]),
    )
    with capsys.disabled():
        print("\nprogress state machine explored: "
              + ", ".join(f"{name} {n}" for name, n in sorted(EXPLORED.items())))
    assert EXPLORED["steps checked"] > EXPLORED["examples"]


def test_a_failure_after_the_history_step_rolls_the_whole_completion_back(user, monkeypatch):
    from progress import services

    lesson = add_lesson(CategoryFactory(), 0)

    def explode(**kwargs):
        raise RuntimeError("downstream failure")

    monkeypatch.setattr(services, "streak_record_activity", explode)
    with pytest.raises(RuntimeError):
        services.lesson_complete(user=user, lesson=lesson, answers=[c.answer for c in lesson.checks.all()])
    assert not LessonProgress.objects.filter(user=user, status="completed").exists()
    assert not ProgressEvent.objects.filter(user=user).exists()
