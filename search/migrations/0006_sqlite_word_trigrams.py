"""SQLite: substrings are looked up among the catalog's words (FTS5 trigram over ``search_word``), not lessons.

A trigram index over every lesson reads long position lists for any query word of many
letters; over the vocabulary the same question reads a few short ones. The lesson index is
emptied so that ``search.apps`` re-indexes a small catalog after ``migrate`` (a large one is
reported for ``rebuild_search_index``). PostgreSQL is unchanged.
"""

from django.db import migrations

SQLITE_FORWARD = [
    "DROP TABLE IF EXISTS search_trigram",
    "DROP TABLE IF EXISTS search_word",
    "CREATE TABLE search_word (id INTEGER PRIMARY KEY, word TEXT NOT NULL UNIQUE, drow TEXT NOT NULL)",
    "CREATE INDEX search_word_drow ON search_word (drow)",
    "CREATE VIRTUAL TABLE search_word_trigram USING fts5(word, tokenize = 'trigram')",
    "DELETE FROM search_stem",
]
SQLITE_BACKWARD = [
    "DROP TABLE IF EXISTS search_word_trigram",
    "DROP TABLE IF EXISTS search_word",
    "CREATE TABLE search_word (word TEXT PRIMARY KEY, drow TEXT NOT NULL) WITHOUT ROWID",
    "CREATE INDEX search_word_drow ON search_word (drow)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_trigram USING fts5(title, content, tokenize = 'trigram')",
    "DELETE FROM search_stem",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("search", "0005_history_cached_runs"),
    ]

    operations = [
        migrations.RunPython(_run(SQLITE_FORWARD), _run(SQLITE_BACKWARD), elidable=False),
    ]
