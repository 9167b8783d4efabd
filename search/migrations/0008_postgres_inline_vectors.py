"""PostgreSQL: keep each document's word vector and word array in its row (compressed) rather than TOASTed.

Turbo checks these two columns on the rows the planner reads past the GIN indexes (a walk of the
ids, a second word checked on the first word's matches). Stored out of line, each check fetched
both from the TOAST table before decompressing them; in the row, it only decompresses them,
which halves the cost of such a check on 100,000 lessons (see BENCHMARKS.md, P3). The new storage
applies to every document written from now on: each lesson change rewrites its document, and
``manage.py rebuild_search_index`` rewrites them all. SQLite is unchanged.
"""

from django.db import migrations

POSTGRES_FORWARD = [
    "ALTER TABLE search_document ALTER COLUMN vector SET STORAGE MAIN, ALTER COLUMN words SET STORAGE MAIN",
]
POSTGRES_BACKWARD = [
    "ALTER TABLE search_document ALTER COLUMN vector SET STORAGE EXTENDED, ALTER COLUMN words SET STORAGE EXTENDED",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("search", "0007_postgres_word_arrays"),
    ]

    operations = [
        migrations.RunPython(_run(POSTGRES_FORWARD), _run(POSTGRES_BACKWARD), elidable=False),
    ]
