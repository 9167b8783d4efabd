"""Request telemetry: each request is counted by route pattern, method and status class."""

from __future__ import annotations

import logging
import re
import time
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.utils.functional import SimpleLazyObject, empty

from telemetry.collector import collector

logger = logging.getLogger("controlpanel.telemetry")

UNMATCHED = "<unmatched>"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_CONVERTER = re.compile(r"<(?:[^>:]+:)?([^>]+)>")


def _named_groups(pattern: str) -> str:
    """``(?P<slug>[^/.]+)`` → ``<slug>``, balancing nested parentheses."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("(?P<", i):
            name_end = pattern.index(">", i)
            name = pattern[i + 4: name_end]
            depth, j = 1, name_end + 1
            while j < len(pattern) and depth:
                if pattern[j] == "\\":
                    j += 2
                    continue
                depth += {"(": 1, ")": -1}.get(pattern[j], 0)
                j += 1
            out.append(f"<{name}>")
            i = j
        else:
            out.append(pattern[i])
            i += 1
    return "".join(out)


@lru_cache(maxsize=2048)
def route_label(route: str) -> str:
    """A URL pattern as a stable label: ``/api/v1/lessons/<slug>/`` for path and regex routes."""
    label = _named_groups(route.replace("^", "").replace("$", "").replace("\\.", "."))
    label = _CONVERTER.sub(r"<\1>", label)
    return "/" + label.lstrip("/")


def _user_id(request) -> int | None:
    """The user's id when authentication already ran; never forces a lazy session lookup."""
    user = request.__dict__.get("user")
    if user is None:
        return None
    if isinstance(user, SimpleLazyObject):
        if user._wrapped is empty:
            return None
        user = user._wrapped
    return user.pk if getattr(user, "is_authenticated", False) else None


class TelemetryMiddleware:
    """Times the rest of the stack and hands the result to the in-process collector.

    Nothing is written to the database here; see :mod:`telemetry.collector`.
    """

    def __init__(self, get_response):
        if not settings.TELEMETRY_ENABLED:
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.excluded = tuple(settings.TELEMETRY_EXCLUDE_PATHS)

    def __call__(self, request):
        if request.path_info.startswith(self.excluded):
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = (time.perf_counter() - started) * 1000
        try:
            match = request.resolver_match
            route = route_label(match.route or "") if match is not None else UNMATCHED
            method = request.method if request.method in KNOWN_METHODS else "OTHER"
            collector.record(route=route, method=method, status=response.status_code,
                             duration_ms=duration_ms, user_id=_user_id(request))
        except Exception:  # counting must never cost a user their response
            logger.exception("telemetry could not record a request")
        return response
