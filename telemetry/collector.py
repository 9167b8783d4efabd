"""In-process request aggregation, flushed to the database in batches.

A request costs one lock and a few additions here; a daemon thread in each web process writes
the batch every ``TELEMETRY_FLUSH_SECONDS`` as additive upserts (minute, hour and all-time
rows plus active users per day), and the process flushes once more when it exits: gunicorn's
``worker_exit`` hook (``gunicorn.conf.py``) and Celery's ``worker_process_shutdown`` signal
(:mod:`telemetry.tasks`) call :meth:`Collector.flush_at_exit`, and ``atexit`` does for any
other process. A failed write keeps the batch for the next attempt, so a database blip loses
nothing.

Tests call :func:`flush` themselves (the background thread is off under tests).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import threading
import time
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection, transaction

from telemetry.histogram import BUCKET_FIELDS, Stats

logger = logging.getLogger("controlpanel.telemetry")

# A batch that keeps failing is capped so memory stays bounded while the database is away.
MAX_PENDING_KEYS = 200_000
UPSERT_CHUNK = 400
STATS_COLUMNS = ("count", "duration_sum_ms", "duration_max_ms", *BUCKET_FIELDS)


class Collector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._stats: dict[tuple[int, str, str, int], Stats] = {}
        self._users: dict[tuple[date, int], int] = {}
        self._day_cache: tuple[int, date] | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.dropped = 0

    # --- per request -------------------------------------------------------------------
    def record(self, *, route: str, method: str, status: int, duration_ms: float,
               user_id: int | None = None, now: float | None = None) -> None:
        now = time.time() if now is None else now
        minute = int(now // 60) * 60
        key = (minute, route, method, min(5, max(1, status // 100)))
        day = self._local_day(minute) if user_id is not None else None
        with self._lock:
            row = self._stats.get(key)
            if row is None:
                row = self._stats[key] = Stats()
            row.record(duration_ms)
            if day is not None:
                user_key = (day, user_id)
                self._users[user_key] = self._users.get(user_key, 0) + 1
        if self._thread is None and settings.TELEMETRY_BACKGROUND_FLUSH:
            self.start()

    def _local_day(self, minute: int) -> date:
        cached = self._day_cache
        if cached is not None and cached[0] == minute:
            return cached[1]
        day = datetime.fromtimestamp(minute, tz=ZoneInfo(settings.REPORT_TIME_ZONE)).date()
        self._day_cache = (minute, day)
        return day

    # --- flushing ----------------------------------------------------------------------
    def pending(self) -> int:
        with self._lock:
            return sum(row.count for row in self._stats.values())

    def reset(self) -> None:
        with self._lock:
            self._stats, self._users = {}, {}

    def flush(self) -> int:
        """Write everything aggregated so far; returns the number of requests written."""
        with self._flush_lock:
            with self._lock:
                stats, self._stats = self._stats, {}
                users, self._users = self._users, {}
            if not stats and not users:
                return 0
            try:
                write_batch(stats, users)
            except (OperationalError, InterfaceError) as exc:
                # The database is away: keep the batch (bounded) and add it next time.
                self._restore(stats, users)
                logger.warning("telemetry flush failed; kept for the next attempt",
                               extra={"error": type(exc).__name__, "keys": len(stats)})
                return 0
            except Exception:
                # Anything else would fail again forever and hold back every later batch.
                lost = sum(row.count for row in stats.values())
                self.dropped += lost
                logger.exception("telemetry batch could not be written and was dropped", extra={"requests": lost})
                return 0
            return sum(row.count for row in stats.values())

    def _restore(self, stats: dict, users: dict) -> None:
        with self._lock:
            for key, row in stats.items():
                mine = self._stats.get(key)
                if mine is None:
                    self._stats[key] = row
                else:
                    mine.add(row)
            for key, count in users.items():
                self._users[key] = self._users.get(key, 0) + count
            overflow = len(self._stats) - MAX_PENDING_KEYS
            if overflow > 0:
                for key in sorted(self._stats)[:overflow]:
                    self.dropped += self._stats.pop(key).count
                logger.error("telemetry buffer full; oldest minutes dropped", extra={"dropped": self.dropped})

    # --- the background thread ---------------------------------------------------------
    def start(self) -> None:
        with self._flush_lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="telemetry-flush", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        interval = max(0.2, float(settings.TELEMETRY_FLUSH_SECONDS))
        while not self._stop.wait(interval):
            try:
                close_old_connections()
                self.flush()
            except Exception:  # never let the thread die
                logger.exception("telemetry flush thread error")

    def stop(self) -> None:
        self._stop.set()

    def after_fork(self) -> None:
        """In a forked child: new locks, no thread, nothing inherited from the parent."""
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._stats, self._users = {}, {}
        self._thread = None
        self._stop = threading.Event()

    def flush_at_exit(self) -> None:
        """The last flush of a server process. Under tests (no background flush) nothing is
        written: by then the test database is gone and the configured one is not the test's."""
        self.stop()
        if not settings.configured or not settings.TELEMETRY_BACKGROUND_FLUSH:
            return
        try:
            written = self.flush()
            if written:
                logger.info("telemetry flushed at exit", extra={"requests": written})
        finally:
            with contextlib.suppress(Exception):  # the process is going away anyway
                connection.close()


