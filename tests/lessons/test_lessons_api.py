"""lessons/, lessons/{slug}/, start/ and complete/ through the API."""

import pytest

from lessons.models import Lesson, LessonProgress
from progress.models import ProgressEvent
from progress.selectors import category_progress_get
from tests.lessons.factories import CategoryFactory, LessonFactory, LessonProgressFactory, lesson_with_checks

pytestmark = pytest.mark.django_db


def slugs(response) -> list[str]:
    return [item["slug"] for item in response.json()["results"]]


# --- list ------------------------------------------------------------------------------------

def test_lesson_list_needs_authentication(api_client):
    response = api_client.get("/api/v1/lessons/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_lesson_list_shows_the_catalog_in_order_with_my_status_on_each_item(auth_client, catalog):
    LessonProgressFactory(user=auth_client.user, lesson=catalog["drawing-blind-contour"],
                          status=LessonProgress.Status.COMPLETED, score=0.5, best_score=0.5)
    response = auth_client.get("/api/v1/lessons/?page_size=100")
    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 36
    first = body["results"][0]
    assert first == {
        "slug": "drawing-blind-contour", "title": catalog["drawing-blind-contour"].title,
        "category": {"slug": "drawing", "name": "Drawing"}, "difficulty": 1, "style": "visual",
        "minutes": catalog["drawing-blind-contour"].minutes, "summary": catalog["drawing-blind-contour"].summary,
        "tags": catalog["drawing-blind-contour"].tags, "source": "authored", "status": "completed", "score": 0.5,
        "best_score": 0.5, "mastery": "practising",
    }
    assert {item["status"] for item in body["results"][1:]} == {"not_started"}


def test_my_status_is_not_shown_to_another_learner(auth_client, other_client, catalog):
    LessonProgressFactory(user=auth_client.user, lesson=catalog["drawing-blind-contour"],
                          status=LessonProgress.Status.COMPLETED, score=1.0)
    item = other_client.get("/api/v1/lessons/?category=drawing&difficulty=1").json()["results"][0]
    assert (item["slug"], item["status"], item["score"]) == ("drawing-blind-contour", "not_started", None)


@pytest.mark.parametrize(("query", "expected"), [
    ("category=colour&difficulty=2", ["colour-wheel-three-primaries"]),
    ("style=musical&difficulty=1", ["music-rhythm-steady-pulse"]),
    ("category=writing&style=playful", ["writing-six-word-stories"]),
])
def test_lesson_list_filters_by_category_difficulty_and_style(auth_client, catalog, query, expected):
    assert slugs(auth_client.get(f"/api/v1/lessons/?{query}")) == expected


def test_lesson_list_filters_by_my_status(auth_client, catalog):
    LessonProgressFactory(user=auth_client.user, lesson=catalog["colour-value-scale"], status=LessonProgress.Status.IN_PROGRESS)
    LessonProgressFactory(user=auth_client.user, lesson=catalog["drawing-blind-contour"], status=LessonProgress.Status.COMPLETED)
    assert slugs(auth_client.get("/api/v1/lessons/?status=in_progress")) == ["colour-value-scale"]
    assert slugs(auth_client.get("/api/v1/lessons/?status=completed")) == ["drawing-blind-contour"]
    assert auth_client.get("/api/v1/lessons/?status=not_started").json()["count"] == 34


@pytest.mark.parametrize(("query", "field"), [
    ("difficulty=abc", "difficulty"), ("difficulty=9", "difficulty"), ("style=operatic", "style"),
    ("status=done", "status"), ("category=sculpture", "category"), ("category=../etc", "category"),
])
def test_bad_lesson_filters_are_a_400_naming_the_field(auth_client, catalog, query, field):
    response = auth_client.get(f"/api/v1/lessons/?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert field in body["details"]


def test_unpublished_lessons_are_neither_listed_nor_shown(auth_client):
    hidden = LessonFactory(is_published=False)
    LessonFactory(category=hidden.category)
    assert hidden.slug not in slugs(auth_client.get("/api/v1/lessons/"))
    response = auth_client.get(f"/api/v1/lessons/{hidden.slug}/")
    assert response.status_code == 404
    assert response.json()["code"] == "lesson_not_found"


# --- detail ----------------------------------------------------------------------------------

def test_lesson_detail_has_html_checks_without_answers_neighbours_and_prerequisites(auth_client, catalog):
    LessonProgressFactory(user=auth_client.user, lesson=catalog["colour-wheel-three-primaries"],
                          status=LessonProgress.Status.COMPLETED)
    response = auth_client.get("/api/v1/lessons/colour-warm-and-cool/")
    body = response.json()
    assert response.status_code == 200
    assert body["slug"] == "colour-warm-and-cool"
    assert "<h2>Steps</h2>" in body["html"]
    assert [set(check) for check in body["checks"]] == [{"order", "question", "choices", "attempt"}] * 3
    assert [check["attempt"] for check in body["checks"]] == [None] * 3  # no answer before an attempt
    assert body["prerequisites"] == [{"slug": "colour-wheel-three-primaries", "difficulty": 2, "completed": True,
                                      "title": catalog["colour-wheel-three-primaries"].title}]
    assert body["prerequisites_met"] is True
    # Colour in catalog order: value scale (1), wheel (2), complementary greys (3), warm and cool (3), ...
    assert body["previous"]["slug"] == "colour-complementary-greys"
    assert body["next"]["slug"] == "colour-limited-palette-still-life"
    assert body["progress"]["status"] == "not_started"


def test_first_and_last_lessons_of_a_category_have_no_previous_or_next(auth_client, catalog):
    first = auth_client.get("/api/v1/lessons/drawing-blind-contour/").json()
    last = auth_client.get("/api/v1/lessons/drawing-figure-with-a-story/").json()
    assert first["previous"] is None and first["next"] is not None
    assert last["next"] is None and last["previous"] is not None


def test_lesson_html_is_sanitized_even_when_the_markdown_carries_script(auth_client):
    from lessons.catalog import render_lesson_html

    evil = "## Objective\n\n<script>alert(1)</script><img src=x onerror=alert(2)>[x](javascript:alert(3))"
    lesson = LessonFactory(body_markdown=evil, body_html=render_lesson_html(evil))
    html = auth_client.get(f"/api/v1/lessons/{lesson.slug}/").json()["html"]
    assert "<script" not in html and "alert(1)" not in html
    assert "onerror" not in html and "javascript:" not in html


def test_unknown_lesson_is_a_404_envelope(auth_client):
    response = auth_client.get("/api/v1/lessons/no-such-lesson/")
    assert response.status_code == 404
    assert response.json() == {"code": "lesson_not_found", "message": "No such lesson.",
                               "details": {"slug": "no-such-lesson"}}


# --- start -----------------------------------------------------------------------------------

def test_start_marks_the_lesson_in_progress_and_starting_again_changes_nothing(auth_client):
    lesson = lesson_with_checks()
    first = auth_client.post(f"/api/v1/lessons/{lesson.slug}/start/")
    second = auth_client.post(f"/api/v1/lessons/{lesson.slug}/start/")
    assert first.status_code == second.status_code == 200
    assert first.json()["progress"]["status"] == "in_progress"
    assert second.json()["progress"]["started_at"] == first.json()["progress"]["started_at"]
    assert LessonProgress.objects.filter(user=auth_client.user, lesson=lesson).count() == 1


def test_starting_a_completed_lesson_keeps_it_completed(auth_client):
    lesson = lesson_with_checks()
    auth_client.post(f"/api/v1/lessons/{lesson.slug}/complete/", {"answers": [0, 1]}, format="json")
    body = auth_client.post(f"/api/v1/lessons/{lesson.slug}/start/").json()
    assert body["progress"]["status"] == "completed"


# --- complete --------------------------------------------------------------------------------

def test_complete_scores_the_answers_and_returns_right_answers_with_explanations(auth_client):
    lesson = lesson_with_checks(3)  # right answers: 0, 1, 2
    response = auth_client.post(f"/api/v1/lessons/{lesson.slug}/complete/", {"answers": [0, 1, 0]}, format="json")
    body = response.json()
    assert response.status_code == 200
    assert (body["newly_completed"], body["score"], body["score_of_record"], body["best_score"]) == (
        True, 0.6667, 0.6667, 0.6667)
    assert [(c["your_answer"], c["correct_answer"], c["is_correct"]) for c in body["checks"]] == [
        (0, 0, True), (1, 1, True), (0, 2, False)]
    assert all(c["explanation"] for c in body["checks"])
    assert body["progress"]["status"] == "completed" and body["progress"]["attempts"] == 1


@pytest.mark.parametrize("payload", [{}, {"answers": None}, {"answers": []}])
def test_completing_without_an_answer_to_every_check_is_refused_and_counts_nothing(auth_client, payload):
    lesson = lesson_with_checks(2)
    response = auth_client.post(f"/api/v1/lessons/{lesson.slug}/complete/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] in {"validation_error", "invalid_answers"}
    assert "answers" in response.json()["details"]
    assert not LessonProgress.objects.filter(user=auth_client.user, status="completed").exists()
    assert not ProgressEvent.objects.exists()


def test_completing_twice_counts_once(auth_client):
    lesson = lesson_with_checks(2)
    first = auth_client.post(f"/api/v1/lessons/{lesson.slug}/complete/", {"answers": [0, 1]}, format="json").json()
    second = auth_client.post(f"/api/v1/lessons/{lesson.slug}/complete/", {"answers": [0, 1]}, format="json").json()
    assert (first["newly_completed"], second["newly_completed"]) == (True, False)
    assert second["progress"]["completed_at"] == first["progress"]["completed_at"]
    assert category_progress_get(user=auth_client.user, category=lesson.category).progress == 1
    assert ProgressEvent.objects.filter(user=auth_client.user).count() == 1


def test_retrying_the_checks_raises_the_best_score_but_never_the_score_of_record_or_progress(auth_client):
    lesson = lesson_with_checks(2)
    url = f"/api/v1/lessons/{lesson.slug}/complete/"
    auth_client.post(url, {"answers": [0, 0]}, format="json")
    retry = auth_client.post(url, {"answers": [0, 1]}, format="json").json()
    worse = auth_client.post(url, {"answers": [1, 0]}, format="json").json()
    assert (retry["score"], retry["score_of_record"], retry["best_score"], retry["newly_completed"]) == (1.0, 0.5, 1.0, False)
    assert (worse["score"], worse["score_of_record"], worse["best_score"], worse["progress"]["attempts"]) == (0.0, 0.5, 1.0, 3)
    assert worse["progress"]["mastery"] == "mastered"
    assert category_progress_get(user=auth_client.user, category=lesson.category).progress == 1
    assert ProgressEvent.objects.filter(user=auth_client.user).count() == 1


def test_completion_raises_the_category_progress_by_one_and_writes_one_event(auth_client):
    category = CategoryFactory()
    lessons = [lesson_with_checks(1, category=category) for _ in range(3)]
    auth_client.post(f"/api/v1/lessons/{lessons[1].slug}/complete/", {"answers": [0]}, format="json")
    row = category_progress_get(user=auth_client.user, category=category)
    assert (row.progress, row.total_lessons) == (1, 3)
    event = ProgressEvent.objects.get(user=auth_client.user)
    assert (event.previous, event.new, event.source, event.lesson_id) == (0, 1, "lesson", lessons[1].pk)


@pytest.mark.parametrize(("payload", "code"), [
    ({"answers": [0]}, "invalid_answers"),  # two checks, one answer
    ({"answers": [0, 7]}, "invalid_answers"),  # choice 7 of 3
    ({"answers": [0, -1]}, "validation_error"),
    ({"answers": ["a", 1]}, "validation_error"),
    ({"answers": [0, None]}, "validation_error"),
    ({"answers": "0,1"}, "validation_error"),
    ({"answers": [0, 1], "score": 1}, "validation_error"),
    ([0, 1], "validation_error"),
])
def test_bad_answers_are_a_400_and_complete_nothing(auth_client, payload, code):
    lesson = lesson_with_checks(2)
    response = auth_client.post(f"/api/v1/lessons/{lesson.slug}/complete/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not LessonProgress.objects.filter(user=auth_client.user, status="completed").exists()


def test_completing_an_unknown_or_unpublished_lesson_is_a_404(auth_client):
    hidden = lesson_with_checks(1, is_published=False)
    answers = {"answers": [0]}
    assert auth_client.post("/api/v1/lessons/nope/complete/", answers, format="json").status_code == 404
    assert auth_client.post(f"/api/v1/lessons/{hidden.slug}/complete/", answers, format="json").status_code == 404
    assert not LessonProgress.objects.exists()


def test_complete_is_not_a_get(auth_client):
    lesson = lesson_with_checks(1)
    response = auth_client.get(f"/api/v1/lessons/{lesson.slug}/complete/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


# --- bounded queries --------------------------------------------------------------------------

@pytest.mark.parametrize("page_size", [5, 100])
def test_lesson_list_runs_a_bounded_number_of_queries_whatever_the_page_size(
        auth_client, django_assert_max_num_queries, page_size):
    category = CategoryFactory()
    lessons = LessonFactory.create_batch(120, category=category)
    for lesson in lessons[::3]:
        LessonProgressFactory(user=auth_client.user, lesson=lesson, status=LessonProgress.Status.COMPLETED)
    with django_assert_max_num_queries(4):
        response = auth_client.get(f"/api/v1/lessons/?page_size={page_size}&category={category.slug}")
    assert len(response.json()["results"]) == page_size
    assert Lesson.objects.count() == 120
