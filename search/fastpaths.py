"""Hand-written statements for the search history's write on every search, the one place the search app's
history bypasses the ORM.

Every search reads the learner's newest history entry and, when the search repeats it, counts one more
run on it. As ORM calls (a model instance for the newest row, an ``update`` with ``F()`` expressions)
those two took longer to compile than the cached search they follow took to answer (docs/performance.md
P9). These statements do what those calls did, with every name read from the models' metadata and every
value passed as a parameter; ``tests/search/test_fastpaths.py`` holds the history they leave equal to
the one the ORM calls left, over generated runs of searches.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import NamedTuple

from django.db import connection

from controlpanel.sql import column
from search.models import SearchHistory


class Latest(NamedTuple):
    id: int
    turbo_used: bool
    category_id: int | None
    query: str


def latest_entry(*, user_id: int) -> Latest | None:
    """The learner's newest history entry (highest id), or None."""
    with connection.cursor() as cursor:
        cursor.execute(_latest_sql(connection.vendor), [user_id])
        row = cursor.fetchone()
    return None if row is None else Latest(row[0], bool(row[1]), row[2], row[3])


def count_repeat(*, entry_id: int, cached: bool, at: datetime, figures: dict) -> None:
    """One more run of entry ``entry_id`` at ``at``: ``repeats`` + 1, ``cached_runs`` + 1 if it was a cache
    hit, and ``figures`` (field name -> value: the latest run's query text, counts and, when it ran the
    engine, its time) replace the entry's."""
    names = sorted(figures)
    assignments = ", ".join(f"{column(connection, SearchHistory, name)} = %s" for name in names)
    table = connection.ops.quote_name(SearchHistory._meta.db_table)
    repeats, cached_runs, created_at = (column(connection, SearchHistory, n) for n in ("repeats", "cached_runs", "created_at"))
    sql = (f"UPDATE {table} SET {repeats} = {repeats} + 1, {cached_runs} = {cached_runs} + %s, "  # noqa: S608
           f"{created_at} = %s, {assignments} WHERE {column(connection, SearchHistory, 'id')} = %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [int(cached), connection.ops.adapt_datetimefield_value(at),
                             *(figures[name] for name in names), entry_id])


@cache
def _latest_sql(vendor: str) -> str:
    table = connection.ops.quote_name(SearchHistory._meta.db_table)
    picked = ", ".join(column(connection, SearchHistory, name) for name in ("id", "turbo_used", "category", "query"))
    return (f"SELECT {picked} FROM {table} WHERE {column(connection, SearchHistory, 'user')} = %s "  # noqa: S608
            f"ORDER BY {column(connection, SearchHistory, 'id')} DESC LIMIT 1")
