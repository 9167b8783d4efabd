"""Redis unreachable: logins and registrations fail closed, reads fail open, never a 500.

The cache is pointed at a Redis address where nothing listens (django-redis, short connect
timeout), which is what a stopped or unreachable Redis looks like to the app.
"""

import logging

import pytest
from django.test import Client, override_settings
from rest_framework.test import APIClient

from tests.accounts import tally
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

SUITE = "faults (Redis down)"
DEAD_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }
}
UNAVAILABLE = {
    "code": "service_unavailable",
    "message": "The service is temporarily unavailable. Try again shortly.",
    "details": {},
}


@pytest.fixture
def redis_down():
    # the production shape: the cache and the rate-limit counters are both in Redis
    with override_settings(CACHES=DEAD_REDIS, RATELIMIT_STORE="cache"):
        yield


def test_on_the_embedded_default_an_unusable_counter_file_fails_logins_closed_and_reads_open(user, auth_client):
    """The embedded default's counters are a SQLite file: when it cannot be opened, the same rule."""
    with override_settings(RATELIMIT_STORE="sqlite", RATELIMIT_SQLITE_PATH="/proc/no-such-dir/ratelimit.sqlite3"):
        response = APIClient(REMOTE_ADDR="127.0.0.1").post(
            "/api/v1/auth/login/", {"username": user.username, "password": DEFAULT_PASSWORD}, format="json")
        read = auth_client.get("/api/v1/auth/me/")
    assert response.status_code == 503
    assert response.json() == UNAVAILABLE
    assert read.status_code == 200 and read.json()["username"] == user.username
    tally.record(SUITE, tried=2, failed=0)


def test_login_fails_closed_with_503_when_redis_is_down(user, redis_down):
    response = APIClient(REMOTE_ADDR="127.0.0.1").post(
        "/api/v1/auth/login/", {"username": user.username, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 503
    assert response.json() == UNAVAILABLE
    assert not user.auth_sessions.exists()
    tally.record(SUITE, tried=1, failed=0)


def test_registration_fails_closed_with_503_when_redis_is_down(redis_down):
    response = APIClient(REMOTE_ADDR="127.0.0.1").post(
        "/api/v1/auth/register/",
        {"username": "painter", "email": "painter@example.com", "password": "a quiet blue morning"},
        format="json",
    )
    assert response.status_code == 503
    assert response.json() == UNAVAILABLE
    tally.record(SUITE, tried=1, failed=0)


def test_authenticated_reads_fail_open_and_log_a_warning(auth_client, user, redis_down, caplog):
    with caplog.at_level(logging.WARNING, logger="controlpanel.ratelimit"):
        response = auth_client.get("/api/v1/auth/me/")
    assert response.status_code == 200
    assert response.json()["username"] == user.username
    assert "X-RateLimit-Remaining" not in response
    warnings = [r for r in caplog.records if r.name == "controlpanel.ratelimit" and r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == ["rate-limit store unavailable; allowing api"]
    tally.record(SUITE, tried=1, failed=0)


def test_authenticated_writes_fail_open_too(auth_client, redis_down):
    response = auth_client.put("/api/v1/config/user/", {"theme": "dark"}, format="json")
    assert response.status_code == 200
    assert response.json()["theme"] == "dark"


def test_page_login_is_refused_with_a_friendly_503_when_redis_is_down(user, redis_down):
    response = Client(REMOTE_ADDR="127.0.0.1").post("/login/", {"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 503
    assert "Signing in is briefly unavailable" in response.content.decode()
    assert not user.auth_sessions.exists()


def test_readyz_reports_the_cache_failing_with_503(redis_down):
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "not_ready"
    assert body["details"]["checks"]["cache"]["ok"] is False
    assert body["details"]["checks"]["database"]["ok"] is True
    tally.record(SUITE, tried=1, failed=0)
