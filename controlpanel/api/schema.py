"""OpenAPI helpers: the error envelope documented once, reused by every endpoint; the docs view."""

import base64
import hashlib
import re

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from drf_spectacular.views import SpectacularSwaggerSplitView
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


_INLINE_STYLE = re.compile(rb"<style[^>]*>(.*?)</style>", re.S)


def _allow_own_inline_styles(response):
    """Extend the page CSP by the hashes of this response's own inline ``<style>`` blocks."""
    hashes = [base64.b64encode(hashlib.sha256(block).digest()).decode() for block in _INLINE_STYLE.findall(response.content)]
    if hashes:
        sources = " ".join(f"'sha256-{digest}'" for digest in hashes)
        response["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY.replace(
            "style-src 'self'", f"style-src 'self' {sources}", 1
        )
    return response


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI from the installed sidecar's static files, under the page CSP.

    The split view serves its start-up script as a file, so no inline script is needed.
    drf-spectacular's page keeps one small inline ``<style>`` block (page layout); the CSP of
    this page allows exactly that block, by hash, and nothing else inline.
    """

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if request.GET.get("script") is None:
            response.add_post_render_callback(_allow_own_inline_styles)
        return response
