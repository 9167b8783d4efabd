"""PostgreSQL: the migrations that reshaped each lesson's document keep every document findable and counted."""

import pytest
from django.db import connection

from search import selectors
from tests.progress.test_repair_migration import back_to_latest, migrate  # noqa: F401 - the fixture is used
from tests.search.factories import CategoryFactory, LessonFactory

BEFORE = [("search", "0009_sqlite_title_index")]
AFTER = [("search", "0010_postgres_words_in_vectors")]
LATEST = [("search", "0011_postgres_document_facets")]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_documents_written_with_word_arrays_are_found_by_their_words_after_the_migration(back_to_latest):  # noqa: F811
    lesson = LessonFactory(title="Watercolours at dusk", summary="Washes.", body_markdown="Layered glazes.",
                           category=CategoryFactory(name="Painting"))
    migrate(BEFORE)  # which empties the documents: the lesson's is written back as the word arrays stored it
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO search_document (lesson_id, category_id, title, content, vector, title_vector, words,"
            " title_words) VALUES (%s, %s, %s, '', to_tsvector('english', 'Watercolours at dusk Washes Layered glazes'),"
            " to_tsvector('english', 'Watercolours at dusk'),"
            " ARRAY['dusk', 'glazes', 'layered', 'painting', 'washes', 'watercolours'], ARRAY['dusk', 'watercolours'])",
            [lesson.pk, lesson.category_id, lesson.title])
    migrate(AFTER)
    with connection.cursor() as cursor:
        cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'search_document'")
        assert {"words", "title_words"}.isdisjoint(row[0] for row in cursor.fetchall())
        cursor.execute("SELECT vector @@ %s::tsquery, title_vector @@ %s::tsquery, title_vector @@ %s::tsquery "
                       "FROM search_document WHERE lesson_id = %s", ["'~layered'", "'~watercolours'", "'~glazes'",
                                                                    lesson.pk])
        assert cursor.fetchone() == (True, True, False)
    migrate(LATEST)
    for query in ("olour", "ayere", "atercolours dus"):  # inside a word only: no stem matches them
        result = selectors.search_execute(query=query, turbo=True)
        assert [hit.slug for hit in result.items] == [lesson.slug], query


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_documents_written_before_they_held_the_facets_are_counted_by_them_after_the_migration(back_to_latest):  # noqa: F811
    painting = CategoryFactory(name="Painting")
    hard = LessonFactory(title="Glazes one", difficulty=4, style="visual", category=painting)
    easy = LessonFactory(title="Glazes two", difficulty=1, style="narrative", category=painting)
    migrate(AFTER)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM search_document WHERE lesson_id IN (%s, %s)", [hard.pk, easy.pk])
        assert cursor.fetchone() == (2,)
    migrate(LATEST)
    result = selectors.search_execute(query="glazes", turbo=True)
    assert result.facets == {"category": {painting.slug: 2}, "difficulty": {4: 1, 1: 1},
                             "style": {"visual": 1, "narrative": 1}}
    narrowed = selectors.search_execute(query="glazes", turbo=True, difficulty=4, style="visual")
    assert [hit.slug for hit in narrowed.items] == [hard.slug]
