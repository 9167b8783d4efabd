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
summary's worker time to compile; ``streak_row`` is its streak, one indexed row.

``average`` is the score of the learner's counted completions: the rule of
``LessonProgress.objects.counted()`` (completed, lesson published now), which the test checks
against that queryset.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from django.db import connection

from controlpanel.sql import column, convert_row, model_converters
from lessons.models import Category, Lesson, LessonProgress
from progress.models import Achievement, LearningStreak, ProgressEvent, UserAchievement, UserProgress

Windows = dict[str, tuple[datetime, datetime]]  # name -> [start, end)


# Every name in these statements comes from the models' metadata and every value is a parameter. The
# text depends only on the database (its quoting) and the statement's shape, so it is built once per
# process for each: ``vendor`` is the cache key, ``connection`` (the one database) what builds it.
def _in(col: str) -> str:
    return f"{col} >= %s AND {col} < %s"


def _bounds(windows: Windows) -> list:
    adapt = connection.ops.adapt_datetimefield_value
    return [adapt(moment) for start, end in windows.values() for moment in (start, end)]


def lesson_window_figures(*, user_id: int, windows: Windows) -> dict:
    """``average`` (counted scores), ``last`` (latest lesson row change) and per window ``<name>_n``
    (lessons completed) and ``<name>_seconds`` (their time spent, None without any)."""
    edges = _bounds(windows)
    bounds = [value for pair in zip(edges[::2], edges[1::2], strict=True) for value in (*pair, *pair)]
    with connection.cursor() as cursor:
        cursor.execute(_lesson_window_sql(connection.vendor, len(windows)),
                       [LessonProgress.Status.COMPLETED, True, *bounds, user_id])
        row = cursor.fetchone()
    average, last = row[0], convert_row(connection, [row[1]], model_converters(connection, LessonProgress, "updated_at"))[0]
    figures = {"average": None if average is None else float(average), "last": last}
    for i, name in enumerate(windows):
        n, seconds = row[2 + 2 * i], row[3 + 2 * i]
        figures[f"{name}_n"] = int(n)
        figures[f"{name}_seconds"] = None if seconds is None else int(seconds)
    return figures



@cache
def _lesson_window_sql(vendor: str, windows: int) -> str:
    q = connection.ops.quote_name
    lp, lesson = q(LessonProgress._meta.db_table), q(Lesson._meta.db_table)

    def col(field: str) -> str:
        return f"{lp}.{column(connection, LessonProgress, field)}"

    completed_at = col("completed_at")
    windowed = []
    for _ in range(windows):
        windowed += [f"COUNT(CASE WHEN {_in(completed_at)} THEN 1 END)",
                     f"SUM(CASE WHEN {_in(completed_at)} THEN {col('time_spent_seconds')} END)"]
    counted = f"{col('status')} = %s AND {lesson}.{column(connection, Lesson, 'is_published')} = %s"
    return (f"SELECT AVG(CASE WHEN {counted} THEN {col('score')} END), MAX({col('updated_at')}), {', '.join(windowed)} "  # noqa: S608
            f"FROM {lp} INNER JOIN {lesson} ON {lesson}.{column(connection, Lesson, 'id')} = {col('lesson')} "
            f"WHERE {col('user')} = %s")


def event_window_figures(*, user_id: int, windows: Windows, since: datetime) -> dict:
    """``last`` (latest event at or after ``since``, None without one) and per window ``<name>_n`` (events)."""
    with connection.cursor() as cursor:
        cursor.execute(_event_window_sql(connection.vendor, len(windows)),
                       [*_bounds(windows), user_id, connection.ops.adapt_datetimefield_value(since)])
        row = cursor.fetchone()
    last = convert_row(connection, [row[0]], model_converters(connection, ProgressEvent, "created_at"))[0]
    return {"last": last, **{f"{name}_n": int(n) for name, n in zip(windows, row[1:], strict=True)}}


@cache
def _event_window_sql(vendor: str, windows: int) -> str:
    table = connection.ops.quote_name(ProgressEvent._meta.db_table)
    created_at = f"{table}.{column(connection, ProgressEvent, 'created_at')}"
    windowed = ", ".join(f"COUNT(CASE WHEN {_in(created_at)} THEN 1 END)" for _ in range(windows))
    return (f"SELECT MAX({created_at}), {windowed} FROM {table} "  # noqa: S608
            f"WHERE {table}.{column(connection, ProgressEvent, 'user')} = %s AND {created_at} >= %s")


