"""SQLite: the titles get an FTS5 index of their own (``search_title``), as PostgreSQL's ``title_vector``.

Turbo asks which matches hold every query word in their title. Asked of the lesson index with a
column filter, FTS5 reads the position lists of every lesson holding the words anywhere: for two
common words, tens of thousands of lessons to find the few whose title holds both (2–3 ms on
100,000 lessons, see BENCHMARKS.md, P3). A table of titles only holds the lessons whose title has
the word. It is filled from the lesson index, so an existing index needs no rebuild. PostgreSQL is
unchanged.
"""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE search_title USING fts5(title, tokenize = 'porter unicode61 remove_diacritics 2')",
    "INSERT INTO search_title (rowid, title) SELECT rowid, title FROM search_stem",
    "INSERT INTO search_title (search_title) VALUES ('optimize')",
]
SQLITE_BACKWARD = [
    "DROP TABLE IF EXISTS search_title",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("search", "0008_postgres_inline_vectors"),
    ]

    operations = [
        migrations.RunPython(_run(SQLITE_FORWARD), _run(SQLITE_BACKWARD), elidable=False),
    ]
