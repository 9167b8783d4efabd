"""Hand-written statements for the lesson page's reads, the one place the lessons app bypasses the ORM.

A lesson page (``lessons/{slug}/`` and the dashboard's lesson viewer) shows the lesson's
neighbours in catalog order and its prerequisites with the learner's completion of each. The
ORM forms of these reads (two ordered OR filters, an ``Exists`` annotation) took several times
longer to compile than the database takes to answer, on every lesson a learner opens
(docs/performance.md P9). These statements compute what those ORM expressions did, with every
name read from the models' metadata and every value passed as a parameter; they return text,
integers and booleans only, which need no converting. ``tests/lessons/test_fastpaths.py`` holds
them equal to the ORM's on generated catalogs.
"""

from __future__ import annotations

from django.db import connection

from controlpanel.sql import column
from lessons.models import Lesson, LessonProgress


def _lesson_col(field: str, table: str = "l") -> str:
    return f"{table}.{column(connection, Lesson, field)}"


def neighbours(*, category_id: int, difficulty: int, title: str) -> tuple[tuple | None, tuple | None]:
    """The published lessons just before and just after (``difficulty``, ``title``) in the category, in catalog
    order (difficulty, then title), as ``(slug, title, difficulty)`` or None; one statement."""
    table = connection.ops.quote_name(Lesson._meta.db_table)
    picked = f"{_lesson_col('slug')}, {_lesson_col('title')}, {_lesson_col('difficulty')}"
    same = f"{_lesson_col('category')} = %s AND {_lesson_col('is_published')} = %s"
    level, name = _lesson_col("difficulty"), _lesson_col("title")

    def side(n: int, compare: str, order: str) -> str:
        return (f"SELECT {n}, s.* FROM (SELECT {picked} FROM {table} l WHERE {same} "  # noqa: S608
                f"AND ({level} {compare} %s OR ({level} = %s AND {name} {compare} %s)) "
                f"ORDER BY {level} {order}, {name} {order} LIMIT 1) s")

    params = [category_id, True, difficulty, difficulty, title]
    with connection.cursor() as cursor:
        cursor.execute(f"{side(0, '<', 'DESC')} UNION ALL {side(1, '>', 'ASC')}", params * 2)
        rows = {row[0]: tuple(row[1:]) for row in cursor.fetchall()}
    return rows.get(0), rows.get(1)


def prerequisites(*, lesson_id: int, user_id: int) -> list[tuple[str, str, int, bool]]:
    """The lesson's prerequisites in catalog order as ``(slug, title, difficulty, completed)``, ``completed``
    saying whether the learner has completed each; one statement."""
    q = connection.ops.quote_name
    through = Lesson.prerequisites.through
    link, lp = q(through._meta.db_table), q(LessonProgress._meta.db_table)
    from_lesson, to_lesson = (f"m.{column(connection, through, name)}" for name in ("from_lesson", "to_lesson"))

    def progress(field: str) -> str:
        return f"p.{column(connection, LessonProgress, field)}"

    sql = (f"SELECT {_lesson_col('slug')}, {_lesson_col('title')}, {_lesson_col('difficulty')}, "  # noqa: S608
           f"EXISTS (SELECT 1 FROM {lp} p WHERE {progress('user')} = %s AND {progress('lesson')} = {_lesson_col('id')} "
           f"AND {progress('status')} = %s) "
           f"FROM {q(Lesson._meta.db_table)} l INNER JOIN {link} m ON {to_lesson} = {_lesson_col('id')} "
           f"WHERE {from_lesson} = %s ORDER BY {_lesson_col('difficulty')}, {_lesson_col('title')}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id, LessonProgress.Status.COMPLETED, lesson_id])
        return [(slug, title, difficulty, bool(done)) for slug, title, difficulty, done in cursor.fetchall()]
