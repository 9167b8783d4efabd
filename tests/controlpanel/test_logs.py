"""Logs: one structured line per API call, never a secret, and no forged lines.

Everything logged during a full auth flow is captured at DEBUG level (SQL included), formatted
with the product's JSON formatter, and scanned for every password, token and
``Authorization`` value used in the flow.
"""

import json
import logging

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from controlpanel.logging import JsonFormatter
from tests.accounts import tally

pytestmark = pytest.mark.django_db

FORMATTER = JsonFormatter()


@pytest.fixture
def debug_logs(caplog):
    """Every record at DEBUG and above from every logger, SQL statements included."""
    caplog.set_level(logging.DEBUG)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger):
            caplog.set_level(logging.DEBUG, logger=name)  # restored after the test
    connection.force_debug_cursor = True
    try:
        yield caplog
    finally:
        connection.force_debug_cursor = False


def formatted(caplog) -> list[str]:
    return [FORMATTER.format(record) for record in caplog.records]


def full_auth_flow() -> list[str]:
    """Run every auth operation once (and a few failures); return every secret it used."""
    api = APIClient(REMOTE_ADDR="127.0.0.1")
    first_password, second_password, wrong_password = "Lilac-Orchard-Secret-1", "Cobalt-Harbour-Secret-2", "Wrong-Guess-Secret-3"
    registered = api.post("/api/v1/auth/register/",
                          {"username": "logged-learner", "email": "logged@example.com", "password": first_password},
                          format="json").json()
    logged_in = api.post("/api/v1/auth/login/", {"username": "logged@example.com", "password": first_password},
                         format="json").json()
    api.post("/api/v1/auth/login/", {"username": "logged-learner", "password": wrong_password}, format="json")
    api.post("/api/v1/auth/login/", {"username": "nobody-here", "password": wrong_password}, format="json")
    rotated = api.post("/api/v1/auth/refresh/", {"refresh": logged_in["refresh"]}, format="json").json()
    api.post("/api/v1/auth/refresh/", {"refresh": logged_in["refresh"]}, format="json")  # replay: revokes
    session = registered["tokens"]
    authorization = f"Bearer {session['access']}"
    api.get("/api/v1/auth/me/", HTTP_AUTHORIZATION=authorization)
    api.get("/api/v1/auth/sessions/", HTTP_AUTHORIZATION=authorization)
    api.get("/api/v1/no-such-endpoint/", HTTP_AUTHORIZATION=authorization)
    api.get(f"/api/v1/auth/me/?access_token={session['access']}")
    api.post("/api/v1/auth/password/", {"current_password": wrong_password, "new_password": second_password},
             format="json", HTTP_AUTHORIZATION=authorization)
    api.post("/api/v1/auth/password/", {"current_password": first_password, "new_password": second_password},
             format="json", HTTP_AUTHORIZATION=authorization)
    api.get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Bearer {rotated['access']}")  # revoked: 401
    api.post("/api/v1/auth/logout/", HTTP_AUTHORIZATION=authorization)
    browser = Client(REMOTE_ADDR="127.0.0.1")
    browser.post("/login/", {"username": "logged-learner", "password": wrong_password})
    browser.post("/login/", {"username": "logged-learner", "password": second_password})
    tokens = [session["access"], session["refresh"], logged_in["access"], logged_in["refresh"],
              rotated["access"], rotated["refresh"]]
    signatures = [token.rsplit(".", 1)[1] for token in tokens]
    return [first_password, second_password, wrong_password, authorization, *tokens, *signatures]


def test_a_full_auth_flow_logs_no_password_token_or_authorization_value(debug_logs):
    secrets = full_auth_flow()
    lines = formatted(debug_logs)
    assert any('"event": "api_call"' in line for line in lines)
    assert any('"logger": "django.db.backends"' in line for line in lines), "SQL was not captured"
    leaks = [(secret[:12] + "…", line[:200]) for line in lines for secret in secrets if secret in line]
    figures = tally.record("secrets in logs", tried=len(secrets) * len(lines), failed=len(leaks))
    assert not leaks, figures


def test_every_log_record_is_one_line_of_json_even_with_cr_lf_in_user_text(debug_logs):
    forged = 'evil\r\n{"level": "CRITICAL", "message": "forged"}'
    APIClient(REMOTE_ADDR="127.0.0.1").post("/api/v1/auth/login/", {"username": forged, "password": "x" * 12},
                                            format="json")
    Client().get("/api/v1/missing%0D%0A%7B%22level%22%3A%22CRITICAL%22%7D/")
    lines = formatted(debug_logs)
    assert any("missing" in line for line in lines), "the request path was not logged at all"
    for line in lines:
        assert "\n" not in line and "\r" not in line
        assert isinstance(json.loads(line), dict)
    assert not any(json.loads(line).get("message") == "forged" for line in lines)


def test_the_formatter_escapes_line_breaks_and_round_trips_the_text():
    record = logging.LogRecord("controlpanel.test", logging.WARNING, __file__, 1, "user said %s", ("a\r\nb",), None)
    record.note = "c\nd"
    line = FORMATTER.format(record)
    assert "\n" not in line and "\r" not in line
    payload = json.loads(line)
    assert (payload["message"], payload["note"]) == ("user said a\r\nb", "c\nd")


@pytest.mark.parametrize("key", ["password", "token", "access", "refresh", "authorization", "Authorization", "secret"])
def test_the_formatter_drops_extra_fields_named_like_credentials(key):
    record = logging.LogRecord("controlpanel.test", logging.INFO, __file__, 1, "event", (), None)
    setattr(record, key, "hunter2-secret-value")
    record.user_id = 7
    payload = json.loads(FORMATTER.format(record))
    assert key not in payload
    assert payload["user_id"] == 7
    assert "hunter2" not in FORMATTER.format(record)


def test_each_api_call_logs_one_line_with_method_route_status_duration_user_and_request_id(auth_client, user, caplog):
    caplog.set_level(logging.INFO, logger="controlpanel.api")
    response = auth_client.delete("/api/v1/auth/sessions/00000000-0000-0000-0000-000000000001/",
                                  HTTP_X_REQUEST_ID="trace-0123456789")
    assert response.status_code == 404
    calls = [json.loads(FORMATTER.format(r)) for r in caplog.records if r.name == "controlpanel.api"]
    assert len(calls) == 1
    call = calls[0]
    assert {k: call[k] for k in ("event", "method", "route", "status", "user_id", "request_id")} == {
        "event": "api_call",
        "method": "DELETE",
        "route": "/api/v1/auth/sessions/<uuid:session_id>/",
        "status": 404,
        "user_id": user.pk,
        "request_id": "trace-0123456789",
    }
    assert isinstance(call["duration_ms"], float) and call["duration_ms"] >= 0


def test_an_unauthenticated_call_is_logged_without_a_user(api_client, caplog):
    caplog.set_level(logging.INFO, logger="controlpanel.api")
    response = api_client.get("/api/v1/auth/me/", HTTP_AUTHORIZATION="Bearer not-a-token")
    calls = [r for r in caplog.records if r.name == "controlpanel.api"]
    assert len(calls) == 1
    assert (calls[0].status, calls[0].user_id, calls[0].request_id) == (401, None, response["X-Request-ID"])
    assert "not-a-token" not in FORMATTER.format(calls[0])


def test_pages_are_not_logged_as_api_calls(client, caplog):
    caplog.set_level(logging.INFO, logger="controlpanel.api")
    client.get("/login/")
    assert not [r for r in caplog.records if r.name == "controlpanel.api"]
