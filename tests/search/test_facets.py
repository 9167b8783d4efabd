"""Facets, combined filters and the learner's status on every result, in the API (the page has its own tests)."""

import pytest

from lessons.models import LessonProgress
from tests.search.conftest import search
from tests.search.factories import LessonFactory, save_lesson


@pytest.fixture
def styled(db, catalog):
    wheel = catalog["wheel"]
    wheel.difficulty, wheel.style = 2, "analytical"
    save_lesson(wheel)  # as the lessons services change it: the search index follows
    LessonFactory(slug="colour-notes", title="Colour notes", category=catalog["wheel"].category, difficulty=2,
                  style="narrative")
    return catalog


@pytest.mark.parametrize("turbo", ["true", "false"])
def test_facets_count_the_matches_by_category_difficulty_and_style(auth_client, styled, turbo):
    body = search(auth_client, q="colour", turbo=turbo).json()
    assert body["count"] == 4
    assert body["facets"]["category"] == {"colour": 3, "drawing": 1}
    assert body["facets"]["difficulty"] == {"1": 2, "2": 2}
    assert sum(body["facets"]["style"].values()) == 4
    assert body["facets"]["style"]["narrative"] >= 1 and body["facets"]["style"]["analytical"] == 1


@pytest.mark.parametrize("turbo", ["true", "false"])
def test_filters_combine_and_the_facets_follow_them(auth_client, styled, turbo):
    body = search(auth_client, q="colour", turbo=turbo, category="colour", difficulty="2").json()
    assert {hit["slug"] for hit in body["results"]} == {"colour-wheel", "colour-notes"}
    assert body["facets"]["category"] == {"colour": 2} and body["facets"]["difficulty"] == {"2": 2}
    only = search(auth_client, q="colour", turbo=turbo, category="colour", difficulty="2", style="narrative").json()
    assert [hit["slug"] for hit in only["results"]] == ["colour-notes"]


def test_an_unknown_style_or_difficulty_is_a_400_in_the_envelope(auth_client, catalog):
    for params in ({"style": "loud"}, {"difficulty": "9"}):
        response = search(auth_client, q="colour", **params)
        assert response.status_code == 400 and response.json()["code"] == "validation_error"


def test_every_result_carries_the_learners_status(auth_client, other_client, catalog, user):
    LessonProgress.objects.create(user=user, lesson=catalog["wheel"], status=LessonProgress.Status.COMPLETED)
    LessonProgress.objects.create(user=user, lesson=catalog["greys"], status=LessonProgress.Status.IN_PROGRESS)
    statuses = {hit["slug"]: hit["status"] for hit in search(auth_client, q="colour").json()["results"]}
    assert statuses == {"colour-wheel": "completed", "complementary-greys": "in_progress", "gesture": "not_started"}
    theirs = {hit["slug"]: hit["status"] for hit in search(other_client, q="colour").json()["results"]}
    assert set(theirs.values()) == {"not_started"}  # statuses are per learner, even from the shared cache


def test_the_rows_a_result_page_is_built_from_are_the_orms(db, category):
    from lessons.models import Lesson
    from search import backends

    shown = LessonFactory(category=category, title="Ünïcode “quotes” & <tags>", summary="Line one.\nLine two.",
                          body_markdown="## Steps\n\n1. Paint.", style="visual", difficulty=4)
    other = LessonFactory(title="Elsewhere", style="")
    hidden = LessonFactory(category=category, is_published=False)
    ids = [hidden.pk, other.pk, shown.pk, 10**9]
    expected = {row[0]: row for row in
                Lesson.objects.published().filter(pk__in=ids).values_list(*backends.HIT_FIELDS)}
    assert backends.published_rows(ids) == expected
    assert set(expected) == {shown.pk, other.pk}
