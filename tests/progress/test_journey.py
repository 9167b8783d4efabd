"""A new learner's first session, through the API only: everything moves together."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_new_learner_completes_lessons_and_sees_progress_history_summary_and_recommendations_move(
        api_client, catalog, django_capture_on_commit_callbacks):
    registered = api_client.post("/api/v1/auth/register/", {"username": "newcomer", "email": "new@example.com",
                                                            "password": "a-long-creative-passphrase"}, format="json")
    assert registered.status_code == 201
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {registered.json()['tokens']['access']}")

    first = api_client.get("/api/v1/lessons/recommendations/?limit=3").json()[0]
    lesson = api_client.get(f"/api/v1/lessons/{first['slug']}/").json()
    api_client.post(f"/api/v1/lessons/{first['slug']}/start/")
    with django_capture_on_commit_callbacks(execute=True):
        done = api_client.post(f"/api/v1/lessons/{first['slug']}/complete/",
                               {"answers": [0] * len(lesson["checks"])}, format="json").json()
    assert done["newly_completed"] is True

    category = lesson["category"]["slug"]
    row = next(r for r in api_client.get("/api/v1/progress/").json()["results"] if r["category"]["slug"] == category)
    assert row["progress"] == 1
    history = api_client.get(f"/api/v1/progress/history/?category={category}").json()
    assert [(e["previous"], e["new"], e["lesson"]["slug"]) for e in history["results"]] == [(0, 1, first["slug"])]
    summary = api_client.get("/api/v1/progress/summary/").json()
    assert (summary["lessons_completed"], summary["streak"]["current"]) == (1, 1)
    assert "first-lesson" in {b["code"] for b in summary["badges"]}
    after = [r["slug"] for r in api_client.get("/api/v1/lessons/recommendations/?limit=20").json()]
    assert first["slug"] not in after
    listed = api_client.get("/api/v1/lessons/?status=completed").json()["results"]
    assert [item["slug"] for item in listed] == [first["slug"]]