def category_rows(*, user_id: int, category_id: int | None = None) -> list[tuple]:
    """Per category in catalog order (``order``, then ``name``), or only ``category_id``:
    ``(slug, name, order, total, done, done_at, marked, marked_at)``.

    ``total`` counts the category's published lessons; ``done`` and ``done_at`` (the latest
    completion) count the learner's completions by the rule of ``LessonProgress.objects.counted()``
    (completed, of a lesson published now); ``marked`` and ``marked_at`` are the learner's
    self-paced marker, ``None`` without one.
    """
    params = [True, user_id, LessonProgress.Status.COMPLETED, True, user_id]
    if category_id is not None:
        params.append(category_id)
    with connection.cursor() as cursor:
        cursor.execute(_category_rows_sql(connection.vendor, category_id is not None), params)
        fetched = cursor.fetchall()
    done_at = model_converters(connection, LessonProgress, "completed_at")
    marked_at = model_converters(connection, UserProgress, "last_updated")
    return [
        (slug, name, order, int(total), int(n or 0), convert_row(connection, [last], done_at)[0], marked,
         convert_row(connection, [updated], marked_at)[0])
        for slug, name, order, total, n, last, marked, updated in fetched
    ]


def _col(table: str, model, field: str) -> str:
    return f"{table}.{column(connection, model, field)}"


@cache
def _category_rows_sql(vendor: str, one_category: bool) -> str:
    q, col = connection.ops.quote_name, _col
    c, lesson, lp, up = (q(model._meta.db_table) for model in (Category, Lesson, LessonProgress, UserProgress))
    lesson_category, published = col(lesson, Lesson, "category"), col(lesson, Lesson, "is_published")
    return (
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
        + (f"WHERE {col(c, Category, 'id')} = %s " if one_category else "")
        + f"ORDER BY {col(c, Category, 'order')}, {col(c, Category, 'name')}"
    )


def badge_rows(*, user_id: int) -> list[tuple]:
    """Every achievement in catalog order (``order``, ``name``, then id):
    ``(code, name, description, icon, awarded_at)``, ``awarded_at`` None where the learner has not earned it.

    One row per achievement: an achievement is awarded to a learner at most once (a unique constraint).
    """
    with connection.cursor() as cursor:
        cursor.execute(_badge_sql(connection.vendor), [user_id])
        fetched = cursor.fetchall()
    awarded = model_converters(connection, UserAchievement, "awarded_at")
    return [(*row[:4], convert_row(connection, [row[4]], awarded)[0]) for row in fetched]


@cache
def _badge_sql(vendor: str) -> str:
    q, col = connection.ops.quote_name, _col
    a, ua = q(Achievement._meta.db_table), q(UserAchievement._meta.db_table)
    fields = ("code", "name", "description", "icon")
    return (f"SELECT {', '.join(col(a, Achievement, f) for f in fields)}, {col(ua, UserAchievement, 'awarded_at')} "  # noqa: S608
            f"FROM {a} LEFT JOIN {ua} ON {col(ua, UserAchievement, 'achievement')} = {col(a, Achievement, 'id')} "
            f"AND {col(ua, UserAchievement, 'user')} = %s "
            f"ORDER BY {col(a, Achievement, 'order')}, {col(a, Achievement, 'name')}, {col(a, Achievement, 'id')}")


def streak_row(*, user_id: int) -> tuple | None:
    """The learner's streak as ``(current, best, last_day)``, or None when they have none (one row at most)."""
    with connection.cursor() as cursor:
        cursor.execute(_streak_sql(connection.vendor), [user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    return (row[0], row[1], convert_row(connection, [row[2]], model_converters(connection, LearningStreak, "last_day"))[0])


@cache
def _streak_sql(vendor: str) -> str:
    table = connection.ops.quote_name(LearningStreak._meta.db_table)
    picked = ", ".join(_col(table, LearningStreak, field) for field in ("current", "best", "last_day"))
    return f"SELECT {picked} FROM {table} WHERE {_col(table, LearningStreak, 'user')} = %s"  # noqa: S608
