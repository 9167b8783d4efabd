"""The API's one request rule, enforced for every operation from the schema the API publishes.

Every operation under ``/api/v1/`` answers the same way to a request that does not fit what the
OpenAPI schema (``/api/v1/schema/``) declares for it:

- an HTTP method the route does not serve: 405 ``method_not_allowed`` with ``Allow``, decided
  before authentication (which methods a path serves is public in the schema anyway);
- a query parameter the operation does not declare: 400 ``validation_error`` naming it;
- a body field the operation does not declare (or any body on an operation that takes none):
  400 ``validation_error`` naming it;
- no body on an operation whose body the schema marks required: 400 ``validation_error``;
- a body field whose JSON type is not the one the schema declares (``0`` for a string, ``"5"``
  for an integer, ``null`` where the field is not nullable; DRF would coerce most of them):
  400 ``validation_error`` naming it;
- an undeclared value of an enumerated query parameter, or an empty value of a parameter whose
  schema does not allow one (enums, numbers, booleans, non-blank strings; DRF and django-filter
  would read it as absent): 400 ``validation_error`` naming it;
- a boolean query parameter other than ``true`` or ``false`` (any case), and any query parameter
  given more than once (``turbo=false&turbo=true``: which one counts would be the server's
  guess): 400 ``validation_error`` naming it.

Value rules beyond these (lengths, ranges, formats) stay with the serializers and filter sets
that read the values; ``page`` and ``page_size`` with the paginator. The declarations are read
from the schema itself, generated once per process with the same settings that serve it, so the
server and the document cannot drift apart: a parameter is accepted exactly when it is documented.

Apart from the 405 these checks run after authentication and permissions, so a client without
credentials still gets its 401 first. :func:`serve_with_contract` puts every API view behind
:class:`ApiContract`, so views need nothing of their own.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver
from rest_framework import exceptions

UNKNOWN_FIELD = "Unknown field."
UNKNOWN_PARAMETER = "Unknown query parameter."
EMPTY_PARAMETER = "This parameter cannot be empty."
REPEATED_PARAMETER = "Give this parameter once."
BOOLEAN_PARAMETER = "Must be true or false."
NO_BODY = "This operation takes no request body."
BODY_REQUIRED = "This operation needs a JSON request body."
CHOICE = "Choose one of: {choices}."
WRONG_TYPE = "Must be {expected}."
# JSON schema types, as the Python values a parsed JSON body holds (a bool is not a number here).
_JSON_TYPES = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "null": lambda v: v is None,
}
_TYPE_NAMES = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "true or false",
               "array": "a list", "object": "an object", "null": "null"}
_WRITES = {"post", "put", "patch", "delete"}
_PATH_PARAMETER = re.compile(r"<(?:[^>:]+:)?[^>]+>|\{[^}]+\}")


@dataclass(frozen=True)
class QueryParameter:
    name: str
    type: str | None
    enum: tuple[str, ...] | None
    allows_empty: bool  # whether the schema allows "" (DRF and django-filter read an empty value as absent)


def _allows_empty(spec: dict) -> bool:
    if spec.get("enum") or spec.get("type") != "string" or spec.get("minLength", 0) > 0:
        return False
    pattern = spec.get("pattern")
    return pattern is None or re.search(pattern, "") is not None


@dataclass(frozen=True)
class OperationContract:
    """What one operation accepts: its query parameters and its body's fields."""

    query: dict[str, QueryParameter] = field(default_factory=dict)
    has_body: bool = False
    body_required: bool = False
    body_fields: frozenset[str] | None = None  # None: the body is not an object with fixed fields
    item_fields: frozenset[str] | None = None  # a body that is a list of objects: each item's fields
    body_types: dict[str, frozenset[str]] = field(default_factory=dict)  # field: the JSON types it allows
    item_types: dict[str, frozenset[str]] = field(default_factory=dict)


def _key(path: str) -> str:
    """A route or schema path with its parameters blanked: ``/api/v1/lessons/{}/start/``."""
    return _PATH_PARAMETER.sub("{}", path if path.startswith("/") else f"/{path}")