collector = Collector()
flush = collector.flush
atexit.register(collector.flush_at_exit)
os.register_at_fork(after_in_child=collector.after_fork)

# --- the writes --------------------------------------------------------------------------

def _greatest(vendor: str) -> str:
    return "MAX" if vendor == "sqlite" else "GREATEST"


def _upsert_sql(table: str, keys: tuple[str, ...], rows: int, vendor: str) -> str:
    qn = connection.ops.quote_name
    columns = (*keys, *STATS_COLUMNS)
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    updates = []
    for column in STATS_COLUMNS:
        target = f"{qn(table)}.{qn(column)}"
        if column == "duration_max_ms":
            updates.append(f"{qn(column)} = {_greatest(vendor)}({target}, EXCLUDED.{qn(column)})")
        else:
            updates.append(f"{qn(column)} = {target} + EXCLUDED.{qn(column)}")
    return (
        f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in columns)}) VALUES "
        + ", ".join([placeholders] * rows)
        + f" ON CONFLICT ({', '.join(qn(k) for k in keys)}) DO UPDATE SET "
        + ", ".join(updates)
    )


def _upsert(cursor, table: str, keys: tuple[str, ...], rows: list[tuple]) -> None:
    vendor = connection.vendor
    # Sorted keys make concurrent flushes lock rows in the same order (no deadlocks).
    rows.sort(key=lambda row: tuple(str(v) for v in row[: len(keys)]))
    for offset in range(0, len(rows), UPSERT_CHUNK):
        chunk = rows[offset: offset + UPSERT_CHUNK]
        params = [value for row in chunk for value in row]
        cursor.execute(_upsert_sql(table, keys, len(chunk), vendor), params)


def _fold(rows: dict[tuple, Stats], key_of) -> dict[tuple, Stats]:
    folded: dict[tuple, Stats] = {}
    for key, row in rows.items():
        target_key = key_of(key)
        mine = folded.get(target_key)
        if mine is None:
            folded[target_key] = row.copy()
        else:
            mine.add(row)
    return folded


def write_batch(stats: dict[tuple[int, str, str, int], Stats], users: dict[tuple[date, int], int]) -> None:
    """Add one batch to the minute, hour and all-time rows and the active-user days."""
    from telemetry.models import ActiveUserDay, RequestHour, RequestMinute, RequestTotal

    adapt = connection.ops.adapt_datetimefield_value

    def stamp(epoch: int):
        return adapt(datetime.fromtimestamp(epoch, tz=UTC))

    minute_rows = [(stamp(k[0]), k[1], k[2], k[3], *row.columns()) for k, row in stats.items()]
    hours = _fold(stats, lambda k: (k[0] // 3600 * 3600, k[1], k[2], k[3]))
    hour_rows = [(stamp(k[0]), k[1], k[2], k[3], *row.columns()) for k, row in hours.items()]
    totals = _fold(stats, lambda k: (k[1], k[2], k[3]))
    total_rows = [(*k, *row.columns()) for k, row in totals.items()]
    with transaction.atomic(), connection.cursor() as cursor:
        if stats:
            _upsert(cursor, RequestMinute._meta.db_table, ("minute", "route", "method", "status_class"), minute_rows)
            _upsert(cursor, RequestHour._meta.db_table, ("hour", "route", "method", "status_class"), hour_rows)
            _upsert(cursor, RequestTotal._meta.db_table, ("route", "method", "status_class"), total_rows)
        if users:
            # Counts buffered before an account was deleted must not bring its id back: only
            # users that still exist get a row (one indexed look-up per flush).
            from django.contrib.auth import get_user_model

            ids = {user_id for _, user_id in users}
            alive = set(get_user_model().objects.filter(pk__in=ids).values_list("pk", flat=True))
            users = {key: count for key, count in users.items() if key[1] in alive}
        if users:
            _upsert_users(cursor, ActiveUserDay._meta.db_table, users)


def _upsert_users(cursor, table: str, users: dict[tuple[date, int], int]) -> None:
    qn = connection.ops.quote_name
    adapt = connection.ops.adapt_datefield_value
    rows = sorted(users.items())
    for offset in range(0, len(rows), UPSERT_CHUNK):
        chunk = rows[offset: offset + UPSERT_CHUNK]
        sql = (
            f"INSERT INTO {qn(table)} ({qn('day')}, {qn('user_id')}, {qn('requests')}) VALUES "
            + ", ".join(["(%s, %s, %s)"] * len(chunk))
            + f" ON CONFLICT ({qn('day')}, {qn('user_id')}) DO UPDATE SET "
            + f"{qn('requests')} = {qn(table)}.{qn('requests')} + EXCLUDED.{qn('requests')}"
        )
        cursor.execute(sql, [v for (day, user_id), count in chunk for v in (adapt(day), user_id, count)])
