"""progress/, progress/{category}/, progress/history/ through the API."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from lessons.models import Category, Lesson, LessonProgress
from progress import selectors
from progress.models import ProgressEvent, UserProgress
from progress.services import lesson_complete, progress_mark
from tests.factories import UserFactory
from tests.lessons.factories import CategoryFactory, LessonFactory, lesson_with_checks, right_answers

pytestmark = pytest.mark.django_db


def complete_first(user, category: Category, n: int) -> None:
    for lesson in Lesson.objects.published().filter(category=category).order_by("difficulty", "title")[:n]:
        lesson_complete(user=user, lesson=lesson, answers=right_answers(lesson))


def test_progress_lists_every_category_including_untouched_ones(auth_client, catalog):
    complete_first(auth_client.user, Category.objects.get(slug="colour"), 3)
    response = auth_client.get("/api/v1/progress/")
    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 6
    rows = {row["category"]["slug"]: row for row in body["results"]}
    assert [row["category"]["slug"] for row in body["results"]] == [
        "drawing", "colour", "composition", "writing", "music-rhythm", "photography"]
    assert (rows["colour"]["progress"], rows["colour"]["total_lessons"], rows["colour"]["percent"]) == (3, 6, 50.0)
    assert rows["colour"]["last_updated"] is not None
    assert rows["drawing"] == {"category": {"slug": "drawing", "name": "Drawing"}, "progress": 0, "total_lessons": 6,
                               "percent": 0.0, "is_complete": False, "marked": None, "last_updated": None}


def test_progress_rows_match_the_orm_reading_of_the_same_data(user):
    # Categories with equal order fall back to the name; untouched categories count published
    # lessons only; another learner's rows never show.
    first, second, third = CategoryFactory(name="Zebra lines", order=1), CategoryFactory(name="Apple forms", order=1), \
        CategoryFactory(name="Ink", order=0)
    LessonFactory.create_batch(3, category=first)
    LessonFactory.create_batch(2, category=second)
    LessonFactory(category=second, is_published=False)
    LessonFactory.create_batch(4, category=third)
    other = UserFactory()
    complete_first(other, second, 2)
    complete_first(user, first, 2)
    rows = selectors.category_progress_list(user=user)
    assert [row.name for row in rows] == ["Ink", "Apple forms", "Zebra lines"]
    latest = max(LessonProgress.objects.filter(user=user).values_list("completed_at", flat=True))
    assert [(row.slug, row.progress, row.total_lessons, row.last_updated) for row in rows] == [
        (third.slug, 0, 4, None), (second.slug, 0, 2, None), (first.slug, 2, 3, latest)]
    assert timezone.is_aware(rows[2].last_updated)


def test_the_fast_list_representation_is_the_serializers():
    from zoneinfo import ZoneInfo

    from progress.api.serializers import CategoryProgressOutputSerializer
    from progress.selectors import CategoryProgress

    rows = [
        CategoryProgress(slug="ink", name="Ink", order=0, progress=0, total_lessons=4, last_updated=None),
        CategoryProgress(slug="clay", name="Clay & Co", order=1, progress=3, total_lessons=3,
                         last_updated=datetime(2026, 3, 29, 1, 30, 5, 123456, tzinfo=UTC), marked=2),
        CategoryProgress(slug="song", name="Song", order=2, progress=1, total_lessons=3,
                         last_updated=datetime(2026, 7, 1, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))),
        CategoryProgress(slug="void", name="Void", order=3, progress=0, total_lessons=0, last_updated=None),
    ]
    assert CategoryProgressOutputSerializer.represent_many(rows) == CategoryProgressOutputSerializer(rows, many=True).data


def test_put_sets_the_self_paced_marker_beside_the_counted_progress_and_records_one_manual_event(auth_client, catalog):
    complete_first(auth_client.user, Category.objects.get(slug="writing"), 1)
    response = auth_client.put("/api/v1/progress/writing/", {"progress": 4}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["progress"], body["marked"], body["total_lessons"], body["is_complete"]) == (1, 4, 6, False)
    summary = auth_client.get("/api/v1/progress/summary/").json()
    assert (summary["lessons_completed"], summary["categories_complete"]) == (1, 0)
    event = ProgressEvent.objects.get(user=auth_client.user, source="manual")
    assert (event.category.slug, event.previous, event.new, event.source, event.lesson) == ("writing", 0, 4, "manual", None)


def test_put_with_the_same_value_changes_nothing(auth_client, catalog):
    auth_client.put("/api/v1/progress/writing/", {"progress": 2}, format="json")
    response = auth_client.put("/api/v1/progress/writing/", {"progress": 2}, format="json")
    assert response.status_code == 200
    assert ProgressEvent.objects.filter(user=auth_client.user).count() == 1


def test_bulk_put_sets_several_markers_and_answers_every_category(auth_client, catalog):
    response = auth_client.put("/api/v1/progress/", [{"category": "writing", "progress": 2},
                                                     {"category": "colour", "progress": 6}], format="json")
    assert response.status_code == 200
    rows = {row["category"]["slug"]: row for row in response.json()["results"]}
    assert len(rows) == response.json()["count"] == 6
    assert (rows["writing"]["marked"], rows["colour"]["marked"], rows["drawing"]["marked"]) == (2, 6, None)
    assert {row["progress"] for row in rows.values()} == {0}


@pytest.mark.parametrize("payload", [
    [{"category": "writing", "progress": 2}, {"category": "colour", "progress": 99}],
    [{"category": "writing", "progress": 2}, {"category": "sculpture", "progress": 1}],
    [{"category": "writing", "progress": 2}, {"category": "writing", "progress": 3}],
    [{"category": "writing", "progress": 2, "user": 1}],
    {"category": "writing", "progress": 2},
])
def test_bulk_put_is_all_or_nothing(auth_client, catalog, payload):
    response = auth_client.put("/api/v1/progress/", payload, format="json")
    assert response.status_code in (400, 404)
    assert set(response.json()) == {"code", "message", "details"}
    assert not UserProgress.objects.exists() and not ProgressEvent.objects.exists()


@pytest.mark.parametrize("value", [7, -1, 10**12])
def test_put_outside_zero_to_total_is_a_400_and_changes_nothing(auth_client, catalog, value):
    response = auth_client.put("/api/v1/progress/writing/", {"progress": value}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "progress_out_of_range"
    assert response.json()["details"] == {"progress": ["Must be an integer from 0 to 6."]}
    assert not ProgressEvent.objects.exists()
    assert not UserProgress.objects.exists()


@pytest.mark.parametrize("payload", [{"progress": "three"}, {"progress": 2.5}, {"progress": None}, {}, [3], "3",
                                     {"progress": 2, "total_lessons": 2}, {"progress": 2, "user": 1}])
def test_put_with_a_malformed_body_is_a_validation_error(auth_client, catalog, payload):
    response = auth_client.put("/api/v1/progress/writing/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert not ProgressEvent.objects.exists()


def test_put_to_an_unknown_category_is_a_404(auth_client, catalog):
    response = auth_client.put("/api/v1/progress/sculpture/", {"progress": 1}, format="json")
    assert response.status_code == 404
    assert response.json() == {"code": "category_not_found", "message": "No such category.",
                               "details": {"category": "sculpture"}}


def test_get_one_category(auth_client, catalog):
    body = auth_client.get("/api/v1/progress/photography/").json()
    assert (body["category"]["slug"], body["progress"], body["total_lessons"]) == ("photography", 0, 6)


def test_history_lists_my_events_newest_first_with_their_lesson(auth_client):
    lesson = lesson_with_checks(1)
    LessonFactory(category=lesson.category)
    lesson_complete(user=auth_client.user, lesson=lesson, answers=[0])
    progress_mark(user=auth_client.user, category=lesson.category, marked=2)
    body = auth_client.get("/api/v1/progress/history/").json()
    assert (body["next"], body["previous"]) == (None, None) and "count" not in body
    manual, done = body["results"]
    assert (manual["source"], manual["previous"], manual["new"], manual["delta"], manual["lesson"]) == ("manual", 0, 2, 2, None)
    assert (done["previous"], done["new"]) == (0, 1)
    assert (done["source"], done["lesson"]) == ("lesson", {"slug": lesson.slug, "title": lesson.title})
    assert done["category"] == {"slug": lesson.category.slug, "name": lesson.category.name}


def test_history_filters_by_category_and_time_range(auth_client):
    a, b = CategoryFactory(), CategoryFactory()
    LessonFactory.create_batch(5, category=a)
    LessonFactory.create_batch(5, category=b)
    now = timezone.now()
    for value, days_ago in enumerate((10, 5, 1), 1):
        progress_mark(user=auth_client.user, category=a, marked=value, at=now - timedelta(days=days_ago))
    progress_mark(user=auth_client.user, category=b, marked=1, at=now - timedelta(days=5))
    since = (now - timedelta(days=6)).isoformat().replace("+00:00", "Z")
    until = (now - timedelta(days=2)).isoformat().replace("+00:00", "Z")
    only_a = auth_client.get("/api/v1/progress/history/", {"category": a.slug}).json()
    window = auth_client.get("/api/v1/progress/history/", {"since": since, "until": until}).json()
    assert [e["new"] for e in only_a["results"]] == [3, 2, 1]
    assert {e["category"]["slug"] for e in window["results"]} == {a.slug, b.slug} and len(window["results"]) == 2


def test_history_accepts_plain_dates_in_my_time_zone(auth_client):
    from accounts.models import UserPreferences

    UserPreferences.objects.filter(user=auth_client.user).update(time_zone="Pacific/Auckland")
    category = CategoryFactory()
    LessonFactory.create_batch(3, category=category)
    # 2026-03-09 23:30 UTC is already 2026-03-10 in Auckland (UTC+13).
    moment = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)
    progress_mark(user=auth_client.user, category=category, marked=1, at=moment)
    on_the_10th = auth_client.get("/api/v1/progress/history/?since=2026-03-10&until=2026-03-10").json()
    on_the_9th = auth_client.get("/api/v1/progress/history/?since=2026-03-09&until=2026-03-09").json()
    assert (len(on_the_10th["results"]), len(on_the_9th["results"])) == (1, 0)


@pytest.mark.parametrize(("query", "field"), [
    ("since=garbage", "since"), ("until=2026-13-45", "until"), ("category=sculpture", "category"),
    ("since=2026-05-02&until=2026-05-01", "until"), ("since=0001-01-01", "since"),
    ("until=9999-12-31T23:59:59%2B01:00", "until"), ("since=2026-02-30", "since"),
])
def test_bad_history_filters_are_a_400(auth_client, catalog, query, field):
    response = auth_client.get(f"/api/v1/progress/history/?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["details"]


@pytest.mark.parametrize("page_size", [5, 100])
def test_history_runs_a_bounded_number_of_queries_whatever_the_page_size(
        auth_client, django_assert_max_num_queries, page_size):
    category = CategoryFactory()
    lessons = LessonFactory.create_batch(60, category=category)
    for lesson in lessons:
        lesson_complete(user=auth_client.user, lesson=lesson, answers=right_answers(lesson))
    for value in (10, 20, 30):
        progress_mark(user=auth_client.user, category=category, marked=value)
    with django_assert_max_num_queries(5):
        body = auth_client.get(f"/api/v1/progress/history/?page_size={page_size}&category={category.slug}").json()
    assert len(body["results"]) == min(page_size, 63)


@pytest.mark.parametrize("page_size", [2, 100])
def test_progress_list_runs_a_bounded_number_of_queries(auth_client, catalog, django_assert_max_num_queries, page_size):
    for category in Category.objects.all():
        complete_first(auth_client.user, category, 1)
        progress_mark(user=auth_client.user, category=category, marked=2)
    with django_assert_max_num_queries(2):  # the session check and the category rows
        body = auth_client.get(f"/api/v1/progress/?page_size={page_size}").json()
    assert len(body["results"]) == min(page_size, 6)
