"""PostgreSQL: each document carries its lesson's difficulty and style, beside its category.

Turbo counts its matches by category, difficulty and style. The matches' documents are read
anyway to find them, so with these two columns in the document the same statement gives the
facets; before, a second statement looked each of up to 1,000 matches up in the lessons'
facets index (3–5 ms on 100,000 lessons, see BENCHMARKS.md, P3). The difficulty and style
filters read them too, so a filtered search no longer joins the lessons. Existing documents are
filled from their lessons; every lesson change rewrites its document as before. SQLite is
unchanged: its facets index answers there.
"""

from django.db import migrations

POSTGRES_FORWARD = [
    "ALTER TABLE search_document ADD COLUMN difficulty smallint NOT NULL DEFAULT 0,"
    " ADD COLUMN style varchar(12) NOT NULL DEFAULT ''",
    "UPDATE search_document d SET difficulty = l.difficulty, style = l.style FROM lessons_lesson l"
    " WHERE l.id = d.lesson_id",
]
POSTGRES_BACKWARD = [
    "ALTER TABLE search_document DROP COLUMN difficulty, DROP COLUMN style",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("search", "0010_postgres_words_in_vectors"),  # the lessons' difficulty and style date from their 0001
    ]

    operations = [
        migrations.RunPython(_run(POSTGRES_FORWARD), _run(POSTGRES_BACKWARD), elidable=False),
    ]
