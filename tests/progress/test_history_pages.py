"""progress/history/ pages: links from page to page, every event once, newest first, whatever the history's length."""

import base64
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from progress.models import ProgressEvent
from tests.lessons.factories import CategoryFactory, LessonFactory

pytestmark = pytest.mark.django_db


def history_of(user, category, moments) -> list[int]:
    """Bulk events (ties included) for ``user``; their ids newest first, as the history orders them."""
    events = ProgressEvent.objects.bulk_create([
        ProgressEvent(user=user, category=category, previous=0, new=i % 5, source=ProgressEvent.Source.MANUAL,
                      created_at=moment)
        for i, moment in enumerate(moments)
    ])
    return [e.pk for e in sorted(events, key=lambda e: (e.created_at, e.pk), reverse=True)]


def walk(client, url) -> tuple[list[int], list[dict]]:
    ids, bodies = [], []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        bodies.append(body)
        ids += [e["id"] for e in body["results"]]
        url = body["next"]
    return ids, bodies


def test_following_next_lists_every_event_once_newest_first_ties_included(auth_client):
    category = CategoryFactory()
    LessonFactory.create_batch(5, category=category)
    now = timezone.now()
    # 23 events, several sharing one moment to the microsecond (as one transaction's events do).
    moments = [now - timedelta(minutes=i // 3) for i in range(23)]
    expected = history_of(auth_client.user, category, moments)
    ids, bodies = walk(auth_client, "/api/v1/progress/history/?page_size=4")
    assert ids == expected
    assert [len(b["results"]) for b in bodies] == [4, 4, 4, 4, 4, 3]
    assert bodies[0]["previous"] is None and all(b["previous"] for b in bodies[1:])
    assert all("count" not in b for b in bodies)


def test_previous_leads_back_to_the_page_before(auth_client):
    category = CategoryFactory()
    LessonFactory.create_batch(5, category=category)
    now = timezone.now()
    expected = history_of(auth_client.user, category, [now - timedelta(minutes=i) for i in range(9)])
    first = auth_client.get("/api/v1/progress/history/?page_size=4").json()
    second = auth_client.get(first["next"]).json()
    back = auth_client.get(second["previous"]).json()
    assert [e["id"] for e in second["results"]] == expected[4:8]
    assert [e["id"] for e in back["results"]] == expected[:4]


def test_pages_keep_the_filters(auth_client):
    a, b = CategoryFactory(), CategoryFactory()
    LessonFactory.create_batch(5, category=a)
    LessonFactory.create_batch(5, category=b)
    now = timezone.now()
    only_a = history_of(auth_client.user, a, [now - timedelta(minutes=2 * i) for i in range(7)])
    history_of(auth_client.user, b, [now - timedelta(minutes=2 * i + 1) for i in range(7)])
    ids, _ = walk(auth_client, f"/api/v1/progress/history/?page_size=3&category={a.slug}")
    assert ids == only_a


@pytest.mark.parametrize("cursor", [
    "garbage!", base64.b64encode(b"o=1&p=yesterday").decode(), base64.b64encode(b"o=-4").decode(),
    base64.b64encode(b"p=2026-05-01 10:00:00").decode(),  # a naive moment is not one this list writes
])
def test_a_cursor_this_list_did_not_give_out_is_a_400_naming_it(auth_client, cursor):
    response = auth_client.get("/api/v1/progress/history/", {"cursor": cursor})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error" and list(body["details"]) == ["cursor"]


@pytest.mark.parametrize("page_size", ["0", "101", "ten"])
def test_page_size_out_of_bounds_is_a_400_naming_it(auth_client, page_size):
    response = auth_client.get("/api/v1/progress/history/", {"page_size": page_size})
    assert response.status_code == 400
    assert list(response.json()["details"]) == ["page_size"]


def test_the_page_number_of_the_old_pages_is_no_longer_a_parameter(auth_client):
    response = auth_client.get("/api/v1/progress/history/?page=2")
    assert response.status_code == 400 and list(response.json()["details"]) == ["page"]


def test_the_schema_documents_links_and_no_count(auth_client):
    schema = auth_client.get("/api/v1/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/progress/history/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"cursor", "page_size", "category", "since", "until"} <= names and "page" not in names
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][page]["properties"]) == {"next", "previous", "results"}


def test_a_deep_page_runs_the_same_statements_as_the_first(auth_client):
    category = CategoryFactory()
    LessonFactory.create_batch(5, category=category)
    now = timezone.now()
    history_of(auth_client.user, category, [now - timedelta(seconds=i) for i in range(300)])

    def statements(url):
        seen = []

        def record(execute, sql, params, many, context):
            seen.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            body = auth_client.get(url).json()
        return seen, body

    first, body = statements("/api/v1/progress/history/?page_size=10")
    url = body["next"]
    for _ in range(20):
        url = auth_client.get(url).json()["next"]
    deep, body = statements(url)
    assert len(body["results"]) == 10
    assert len(deep) == len(first)
    assert not any("COUNT(" in sql.upper() or "OFFSET" in sql.upper() for sql in deep)
