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


@lru_cache(maxsize=2048)
def route_label(route: str) -> str:
    """A path pattern as a stable label: ``lessons/<slug:slug>/`` → ``/lessons/<slug>/``.

    Every router of the product is path-based, so the pattern is the label once converters are
    dropped; a regex route (the admin's app index) is labelled as written.
    """
    return "/" + _CONVERTER.sub(r"<\1>", route).lstrip("/")


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
