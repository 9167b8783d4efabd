"""The API's one request rule (controlpanel.api.contract), walked over every operation.

Every operation comes from the URL conf (``tests.accounts.operations``), what it declares from
the schema it serves, so an endpoint added later is held to the same rule without editing here.
"""

import pytest
from rest_framework.test import APIClient

from tests.accounts.operations import api_operations
from tests.conftest import login

pytestmark = pytest.mark.django_db

UNKNOWN = "surely_not_a_field"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def open_limits(settings):
    settings.RATELIMIT_LOGIN_ADDRESS_RATE = "100000/h"
    settings.RATELIMIT_REGISTER_ADDRESS_RATE = "100000/h"
    settings.RATELIMIT_API_RATE = "100000/h"
    settings.RATELIMIT_SEARCH_RATE = "100000/m"


@pytest.fixture
def schema(api_client) -> dict:
    response = api_client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def staff(staff_user) -> APIClient:
    """A fresh staff session per request (some operations end the session they are called with)."""
    client = APIClient(REMOTE_ADDR="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login(client, staff_user.username)['access']}")
    return client


def schema_operation(schema: dict, path: str, method: str) -> dict:
    """The schema's operation for a concrete path built by ``api_operations`` (dummy parameter values)."""
    parts = path.strip("/").split("/")
    for template, operations in schema["paths"].items():
        pieces = template.strip("/").split("/")
        same = len(pieces) == len(parts) and all(p == q or p.startswith("{") for p, q in zip(pieces, parts, strict=True))
        if same and method.lower() in operations:
            return operations[method.lower()]
    raise AssertionError(f"{method} {path} is not in the schema")


def query_parameters(operation: dict) -> dict[str, dict]:
    return {p["name"]: p["schema"] for p in operation.get("parameters", []) if p["in"] == "query"}


def body_with_unknown_field(schema: dict, operation: dict):
    """A body carrying one undeclared field, shaped as the operation's body (an object, or a list of objects)."""
    media = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in media:
        media = schema["components"]["schemas"][media["$ref"].rsplit("/", 1)[1]]
    if media.get("type") == "array":
        return [{UNKNOWN: 1}]
    return {UNKNOWN: 1}


def assert_refused_naming(response, name: str):
    assert response.status_code == 400, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == "validation_error"
    assert name in body["details"], body


def test_every_operation_refuses_an_unknown_query_parameter_naming_it(open_limits, staff_user):
    operations = api_operations()
    assert len(operations) > 40
    for op in operations:
        body = "{}" if op.method in WRITES else ""
        response = staff(staff_user).generic(op.method, f"{op.path}?{UNKNOWN}=1", body, content_type="application/json")
        assert_refused_naming(response, UNKNOWN)


def test_every_write_refuses_an_unknown_body_field_naming_it(open_limits, staff_user, schema):
    import json

    writes = [op for op in api_operations() if op.method in WRITES]
    assert len(writes) > 20
    for op in writes:
        payload = body_with_unknown_field(schema, schema_operation(schema, op.path, op.method))
        response = staff(staff_user).generic(op.method, op.path, json.dumps(payload), content_type="application/json")
        assert_refused_naming(response, f"0.{UNKNOWN}" if isinstance(payload, list) else UNKNOWN)


def test_an_unknown_field_leaves_the_account_in_place(open_limits, auth_client, user, password):
    response = auth_client.delete("/api/v1/auth/me/", {"password": password, "also": "this"}, format="json")
    assert_refused_naming(response, "also")
    user.refresh_from_db()
    assert user.is_active
    assert auth_client.get("/api/v1/auth/me/").json()["username"] == user.username


def test_every_paginated_operation_refuses_page_size_below_one_and_above_the_maximum(open_limits, staff_user, schema):
    paginated = [op for op in api_operations() if op.method == "GET"
                 and "page_size" in query_parameters(schema_operation(schema, op.path, op.method))]
    assert len(paginated) >= 7
    for op in paginated:
        for value in ("0", "-1", "101", "ten", ""):
            assert_refused_naming(staff(staff_user).get(op.path, {"page_size": value}), "page_size")
        for value in ("0", "-2", "10001", "first"):
            assert_refused_naming(staff(staff_user).get(op.path, {"page": value}), "page")


def test_a_page_past_the_end_gives_the_last_page(open_limits, auth_client):
    body = auth_client.get("/api/v1/auth/sessions/", {"page": 500, "page_size": 1}).json()
    assert body["count"] == 1 and len(body["results"]) == 1 and body["next"] is None


def test_every_enumerated_query_parameter_refuses_an_empty_value_naming_it(open_limits, staff_user, schema):
    enumerated = [(op, name) for op in api_operations() if op.method == "GET"
                  for name, spec in query_parameters(schema_operation(schema, op.path, op.method)).items()
                  if "enum" in spec]
    assert {name for _, name in enumerated} >= {"difficulty", "style", "status", "resolution", "kind"}
    for op, name in enumerated:
        assert_refused_naming(staff(staff_user).get(f"{op.path}?{name}="), name)
        assert_refused_naming(staff(staff_user).get(op.path, {name: "not-one-of-them"}), name)


