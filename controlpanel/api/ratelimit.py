"""Fixed-window rate limits: one counter, with the DRF throttles and the page check built on it.

Every limit is a :class:`Rate` ("1000/h", "100/m", "5/15m") counted by :func:`hit` in a fixed
window per scope and key. The API applies them as DRF throttles, after authentication, so a
JWT user is keyed by user id (on ``dispatch`` a bearer-token user is still anonymous and every
client would share one bucket); anonymous requests are keyed by the client address the request
middleware resolved. Dashboard pages share the same counters through :func:`page_limited`.

Where the counters live (``RATELIMIT_STORE``): in production, Redis (the default cache), one
pipelined script per hit; on the embedded default, one SQLite file beside the database
(``RATELIMIT_SQLITE_PATH``), one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` statement per
hit. Either way every web process of a deployment counts against the same counters, so a limit
is exact however many processes serve.

When the store behind the counters fails, reads fail open (logged) and the login and
registration scopes fail closed with 503.
"""

import hashlib
import logging
import os
import random
import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from controlpanel.errors import ServiceUnavailableError

logger = logging.getLogger("controlpanel.ratelimit")

KEY_PREFIX = "rl"
EXPIRY_FUDGE = 5  # seconds a counter outlives its window, so a late hit never restarts it
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class Rate(NamedTuple):
    """``limit`` hits per fixed window of ``period`` seconds."""

    limit: int
    period: int


@lru_cache(maxsize=64)
def parse_rate(text: str) -> Rate:
    """``"100/h"`` → ``Rate(100, 3600)``; a multiplier is allowed (``"5/15m"``)."""
    match = re.fullmatch(r"\s*(\d+)/(\d*)([smhd])\s*", text)
    if match is None:
        raise ValueError(f"not a rate: {text!r}")
    count, multiplier, unit = match.groups()
    return Rate(int(count), int(multiplier or 1) * _PERIODS[unit])


@dataclass(frozen=True)
class Usage:
    """One scope's counter for one key in the current window, as :func:`hit` left it."""

    count: int
    limit: int
    time_left: int  # seconds until the window ends (at least 1)
    cache_key: str

    @property
    def should_limit(self) -> bool:
        return self.count > self.limit

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)


# One round trip: count the hit, and give the counter its expiry when it has none (a new window).
_INCR_WITH_EXPIRY = """
local count = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""
_script = None  # registered on first use; called with the cache's own client each time


def redis_client():
    """The raw client behind the default cache when it is django-redis, else ``None``."""
    client = getattr(cache, "client", None)
    if client is None or not hasattr(client, "get_client"):
        return None
    return client.get_client(write=True)


class CacheCounters:
    """Counters in the default cache: Redis in production (one pipelined script per hit), the
    local-memory cache where a single process is all there is."""

    def incr(self, key: str, ttl: int) -> int:
        redis = redis_client()
        if redis is None:
            if cache.add(key, 1, ttl):
                return 1
            return cache.incr(key)
        global _script
        if _script is None:
            _script = redis.register_script(_INCR_WITH_EXPIRY)
        return int(_script(keys=[cache.make_and_validate_key(key)], args=[ttl], client=redis))

    def get(self, key: str) -> int:
        return int(cache.get(key) or 0)

    def decr(self, key: str) -> None:
        cache.decr(key)

    def ttl(self, key: str) -> int | None:
        redis = redis_client()
        if redis is None:
            return None
        seconds = redis.ttl(cache.make_and_validate_key(key))
        return seconds if seconds >= 0 else None

    def clear(self) -> None:
        cache.clear()


class SQLiteCounters:
    """Counters in one SQLite file that every process of the embedded default opens.

    A hit is one statement, an upsert that also restarts a counter whose window has ended, so
    two processes never lose or double a count. The file is separate from the product's
    database, so counting never waits on an application write. Durability is traded for speed
    (``synchronous=OFF``): a crash of the machine may forget the last hits, which only gives a
    client a few more requests in that window.
    """

    PURGE_ONE_IN = 1000  # hits, on average, between sweeps of ended windows

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        os.register_at_fork(after_in_child=self._forget_connections)

    def _forget_connections(self) -> None:
        self._local = threading.local()  # a connection must not cross a fork

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=OFF")
            connection.execute("CREATE TABLE IF NOT EXISTS counter (key TEXT PRIMARY KEY, count INTEGER NOT NULL, "
                               "expires_at INTEGER NOT NULL) WITHOUT ROWID")
            self._local.connection = connection
        return connection

    def incr(self, key: str, ttl: int) -> int:
        now = int(time.time())
        connection = self._connection()
        (count,) = connection.execute(
            "INSERT INTO counter (key, count, expires_at) VALUES (?, 1, ?) ON CONFLICT (key) DO UPDATE SET "
            "count = CASE WHEN counter.expires_at < ? THEN 1 ELSE counter.count + 1 END, "
            "expires_at = CASE WHEN counter.expires_at < ? THEN excluded.expires_at ELSE counter.expires_at END "
            "RETURNING count", (key, now + ttl, now, now)).fetchone()
        if random.randrange(self.PURGE_ONE_IN) == 0:  # noqa: S311 - spreading housekeeping, not security
            connection.execute("DELETE FROM counter WHERE expires_at < ?", (now,))
        return int(count)

    def get(self, key: str) -> int:
        row = self._connection().execute("SELECT count FROM counter WHERE key = ? AND expires_at >= ?",
                                         (key, int(time.time()))).fetchone()
        return int(row[0]) if row else 0

    def decr(self, key: str) -> None:
        self._connection().execute("UPDATE counter SET count = count - 1 WHERE key = ? AND count > 0", (key,))

    def ttl(self, key: str) -> int | None:
        row = self._connection().execute("SELECT expires_at FROM counter WHERE key = ?", (key,)).fetchone()
        return max(0, int(row[0]) - int(time.time())) if row else None

    def clear(self) -> None:
        self._connection().execute("DELETE FROM counter")


_stores: dict[tuple, CacheCounters | SQLiteCounters] = {}


def counters() -> CacheCounters | SQLiteCounters:
    """The configured counter store (``RATELIMIT_STORE``: ``cache`` or ``sqlite``)."""
    kind = getattr(settings, "RATELIMIT_STORE", "cache")
    path = str(getattr(settings, "RATELIMIT_SQLITE_PATH", "")) if kind == "sqlite" else ""
    store = _stores.get((kind, path))
    if store is None:
        store = _stores.setdefault((kind, path), SQLiteCounters(Path(path)) if kind == "sqlite" else CacheCounters())
    return store


def counter_incr(key: str, ttl: int) -> int:
    """Add one to the counter ``key`` (created at 1 with a ``ttl``-second life) and return it."""
    return counters().incr(key, ttl)


def clear_counters() -> None:
    """Forget every counter (tests start each case from zero)."""
    counters().clear()


def hit(*, scope: str, key: str, rate: Rate, increment: bool = True, fail_closed: bool = False) -> Usage | None:
    """Count one hit of ``key`` in ``scope`` (or only read the counter when not ``increment``).

    ``None`` when limits are off, or when the cache failed and the scope fails open; a scope
    that fails closed raises :class:`ServiceUnavailableError` (503) instead.
    """
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return None
    now = int(time.time())
    start = now // rate.period * rate.period
    cache_key = f"{KEY_PREFIX}:{scope}:{start}:{hashlib.sha256(key.encode()).hexdigest()}"
    try:
        store = counters()
        count = store.incr(cache_key, rate.period + EXPIRY_FUDGE) if increment else store.get(cache_key)
    except Exception as exc:  # the cache backend raised: Redis down or unreachable
        if fail_closed:
            logger.error("rate-limit store unavailable; refusing %s", scope, extra={"error": type(exc).__name__})
            raise ServiceUnavailableError() from exc
        logger.warning("rate-limit store unavailable; allowing %s", scope, extra={"error": type(exc).__name__})
        return None
    return Usage(count=count, limit=rate.limit, time_left=start + rate.period - now, cache_key=cache_key)


def give_back(usage: Usage | None) -> None:
    """Take back one hit counted by :func:`hit` (a reserved attempt that turned out not to count)."""
    if usage is None:
        return
    try:
        counters().decr(usage.cache_key)
    except Exception as exc:  # the window ended (key gone) or the store failed: nothing to give back
        logger.warning("could not give back a %s hit", usage.cache_key.split(":")[1],
                       extra={"error": type(exc).__name__})


def client_key(request) -> str:
    """Who a request counts against: the signed-in user, else the client address."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{getattr(request, 'client_ip', None) or request.META.get('REMOTE_ADDR', '')}"


