"""Result pages are cached under the catalog version; any lesson change invalidates them."""

import pytest

from search import selectors
from tests.search.factories import LessonFactory, save_lesson


def test_a_repeated_search_is_served_from_the_cache(db, catalog):
    first = selectors.search_execute(query="colour", turbo=True)
    again = selectors.search_execute(query="  COLOUR ", turbo=True)
    assert (first.cached, again.cached) == (False, True)
    assert [h.slug for h in again.items] == [h.slug for h in first.items]
    assert again.count == first.count and str(again.items[0].snippet_html) == str(first.items[0].snippet_html)


def test_modes_and_filters_are_cached_apart(db, catalog):
    selectors.search_execute(query="colour", turbo=True)
    assert selectors.search_execute(query="colour", turbo=False).cached is False
    assert selectors.search_execute(query="colour", turbo=True, page=2).cached is False
    assert selectors.search_execute(query="colour", turbo=True, category=catalog["wheel"].category).cached is False


@pytest.mark.parametrize("turbo", [True, False])
def test_a_new_lesson_invalidates_cached_results(db, catalog, turbo):
    selectors.search_execute(query="wheel", turbo=turbo)
    LessonFactory(slug="new-wheel", title="Wheel of values")
    result = selectors.search_execute(query="wheel", turbo=turbo)
    assert result.cached is False
    assert {h.slug for h in result.items} == {"colour-wheel", "new-wheel"}


@pytest.mark.parametrize("turbo", [True, False])
def test_an_edited_lesson_invalidates_cached_results(db, catalog, turbo):
    selectors.search_execute(query="wheel", turbo=turbo)
    catalog["wheel"].title = "Colour circle"
    catalog["wheel"].summary = "Mix a circle."
    catalog["wheel"].body_markdown = "Paint a circle of hues."
    save_lesson(catalog["wheel"])
    result = selectors.search_execute(query="wheel", turbo=turbo)
    assert result.cached is False and result.items == []


def test_search_works_when_the_cache_is_down(auth_client, catalog, settings):
    settings.CACHES = {"default": {
        "BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient", "SOCKET_CONNECT_TIMEOUT": 0.2,
                    "SOCKET_TIMEOUT": 0.2},
    }}
    for _ in range(2):
        response = auth_client.get("/api/v1/search/", {"q": "grey"})
        assert response.status_code == 200
        body = response.json()
        assert [hit["slug"] for hit in body["results"]] == ["complementary-greys"] and body["cached"] is False
