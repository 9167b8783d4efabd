"""Download my data: every section, only the requester's rows, a CSV that matches the lesson records."""

import csv
import io
import json

import pytest
from django.test import Client

from lessons.models import LessonProgress
from tests.accounts.personal_data import populate
from tests.accounts.tally import record
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

SECTIONS = ["profile", "preferences", "sessions", "lesson_records", "progress_markers", "progress_history", "streak",
            "badges", "weekly_emails", "search_history", "saved_searches", "activity_days"]


@pytest.fixture
def two_learners(user, other_user):
    populate(user, "mine-alpha")
    populate(other_user, "theirs-zulu")
    return user, other_user


def test_export_holds_every_section_with_only_the_requesters_rows(auth_client, two_learners):
    user, other = two_learners
    response = auth_client.get("/api/v1/auth/me/export/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    for section in SECTIONS:
        assert body.get(section), section
    assert body["profile"]["username"] == user.username and "password" not in body["profile"]
    assert all("refresh_jti" not in s and "id" not in s for s in body["sessions"])
    assert [r["lesson"] for r in body["lesson_records"]] == ["lesson-mine-alpha"]
    lesson = body["lesson_records"][0]
    stored = LessonProgress.objects.get(user=user)
    assert (lesson["score"], lesson["best_score"], lesson["attempts"], lesson["mastery"]) == (
        stored.score, stored.best_score, stored.attempts, stored.mastery)
    assert body["search_history"][0]["query"] == "query mine-alpha"
    assert body["saved_searches"][0]["name"] == "saved mine-alpha"
    assert body["badges"][0]["code"] == "badge-mine-alpha"
    text = json.dumps(body)
    leaks = [m for m in ("theirs-zulu", other.username, other.email) if m in text]
    print(record("data export: other learner's markers", tried=3, failed=len(leaks)))
    assert leaks == []


@pytest.mark.parametrize("how", [{"format": "csv"}, {"HTTP_ACCEPT": "text/csv"}])
def test_csv_parses_and_matches_the_lesson_records(auth_client, two_learners, how):
    user, _ = two_learners
    query = {k: v for k, v in how.items() if k == "format"}
    headers = {k: v for k, v in how.items() if k != "format"}
    response = auth_client.get("/api/v1/auth/me/export/", query, **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    stored = list(LessonProgress.objects.filter(user=user))
    assert len(rows) == len(stored) == 1
    assert rows[0]["lesson"] == stored[0].lesson.slug
    assert float(rows[0]["score"]) == stored[0].score and int(rows[0]["attempts"]) == stored[0].attempts
    assert rows[0]["mastery"] == stored[0].mastery
    assert "theirs-zulu" not in response.content.decode()


@pytest.mark.parametrize("url", ["/api/v1/auth/me/export/", "/api/v1/auth/me/export/?format=csv"])
def test_anonymous_export_is_refused_with_the_json_envelope(api_client, url):
    response = api_client.get(url)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json") and response.json()["code"]


def test_browser_can_download_from_the_account_page(client: Client, two_learners):
    user, _ = two_learners
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)
    page = client.get("/account/").content.decode()
    assert "Download my data" in page
    response = client.get("/api/v1/auth/me/export/")
    assert response.status_code == 200 and response.json()["profile"]["username"] == user.username


def test_an_unknown_accept_gets_the_json_document(auth_client):
    response = auth_client.get("/api/v1/auth/me/export/", HTTP_ACCEPT="image/png")
    assert response.status_code == 200 and response.json()["profile"]["username"] == auth_client.user.username


def test_a_format_the_schema_does_not_list_is_refused_naming_it(auth_client):
    response = auth_client.get("/api/v1/auth/me/export/", {"format": "xml"})
    assert response.status_code == 400
    assert response.json()["details"] == {"format": ["Choose one of: csv, json."]}