def address_key(request) -> str:
    return f"ip:{request.client_ip}"


def page_limited(request, *, scope: str, rate_setting: str, key: str, fail_closed: bool = False) -> Usage | None:
    """For a dashboard page sharing an API scope: count this request, and return the
    :class:`Usage` when it is over the limit (``None`` when it may go ahead)."""
    usage = hit(scope=scope, key=key, rate=parse_rate(getattr(settings, rate_setting)), fail_closed=fail_closed)
    return usage if usage is not None and usage.should_limit else None


def _publish_headers(request, usage: Usage) -> None:
    django_request = getattr(request, "_request", request)
    django_request.ratelimit_headers = {
        "X-RateLimit-Limit": str(usage.limit),
        "X-RateLimit-Remaining": str(usage.remaining),
    }


class ScopedRateLimit(BaseThrottle):
    """A fixed-window limit for one scope; subclasses name the scope and the rate setting."""

    group = "api"
    rate_setting = "RATELIMIT_API_RATE"
    fail_closed = False

    def key(self, request) -> str:
        return client_key(request)

    def allow_request(self, request, view) -> bool:
        self.result = hit(
            scope=self.group,
            key=self.key(request),
            rate=parse_rate(getattr(settings, self.rate_setting)),
            fail_closed=self.fail_closed,
        )
        if self.result is None:
            return True
        _publish_headers(request, self.result)
        return not self.result.should_limit

    def wait(self) -> float | None:
        return max(1, self.result.time_left) if self.result else None


class ApiRateLimit(ScopedRateLimit):
    """1000 requests an hour per user (per address when anonymous) across the whole API."""


class SearchRateLimit(ScopedRateLimit):
    """100 searches a minute per user, on top of the API-wide limit."""

    group = "search"
    rate_setting = "RATELIMIT_SEARCH_RATE"


class LoginAddressRateLimit(ScopedRateLimit):
    """Login attempts per client address, whatever account they name; fails closed."""

    group = "login-address"
    rate_setting = "RATELIMIT_LOGIN_ADDRESS_RATE"
    fail_closed = True

    def key(self, request) -> str:
        return address_key(request)


class RegisterAddressRateLimit(LoginAddressRateLimit):
    """Registrations per client address; fails closed."""

    group = "register-address"
    rate_setting = "RATELIMIT_REGISTER_ADDRESS_RATE"
