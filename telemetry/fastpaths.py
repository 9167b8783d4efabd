"""The hand-written statement for reading the request tiers, the one place the telemetry app bypasses the ORM.

Every live staff page load and poll, the metrics API and every report sum request rows over a time
range: a count, a duration sum and maximum and 33 latency buckets per group. As an ORM aggregate
(``values(...).annotate(**sums)``) that statement took several times longer to compile than
the database took to answer it, twice per poll (docs/performance.md P5). ``request_sums`` writes
the same statement from the models' metadata, once per shape per process; group values and the
time column pass through the ORM's own converters. ``tests/telemetry/test_fastpaths.py`` holds its
rows equal to the ORM aggregate's on generated request rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache

from django.db import connection

from controlpanel.sql import among, convert_row, converters_for, fetch_all
from telemetry.histogram import BUCKET_FIELDS

# The summed columns, as the rows' keys: n (count), s (duration sum), mx (duration max), h00..h32 (buckets).
SUM_KEYS = ("n", "s", "mx", *(f"h{name[1:]}" for name in BUCKET_FIELDS))


def request_sums(model, column: str, lower: datetime, upper: datetime, *, group: Sequence[str],
                 routes: Sequence[str] | None = None) -> list[dict]:
    """Rows of ``model`` (``RequestMinute`` or ``RequestHour``) with ``lower <= column < upper`` (and ``route``
    in ``routes`` when given), summed per ``group`` (field names): one dict per group with the group's fields
    and ``SUM_KEYS``. With no group, one dict, its sums None when no row matched (as ``aggregate`` gives)."""
    sql, group_converters = _statement(connection.vendor, model, column, tuple(group), routes is not None)
    adapt = connection.ops.adapt_datetimefield_value
    params: list = [adapt(lower), adapt(upper)]
    if routes is not None:
        params.append(among(connection, "route", list(routes))[1])
    out = []
    width = len(group)
    for row in fetch_all(connection, sql, params):
        values = convert_row(connection, row[:width], group_converters) if width else []
        out.append({**dict(zip(group, values, strict=True)), **dict(zip(SUM_KEYS, row[width:], strict=True))})
    return out


@cache
def _statement(vendor: str, model, column: str, group: tuple[str, ...], by_route: bool) -> tuple[str, list]:
    q = connection.ops.quote_name

    def col(name: str) -> str:
        return q(model._meta.get_field(name).column)

    sums = [f"SUM({col('count')})", f"SUM({col('duration_sum_ms')})", f"MAX({col('duration_max_ms')})",
            *(f"SUM({col(name)})" for name in BUCKET_FIELDS)]
    where = f"{col(column)} >= %s AND {col(column)} < %s"
    if by_route:  # the condition's text does not depend on the routes (they are its one parameter)
        condition, _ = among(connection, col("route"), [])
        where += f" AND {condition}"
    grouped = ", ".join(col(name) for name in group)
    sql = (f"SELECT {grouped + ', ' if group else ''}{', '.join(sums)} FROM {q(model._meta.db_table)} "  # noqa: S608
           f"WHERE {where}" + (f" GROUP BY {grouped}" if group else ""))
    return sql, converters_for(connection, model, list(group))