def _resolve(schema: dict, node: dict | None) -> dict:
    while node and "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node or {}


def _fields(schema: dict, node: dict) -> frozenset[str] | None:
    node = _resolve(schema, node)
    if node.get("type") == "object" and "properties" in node:
        return frozenset(node["properties"])
    return None


def _json_types(schema: dict, node: dict) -> frozenset[str] | None:
    """The JSON types a property allows (``nullable`` and ``oneOf``/``anyOf``/``allOf`` branches
    included), or None when the schema does not say (then any type passes this rule)."""
    node = _resolve(schema, node)
    branches = node.get("oneOf") or node.get("anyOf") or node.get("allOf")
    if branches:
        found = [_json_types(schema, branch) for branch in branches]
        if any(types is None for types in found):
            return None
        types = frozenset().union(*found)
    elif "type" in node:
        types = frozenset(node["type"] if isinstance(node["type"], list) else [node["type"]])
    elif node.get("enum") == [None]:
        types = frozenset({"null"})
    else:
        return None
    if node.get("nullable"):
        types |= {"null"}
    return types if types <= _JSON_TYPES.keys() else None


def _field_types(schema: dict, node: dict) -> dict[str, frozenset[str]]:
    node = _resolve(schema, node)
    if node.get("type") != "object":
        return {}
    declared = {name: _json_types(schema, spec) for name, spec in node.get("properties", {}).items()}
    return {name: types for name, types in declared.items() if types is not None}


def _operation(schema: dict, operation: dict) -> OperationContract:
    query = {}
    for parameter in operation.get("parameters", []):
        if parameter.get("in") != "query":
            continue
        spec = _resolve(schema, parameter.get("schema"))
        enum = spec.get("enum")
        query[parameter["name"]] = QueryParameter(
            name=parameter["name"], type=spec.get("type"),
            enum=tuple(str(v).lower() if isinstance(v, bool) else str(v) for v in enum if v is not None) if enum else None,
            allows_empty=_allows_empty(spec))
    body = operation.get("requestBody")
    if body is None:
        return OperationContract(query=query)
    media = _resolve(schema, next(iter(body.get("content", {}).values()), {}).get("schema"))
    is_list = media.get("type") == "array"
    return OperationContract(query=query, has_body=True, body_required=bool(body.get("required")),
                             body_fields=_fields(schema, media), body_types=_field_types(schema, media),
                             item_fields=_fields(schema, media.get("items", {})) if is_list else None,
                             item_types=_field_types(schema, media.get("items", {})) if is_list else {})


_contracts: dict[tuple[str, str], OperationContract] | None = None
_lock = threading.Lock()


def contracts() -> dict[tuple[str, str], OperationContract]:
    """Every operation's contract, keyed by (path with blanked parameters, lower-case method)."""
    global _contracts
    if _contracts is None:
        with _lock:
            if _contracts is None:
                from drf_spectacular.generators import SchemaGenerator
                from drf_spectacular.settings import patched_settings

                from controlpanel.api.schema import SCHEMA_SETTINGS

                with patched_settings(SCHEMA_SETTINGS):
                    schema = SchemaGenerator().get_schema(request=None, public=True)
                _contracts = {(_key(path), method): _operation(schema, operation)
                              for path, operations in schema["paths"].items()
                              for method, operation in operations.items()}
    return _contracts


def _has_body(request) -> bool:
    meta = request.META
    return bool(meta.get("CONTENT_LENGTH") not in (None, "", "0") or meta.get("HTTP_TRANSFER_ENCODING"))


