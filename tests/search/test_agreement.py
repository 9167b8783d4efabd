"""Turbo's recall is never worse than plain: every lesson the plain scan finds, turbo finds too (property-based).

Catalogs and queries are drawn from a tiny alphabet so that words often sit inside other
words, stems and typos collide, and the turbo limits are also run tiny so that every path is
taken: substring and stem matches, typo expansions, words too short for trigrams, a capped
candidate set with a bounded count, and pages beyond the ranked candidates. The suite runs on
both storage shapes (SQLite FTS5; PostgreSQL tsvector, word arrays and pg_trgm with ``DATABASE_URL``
set).
"""

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from lessons.models import Lesson
from search import selectors
from search.text import WORD_RE
from tests.search.factories import CategoryFactory, LessonFactory, delete_lessons

LETTERS = "abcdAB"
word = st.text(alphabet=LETTERS, min_size=1, max_size=7)
separator = st.sampled_from([" ", " ", "-", ", ", ". ", "'", "\n", " (", ") ", "*"])


@st.composite
def field_text(draw, max_words=8):
    words = draw(st.lists(word, min_size=0, max_size=max_words))
    return "".join(w + draw(separator) for w in words)


lesson_spec = st.fixed_dictionaries({
    "title": field_text(max_words=3),
    "summary": field_text(max_words=5),
    "body": field_text(max_words=10),
    "tags": st.lists(st.text(alphabet="abcd", min_size=1, max_size=4), max_size=2),
    "category": st.integers(min_value=0, max_value=1),
    "published": st.integers(min_value=0, max_value=4).map(bool),
})


@st.composite
def query_for(draw, specs):
    """1–2 words, most of them pieces of words in the catalog, joined by separators."""
    catalog_words = [w for spec in specs for text in (spec["title"], spec["summary"], spec["body"], *spec["tags"])
                     for w in WORD_RE.findall(text)] + ["abba", "dab"]
    words = []
    for _ in range(draw(st.integers(min_value=1, max_value=2))):
        if draw(st.integers(min_value=0, max_value=9)) < 7:
            source = draw(st.sampled_from(catalog_words))
            start = draw(st.integers(min_value=0, max_value=len(source) - 1))
            end = draw(st.integers(min_value=start + 1, max_value=len(source)))
            piece = source[start:end]
            words.append(piece.upper() if draw(st.booleans()) else piece)
        else:
            words.append(draw(word))
    return "".join(w + draw(separator) for w in words).strip() or "a"


PROFILES = {
    "defaults": {},
    "bounded": {"SEARCH_RANK_CANDIDATES": 2, "SEARCH_COUNT_LIMIT": 3},
    "ranked-all": {"SEARCH_RANK_CANDIDATES": 50, "SEARCH_COUNT_LIMIT": 50},
    # a word inside more than two catalog words is broad: checked on the rows the other words select
    "narrow-expansion": {"SEARCH_EXPANSION_LIMIT": 2, "SEARCH_RANK_CANDIDATES": 2, "SEARCH_COUNT_LIMIT": 3},
}


def all_ids(q: str, *, turbo: bool, category=None, page_size: int = 3) -> list[int]:
    ids, page = [], 1
    while True:
        result = selectors.search_execute(query=q, turbo=turbo, category=category, page=page, page_size=page_size)
        ids += [hit.lesson_id for hit in result.items]
        if not result.has_next:
            return ids
        page += 1
        assert page < 50


def build_catalog(specs, categories):
    delete_lessons(Lesson.objects.all())
    for n, spec in enumerate(specs):
        LessonFactory(
            slug=f"gen-{n}", title=f"{spec['title']} #{n}", summary=spec["summary"], body_markdown=spec["body"],
            tags=spec["tags"], category=categories[spec["category"]], is_published=spec["published"],
        )


@pytest.mark.parametrize("profile", PROFILES)
def test_turbo_finds_every_lesson_plain_finds(db, settings, profile):
    for name, value in PROFILES[profile].items():
        setattr(settings, name, value)
    categories = [CategoryFactory(slug="alpha", name="Abba"), CategoryFactory(slug="beta", name="Dab")]

    @hypothesis_settings(max_examples=60, deadline=None, derandomize=True,
                         suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(specs=st.lists(lesson_spec, min_size=3, max_size=14), data=st.data(),
           filtered=st.integers(min_value=0, max_value=3).map(lambda n: n == 0))
    def check(specs, data, filtered):
        build_catalog(specs, categories)
        q = data.draw(query_for(specs), label="query")
        category = categories[0] if filtered else None
        turbo = all_ids(q, turbo=True, category=category)
        plain = all_ids(q, turbo=False, category=category)
        assert len(turbo) == len(set(turbo)), "a lesson appeared on two pages"
        assert set(plain) <= set(turbo), f"turbo missed {set(plain) - set(turbo)} for {q!r}"
        first = selectors.search_execute(query=q, turbo=True, category=category, page_size=3)
        if first.count_exact:
            assert first.count == len(turbo)
        else:
            assert len(turbo) > first.count

    check()
