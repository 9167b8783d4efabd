"""The titles' own index answers exactly what the titles say, and the facets count what the catalog says, after
any sequence of catalog changes.

Turbo puts title matches first and finds them in an index of titles alone (SQLite's
``search_title``, PostgreSQL's ``title_vector``), written beside the lesson
index on every change. A stateful test drives creations, retitles, unpublishing, deletions and
rebuilds, and after each step checks that the index holds every published lesson's current title
and nothing else, and that its answer for every probe word is the one the database's own
full-text functions give over the lessons' titles read from the catalog. The facets turbo counts
for each probe (on PostgreSQL, read from the documents it finds) are those of the catalog's rows
for the lessons it found, through difficulty, style and category changes.
"""

from django.db import connection, transaction
from django.db.models import Count
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from lessons.models import Lesson
from lessons.services import lessons_publish
from search import backends, index
from search.text import WORD_RE
from tests.search.factories import CategoryFactory, LessonFactory, delete_lessons, save_lesson

WORDS = ["shadow", "shadows", "shade", "colour", "coloured", "watercolour", "wash", "washes", "paper", "light"]
title_text = st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join)
PROBES = [*WORDS, "colo", "shad", "wat"]
STEPS = {"steps checked": 0}


def indexed_titles() -> dict[int, str]:
    table = index.PG_TABLE if index.is_postgres() else index.TITLE_TABLE
    key = "lesson_id" if index.is_postgres() else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {key}, title FROM {table}")
        return dict(cursor.fetchall())


def title_matches_from_the_catalog(word: str) -> set[int]:
    """The published lessons whose title, read from the catalog, holds ``word`` as turbo's title check means it:
    by stem, as a prefix or by a typo (the database's full-text functions over the catalog's own titles), or
    inside one of its words (the catalog words containing it): never read from the index under test."""
    query = backends.build_query((word,), backends.Filters())
    terms, inside = [word, *query.typos[0]], set(query.containing[0] or ())
    titles = dict(Lesson.objects.published().values_list("pk", "title"))
    holding = {pk for pk, title in titles.items() if inside & set(WORD_RE.findall(title.lower()))}
    with connection.cursor() as cursor:
        if index.is_postgres():
            tsquery = " || ".join(["to_tsquery('english', %s)"] * (len(terms) + 1))
            cursor.execute(f"SELECT id FROM lessons_lesson WHERE id = ANY(%s) AND to_tsvector('english', title) @@ "
                           f"({tsquery})", [list(titles), *terms, f"{word}:*"])
        else:
            cursor.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.probe_titles USING fts5("
                           "title, tokenize = 'porter unicode61 remove_diacritics 2')")
            cursor.execute("DELETE FROM probe_titles")
            cursor.executemany("INSERT INTO probe_titles (rowid, title) VALUES (%s, %s)", list(titles.items()))
            cursor.execute("SELECT rowid FROM probe_titles WHERE probe_titles MATCH %s",
                           [" OR ".join([*(f'"{term}"' for term in terms), f'"{word}" *'])])
        return holding | {row[0] for row in cursor.fetchall()}


class TitleIndex(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()  # each example rolls back to an empty catalog

    @initialize(titles=st.lists(title_text, min_size=1, max_size=5))
    def setup(self, titles):
        self.category = CategoryFactory(name="Studio")
        self.made = 0
        self.lessons = [self._make(title) for title in titles]

    def _make(self, title: str) -> Lesson:
        self.made += 1  # titles are unique: each gets a number
        return LessonFactory(title=f"{title} {self.made}", category=self.category)

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _lesson(self, n: int) -> Lesson | None:
        live = [lesson for lesson in self.lessons if Lesson.objects.filter(pk=lesson.pk).exists()]
        return live[n % len(live)] if live else None

    @rule(title=title_text)
    def create(self, title):
        self.lessons.append(self._make(title))

    @rule(n=st.integers(0, 20), title=title_text)
    def retitle(self, n, title):
        if (lesson := self._lesson(n)) is not None:
            lesson.refresh_from_db()
            self.made += 1
            lesson.title = f"{title} {self.made}"
            save_lesson(lesson)

    @rule(n=st.integers(0, 20), publish=st.booleans())
    def publish(self, n, publish):
        if (lesson := self._lesson(n)) is not None:
            lessons_publish(lessons=[lesson], publish=publish)

    @rule(n=st.integers(0, 20))
    def delete(self, n):
        if (lesson := self._lesson(n)) is not None:
            delete_lessons(Lesson.objects.filter(pk=lesson.pk))

    @rule(n=st.integers(0, 20), difficulty=st.integers(1, 5), style=st.sampled_from(["visual", "narrative", ""]),
          moved=st.booleans())
    def restyle(self, n, difficulty, style, moved):
        if (lesson := self._lesson(n)) is not None:
            lesson.refresh_from_db()
            lesson.difficulty, lesson.style = difficulty, style
            if moved:
                lesson.category = CategoryFactory()
            save_lesson(lesson)

    @rule()
    def rebuild(self):
        index.rebuild()

    @invariant()
    def the_index_holds_the_published_titles(self):
        if not hasattr(self, "lessons"):
            return
        assert indexed_titles() == dict(Lesson.objects.published().values_list("pk", "title"))
        STEPS["steps checked"] += 1

    @invariant()
    def every_probe_finds_the_titles_that_hold_it(self):
        if not hasattr(self, "lessons"):
            return
        for word in PROBES:
            query = backends.build_query((word,), backends.Filters())
            found = set(backends.engine_for(query).ids(1000, title=True))
            assert found == title_matches_from_the_catalog(word), word


    @invariant()
    def every_probe_counts_the_facets_of_what_it_found(self):
        if not hasattr(self, "lessons"):
            return
        for word in PROBES:
            found, facets = backends.engine_for(backends.build_query((word,), backends.Filters())).first(1001)
            rows = (Lesson.objects.filter(pk__in=found).values_list("category__slug", "difficulty", "style")
                    .annotate(n=Count("id")).order_by())
            assert facets == backends.facet_counts(rows), word


def test_the_title_index_and_the_facets_answer_what_the_catalog_says_after_any_sequence_of_changes(db):
    run_state_machine_as_test(
        TitleIndex,
        settings=settings(max_examples=25, stateful_step_count=8, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]),
    )
    assert STEPS["steps checked"] > 25
