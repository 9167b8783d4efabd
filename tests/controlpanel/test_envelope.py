"""Every error under /api/ has one shape, ``{"code", "message", "details"}``, and every
response carries an ``X-Request-ID``."""

import logging
import re

import pytest
from django.db import OperationalError
from django.test import Client, RequestFactory
from rest_framework import exceptions

from controlpanel.api.exceptions import api_exception_handler
from controlpanel.views import handler500
from tests.accounts import tally

pytestmark = pytest.mark.django_db

GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")


def assert_envelope(response, status: int, code: str, message: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], dict)
    if message is not None:
        assert body["message"] == message
    assert response.has_header("X-Request-ID")
    for leak in ("Traceback", 'File "', "SELECT ", "INSERT "):
        assert leak not in response.content.decode()
    tally.record("error envelope", tried=1, failed=0)
    return body


def test_400_validation_error_lists_field_errors(api_client):
    body = assert_envelope(api_client.post("/api/v1/auth/register/", {"username": "ab"}, format="json"),
                           400, "validation_error", "The request has invalid fields.")
    assert set(body["details"]) == {"username", "email", "password"}


def test_400_parse_error_for_malformed_json(api_client):
    response = api_client.post("/api/v1/auth/login/", '{"username": "a",', content_type="application/json")
    assert_envelope(response, 400, "parse_error")


def test_400_for_a_disallowed_host_on_the_api():
    response = Client(HTTP_HOST="evil.example").get("/api/v1/config/system/")
    assert_envelope(response, 400, "bad_request", "Bad request.")


def test_401_without_credentials(api_client):
    response = api_client.get("/api/v1/auth/me/")
    assert_envelope(response, 401, "not_authenticated", "Authentication credentials were not provided.")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_401_for_a_bad_token(api_client):
    response = api_client.get("/api/v1/auth/me/", HTTP_AUTHORIZATION="Bearer nope")
    assert_envelope(response, 401, "token_invalid", "The token is invalid, expired or revoked.")


