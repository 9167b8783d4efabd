"""Hand-written statements for the hottest progress reads, the one place the progress app bypasses the ORM.

``category_rows`` is every learner's category bars (``progress/``, the home page, the lesson
lists): one statement whose ORM form (five correlated subqueries) took several milliseconds to
compile on every request for a sub-millisecond answer. ``tests/progress/test_fastpaths.py``
holds it equal to that ORM expression on generated catalogs and histories.

``progress/summary/`` answers on every dashboard load. Its week and today figures are a dozen
conditional aggregates; the ORM spent several times longer compiling them than the database
spends answering (docs/performance.md P9). These two statements compute exactly what the ORM
expressions did, with column names read from the models and values passed through the ORM's
own converters (``controlpanel.sql``), and ``tests/progress/test_fastpaths.py`` holds them equal
to the ORM on generated histories. They read O(the learner's lesson rows) and O(two weeks of
events), never the whole history. ``badge_rows`` is the summary's badges: every achievement with
the learner's award time, one LEFT JOIN where the ORM's correlated subquery cost a third of the
summary's worker time to compile.

``average`` is the score of the learner's counted completions: the rule of
``LessonProgress.objects.counted()`` (completed, lesson published now), which the test checks
against that queryset.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from controlpanel.sql import column, convert_row, converters_for
from lessons.models import Category, Lesson, LessonProgress
from progress.models import Achievement, ProgressEvent, UserAchievement, UserProgress

Windows = dict[str, tuple[datetime, datetime]]  # name -> [start, end)


# Every name in these statements comes from the models' metadata and every value is a parameter.
def _in(col: str) -> str:
    return f"{col} >= %s AND {col} < %s"


def _bounds(windows: Windows) -> list:
    adapt = connection.ops.adapt_datetimefield_value
    return [adapt(moment) for start, end in windows.values() for moment in (start, end)]


def lesson_window_figures(*, user_id: int, windows: Windows) -> dict:
    """``average`` (counted scores), ``last`` (latest lesson row change) and per window ``<name>_n``
    (lessons completed) and ``<name>_seconds`` (their time spent, None without any)."""
    q = connection.ops.quote_name
    lp, lesson = q(LessonProgress._meta.db_table), q(Lesson._meta.db_table)

    def col(field: str) -> str:
        return f"{lp}.{column(connection, LessonProgress, field)}"

    completed_at = col("completed_at")
    windowed = []
    for _ in windows:
        windowed += [f"COUNT(CASE WHEN {_in(completed_at)} THEN 1 END)",
                     f"SUM(CASE WHEN {_in(completed_at)} THEN {col('time_spent_seconds')} END)"]
    counted = f"{col('status')} = %s AND {lesson}.{column(connection, Lesson, 'is_published')} = %s"
    sql = (f"SELECT AVG(CASE WHEN {counted} THEN {col('score')} END), MAX({col('updated_at')}), {', '.join(windowed)} "  # noqa: S608
           f"FROM {lp} INNER JOIN {lesson} ON {lesson}.{column(connection, Lesson, 'id')} = {col('lesson')} "
           f"WHERE {col('user')} = %s")
    bounds = [value for pair in zip(_bounds(windows)[::2], _bounds(windows)[1::2], strict=True)
              for value in (*pair, *pair)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [LessonProgress.Status.COMPLETED, True, *bounds, user_id])
        row = cursor.fetchone()
    average, last = row[0], convert_row(connection, [row[1]], converters_for(connection, LessonProgress, ["updated_at"]))[0]
    figures = {"average": None if average is None else float(average), "last": last}
    for i, name in enumerate(windows):
        n, seconds = row[2 + 2 * i], row[3 + 2 * i]
        figures[f"{name}_n"] = int(n)
        figures[f"{name}_seconds"] = None if seconds is None else int(seconds)
    return figures


def event_window_figures(*, user_id: int, windows: Windows, since: datetime) -> dict:
    """``last`` (latest event at or after ``since``, None without one) and per window ``<name>_n`` (events)."""
    q = connection.ops.quote_name
    table = q(ProgressEvent._meta.db_table)
    created_at = f"{table}.{column(connection, ProgressEvent, 'created_at')}"
    windowed = ", ".join(f"COUNT(CASE WHEN {_in(created_at)} THEN 1 END)" for _ in windows)
    sql = (f"SELECT MAX({created_at}), {windowed} FROM {table} "  # noqa: S608
           f"WHERE {table}.{column(connection, ProgressEvent, 'user')} = %s AND {created_at} >= %s")  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*_bounds(windows), user_id, connection.ops.adapt_datetimefield_value(since)])
        row = cursor.fetchone()
    last = convert_row(connection, [row[0]], converters_for(connection, ProgressEvent, ["created_at"]))[0]
    return {"last": last, **{f"{name}_n": int(n) for name, n in zip(windows, row[1:], strict=True)}}


def category_rows(*, user_id: int, category_id: int | None = None) -> list[tuple]:
    """Per category in catalog order (``order``, then ``name``), or only ``category_id``:
    ``(slug, name, order, total, done, done_at, marked, marked_at)``.

    ``total`` counts the category's published lessons; ``done`` and ``done_at`` (the latest
    completion) count the learner's completions by the rule of ``LessonProgress.objects.counted()``
    (completed, of a lesson published now); ``marked`` and ``marked_at`` are the learner's
    self-paced marker, ``None`` without one.
    """
    q = connection.ops.quote_name
    c, lesson, lp, up = (q(model._meta.db_table) for model in (Category, Lesson, LessonProgress, UserProgress))

    def col(table: str, model, field: str) -> str:
        return f"{table}.{column(connection, model, field)}"

    lesson_category, published = col(lesson, Lesson, "category"), col(lesson, Lesson, "is_published")
    sql = (
        f"SELECT {col(c, Category, 'slug')}, {col(c, Category, 'name')}, {col(c, Category, 'order')}, "  # noqa: S608
        f"(SELECT COUNT(*) FROM {lesson} WHERE {lesson_category} = {col(c, Category, 'id')} AND {published} = %s), "
        f"done.n, done.last, {col(up, UserProgress, 'marked')}, {col(up, UserProgress, 'last_updated')} "
        f"FROM {c} "
        f"LEFT JOIN (SELECT {lesson_category} AS category, COUNT(*) AS n, MAX({col(lp, LessonProgress, 'completed_at')}) AS last "
        f"FROM {lp} INNER JOIN {lesson} ON {col(lesson, Lesson, 'id')} = {col(lp, LessonProgress, 'lesson')} "
        f"WHERE {col(lp, LessonProgress, 'user')} = %s AND {col(lp, LessonProgress, 'status')} = %s AND {published} = %s "
        f"GROUP BY {lesson_category}) done ON done.category = {col(c, Category, 'id')} "
        f"LEFT JOIN {up} ON {col(up, UserProgress, 'category')} = {col(c, Category, 'id')} "
        f"AND {col(up, UserProgress, 'user')} = %s "
        + (f"WHERE {col(c, Category, 'id')} = %s " if category_id is not None else "")
        + f"ORDER BY {col(c, Category, 'order')}, {col(c, Category, 'name')}"
    )
    params = [True, user_id, LessonProgress.Status.COMPLETED, True, user_id]
    if category_id is not None:
        params.append(category_id)
    done_at = converters_for(connection, LessonProgress, ["completed_at"])
    marked_at = converters_for(connection, UserProgress, ["last_updated"])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    return [
        (slug, name, order, int(total), int(n or 0), convert_row(connection, [last], done_at)[0], marked,
         convert_row(connection, [updated], marked_at)[0])
        for slug, name, order, total, n, last, marked, updated in fetched
    ]


def badge_rows(*, user_id: int) -> list[tuple]:
    """Every achievement in catalog order (``order``, ``name``, then id):
    ``(code, name, description, icon, awarded_at)``, ``awarded_at`` None where the learner has not earned it.

    One row per achievement: an achievement is awarded to a learner at most once (a unique constraint).
    """
    q = connection.ops.quote_name
    a, ua = q(Achievement._meta.db_table), q(UserAchievement._meta.db_table)

    def col(table: str, model, field: str) -> str:
        return f"{table}.{column(connection, model, field)}"

    fields = ("code", "name", "description", "icon")
    sql = (f"SELECT {', '.join(col(a, Achievement, f) for f in fields)}, {col(ua, UserAchievement, 'awarded_at')} "  # noqa: S608
           f"FROM {a} LEFT JOIN {ua} ON {col(ua, UserAchievement, 'achievement')} = {col(a, Achievement, 'id')} "
           f"AND {col(ua, UserAchievement, 'user')} = %s "
           f"ORDER BY {col(a, Achievement, 'order')}, {col(a, Achievement, 'name')}, {col(a, Achievement, 'id')}")
    awarded = converters_for(connection, UserAchievement, ["awarded_at"])
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        fetched = cursor.fetchall()
    return [(*row[:4], convert_row(connection, [row[4]], awarded)[0]) for row in fetched]
