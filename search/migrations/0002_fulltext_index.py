"""The turbo index: an FTS5 table on SQLite, a tsvector table with GIN indexes on PostgreSQL.

Not Django models: search/index.py writes them (from the receivers, in the lesson writer's
transaction) and search/backends.py reads them. Filled by ``rebuild_search_index`` or, for a
small catalog, automatically after ``migrate`` (search/apps.py).
"""

from django.db import migrations

SQLITE_CREATE = [
    # detail=column keeps column filters (title matches, the category facet) with smaller doclists
    # than detail=full; the text is pre-tokenized in Python, so the ascii tokenizer only splits on spaces.
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
    "title, tags, category, summary, body, facets, tokenize = 'ascii', detail = column)",
    # Titles alone: title matches of common words read short doclists instead of column lists.
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts_title USING fts5("
    "title, facets, tokenize = 'ascii', detail = column)",
]
SQLITE_DROP = ["DROP TABLE IF EXISTS search_fts_title", "DROP TABLE IF EXISTS search_fts"]

POSTGRES_CREATE = [
    "CREATE TABLE IF NOT EXISTS search_document ("
    " lesson_id bigint PRIMARY KEY,"
    " category_id bigint NOT NULL,"
    " title text NOT NULL,"
    " content text NOT NULL,"
    " head tsvector NOT NULL,"
    " title_vector tsvector NOT NULL,"
    " vector tsvector NOT NULL)",
    # vector: every word, for matching; title_vector: title words, for title matches (short lists);
    # head (title A, tags and category B, summary C) is only read by ts_rank, never searched.
    "CREATE INDEX IF NOT EXISTS search_document_vector ON search_document USING gin (vector)",
    "CREATE INDEX IF NOT EXISTS search_document_title ON search_document USING gin (title_vector)",
]
POSTGRES_DROP = ["DROP TABLE IF EXISTS search_document"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
        for statement in statements:
            schema_editor.execute(statement)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("search", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
            elidable=False,
        ),
    ]
