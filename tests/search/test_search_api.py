"""GET /api/v1/search/: results, snippets, modes, parameters."""

import pytest

from accounts.models import UserPreferences
from tests.search.conftest import result_slugs, search
from tests.search.factories import LessonFactory


@pytest.mark.parametrize("turbo", ["true", "false"])
def test_search_returns_matching_published_lessons_with_their_fields(auth_client, catalog, turbo):
    response = search(auth_client, q="colour wheel", turbo=turbo)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and body["count_exact"] is True
    assert body["turbo_used"] is (turbo == "true")
    assert body["query"] == "colour wheel"
    assert isinstance(body["took_ms"], float)
    [hit] = body["results"]
    assert hit["slug"] == "colour-wheel"
    assert hit["title"] == "Colour wheel from three tubes"
    assert hit["category"] == {"slug": "colour", "name": "Colour"}
    assert hit["difficulty"] == 1
    assert hit["title_highlighted"] == "<mark>Colour</mark> <mark>wheel</mark> from three tubes"
    assert "<mark>wheel</mark>" in hit["snippet"]
    assert isinstance(hit["score"], float)


@pytest.mark.parametrize("turbo", ["true", "false"])
def test_every_word_must_match_somewhere_in_the_lesson(auth_client, catalog, turbo):
    assert result_slugs(auth_client, q="grey orange", turbo=turbo) == ["complementary-greys"]
    assert result_slugs(auth_client, q="grey contour", turbo=turbo) == []


@pytest.mark.parametrize("turbo", ["true", "false"])
def test_words_match_inside_longer_words(auth_client, catalog, turbo):
    # "colour" is inside "watercolour" (the wheel lesson's body) and "colours" (the greys summary).
    assert set(result_slugs(auth_client, q="COLOUR", turbo=turbo)) == {"colour-wheel", "complementary-greys", "gesture"}
    assert result_slugs(auth_client, q="tercol", turbo=turbo) == ["colour-wheel"]


@pytest.mark.parametrize("turbo", ["true", "false"])
def test_tags_and_category_name_are_searched(auth_client, catalog, turbo):
    assert result_slugs(auth_client, q="primaries", turbo=turbo) == ["colour-wheel"]
    assert set(result_slugs(auth_client, q="drawing", turbo=turbo)) == {"blind-contour", "gesture"}


@pytest.mark.parametrize("turbo", ["true", "false"])
def test_unpublished_lessons_are_never_found(auth_client, catalog, turbo):
    assert "hidden-draft" not in result_slugs(auth_client, q="hidden", turbo=turbo)


@pytest.mark.parametrize("turbo", ["true", "false"])
def test_title_matches_come_first(auth_client, db, category, turbo):
    LessonFactory(slug="body-only", title="Aaa first by title", category=category, body_markdown="about the horizon")
    LessonFactory(slug="in-title", title="Zzz horizon lines", category=category)
    assert result_slugs(auth_client, q="horizon", turbo=turbo) == ["in-title", "body-only"]


@pytest.mark.parametrize("turbo", ["true", "false"])
def test_category_filter_keeps_only_that_category(auth_client, catalog, turbo):
    assert result_slugs(auth_client, q="colour", category="drawing", turbo=turbo) == ["gesture"]


def test_turbo_defaults_to_the_users_preference(auth_client, catalog, user):
    UserPreferences.objects.update_or_create(user=user, defaults={"turbo_default": False})
    assert search(auth_client, q="colour").json()["turbo_used"] is False
    UserPreferences.objects.filter(user=user).update(turbo_default=True)
    assert search(auth_client, q="colour").json()["turbo_used"] is True


@pytest.mark.parametrize("turbo", ["true", "false"])
def test_snippets_and_titles_are_escaped_except_the_marks(auth_client, db, category, turbo):
    LessonFactory(slug="xss", title="<script>alert(1)</script> shading", category=category,
                  summary='Shading with <b>"quotes"</b> & ampersands')
    [hit] = search(auth_client, q="shading", turbo=turbo).json()["results"]
    assert hit["title_highlighted"] == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>shading</mark>"
    assert hit["snippet"] == "<mark>Shading</mark> with &lt;b&gt;&quot;quotes&quot;&lt;/b&gt; &amp; ampersands"


@pytest.mark.parametrize("turbo", ["true", "false"])
def test_pages_link_to_each_other_and_cover_every_match_once(auth_client, db, category, turbo):
    for n in range(7):
        LessonFactory(slug=f"pencil-{n}", title=f"Pencil study {n}", category=category)
    first = search(auth_client, q="pencil", turbo=turbo, page_size=3).json()
    assert first["count"] == 7 and first["previous"] is None and "page=2" in first["next"]
    third = search(auth_client, q="pencil", turbo=turbo, page_size=3, page=3).json()
    assert third["next"] is None and "page=2" in third["previous"]
    slugs = [hit["slug"] for page in (1, 2, 3)
             for hit in search(auth_client, q="pencil", turbo=turbo, page_size=3, page=page).json()["results"]]
    assert sorted(slugs) == sorted(f"pencil-{n}" for n in range(7))


def test_a_query_without_words_finds_nothing(auth_client, catalog):
    body = search(auth_client, q="*** ?!").json()
    assert body["count"] == 0 and body["results"] == [] and body["strategy"] == "none"


@pytest.mark.parametrize(("params", "field"), [
    ({}, "q"),
    ({"q": "   "}, "q"),
    ({"q": "x" * 201}, "q"),
    ({"q": "\x00\x01\x1b"}, "q"),
    ({"q": "colour", "turbo": "maybe"}, "turbo"),
    ({"q": "colour", "page": "0"}, "page"),
    ({"q": "colour", "page": "two"}, "page"),
    ({"q": "colour", "page_size": "101"}, "page_size"),
    ({"q": "colour", "category": "no such/slug"}, "category"),
])
def test_bad_parameters_get_400_in_the_envelope(auth_client, catalog, params, field):
    response = search(auth_client, **params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert field in body["details"]


def test_an_unknown_category_gets_400_invalid_search(auth_client, catalog):
    response = search(auth_client, q="colour", category="sculpture")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_search"
    assert "category" in response.json()["details"]


def test_query_is_trimmed_and_control_characters_removed(auth_client, catalog):
    body = search(auth_client, q="  colour\x00\twheel\u200b \n").json()
    assert body["query"] == "colour wheel"
    assert [hit["slug"] for hit in body["results"]] == ["colour-wheel"]


def test_two_hundred_characters_as_sent_are_accepted_and_more_refused(auth_client, catalog):
    """The schema's maxLength (200) bounds the text as sent, so a client that follows it is never refused."""
    response = search(auth_client, q=" " + "a" * 198 + " ")
    assert response.status_code == 200
    assert response.json()["count"] == 0
    response = search(auth_client, q="  " + "a" * 198 + "  ")
    assert response.status_code == 400 and "q" in response.json()["details"]


def test_search_needs_authentication(api_client, catalog):
    response = search(api_client, q="colour")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
