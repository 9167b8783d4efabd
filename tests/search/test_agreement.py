"""Turbo's recall is never worse than plain: every lesson the plain scan finds, turbo finds too (property-based).

Catalogs and queries are drawn from a tiny alphabet so that words often sit inside other
words, stems and typos collide, and the turbo limits are also run tiny so that every path is
taken: substring and stem matches, typo expansions, words too short for trigrams, a capped
candidate set with a bounded count, and pages beyond the ranked candidates. The suite runs on
both storage shapes (SQLite FTS5; PostgreSQL tsvector with marked words and pg_trgm with ``DATABASE_URL``
set).
"""

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from lessons.models import Lesson
from search import backends, selectors
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



VOCABULARY = ["shadow", "shadows", "shade", "shaded", "colour", "colours", "coloured", "watercolour", "water",
              "wash", "washes", "brush", "brushes", "paper", "layer", "layers", "light"]
vocabulary_text = st.lists(st.sampled_from(VOCABULARY), max_size=8).map(" ".join)


def turbo_pages(q: str, page_size: int = 3) -> list[tuple[int, float | None]]:
    """Every page of turbo's answer for ``q``, straight from the engine (no result cache)."""
    words = tuple(w.lower() for w in WORD_RE.findall(q))
    rows, offset = [], 0
    while True:
        matches = backends.turbo_search(words, filters=backends.Filters(), offset=offset, limit=page_size)
        rows += matches.rows
        if not matches.has_next:
            return rows
        offset += page_size
        assert offset < 150


@pytest.mark.postgres
def test_both_postgres_plans_give_the_same_pages(db, settings):
    """Gathering the matches from the GIN indexes or walking the ids is the planner's choice of
    speed, never of answer: every page is the same either way, with more matches than the
    count limit and the ranked candidates, for words, stems, pieces and typos."""
    settings.SEARCH_RANK_CANDIDATES, settings.SEARCH_COUNT_LIMIT = 2, 4
    categories = [CategoryFactory(slug="alpha", name="Abba"), CategoryFactory(slug="beta", name="Dab")]
    query_word = st.one_of(
        st.sampled_from(VOCABULARY),
        st.sampled_from(VOCABULARY).map(lambda w: w[:max(3, len(w) - 2)]),  # as you type
        st.sampled_from(VOCABULARY).map(lambda w: w[1:]),  # inside a word
        st.sampled_from(VOCABULARY).filter(lambda w: len(w) >= 5).map(lambda w: w[:2] + w[3:]),  # a letter left out
    )

    @hypothesis_settings(max_examples=40, deadline=None, derandomize=True,
                         suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(texts=st.lists(st.tuples(vocabulary_text, vocabulary_text), min_size=4, max_size=16),
           words=st.lists(query_word, min_size=1, max_size=2))
    def check(texts, words):
        delete_lessons(Lesson.objects.all())
        for n, (title, body) in enumerate(texts):
            LessonFactory(slug=f"gen-{n}", title=f"{title} {n}", summary="", body_markdown=body, tags=[],
                          category=categories[n % 2])
        q = " ".join(words)
        settings.SEARCH_GATHER_SHARE = 0.0  # never expected: the walk
        walked = turbo_pages(q)
        settings.SEARCH_GATHER_SHARE = 1e9  # always expected: gathered from the indexes
        assert turbo_pages(q) == walked

    check()
