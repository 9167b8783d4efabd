"""The migration that made completions the one truth repairs rows written under the old counter."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("progress", "0004_weeklyprogressemail"), ("lessons", "0001_initial")]
AFTER = [("progress", "0005_progress_from_completions")]


def migrate(targets):
    """Migrate to ``targets``, every other app staying at its latest migration."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] not in {t[0] for t in targets}]
    executor.migrate(targets)
    return executor.loader.project_state([*targets, *others]).apps


@pytest.fixture
def back_to_latest():
    """Whatever happens in the test, the schema ends at the latest migrations for the tests after it."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_counters_that_disagree_with_completions_become_markers_and_history_only_goes_up(back_to_latest):
    old = migrate(BEFORE)
    User, Category, Lesson = (old.get_model("accounts", "User"), old.get_model("lessons", "Category"),
                              old.get_model("lessons", "Lesson"))
    LessonProgress, UserProgress = old.get_model("lessons", "LessonProgress"), old.get_model("progress", "UserProgress")
    ProgressEvent = old.get_model("progress", "ProgressEvent")
    learner = User.objects.create(username="repaired", username_key="repaired", email="repaired@example.com")
    writing, photography = (Category.objects.create(slug=slug, name=slug.title(), order=i)
                            for i, slug in enumerate(("writing", "photography")))
    lessons = {c.slug: [Lesson.objects.create(slug=f"{c.slug}-{i}", title=f"{c.slug} {i}", category=c, difficulty=1,
                                              style="visual", summary="s", body_markdown="b", body_html="b",
                                              content_hash=f"{c.slug}{i}") for i in range(3)]
               for c in (writing, photography)}
    now = timezone.now()
    for i, lesson in enumerate(lessons["writing"]):  # three completions; the counter says 2 (lowered by hand)
        LessonProgress.objects.create(user=learner, lesson=lesson, status="completed", score=0.5, attempts=1,
                                      completed_at=now - timedelta(days=3 - i))
        ProgressEvent.objects.create(user=learner, category=writing, previous=i, new=i + 1, source="lesson",
                                     lesson=lesson, created_at=now - timedelta(days=3 - i))
    ProgressEvent.objects.create(user=learner, category=writing, previous=3, new=2, source="manual", created_at=now)
    UserProgress.objects.create(user=learner, category=writing, progress=2, total_lessons=3)
    LessonProgress.objects.create(user=learner, lesson=lessons["photography"][0], status="completed", score=1.0,
                                  attempts=1, completed_at=now - timedelta(days=1))
    ProgressEvent.objects.create(user=learner, category=photography, previous=3, new=3, source="lesson",
                                 lesson=lessons["photography"][0], created_at=now - timedelta(days=1))
    ProgressEvent.objects.create(user=learner, category=photography, previous=3, new=1, source="system", created_at=now)
    UserProgress.objects.create(user=learner, category=photography, progress=1, total_lessons=3)

    new = migrate(AFTER)
    markers = dict(new.get_model("progress", "UserProgress").objects.values_list("category__slug", "marked"))
    assert markers == {"writing": 2}  # disagreed: kept as the learner's marker; photography agreed: dropped
    events = new.get_model("progress", "ProgressEvent").objects.order_by("category__slug", "created_at", "id")
    assert list(events.values_list("category__slug", "source", "previous", "new")) == [
        ("photography", "lesson", 0, 1),
        ("writing", "lesson", 0, 1), ("writing", "lesson", 1, 2), ("writing", "lesson", 2, 3),
        ("writing", "manual", 3, 2),
    ]
    best = new.get_model("lessons", "LessonProgress").objects.values_list("score", "best_score")
    assert all(score == best_score for score, best_score in best)
