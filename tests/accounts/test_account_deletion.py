"""Account deletion: password-checked, total across apps, tokens and browser sessions dead, quiet logs."""

import logging
import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import AuthSession, User
from telemetry.models import ActiveUserDay
from tests.accounts.personal_data import populate, rows_naming
from tests.accounts.tally import record
from tests.conftest import login
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def bearer(token: str) -> APIClient:
    client = APIClient(REMOTE_ADDR="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_delete_removes_every_row_naming_the_user_in_every_app(auth_client, user, other_user, caplog):
    populate(user, "alpha")
    populate(other_user, "bravo")
    user_id, other_before = user.pk, rows_naming(other_user.pk)
    assert len(rows_naming(user_id)) >= 10  # the fixture really reaches every table
    with caplog.at_level(logging.INFO, logger="accounts.deletion"):
        response = auth_client.delete("/api/v1/auth/me/", {"password": DEFAULT_PASSWORD}, format="json")
    assert response.status_code == 204, response.content
    assert rows_naming(user_id) == {}
    # the day's aggregate figures survive, under a placeholder that names nobody
    assert ActiveUserDay.objects.filter(requests=7).count() == 2
    assert rows_naming(other_user.pk) == other_before
    lines = [r.getMessage() for r in caplog.records if r.name == "accounts.deletion"]
    assert len(lines) == 1 and lines[0].startswith("account deleted event=")
    # only an event id and per-table counts: no username, e-mail, id or content
    assert re.fullmatch(r"account deleted event=[0-9a-f]{16} rows=([a-z]+\.[A-Za-z]+(\(anonymised\))?:\d+,?)+", lines[0])
    for personal in (user.username, user.email, "alpha"):
        assert personal not in lines[0]
    record_ = next(r for r in caplog.records if r.name == "accounts.deletion")
    assert not any(getattr(record_, name, None) == user_id for name in ("user_id", "user", "pk"))


def test_old_tokens_are_refused_after_deletion(auth_client, api_client, user):
    tokens = auth_client.tokens
    assert auth_client.delete("/api/v1/auth/me/", {"password": DEFAULT_PASSWORD}, format="json").status_code == 204
    checks = [bearer(tokens["access"]).get("/api/v1/auth/me/").status_code,
              api_client.post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json").status_code,
              APIClient().post("/api/v1/auth/login/", {"username": user.username, "password": DEFAULT_PASSWORD},
                               format="json").status_code]
    failed = sum(status not in (400, 401) for status in checks)
    print(record("account deletion: tokens after delete", tried=len(checks), failed=failed))
    assert failed == 0, checks


def test_wrong_password_deletes_nothing(auth_client, user):
    populate(user, "charlie")
    before = rows_naming(user.pk)
    for body in ({"password": "not the password"}, {"password": ""}, {}):
        response = auth_client.delete("/api/v1/auth/me/", body, format="json")
        assert response.status_code == 400
    assert response.json()["code"] in {"validation_error", "wrong_password"}
    wrong = auth_client.delete("/api/v1/auth/me/", {"password": "not the password"}, format="json")
    assert wrong.json()["code"] == "wrong_password"
    assert rows_naming(user.pk) == before
    assert AuthSession.objects.filter(user=user, revoked_at__isnull=True).exists()
    assert auth_client.get("/api/v1/auth/me/").status_code == 200


def test_anonymous_delete_is_refused(api_client):
    assert api_client.delete("/api/v1/auth/me/", {"password": DEFAULT_PASSWORD}, format="json").status_code == 401


def test_delete_page_confirms_with_password_then_signs_out(client: Client, user):
    populate(user, "delta")
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)
    profile = client.get("/account/")
    assert b'href="/account/delete/"' in profile.content and b"/api/v1/auth/me/export/" in profile.content
    assert client.get("/account/delete/").status_code == 200
    wrong = client.post("/account/delete/", {"password": "nope nope"})
    assert wrong.status_code == 400 and User.objects.filter(pk=user.pk).exists()
    user_id = user.pk
    response = client.post("/account/delete/", {"password": DEFAULT_PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert b"are deleted" in response.content
    assert rows_naming(user_id) == {}
    assert client.get("/account/").status_code == 302  # the browser session is gone
    assert client.get("/api/v1/auth/me/").status_code == 401


def test_browser_session_calling_the_api_is_ended(client: Client, user):
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)
    response = client.delete("/api/v1/auth/me/", {"password": DEFAULT_PASSWORD}, content_type="application/json")
    assert response.status_code == 204
    assert client.get("/account/").status_code == 302


def test_other_learner_can_still_log_in_and_keeps_everything(auth_client, other_user, api_client):
    populate(other_user, "echo")
    before = rows_naming(other_user.pk)
    auth_client.delete("/api/v1/auth/me/", {"password": DEFAULT_PASSWORD}, format="json")
    assert rows_naming(other_user.pk) == before
    login(api_client, other_user.username)
    assert UserFactory()  # new sign-ups still work


def test_request_counts_buffered_before_a_deletion_do_not_bring_the_user_back(auth_client, user):
    """A process may still hold the deleted user's request counts; its next flush writes no row for them."""
    from telemetry.collector import Collector

    buffered = Collector()
    buffered.record(route="/api/v1/progress/", method="GET", status=200, duration_ms=1.0, user_id=user.pk)
    user_id = user.pk
    response = auth_client.delete("/api/v1/auth/me/", {"password": DEFAULT_PASSWORD}, format="json")
    assert response.status_code == 204
    assert buffered.flush() >= 1
    assert not ActiveUserDay.objects.filter(user_id=user_id).exists()
