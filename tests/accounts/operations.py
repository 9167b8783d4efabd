"""Every operation of the REST API, read from the URL conf.

Suites that must cover "every protected operation" (token attacks, the valid-token control)
take their list from here, so endpoints that other apps add under ``/api/v1/`` are covered
without anyone editing the suites. A path is built for each pattern by filling its parameters
with dummy values that the pattern accepts, then checked to resolve back to the same view.
"""

import itertools
import uuid
from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils.regex_helper import normalize
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny
from rest_framework.test import APIRequestFactory

API_PREFIX = "/api/v1/"
DOCUMENTATION_VIEWS = (SpectacularAPIView, SpectacularSwaggerSplitView)
DUMMY_VALUES = ("1", str(uuid.UUID(int=0x5EED)), "dummy", "dummy-slug")
IGNORED_METHODS = {"options", "head", "trace"}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    route: str
    public: bool = field(compare=False)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _walk(patterns, prefix: tuple = ()):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + (entry.pattern,))
        elif isinstance(entry, URLPattern):
            yield prefix + (entry.pattern,), entry


def _fill(pattern) -> str | None:
    """A concrete string the pattern accepts (its parameters filled with dummies), or None."""
    converters = getattr(pattern, "converters", {})
    for template, params in normalize(pattern.regex.pattern):
        if "format" in params:  # format-suffix duplicates of a route
            continue
        for combination in itertools.product(DUMMY_VALUES, repeat=len(params)):
            values = dict(zip(params, combination, strict=True))
            text = template % values
            if pattern.regex.search(text) and all(_converts(converters.get(n), v) for n, v in values.items()):
                return text
    return None


def _converts(converter, value: str) -> bool:
    if converter is None:
        return True
    try:
        converter.to_python(value)
    except (ValueError, TypeError):
        return False
    return True


def _methods(callback) -> list[str]:
    actions = getattr(callback, "actions", None)
    if actions:
        return sorted(method.upper() for method in actions if method not in IGNORED_METHODS)
    view_class = callback.cls
    return [m.upper() for m in view_class.http_method_names if m not in IGNORED_METHODS and hasattr(view_class, m)]


def _is_public(callback, method: str, path: str, kwargs: dict) -> bool:
    """Whether every permission the view applies to this method is ``AllowAny``."""
    view = callback.cls(**getattr(callback, "initkwargs", {}))
    actions = getattr(callback, "actions", None)
    if actions:
        view.action_map = actions
    view.args, view.kwargs, view.format_kwarg, view.headers = (), kwargs, None, {}
    view.request = view.initialize_request(APIRequestFactory().generic(method, path))
    return all(isinstance(permission, AllowAny) for permission in view.get_permissions())


def api_operations() -> list[Operation]:
    """Every (method, path) under ``/api/v1/`` except the schema and docs views."""
    operations: set[Operation] = set()
    for pieces, entry in _walk(get_resolver().url_patterns):
        callback = entry.callback
        view_class = getattr(callback, "cls", None)
        if view_class is None or issubclass(view_class, DOCUMENTATION_VIEWS):
            continue
        filled = [_fill(piece) for piece in pieces]
        if any(part is None for part in filled):
            raise AssertionError(f"cannot build a path for the API pattern {''.join(map(str, pieces))!r}")
        path = "/" + "".join(filled)
        if not path.startswith(API_PREFIX):
            continue
        try:
            match = resolve(path)
        except Resolver404 as exc:
            raise AssertionError(f"built path {path!r} does not resolve") from exc
        if getattr(match.func, "cls", None) is not view_class:
            continue  # shadowed by an earlier pattern; that one is listed instead
        for method in _methods(callback):
            operations.add(Operation(method, path, match.route, _is_public(callback, method, path, match.kwargs)))
    return sorted(operations, key=lambda op: (op.path, op.method))


def protected_operations() -> list[Operation]:
    return [op for op in api_operations() if not op.public]
