"""Turbo finds what people mean: stems and plurals, typos, "did you mean", title matches first."""

import pytest

from search import backends, selectors
from tests.search.factories import LessonFactory


def slugs(query: str, turbo: bool = True) -> set[str]:
    return {hit.slug for hit in selectors.search_execute(query=query, turbo=turbo, page_size=100).items}


@pytest.fixture
def shadows(db, category):
    LessonFactory(slug="cast-shadow", title="Cast shadow", category=category)
    LessonFactory(slug="long-shadows", title="Evening light", category=category, body_markdown="Paint long shadows.")
    LessonFactory(slug="shadowing", title="Following a figure", category=category, summary="Shadowing a walker.")
    LessonFactory(slug="perspective", title="Two-point perspective", category=category)
    LessonFactory(slug="vanishing", title="Vanishing lines", category=category, body_markdown="Perspective by eye.")


def test_a_plural_finds_every_lesson_its_singular_finds(shadows):
    assert slugs("shadow") == {"cast-shadow", "long-shadows", "shadowing"}
    assert slugs("shadows") == slugs("shadow")
    assert slugs("shadows", turbo=False) == {"long-shadows"}  # the plain scan stays the substring baseline


def test_a_misspelt_long_word_still_finds_its_lessons(shadows):
    assert slugs("perspektive") == {"perspective", "vanishing"}
    assert slugs("prespective") == {"perspective", "vanishing"}  # a swap is one edit
    assert slugs("shdaow") == {"cast-shadow", "long-shadows", "shadowing"}  # a swap across the middle too
    assert slugs("perspektive", turbo=False) == set()


def test_nine_letters_allow_two_edits_and_five_allow_one(shadows):
    assert slugs("perspectivv") == {"perspective", "vanishing"}
    assert slugs("persbektive") == {"perspective", "vanishing"}  # two edits, eleven letters
    assert slugs("shadaw") == {"cast-shadow", "long-shadows", "shadowing"}  # one edit, six letters
    assert slugs("shudaw") == set()  # two edits are too many for six letters


def test_a_misspelt_word_is_found_however_many_catalog_words_share_its_start_and_end(shadows, category):
    # 512 catalog words that start with "re" and end with "nse", each three edits from "resopnse"
    fillers = " ".join(f"re{a}{b}{c}nse" for a in "abcdefgh" for b in "abcdefgh" for c in "abcdefgh")
    LessonFactory(slug="word-list", title="Word list", category=category, body_markdown=fillers)
    LessonFactory(slug="call", title="Call and response", category=category)
    assert slugs("resopnse") == {"call"}
    assert slugs("respnose") == {"call"}


def test_typo_tolerance_follows_meilisearch_lengths():
    assert [backends.allowed_typos(w) for w in ("colr", "shade", "shadows", "vanishing")] == [0, 1, 1, 2]


def test_a_query_that_finds_nothing_suggests_a_nearby_one(auth_client, catalog):
    body = auth_client.get("/api/v1/search/", {"q": "colr", "turbo": "true"}).json()
    assert body["count"] == 0 and body["results"] == []
    assert body["suggestion"] == "colour"


def test_no_suggestion_when_the_query_finds_something_or_nothing_is_near(auth_client, catalog):
    assert auth_client.get("/api/v1/search/", {"q": "colour"}).json()["suggestion"] == ""
    assert auth_client.get("/api/v1/search/", {"q": "zzqxv"}).json()["suggestion"] == ""


def test_the_last_word_matches_as_a_prefix_of_a_stem(shadows):
    assert slugs("cast shado") == {"cast-shadow"}
    assert slugs("figure shadowi") == {"shadowing"}


def test_title_matches_come_first_among_stem_matches(shadows):
    result = selectors.search_execute(query="shadows", turbo=True)
    assert result.items[0].slug == "cast-shadow"