def test_lessons_filtered_by_an_empty_difficulty_is_a_400_not_the_whole_catalog(open_limits, auth_client):
    response = auth_client.get("/api/v1/lessons/?difficulty=")
    assert_refused_naming(response, "difficulty")
    assert response.json()["details"]["difficulty"] == ["This parameter cannot be empty."]


def test_an_undeclared_method_is_a_405_with_allow_before_authentication(api_client):
    served: dict[str, set[str]] = {}
    for op in api_operations():
        served.setdefault(op.path, set()).add(op.method)
    checked = 0
    for path, methods in served.items():
        for method in {"GET", "POST", "PUT", "PATCH", "DELETE"} - methods:
            response = api_client.generic(method, path, "", content_type="application/json")  # no credentials
            assert response.status_code == 405, (method, path, response.status_code)
            assert response.json()["code"] == "method_not_allowed"
            allowed = {m.strip() for m in response["Allow"].split(",")}
            assert methods <= allowed and method not in allowed, (method, path, response["Allow"])
            checked += 1
    assert checked > 100


def test_a_declared_method_without_credentials_is_still_a_401(api_client):
    response = api_client.get("/api/v1/progress/", {UNKNOWN: 1})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


# --- the schema says what the server does ---------------------------------------------------

def test_every_query_default_the_schema_documents_is_accepted(open_limits, staff_user, schema):
    checked = 0
    for op in api_operations():
        if op.method != "GET":
            continue
        for name, spec in query_parameters(schema_operation(schema, op.path, op.method)).items():
            if "default" not in spec:
                continue
            default = spec["default"]
            value = str(default).lower() if isinstance(default, bool) else str(default)
            omitted = staff(staff_user).get(op.path)
            sent = staff(staff_user).get(op.path, {name: value})
            assert sent.status_code == omitted.status_code, (op.path, name, value, sent.content[:300])
            checked += 1
    assert checked >= 5  # window (three metrics), resolution, limit


def test_every_integer_query_bound_the_schema_documents_is_the_servers(open_limits, staff_user, schema):
    checked = 0
    for op in api_operations():
        if op.method != "GET" or "{" in op.route or "<" in op.route:
            continue
        for name, spec in query_parameters(schema_operation(schema, op.path, op.method)).items():
            if spec.get("type") != "integer" or "enum" in spec:
                continue
            assert "minimum" in spec and "maximum" in spec, (op.path, name, spec)
            extra = {"q": "colour"} if op.path == "/api/v1/search/" else {}
            for inside in (spec["minimum"], spec["maximum"]):
                response = staff(staff_user).get(op.path, {**extra, name: inside})
                assert response.status_code == 200, (op.path, name, inside, response.content[:300])
            for outside in (spec["minimum"] - 1, spec["maximum"] + 1):
                assert_refused_naming(staff(staff_user).get(op.path, {**extra, name: outside}), name)
            checked += 1
    assert checked >= 8


def test_the_search_text_bounds_in_the_schema_are_the_servers(open_limits, auth_client, schema):
    q = query_parameters(schema["paths"]["/api/v1/search/"]["get"])["q"]
    assert q["maxLength"] == 200
    assert auth_client.get("/api/v1/search/", {"q": "a" * q["maxLength"]}).status_code == 200
    assert_refused_naming(auth_client.get("/api/v1/search/", {"q": "a" * (q["maxLength"] + 1)}), "q")
    assert_refused_naming(auth_client.get("/api/v1/search/", {"q": " \t "}), "q")
    assert auth_client.get("/api/v1/search/", {"q": "日本"}).status_code == 200


def test_every_operation_documents_the_400_and_503_it_can_answer(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status in ("400", "503"):
                assert status in operation["responses"], (method, path, status)
            if method in {"post", "put", "patch", "delete"}:
                assert "415" in operation["responses"], (method, path)


def test_the_account_deletion_body_is_in_the_schema(schema):
    body = schema["paths"]["/api/v1/auth/me/"]["delete"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["password"] and set(body["properties"]) == {"password"}


def test_request_bodies_are_documented_closed(schema):
    requests = {name: component for name, component in schema["components"]["schemas"].items()
                if name.endswith("Request")}
    assert requests
    assert all(component.get("additionalProperties") is False for component in requests.values())


def test_an_empty_value_the_schema_does_not_allow_is_refused_naming_it(open_limits, auth_client):
    """DRF reads ``?category=`` as "no filter"; the schema's slug pattern does not allow it, so neither does the API."""
    assert_refused_naming(auth_client.get("/api/v1/progress/history/?category="), "category")
    assert auth_client.get("/api/v1/progress/history/?since=").status_code == 200  # a free-form string may be empty


def test_every_operation_with_a_body_needs_one(open_limits, staff_user, schema):
    with_body = [op for op in api_operations() if "requestBody" in schema_operation(schema, op.path, op.method)]
    assert len(with_body) >= 15
    for op in with_body:
        assert schema_operation(schema, op.path, op.method)["requestBody"]["required"] is True
        response = staff(staff_user).generic(op.method, op.path, "", content_type="application/json")
        assert_refused_naming(response, "non_field_errors")
    assert staff(staff_user).patch("/api/v1/auth/me/", {}, format="json").status_code == 200
