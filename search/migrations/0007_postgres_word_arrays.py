"""PostgreSQL: substrings are looked up among the catalog's words (pg_trgm over ``search_word``), not lessons.

Each document carries its words as an array (the same tokenizer as the vocabulary) and its
title's words and stems apart, each with a GIN index: "which lessons contain a word that
contains *w*" is then an array overlap, and a title match an index lookup, where an ``ILIKE``
over every lesson's text read and rechecked thousands of rows. The documents are emptied so that
``search.apps`` re-indexes a small catalog after ``migrate`` (a large one is reported for
``rebuild_search_index``). SQLite is unchanged.
"""

from django.db import migrations

POSTGRES_FORWARD = [
    "DROP INDEX IF EXISTS search_document_trigram",
    "DELETE FROM search_document",
    "ALTER TABLE search_document ADD COLUMN words text[] NOT NULL DEFAULT '{}',"
    " ADD COLUMN title_words text[] NOT NULL DEFAULT '{}',"
    " ADD COLUMN title_vector tsvector NOT NULL DEFAULT ''::tsvector",
    "CREATE INDEX search_document_words ON search_document USING gin (words)",
    "CREATE INDEX search_document_title_words ON search_document USING gin (title_words)",
    "CREATE INDEX search_document_title_vector ON search_document USING gin (title_vector)",
    "CREATE INDEX search_word_trigram ON search_word USING gin (word gin_trgm_ops)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS search_word_trigram",
    "DELETE FROM search_document",
    "ALTER TABLE search_document DROP COLUMN words, DROP COLUMN title_words, DROP COLUMN title_vector",
    "CREATE INDEX search_document_trigram ON search_document USING gin (content gin_trgm_ops)",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("search", "0006_sqlite_word_trigrams"),
    ]

    operations = [
        migrations.RunPython(_run(POSTGRES_FORWARD), _run(POSTGRES_BACKWARD), elidable=False),
    ]
