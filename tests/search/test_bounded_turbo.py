"""Turbo's bounded work: a capped candidate set, a bounded count, and pages past the candidates."""

import pytest

from search import selectors
from tests.search.factories import CategoryFactory, LessonFactory


@pytest.fixture
def pencils(db, settings):
    settings.SEARCH_RANK_CANDIDATES = 2
    settings.SEARCH_COUNT_LIMIT = 3
    for n in range(6):
        LessonFactory(slug=f"body-{n}", title=f"Study {n}", body_markdown="Sharpen a pencil first.")
    LessonFactory(slug="title-a", title="Pencil grips")
    LessonFactory(slug="title-b", title="Pencil pressure")


def test_a_common_query_counts_up_to_the_limit_and_says_so(pencils):
    result = selectors.search_execute(query="pencil", turbo=True, page_size=3)
    assert (result.count, result.count_exact) == (3, False)
    assert result.has_next


def test_title_matches_lead_even_when_the_candidates_are_capped(pencils):
    result = selectors.search_execute(query="pencil", turbo=True, page_size=3)
    assert [hit.slug for hit in result.items][:2] == ["title-a", "title-b"] or \
        [hit.slug for hit in result.items][:2] == ["title-b", "title-a"]


def test_paging_past_the_candidates_reaches_every_match_once(pencils):
    slugs, page = [], 1
    while True:
        result = selectors.search_execute(query="pencil", turbo=True, page=page, page_size=3)
        slugs += [hit.slug for hit in result.items]
        if not result.has_next:
            break
        page += 1
    assert sorted(slugs) == sorted([f"body-{n}" for n in range(6)] + ["title-a", "title-b"])
    assert page == 3


def test_plain_mode_always_counts_exactly(pencils):
    result = selectors.search_execute(query="pencil", turbo=False, page_size=3)
    assert (result.count, result.count_exact) == (8, True)


def test_a_filtered_common_query_counts_and_pages_within_its_category(db, settings):
    settings.SEARCH_RANK_CANDIDATES = 2
    settings.SEARCH_COUNT_LIMIT = 3
    inks, paints = CategoryFactory(slug="inks", name="Inks"), CategoryFactory(slug="paints", name="Paints")
    for n in range(5):
        LessonFactory(slug=f"ink-{n}", title=f"Study {n}", category=inks, body_markdown="Use a pencil.")
        LessonFactory(slug=f"paint-{n}", title=f"Sketch {n}", category=paints, body_markdown="Use a pencil.")
    slugs, page = [], 1
    while True:
        result = selectors.search_execute(query="pencil", turbo=True, category=inks, page=page, page_size=2)
        assert (result.count, result.count_exact) == (3, False)
        slugs += [hit.slug for hit in result.items]
        if not result.has_next:
            break
        page += 1
    assert sorted(slugs) == [f"ink-{n}" for n in range(5)]


def test_past_the_count_limit_the_title_most_about_the_query_leads(db, settings):
    """With more matches than the count limit, bm25 is not read; the title the query words fill most comes first."""
    settings.SEARCH_RANK_CANDIDATES = 3
    settings.SEARCH_COUNT_LIMIT = 3
    for n in range(5):
        LessonFactory(slug=f"body-{n}", title=f"Study {n}", body_markdown="Sharpen a pencil first.")
    LessonFactory(slug="long", title="Shading a still life with a soft pencil")
    LessonFactory(slug="short", title="Pencils")
    LessonFactory(slug="middle", title="Pencil pressure")
    result = selectors.search_execute(query="pencil", turbo=True, page_size=3)
    assert result.count_exact is False
    assert [hit.slug for hit in result.items] == ["short", "middle", "long"]
    assert [hit.score for hit in result.items] == [1.0, 0.5, 0.125]
