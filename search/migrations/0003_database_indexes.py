"""Turbo on the databases' own indexes: FTS5 porter + trigram on SQLite, tsvector + pg_trgm on PostgreSQL.

Replaces the pre-tokenized tables of 0002 and the per-term lesson counts (SearchTerm). The new
tables start empty; ``search.apps`` re-indexes a small catalog after ``migrate`` and
``rebuild_search_index`` fills a large one.
"""

from django.db import migrations

SQLITE_CREATE = [
    "DROP TABLE IF EXISTS search_fts_title",
    "DROP TABLE IF EXISTS search_fts",
    # Stems and plurals (porter over unicode61, accents folded); columns weighted by bm25.
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_stem USING fts5("
    "title, tags, category, summary, body, tokenize = 'porter unicode61 remove_diacritics 2')",
    # Case-insensitive substrings: every lesson the plain scan finds, found from an index.
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_trigram USING fts5(title, content, tokenize = 'trigram')",
    "CREATE TABLE IF NOT EXISTS search_word (word TEXT PRIMARY KEY, drow TEXT NOT NULL) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS search_word_drow ON search_word (drow)",
]
SQLITE_DROP = ["DROP TABLE IF EXISTS search_word", "DROP TABLE IF EXISTS search_trigram",
               "DROP TABLE IF EXISTS search_stem"]

POSTGRES_CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "DROP TABLE IF EXISTS search_document",
    "CREATE TABLE search_document ("
    " lesson_id bigint PRIMARY KEY,"
    " category_id bigint NOT NULL,"
    " title text NOT NULL,"
    " content text NOT NULL,"
    " vector tsvector NOT NULL)",
    "CREATE INDEX search_document_vector ON search_document USING gin (vector)",
    "CREATE INDEX search_document_trigram ON search_document USING gin (content gin_trgm_ops)",
    'CREATE TABLE IF NOT EXISTS search_word (word text COLLATE "C" PRIMARY KEY, drow text COLLATE "C" NOT NULL)',
    "CREATE INDEX IF NOT EXISTS search_word_drow ON search_word (drow)",
]
POSTGRES_DROP = ["DROP TABLE IF EXISTS search_word", "DROP TABLE IF EXISTS search_document"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("search", "0002_fulltext_index"),
    ]

    operations = [
        migrations.DeleteModel(name="SearchTerm"),
        migrations.RunPython(
            _run({"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
            elidable=False,
        ),
    ]
