"""PostgreSQL: the migration that moved each document's words into its vectors keeps every document findable."""

import pytest
from django.db import connection

from search import selectors
from tests.progress.test_repair_migration import back_to_latest, migrate  # noqa: F401 - the fixture is used
from tests.search.factories import CategoryFactory, LessonFactory

BEFORE = [("search", "0009_sqlite_title_index")]
AFTER = [("search", "0010_postgres_words_in_vectors")]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_documents_written_with_word_arrays_are_found_by_their_words_after_the_migration(back_to_latest):  # noqa: F811
    migrate(BEFORE)
    lesson = LessonFactory(title="Watercolours at dusk", summary="Washes.", body_markdown="Layered glazes.",
                           category=CategoryFactory(name="Painting"))
    with connection.cursor() as cursor:  # the document as the word arrays stored it
        cursor.execute(
            "UPDATE search_document SET vector = to_tsvector('english', 'Watercolours at dusk Washes Layered glazes'),"
            " title_vector = to_tsvector('english', 'Watercolours at dusk'),"
            " words = ARRAY['dusk', 'glazes', 'layered', 'painting', 'washes', 'watercolours'],"
            " title_words = ARRAY['dusk', 'watercolours'] WHERE lesson_id = %s", [lesson.pk])
    migrate(AFTER)
    with connection.cursor() as cursor:
        cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'search_document'")
        assert {"words", "title_words"}.isdisjoint(row[0] for row in cursor.fetchall())
        cursor.execute("SELECT vector @@ %s::tsquery, title_vector @@ %s::tsquery, title_vector @@ %s::tsquery "
                       "FROM search_document WHERE lesson_id = %s", ["'~layered'", "'~watercolours'", "'~glazes'",
                                                                    lesson.pk])
        assert cursor.fetchone() == (True, True, False)
    for query in ("olour", "ayere", "atercolours dus"):  # inside a word only: no stem matches them
        result = selectors.search_execute(query=query, turbo=True)
        assert [hit.slug for hit in result.items] == [lesson.slug], query
