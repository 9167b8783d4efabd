"""Hand-written statements for the summary's window figures, the one place the progress app bypasses the ORM.

``progress/summary/`` answers on every dashboard load. Its week and today figures are a dozen
conditional aggregates; the ORM spent several times longer compiling them than the database
spends answering (docs/performance.md P9). These two statements compute exactly what the ORM
expressions did, with column names read from the models and values passed through the ORM's
own converters (``controlpanel.sql``), and ``tests/progress/test_fastpaths.py`` holds them equal
to the ORM on generated histories. They read O(the learner's lesson rows) and O(two weeks of
events), never the whole history.

``average`` is the score of the learner's counted completions: the rule of
``LessonProgress.objects.counted()`` (completed, lesson published now), which the test checks
against that queryset.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from controlpanel.sql import column, convert_row, converters_for
from lessons.models import Lesson, LessonProgress
from progress.models import ProgressEvent

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
