"""The hand-written statements of the telemetry app, the one place it bypasses the ORM.

Every live staff page load and poll, the metrics API and every report sum request rows over a time
range: a count, a duration sum and maximum and 33 latency buckets per group. As an ORM aggregate
(``values(...).annotate(**sums)``) that statement took several times longer to compile than
the database took to answer it, twice per poll (docs/performance.md P5). ``request_sums`` writes
the same statement from the models' metadata, once per shape per process; group values and the
time column pass through the ORM's own converters.

The same pages and every report also measure uptime from the health probes of a range: 1,440 a
day, about 43,000 a month. ``probe_rows`` reads them as epoch seconds and flags, as the database
holds them; through the ORM, converting five values of each row cost more than the rest of the
uptime figure.

``tests/telemetry/test_fastpaths.py`` holds both equal to the ORM's answers on generated rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache

from django.db import connection

from controlpanel.sql import among, convert_row, converters_for, fetch_all
from telemetry.histogram import BUCKET_FIELDS
from telemetry.models import HealthCheck

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


def probe_rows(lower: datetime, upper: datetime) -> list[tuple]:
    """The health probes with ``lower <= at < upper``, oldest first, as (epoch seconds, ok, database_ok,
    cache_ok, broker_ok): the time computed by the database (a float, to the microsecond) and the flags as
    it holds them (1 and 0 on SQLite, booleans on PostgreSQL; read for their truth only)."""
    adapt = connection.ops.adapt_datetimefield_value
    return fetch_all(connection, _probe_statement(connection.vendor), [adapt(lower), adapt(upper)])


@cache
def _probe_statement(vendor: str) -> str:
    q = connection.ops.quote_name
    meta = HealthCheck._meta

    def col(name: str) -> str:
        return q(meta.get_field(name).column)

    at = col("at")
    if vendor == "sqlite":
        # Django stores "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC. julianday() rounds to the millisecond and
        # loses more in its day-sized float, so it only gives the whole seconds (rounded, exact) and the
        # fraction is read from the text itself, to the microsecond.
        epoch = f"(ROUND((julianday(substr({at}, 1, 19)) - 2440587.5) * 86400.0) + CAST(substr({at}, 20) AS REAL))"
    else:
        epoch = f"CAST(EXTRACT(EPOCH FROM {at}) AS double precision)"
    flags = ", ".join(col(name) for name in ("ok", "database_ok", "cache_ok", "broker_ok"))
    return (f"SELECT {epoch}, {flags} FROM {q(meta.db_table)} "  # noqa: S608 - names from the model
            f"WHERE {at} >= %s AND {at} < %s ORDER BY {at}")