def _query_errors(request, contract: OperationContract) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name in request.query_params:
        declared = contract.query.get(name)
        if declared is None:
            errors[name] = [UNKNOWN_PARAMETER]
            continue
        values = request.query_params.getlist(name)
        if len(values) > 1 and declared.type != "array":
            errors[name] = [REPEATED_PARAMETER]
            continue
        for value in values:
            if value == "" and not declared.allows_empty:
                errors[name] = [EMPTY_PARAMETER]
            elif declared.enum and value not in declared.enum:
                errors[name] = [CHOICE.format(choices=", ".join(declared.enum))]
            elif declared.type == "boolean" and value.lower() not in ("true", "false"):
                errors[name] = [BOOLEAN_PARAMETER]
    return errors


def _unknown(data: dict, allowed: frozenset[str] | None, prefix: str = "") -> dict[str, list[str]]:
    if allowed is None or not isinstance(data, dict):
        return {}
    return {f"{prefix}{name}": [UNKNOWN_FIELD] for name in sorted(set(data) - allowed)}


def _mistyped(data: dict, types: dict[str, frozenset[str]], prefix: str = "") -> dict[str, list[str]]:
    if not isinstance(data, dict):
        return {}
    errors = {}
    for name, allowed in types.items():
        if name in data and not any(_JSON_TYPES[t](data[name]) for t in allowed):
            expected = " or ".join(_TYPE_NAMES[t] for t in sorted(allowed))
            errors[f"{prefix}{name}"] = [WRONG_TYPE.format(expected=expected)]
    return errors


def _body_errors(request, contract: OperationContract) -> dict[str, list[str]]:
    if request.method.lower() not in _WRITES:
        return {}
    if not _has_body(request):
        return {"non_field_errors": [BODY_REQUIRED]} if contract.body_required else {}
    data = request.data  # a body that does not parse is the parser's 400 (or 415)
    if not contract.has_body:
        if isinstance(data, dict):
            return _unknown(data, frozenset())
        return {"non_field_errors": [NO_BODY]} if data not in (None, "", [], {}) else {}
    if isinstance(data, list) and contract.item_fields is not None:
        errors: dict[str, list[str]] = {}
        for index, item in enumerate(data):
            errors.update(_mistyped(item, contract.item_types, prefix=f"{index}."))
            errors.update(_unknown(item, contract.item_fields, prefix=f"{index}."))
        return errors
    return {**_mistyped(data, contract.body_types), **_unknown(data, contract.body_fields)}


def enforce(request, view) -> None:
    """Raise a 400 ``validation_error`` naming whatever the request carries that its operation does not declare."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return
    contract = contracts().get((_key(match.route), request.method.lower()))
    if contract is None:  # HEAD and OPTIONS are not operations of their own
        return
    errors = {**_query_errors(request, contract), **_body_errors(request, contract)}
    if errors:
        raise exceptions.ValidationError(errors)


class ApiContract:
    # Mixed into every API view by serve_with_contract: the rule of this module. No docstring on
    # purpose: the schema generator takes an operation's description from the first docstring in
    # the view's class hierarchy, and this class comes first.

    def initial(self, request, *args, **kwargs):
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):
            raise exceptions.MethodNotAllowed(request.method)  # before authentication; Allow is on every response
        super().initial(request, *args, **kwargs)
        enforce(request, self)


def _with_contract(callback):
    view_class = getattr(callback, "cls", None)
    if view_class is None or issubclass(view_class, ApiContract):
        return callback
    contracted = type(view_class.__name__, (ApiContract, view_class),
                      {"__module__": view_class.__module__, "__doc__": view_class.__doc__,
                       "__qualname__": view_class.__qualname__})
    actions = getattr(callback, "actions", None)
    if actions is not None:
        return contracted.as_view(actions, **callback.initkwargs)
    return contracted.as_view(**callback.initkwargs)


def serve_with_contract(patterns, *, exclude=()) -> list:
    """Put every DRF view under ``patterns`` (included URL confs too) behind :class:`ApiContract`."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            serve_with_contract(entry.url_patterns, exclude=exclude)
        elif isinstance(entry, URLPattern):
            view_class = getattr(entry.callback, "cls", None)
            if view_class is not None and not issubclass(view_class, tuple(exclude)):
                entry.callback = _with_contract(entry.callback)
    return patterns
