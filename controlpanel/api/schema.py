"""OpenAPI helpers: the error envelope documented once, reused by every endpoint."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorEnvelope = inline_serializer(
    "ErrorEnvelope",
    {
        "code": serializers.CharField(help_text="Stable snake_case error code."),
        "message": serializers.CharField(help_text="Human-readable explanation."),
        "details": serializers.DictField(help_text="Field errors or extra facts (e.g. retry_after)."),
    },
)

_DESCRIPTIONS = {
    400: "Invalid input (validation_error, parse_error or a service error code).",
    401: "Missing, invalid, expired or revoked credentials.",
    403: "Authenticated but not allowed.",
    404: "No such object (or not yours).",
    405: "Method not allowed.",
    409: "Conflict with the current state.",
    415: "Unsupported media type; send application/json.",
    429: "Rate limited; see Retry-After.",
    503: "A backing service is unavailable; try again.",
}


def error_responses(*statuses: int) -> dict:
    return {code: OpenApiResponse(ErrorEnvelope, description=_DESCRIPTIONS[code]) for code in statuses}
