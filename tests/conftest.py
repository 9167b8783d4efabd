"""Shared fixtures. Tests run on whatever storage shape the environment names: the embedded
default (SQLite + local memory) or PostgreSQL + Redis (DATABASE_URL, REDIS_URL)."""

import os

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import DEFAULT_PASSWORD, UserFactory

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
ON_REDIS = bool(settings.REDIS_URL)


def require(condition: bool, reason: str) -> None:
    """Skip when something a test needs is missing, except under CI=true, where it fails."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required for this test but missing under CI: {reason}")
    pytest.skip(reason)


def pytest_terminal_summary(terminalreporter):
    """The security and reliability figures ("N tried, N failed"), once, after the run."""
    from tests.accounts import tally
    from tests.reliability import figures

    tally.print_summary(terminalreporter)
    figures.print_notes(terminalreporter)


def pytest_sessionfinish(session):
    """A parallel worker hands its figures to the controller (pytest-xdist's ``workeroutput``)."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        from tests.accounts import tally
        from tests.reliability import figures

        workeroutput["tally"] = tally.export()
        workeroutput["notes"] = figures.export()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """The controller adds each finished worker's figures to its own."""
    from tests.accounts import tally
    from tests.reliability import figures

    output = getattr(node, "workeroutput", {})
    tally.merge(output.get("tally", {}))
    figures.merge(output.get("notes", []))


LONGEST = {"tests/reliability/test_schema_fuzz.py"}


def pytest_collection_modifyitems(config, items):
    """Tests written for the other storage shape are deselected (they run in that shape's CI pass)."""
    keep, drop = [], []
    for item in items:
        if (item.get_closest_marker("postgres") and not ON_POSTGRES) or (item.get_closest_marker("redis") and not ON_REDIS):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
    # The schema fuzz runs take minutes each: started first, the test runner's other workers fill
    # in around them instead of waiting for them at the end.
    keep.sort(key=lambda item: item.nodeid.split("::")[0] not in LONGEST)
    items[:] = keep


@pytest.fixture(autouse=True)
def _fresh_cache():
    from controlpanel.api.ratelimit import clear_counters

    cache.clear()
    clear_counters()
    yield
    cache.clear()
    clear_counters()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient(REMOTE_ADDR="127.0.0.1")


@pytest.fixture
def password() -> str:
    return DEFAULT_PASSWORD


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def staff_user(db):
    return UserFactory(is_staff=True)


def login(client: APIClient, username: str, password: str = DEFAULT_PASSWORD, **extra) -> dict:
    response = client.post("/api/v1/auth/login/", {"username": username, "password": password}, format="json", **extra)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def tokens(api_client, user) -> dict:
    return login(api_client, user.username)


@pytest.fixture
def auth_client(user, tokens) -> APIClient:
    client = APIClient(REMOTE_ADDR="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    client.user = user
    client.tokens = tokens
    return client


@pytest.fixture
def other_client(other_user) -> APIClient:
    client = APIClient(REMOTE_ADDR="127.0.0.2")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login(client, other_user.username)['access']}")
    client.user = other_user
    return client


@pytest.fixture
def staff_client(staff_user) -> APIClient:
    client = APIClient(REMOTE_ADDR="127.0.0.3")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login(client, staff_user.username)['access']}")
    client.user = staff_user
    return client
