"""User text never reaches a full-text engine as syntax: hostile queries are searched as text."""

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.search.conftest import search
from tests.search.factories import LessonFactory

HOSTILE = [
    '"', '""', '"colour', "colour\"", "'", "''; DROP TABLE lessons_lesson; --", "AND (", "OR", "NOT colour",
    "colour AND", "(", ")", "((colour", "colour))", "*", "col*", "**", "NEAR(colour wheel)", "NEAR(", "colour NEAR/2",
    "title:colour", "{title}: colour", "^colour", "colour:*", "!colour", "colour & wheel | grey", "<->", "a:*A",
    "\\", "\\'", "%", "_", "%_%", "😀", "🎨 colour 🎨", "👩‍🎨", "\u202e colour", "ｃｏｌｏｕｒ", "COLOUR",
    "x" * 200, "a " * 100, "-colour", "+colour", "colour~", "colour^2", "[colour]", "colour$", "\x00colour",
]


@pytest.fixture
def unlimited(settings):
    settings.RATELIMIT_SEARCH_RATE = "100000/m"
    settings.RATELIMIT_API_RATE = "100000/h"


@pytest.mark.parametrize("turbo", ["true", "false"])
@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_query_is_searched_as_text(auth_client, catalog, unlimited, q, turbo):
    response = search(auth_client, q=q, turbo=turbo)
    assert response.status_code == 200, response.content
    assert isinstance(response.json()["results"], list)


@pytest.mark.parametrize("q", ['"colour', "colour*", "(colour)", "((colour", "🎨colour🎨", "colour:*", "{colour}"])
def test_syntax_around_a_word_finds_what_the_word_finds(auth_client, catalog, unlimited, q):
    expected = {hit["slug"] for hit in search(auth_client, q="colour", turbo="false").json()["results"]}
    got = {hit["slug"] for hit in search(auth_client, q=q, turbo="true").json()["results"]}
    assert got == expected and got


def test_any_text_gets_200_or_a_400_envelope_never_an_error(auth_client, catalog, unlimited):
    @hypothesis_settings(max_examples=120, deadline=None, derandomize=True,
                         suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(q=st.text(max_size=260), turbo=st.sampled_from(["true", "false"]))
    def check(q, turbo):
        response = search(auth_client, q=q, turbo=turbo)
        assert response.status_code in (200, 400), response.content
        if response.status_code == 400:
            assert response.json()["code"] == "validation_error"
            assert "q" in response.json()["details"]
        else:
            plain = search(auth_client, q=q, turbo="false" if turbo == "true" else "true").json()
            assert response.json()["count"] == plain["count"]

    check()


def test_lesson_text_with_syntax_characters_is_indexed_as_words(auth_client, db, unlimited):
    LessonFactory(slug="syntax", title='Quotes "AND" (brackets) * NEAR stars', body_markdown="colon: {braces} ^caret")
    for q in ('"AND"', "(brackets)", "NEAR", "{braces}", "^caret", "stars*"):
        assert [hit["slug"] for hit in search(auth_client, q=q, turbo="true").json()["results"]] == ["syntax"], q


def test_a_request_cleans_its_query_once(auth_client, catalog, monkeypatch):
    from search import text

    calls = []
    original = text.clean_query

    def counting(raw):
        calls.append(raw)
        return original(raw)

    monkeypatch.setattr(text, "clean_query", counting)
    monkeypatch.setattr("search.services.text.clean_query", counting)
    response = auth_client.get("/api/v1/search/", {"q": "  colour\twheel "})
    assert response.status_code == 200 and response.json()["query"] == "colour wheel"
    assert sum(1 for raw in calls if not isinstance(raw, text.CleanQuery)) == 1
