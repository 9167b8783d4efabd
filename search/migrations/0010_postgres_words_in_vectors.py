"""PostgreSQL: each document's words join its stems in one tsvector, so one GIN index answers a whole search.

A query word matches a document by its stem or by a catalog word containing it. With the words
in an array beside the tsvector, each query word was an OR across two GIN indexes, and for two
words the planner checked the second row by row on the first one's matches (50–150 ms for two
common words on 100,000 lessons). Each word of a document is now also a lexeme of its vector,
marked with ``~`` (which the ``english`` parser never puts in a lexeme, so a stem never collides
with it): every query word is one tsquery, and the words of a search are scan keys of one index
scan, which the index intersects itself (see BENCHMARKS.md, P3). The title's words go into the
title's vector the same way. The arrays and their indexes are dropped; existing documents are
rewritten in place. SQLite is unchanged.
"""

from django.db import migrations

MARKED = "array_to_tsvector(ARRAY(SELECT '~' || w FROM unnest({}) AS w))"
POSTGRES_FORWARD = [
    f"UPDATE search_document SET vector = vector || {MARKED.format('words')}, "
    f"title_vector = title_vector || {MARKED.format('title_words')}",
    "DROP INDEX IF EXISTS search_document_words",
    "DROP INDEX IF EXISTS search_document_title_words",
    "ALTER TABLE search_document DROP COLUMN words, DROP COLUMN title_words",
]
POSTGRES_BACKWARD = [
    "DELETE FROM search_document",
    "ALTER TABLE search_document ADD COLUMN words text[] NOT NULL DEFAULT '{}',"
    " ADD COLUMN title_words text[] NOT NULL DEFAULT '{}'",
    "ALTER TABLE search_document ALTER COLUMN words SET STORAGE MAIN",
    "CREATE INDEX search_document_words ON search_document USING gin (words)",
    "CREATE INDEX search_document_title_words ON search_document USING gin (title_words)",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("search", "0009_sqlite_title_index"),
    ]

    operations = [
        migrations.RunPython(_run(POSTGRES_FORWARD), _run(POSTGRES_BACKWARD), elidable=False),
    ]
