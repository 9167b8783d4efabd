"""The API's one error envelope: ``{"code", "message", "details"}`` for every error.

Services raise :class:`controlpanel.errors.ApplicationError` subclasses (or Django's
``ValidationError``); DRF raises its own exceptions. ``api_exception_handler`` turns all of them, and anything
unexpected, into the envelope. ``code`` strings are stable once shipped.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from controlpanel.errors import ApplicationError, RateLimitedError

logger = logging.getLogger("controlpanel.errors")


_DRF_CODES = {
    exceptions.ParseError: "parse_error",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "rate_limited",
    exceptions.ValidationError: "validation_error",
}

_MESSAGES = {
    "parse_error": "The request body could not be parsed.",
    "not_authenticated": "Authentication credentials were not provided.",
    "authentication_failed": "Authentication failed.",
    "token_invalid": "The token is invalid, expired or revoked.",
    "permission_denied": "You do not have permission to perform this action.",
    "not_found": "Not found.",
    "method_not_allowed": "Method not allowed.",
    "not_acceptable": "Cannot satisfy the request's Accept header.",
    "unsupported_media_type": "Unsupported media type; send application/json.",
    "rate_limited": "Too many requests. Try again later.",
    "validation_error": "The request has invalid fields.",
    "server_error": "Something went wrong on our side. It has been logged.",
    "service_unavailable": "The service is temporarily unavailable. Try again shortly.",
    "csrf_failed": "CSRF verification failed; send the CSRF token with session-authenticated writes.",
}
_DRF_CSRF_PREFIX = "CSRF Failed:"


def envelope(code: str, message: str, details: dict | None = None) -> dict:
    return {"code": code, "message": message, "details": details or {}}


def _validation_details(detail) -> dict:
    if isinstance(detail, dict):
        return detail
    if isinstance(detail, list):
        return {"non_field_errors": detail}
    return {"non_field_errors": [detail]}


def api_exception_handler(exc, context):
    """DRF's exception handler: every error becomes the envelope, never a bare 500."""
    headers: dict[str, str] = {}
    if isinstance(exc, ApplicationError):
        if isinstance(exc, RateLimitedError):
            headers["Retry-After"] = str(exc.retry_after)
        return Response(envelope(exc.code, exc.message, exc.details), status=exc.status_code, headers=headers)
    if isinstance(exc, (InvalidToken, TokenError)):
        response = Response(envelope("token_invalid", _MESSAGES["token_invalid"]), status=401)
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, exceptions.APIException):
        code = next((c for klass, c in _DRF_CODES.items() if isinstance(exc, klass)), "error")
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if isinstance(exc, exceptions.Throttled):
            wait = int(exc.wait or 1)
            headers["Retry-After"] = str(max(1, wait))
            return Response(envelope(code, _MESSAGES[code], {"retry_after": max(1, wait)}), status=429, headers=headers)
        if isinstance(exc, exceptions.ValidationError):
            return Response(
                envelope(code, _MESSAGES[code], _validation_details(exc.detail)), status=exc.status_code
            )
        detail = exc.detail if isinstance(exc.detail, str) else None
        if isinstance(exc, exceptions.PermissionDenied) and str(detail or "").startswith(_DRF_CSRF_PREFIX):
            # A session-authenticated write without its CSRF token: the same code as the page-level failure.
            reason = str(detail)[len(_DRF_CSRF_PREFIX):].strip()
            return Response(envelope("csrf_failed", _MESSAGES["csrf_failed"], {"reason": reason}), status=403)
        message = str(detail) if detail else _MESSAGES.get(code, "Error.")
        if code == "authentication_failed" and getattr(exc, "default_code", "") == "token_not_valid":
            code, message = "token_invalid", _MESSAGES["token_invalid"]
        return Response(envelope(code, message), status=exc.status_code, headers=headers)

    if isinstance(exc, (OperationalError, InterfaceError)):
        logger.warning("database unavailable: %s", type(exc).__name__)
        return Response(envelope("service_unavailable", _MESSAGES["service_unavailable"]), status=503,
                        headers={"Retry-After": "5"})
    if isinstance(exc, DatabaseError):
        logger.exception("database error")
        return Response(envelope("server_error", _MESSAGES["server_error"]), status=500)
    logger.exception("unhandled API error")
    return Response(envelope("server_error", _MESSAGES["server_error"]), status=500)


def json_error(code: str, status_code: int, message: str | None = None, *, details: dict | None = None) -> JsonResponse:
    return JsonResponse(envelope(code, message or _MESSAGES.get(code, "Error."), details), status=status_code)
