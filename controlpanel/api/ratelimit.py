"""Rate limits on django-ratelimit's counters, applied inside DRF.

They run as DRF throttles, after authentication, so a JWT user is keyed by user id (on
``dispatch`` a bearer-token user is still anonymous and every client would share one bucket).
Anonymous requests are keyed by the client address the request middleware resolved.

When the cache behind the counters fails, reads fail open (logged) and the login and
registration scopes fail closed with 503: django-ratelimit's ``RATELIMIT_FAIL_OPEN`` does not
cover a backend that raises.
"""

import hashlib
import logging
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django_ratelimit import ALL
from django_ratelimit.core import EXPIRATION_FUDGE, _get_window, _make_cache_key, _split_rate, get_usage
from rest_framework.throttling import BaseThrottle

from controlpanel.api.exceptions import RateLimitedError, ServiceUnavailableError

logger = logging.getLogger("controlpanel.ratelimit")


# One round trip: count the hit, and give the counter its expiry when it has none (a new window).
_INCR_WITH_EXPIRY = """
local count = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""
_script = None  # registered on first use; called with the cache's own client each time


def _redis_client():
    """The raw client behind the default cache when it is django-redis, else ``None``."""
    client = getattr(cache, "client", None)
    if client is None or not hasattr(client, "get_client"):
        return None
    return client.get_client(write=True)


def counter_incr(key: str, ttl: int) -> int:
    """Add one to the counter ``key`` (created at 1 with a ``ttl``-second life) and return it.

    On Redis this is one pipelined script instead of ``add`` + ``incr`` (two round trips on
    every API request); the key and the stored integer are the cache's own, so ``cache.get``
    and django-ratelimit read the same counter. Elsewhere, the cache's ``add`` + ``incr``.
    """
    redis = _redis_client()
    if redis is None:
        if cache.add(key, 1, ttl):
            return 1
        return cache.incr(key)
    global _script
    if _script is None:
        _script = redis.register_script(_INCR_WITH_EXPIRY)
    return int(_script(keys=[cache.make_and_validate_key(key)], args=[ttl], client=redis))


def _counted(group: str, rate: str, key: str) -> dict:
    """django-ratelimit's fixed window and key for ``group``/``key``, counted by :func:`counter_incr`."""
    limit, period = _split_rate(rate)
    window = _get_window(key, period)
    count = counter_incr(_make_cache_key(group, window, rate, key, ALL), period + EXPIRATION_FUDGE)
    return {"count": count, "limit": limit, "should_limit": count > limit, "time_left": window - int(time.time())}


def usage(request, *, group: str, rate: str, key: str, increment: bool, fail_closed: bool = False) -> dict | None:
    """Count one hit in ``group`` for ``key``; ``None`` when limits are off or the cache failed open."""
    django_request = getattr(request, "_request", request)
    try:
        if not getattr(settings, "RATELIMIT_ENABLE", True):
            return None
        if increment:
            return _counted(group, rate, key)
        return get_usage(django_request, group=group, key=lambda _g, _r: key, rate=rate, increment=False)
    except Exception as exc:  # the cache backend raised: Redis down or unreachable
        if fail_closed:
            logger.error("rate-limit store unavailable; refusing %s", group, extra={"error": type(exc).__name__})
            raise ServiceUnavailableError() from exc
        logger.warning("rate-limit store unavailable; allowing %s", group, extra={"error": type(exc).__name__})
        return None


def client_key(request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{getattr(request, 'client_ip', None) or request.META.get('REMOTE_ADDR', '')}"


def _publish_headers(request, result: dict) -> None:
    django_request = getattr(request, "_request", request)
    django_request.ratelimit_headers = {
        "X-RateLimit-Limit": str(result["limit"]),
        "X-RateLimit-Remaining": str(max(0, result["limit"] - result["count"])),
    }


class ScopedRateLimit(BaseThrottle):
    """A fixed-window limit for one scope; subclasses name the scope and the rate setting."""

    group = "api"
    rate_setting = "RATELIMIT_API_RATE"
    fail_closed = False

    def key(self, request) -> str:
        return client_key(request)

    def allow_request(self, request, view) -> bool:
        self.result = usage(
            request,
            group=self.group,
            rate=getattr(settings, self.rate_setting),
            key=self.key(request),
            increment=True,
            fail_closed=self.fail_closed,
        )
        if self.result is None:
            return True
        _publish_headers(request, self.result)
        return not self.result["should_limit"]

    def wait(self) -> float | None:
        return max(1, int(self.result["time_left"])) if self.result else None


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
        return f"ip:{request.client_ip}"


class RegisterAddressRateLimit(LoginAddressRateLimit):
    """Registrations per client address; fails closed."""

    group = "register-address"
    rate_setting = "RATELIMIT_REGISTER_ADDRESS_RATE"


ACCOUNT_LOCKED_MESSAGE = "Too many failed logins for this account. Try again later."
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"100/h"`` → ``(100, 3600)``; the same notation as django-ratelimit (``"5/10m"`` too)."""
    match = re.fullmatch(r"\s*(\d+)/(\d*)([smhd])\s*", rate)
    if match is None:
        raise ValueError(f"not a rate: {rate!r}")
    count, multiplier, unit = match.groups()
    return int(count), int(multiplier or 1) * _PERIODS[unit]


@dataclass(frozen=True)
class LoginReservation:
    """One login attempt counted against an account's failure budget, to give back on success."""

    key: str | None


def login_account_reserve(request, account: str) -> LoginReservation:
    """Count this login attempt as a failure of ``account`` before its password is checked.

    The counter is incremented atomically first and the attempt refused (429) when that takes
    it past the budget, so racing attempts on any number of app servers never get more than
    the budget's worth of password checks; :func:`login_account_release` gives the attempt back
    when the password was right (only failures count). ``account`` names the account however
    the client spelled it (the accounts app resolves username and e-mail to one key). The
    store failing refuses the login (503): this limit fails closed.
    """
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return LoginReservation(key=None)
    limit, period = parse_rate(settings.RATELIMIT_LOGIN_ACCOUNT_FAILURES)
    now = int(time.time())
    window = now // period
    digest = hashlib.sha256(f"{account}|{period}|{window}".encode()).hexdigest()
    key = f"rl:login-account:{digest}"
    try:
        count = counter_incr(key, period + 60)
    except Exception as exc:  # the cache backend raised: Redis down or unreachable
        logger.error("rate-limit store unavailable; refusing login-account", extra={"error": type(exc).__name__})
        raise ServiceUnavailableError() from exc
    if count > limit:
        raise RateLimitedError(retry_after=(window + 1) * period - now, message=ACCOUNT_LOCKED_MESSAGE)
    return LoginReservation(key=key)


def login_account_release(reservation: LoginReservation) -> None:
    """The password was right: the reserved attempt is not a failure, give it back."""
    if reservation.key is None:
        return
    try:
        cache.decr(reservation.key)
    except Exception as exc:  # the window ended (key gone) or the store failed: nothing to give back
        logger.warning("could not release a login attempt", extra={"error": type(exc).__name__})
