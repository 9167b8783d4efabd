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


# A JSON value of another type for each type a body field can declare (what DRF would coerce or read as absent).
WRONG_VALUE = {"string": 0, "integer": "5", "number": "1.5", "boolean": "true", "array": {"a": 1}, "object": [1]}


def body_schema(schema: dict, operation: dict) -> tuple[dict, bool]:
    """The body's object schema (an item's, for a list body) and whether the body is a list."""
    def resolve(node):
        while "$ref" in node:
            node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
        return node

    media = resolve(operation["requestBody"]["content"]["application/json"]["schema"])
    if media.get("type") == "array":
        return resolve(media["items"]), True
    return media, False


def test_every_write_refuses_a_body_field_of_another_json_type_naming_it(open_limits, staff_user, schema):
    """``{"identifier": 0}`` used to be read as the string "0": a field is the JSON type the schema says, or a 400."""
    import json

    tried = set()
    for op in api_operations():
        operation = schema_operation(schema, op.path, op.method)
        if op.method not in WRITES or "requestBody" not in operation:
            continue
        fields, is_list = body_schema(schema, operation)
        for name, spec in fields.get("properties", {}).items():
            if spec.get("readOnly") or "type" not in spec:
                continue
            for value in (WRONG_VALUE[spec["type"]], *([] if spec.get("nullable") else [None])):
                payload = [{name: value}] if is_list else {name: value}
                response = staff(staff_user).generic(op.method, op.path, json.dumps(payload),
                                                     content_type="application/json")
                assert_refused_naming(response, f"0.{name}" if is_list else name)
                tried.add((op.path, name))
    assert len(tried) >= 30
    assert ("/api/v1/auth/password/reset/", "identifier") in tried


def test_a_number_for_a_text_field_is_refused_and_nothing_is_sent(open_limits, api_client, mailoutbox):
    response = api_client.post("/api/v1/auth/password/reset/", {"identifier": 0}, format="json")
    assert_refused_naming(response, "identifier")
    assert response.json()["details"]["identifier"] == ["Must be a string."]
    assert mailoutbox == []


def test_every_operation_has_a_description_of_its_own(schema):
    """A view without a docstring used to be described by the contract mixin's docstring."""
    from controlpanel.api.contract import ApiContract

    seen = {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            description = operation.get("description", "").strip()
            assert description, (method, path)
            assert "serve_with_contract" not in description and "ApiContract" not in description, (method, path)
            seen.setdefault(description, []).append((method, path))
    assert ApiContract.__doc__ is None
    assert len(seen) >= 40, "most operations say what they do in words of their own"


def test_a_query_parameter_given_twice_is_refused_naming_it(open_limits, auth_client):
    """``turbo=false&turbo=true`` used to be read as whichever DRF took (the last); the server does not guess."""
    response = auth_client.get("/api/v1/search/?q=colour&turbo=false&turbo=true")
    assert_refused_naming(response, "turbo")
    assert response.json()["details"]["turbo"] == ["Give this parameter once."]
    assert_refused_naming(auth_client.get("/api/v1/lessons/?difficulty=1&difficulty=2"), "difficulty")
    assert auth_client.get("/api/v1/search/history/").json()["count"] == 0, "a refused search is not recorded"


def test_every_boolean_query_parameter_takes_true_or_false_only(open_limits, staff_user, schema):
    booleans = [(op, name) for op in api_operations() if op.method == "GET"
                for name, spec in query_parameters(schema_operation(schema, op.path, op.method)).items()
                if spec.get("type") == "boolean"]
    assert {name for _, name in booleans} >= {"turbo", "download"}
    for op, name in booleans:
        spec = query_parameters(schema_operation(schema, op.path, op.method))[name]
        assert not spec.get("nullable"), "a query string has no null: leave the parameter out instead"
        for value in ("null", "maybe", "2"):
            response = staff(staff_user).get(op.path, {name: value, **({"q": "colour"} if "search" in op.path else {})})
            if response.status_code != 404:  # a report id that does not exist is looked up first
                assert_refused_naming(response, name)


def test_search_reads_turbo_true_and_false_in_any_case(open_limits, auth_client):
    assert auth_client.get("/api/v1/search/", {"q": "colour", "turbo": "TRUE"}).json()["turbo_used"] is True
    assert auth_client.get("/api/v1/search/", {"q": "colour", "turbo": "false"}).json()["turbo_used"] is False
