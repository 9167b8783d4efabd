"""OpenAPI helpers: the error envelope documented once, reused by every endpoint; the schema's
settings and its post-processing (the request rule, statuses every operation can answer, links);
the docs view."""

import base64
import hashlib
import re

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
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
    400: "Invalid input (validation_error, parse_error or a service error code); also an undeclared "
         "query parameter or body field, named in details.",
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


# --- the schema as served ------------------------------------------------------------------

CONTRACT_DESCRIPTION = """

**One rule for every operation.** A request is answered with a 400 `validation_error` whose
`details` name the offending parameter or field when it carries a query parameter the operation
does not list, a body field its request schema does not list (request bodies are
`additionalProperties: false`), any body on an operation that takes none, an empty or unlisted
value of an enumerated parameter, an empty numeric or boolean parameter, or a `page` / `page_size`
outside its bounds. An HTTP method a path does not serve is a 405 with `Allow`, before
authentication. Every error has the envelope `{"code", "message", "details"}`; every operation
can answer 503 `service_unavailable` (with `Retry-After`) while its storage is unavailable.
"""

# Create -> read -> delete chains, for clients and for stateful testing.
LINKS = {
    ("search_save_create", "201"): {
        "GetSavedSearch": ("search_saved_retrieve", {"id": "$response.body#/id"}),
        "RunSavedSearch": ("search_saved_run_retrieve", {"id": "$response.body#/id"}),
        "DeleteSavedSearch": ("search_saved_destroy", {"id": "$response.body#/id"}),
    },
    ("auth_login_create", "200"): {
        "RevokeSession": ("auth_sessions_destroy", {"session_id": "$response.body#/session_id"}),
    },
    ("auth_register_create", "201"): {
        "RevokeSession": ("auth_sessions_destroy", {"session_id": "$response.body#/tokens/session_id"}),
    },
}
REQUEST_BODY_EXTENSION = "x-request-body"  # a body on a DELETE, which the generator leaves out


def _error_response(status: int) -> dict:
    return {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}},
            "description": _DESCRIPTIONS[status]}


def postprocess_contract(result, generator, request, public):
    """Document what the API's one request rule (controlpanel.api.contract) and its storage imply."""
    writes = {"post", "put", "patch", "delete"}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            body = operation.pop(REQUEST_BODY_EXTENSION, None)
            if body is not None:
                operation["requestBody"] = {"content": {"application/json": {"schema": body}}, "required": True}
            if "requestBody" in operation:  # an operation that takes a body needs one (PATCH {} is fine)
                operation["requestBody"]["required"] = True
            responses = operation.setdefault("responses", {})
            statuses = [400, 503] + ([415] if method in writes else [])
            for status in statuses:
                responses.setdefault(str(status), _error_response(status))
            for (operation_id, code), links in LINKS.items():
                if operation_id == operation.get("operationId") and code in responses:
                    responses[code]["links"] = {name: {"operationId": target, "parameters": parameters}
                                                for name, (target, parameters) in links.items()}
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
    return result


SCHEMA_SETTINGS = {
    "DESCRIPTION": settings.SPECTACULAR_SETTINGS.get("DESCRIPTION", "") + CONTRACT_DESCRIPTION,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "controlpanel.api.schema.postprocess_contract"],
}


class ApiSchemaView(SpectacularAPIView):
    """``/api/v1/schema/``: the schema with the API's request rule, extra statuses and links."""

    custom_settings = SCHEMA_SETTINGS