def test_403_session_authenticated_write_without_csrf_token(user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    response = browser.put("/api/v1/config/user/", {"theme": "dark"}, content_type="application/json")
    body = assert_envelope(response, 403, "csrf_failed")
    assert body["details"]["reason"] == "CSRF cookie not set."
    user.preferences.refresh_from_db()
    assert user.preferences.theme == "system"


def test_a_session_authenticated_write_with_the_csrf_token_goes_through(user):
    browser = Client(enforce_csrf_checks=True)
    browser.get("/login/")  # a page with a form sets the CSRF cookie
    browser.force_login(user)
    token = browser.cookies["csrftoken"].value
    response = browser.put("/api/v1/config/user/", {"theme": "dark"}, content_type="application/json",
                           HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert response.json()["theme"] == "dark"


def test_a_bearer_token_write_needs_no_csrf_token(auth_client):
    response = auth_client.put("/api/v1/config/user/", {"theme": "dark"}, format="json")
    assert response.status_code == 200
    assert response.json()["theme"] == "dark"


@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/nope", "/api/v1/auth/sessions/not-a-uuid/"])
def test_404_for_unknown_api_paths(api_client, path):
    assert_envelope(api_client.get(path), 404, "not_found", "Not found.")


def test_404_for_an_object_that_is_not_yours_or_not_there(auth_client):
    response = auth_client.delete("/api/v1/auth/sessions/00000000-0000-0000-0000-000000000001/")
    assert_envelope(response, 404, "not_found", "No such active session.")


def test_405_for_a_method_the_endpoint_does_not_take(api_client):
    response = api_client.get("/api/v1/auth/login/")
    assert_envelope(response, 405, "method_not_allowed")
    assert "POST" in response["Allow"]


@pytest.mark.parametrize(("content_type", "body"), [("text/plain", "username=a"),
                                                     ("application/x-www-form-urlencoded", "username=a&password=b"),
                                                     ("application/xml", "<login/>")])
def test_415_for_a_body_that_is_not_json(api_client, content_type, body):
    response = api_client.post("/api/v1/auth/login/", body, content_type=content_type)
    body = assert_envelope(response, 415, "unsupported_media_type")
    assert content_type in body["message"]


def test_406_when_the_client_accepts_nothing_the_api_renders(api_client):
    response = api_client.get("/api/v1/config/system/", HTTP_ACCEPT="application/xml")
    assert_envelope(response, 406, "not_acceptable")


def test_429_with_retry_after(settings, auth_client):
    settings.RATELIMIT_API_RATE = "1/h"
    auth_client.get("/api/v1/auth/me/")
    response = auth_client.get("/api/v1/auth/me/")
    body = assert_envelope(response, 429, "rate_limited")
    assert int(response["Retry-After"]) == body["details"]["retry_after"] >= 1


def test_500_for_an_unexpected_error_is_the_envelope_and_is_logged(auth_client, monkeypatch, caplog):
    """Fault injection: the service raises something no handler expects."""
    from accounts.api import views

    def broken(**kwargs):
        raise RuntimeError("disk on fire: SELECT secret FROM vault")

    monkeypatch.setattr(views.services, "preferences_get", broken)
    with caplog.at_level(logging.ERROR, logger="controlpanel.errors"):
        response = auth_client.get("/api/v1/config/user/")
    assert_envelope(response, 500, "server_error", "Something went wrong on our side. It has been logged.")
    assert "disk on fire" not in response.content.decode()
    [record] = [r for r in caplog.records if r.name == "controlpanel.errors"]
    assert record.exc_info and record.exc_info[0] is RuntimeError


def test_503_when_the_database_is_unavailable(auth_client, monkeypatch):
    """Fault injection: the database connection fails mid-request."""
    from accounts.api import views

    def unreachable(**kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(views.services, "preferences_get", unreachable)
    response = auth_client.get("/api/v1/config/user/")
    assert_envelope(response, 503, "service_unavailable")
    assert response["Retry-After"] == "5"
    assert "Connection refused" not in response.content.decode()


def test_the_handler_turns_any_exception_into_the_envelope():
    cases = [
        (RuntimeError("boom"), 500, "server_error"),
        (OperationalError("gone"), 503, "service_unavailable"),
        (exceptions.Throttled(wait=7), 429, "rate_limited"),
        (exceptions.NotFound(), 404, "not_found"),
        (exceptions.PermissionDenied(), 403, "permission_denied"),
        (exceptions.ValidationError(["bad"]), 400, "validation_error"),
    ]
    for exc, status, code in cases:
        response = api_exception_handler(exc, {})
        assert (response.status_code, response.data["code"], set(response.data)) == (
            status, code, {"code", "message", "details"})
    assert api_exception_handler(exceptions.Throttled(wait=7), {})["Retry-After"] == "7"


def test_django_level_500_under_the_api_is_the_envelope():
    request = RequestFactory().get("/api/v1/anything/")
    response = handler500(request)
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert __import__("json").loads(response.content)["code"] == "server_error"


def test_django_level_404_outside_the_api_is_a_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# X-Request-ID -------------------------------------------------------------------------------

def test_a_well_formed_request_id_is_echoed(api_client):
    response = api_client.get("/api/v1/config/system/", HTTP_X_REQUEST_ID="lb-7f3a.1234_abcd")
    assert response["X-Request-ID"] == "lb-7f3a.1234_abcd"


@pytest.mark.parametrize("incoming", ["has spaces in it", "x" * 300, "short", "new\nline-injected", "ünïcødé-id-123", ""])
def test_a_malformed_request_id_is_replaced_by_a_generated_one(api_client, incoming):
    response = api_client.get("/api/v1/config/system/", HTTP_X_REQUEST_ID=incoming)
    assert GENERATED_ID.match(response["X-Request-ID"])


@pytest.mark.parametrize("path", ["/healthz", "/login/", "/api/v1/nope/", "/api/v1/auth/me/"])
def test_every_response_carries_a_request_id(client, path):
    assert GENERATED_ID.match(client.get(path)["X-Request-ID"])


def test_each_request_gets_its_own_generated_id(api_client):
    ids = {api_client.get("/healthz")["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3
