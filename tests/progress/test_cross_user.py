"""Every progress and lesson read or write is scoped to the requesting learner."""

import pytest

from lessons.models import LessonProgress
from progress.models import ProgressEvent, UserProgress

pytestmark = pytest.mark.django_db


@pytest.fixture
def victim_history(other_client, catalog):
    lesson = catalog["writing-sensory-notes"]
    other_client.post(f"/api/v1/lessons/{lesson.slug}/complete/", {"answers": [c.answer for c in lesson.checks.all()]},
                      format="json")
    other_client.put("/api/v1/progress/colour/", {"progress": 4}, format="json")
    return other_client.user


def test_my_progress_history_and_summary_never_show_another_learners(auth_client, victim_history):
    progress = {r["category"]["slug"]: r["progress"] for r in auth_client.get("/api/v1/progress/").json()["results"]}
    assert progress["colour"] == 0 and progress["writing"] == 0
    assert auth_client.get("/api/v1/progress/history/").json()["results"] == []
    summary = auth_client.get("/api/v1/progress/summary/").json()
    assert (summary["lessons_completed"], summary["badges"], summary["streak"]["best"]) == (0, [], 0)
    lesson = auth_client.get("/api/v1/lessons/writing-sensory-notes/").json()
    assert lesson["progress"]["status"] == "not_started"


def test_writing_my_progress_never_touches_another_learners(auth_client, victim_history):
    auth_client.put("/api/v1/progress/colour/", {"progress": 1}, format="json")
    assert UserProgress.objects.get(user=victim_history, category__slug="colour").marked == 4
    assert ProgressEvent.objects.filter(user=victim_history).count() == 2


@pytest.mark.parametrize("payload", [{"progress": 6, "user": "victim"}, {"progress": 6, "user_id": 0},
                                     {"progress": 1, "total_lessons": 1}])
def test_mass_assignment_of_user_or_total_is_refused(auth_client, victim_history, payload):
    if "user_id" in payload:
        payload["user_id"] = victim_history.pk
    response = auth_client.put("/api/v1/progress/colour/", payload, format="json")
    assert response.status_code == 400
    assert set(response.json()["details"]) & {"user", "user_id", "total_lessons"}
    assert UserProgress.objects.get(user=victim_history, category__slug="colour").marked == 4
    assert not UserProgress.objects.filter(user=auth_client.user).exists()


def test_completing_a_lesson_only_completes_it_for_me(auth_client, victim_history, catalog):
    lesson = catalog["colour-value-scale"]
    response = auth_client.post(f"/api/v1/lessons/{lesson.slug}/complete/",
                                {"answers": [c.answer for c in lesson.checks.all()]}, format="json")
    assert response.json()["newly_completed"] is True
    assert not LessonProgress.objects.filter(user=victim_history, lesson=lesson).exists()


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/api/v1/progress/"), ("get", "/api/v1/progress/summary/"), ("get", "/api/v1/progress/history/"),
    ("put", "/api/v1/progress/colour/"), ("get", "/api/v1/lessons/"), ("get", "/api/v1/lessons/recommendations/"),
    ("get", "/api/v1/lessons/colour-value-scale/"), ("post", "/api/v1/lessons/colour-value-scale/start/"),
    ("post", "/api/v1/lessons/colour-value-scale/complete/"),
])
def test_every_endpoint_refuses_anonymous_callers(api_client, catalog, method, path):
    response = getattr(api_client, method)(path, {"progress": 1} if method == "put" else None, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert not LessonProgress.objects.exists() and not UserProgress.objects.exists()
