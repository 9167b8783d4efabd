"""Fixed-window rate limits: one counter, with the DRF throttles and the page check built on it.

Every limit is a :class:`Rate` ("1000/h", "100/m", "5/15m") counted by :func:`hit` in a fixed
window per scope and key. The API applies them as DRF throttles, after authentication, so a
JWT user is keyed by user id (on ``dispatch`` a bearer-token user is still anonymous and every
client would share one bucket); anonymous requests are keyed by the client address the request
middleware resolved. Dashboard pages share the same counters through :func:`page_limited`.

When the cache behind the counters fails, reads fail open (logged) and the login and
registration scopes fail closed with 503.
"""

import hashlib
import logging
import re
import time
from dataclasses import dataclass
from functools import lru_cache
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


def counter_incr(key: str, ttl: int) -> int:
    """Add one to the counter ``key`` (created at 1 with a ``ttl``-second life) and return it.

    On Redis this is one pipelined script instead of ``add`` + ``incr`` (two round trips on
    every API request); the key and the stored integer are the cache's own, so ``cache.get``
    reads the same counter. Elsewhere, the cache's ``add`` + ``incr``.
    """
    redis = redis_client()
    if redis is None:
        if cache.add(key, 1, ttl):
            return 1
        return cache.incr(key)
    global _script
    if _script is None:
        _script = redis.register_script(_INCR_WITH_EXPIRY)
    return int(_script(keys=[cache.make_and_validate_key(key)], args=[ttl], client=redis))


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
        count = counter_incr(cache_key, rate.period + EXPIRY_FUDGE) if increment else int(cache.get(cache_key) or 0)
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
        cache.decr(usage.cache_key)
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
