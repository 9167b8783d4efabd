"""GET /api/v1/search/suggest/: completions as you type."""

from search.models import SearchHistory
from tests.search.factories import LessonFactory

SUGGEST = "/api/v1/search/suggest/"


def test_the_last_word_is_completed_from_the_catalogs_words(auth_client, catalog):
    body = auth_client.get(SUGGEST, {"q": "blind cont"}).json()
    assert body["query"] == "blind cont"
    assert body["terms"] == ["blind contour"]
    assert body["titles"] == [{"slug": "blind-contour", "title": "Blind contour"}]


def test_completions_and_titles_match_as_typed(auth_client, db, category):
    LessonFactory(slug="shadows", title="Long shadows", category=category)
    LessonFactory(slug="shading", title="Soft shading", category=category)
    body = auth_client.get(SUGGEST, {"q": "sha"}).json()
    assert body["terms"] == ["shading", "shadows"]
    assert {t["slug"] for t in body["titles"]} == {"shadows", "shading"}
    assert [t["slug"] for t in auth_client.get(SUGGEST, {"q": "shadow"}).json()["titles"]] == ["shadows"]


def test_suggestions_are_not_recorded_and_need_text(auth_client, catalog):
    auth_client.get(SUGGEST, {"q": "col"})
    assert not SearchHistory.objects.exists()
    response = auth_client.get(SUGGEST, {"q": "  "})
    assert response.status_code == 400 and response.json()["code"] == "validation_error"


def test_one_letter_suggests_nothing(auth_client, catalog):
    assert auth_client.get(SUGGEST, {"q": "c"}).json() == {"query": "c", "terms": [], "titles": []}


def test_suggest_needs_authentication(api_client, catalog):
    assert api_client.get(SUGGEST, {"q": "col"}).status_code == 401
