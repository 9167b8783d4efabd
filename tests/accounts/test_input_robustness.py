"""Whatever a client sends to the account endpoints, the answer is a 2xx or a 4xx envelope.

Long and non-ASCII passwords get explicit cases; the rest is a bounded, seeded hypothesis run
over arbitrary JSON bodies (surrogates, NUL, huge strings, wrong types, nesting).
"""

import json

import pytest
from hypothesis import HealthCheck, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from tests.accounts import tally
from tests.conftest import login

pytestmark = pytest.mark.django_db

SUITE = "input robustness"
ANY_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=300)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(ANY_TEXT, children, max_size=4),
    max_leaves=8,
)
FIELDS = ["username", "email", "password", "refresh", "current_password", "new_password", "first_name", "theme",
          "time_zone", "daily_goal_minutes", "weekly_progress_email", "turbo_default", "preferred_style"]
BODIES = st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES | ANY_TEXT, max_size=5) | JSON_VALUES
FUZZ = hypothesis_settings(max_examples=60, deadline=None, derandomize=True,
                           suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def problem_with(response) -> str | None:
    if response.status_code >= 500:
        return f"server error {response.status_code}: {response.content[:200]!r}"
    if response.status_code >= 400:
        body = response.json()
        if set(body) != {"code", "message", "details"}:
            return f"not the envelope: {body}"
    return None


@pytest.mark.parametrize("password", ["x" * 1000, "密码-пароль-كلمة-🎨🎶-ümlaut", "\u00e9" * 1000, " padded both ends "])
def test_long_and_non_ascii_passwords_work_end_to_end(api_client, password):
    response = api_client.post("/api/v1/auth/register/", {"username": "unicode-painter", "email": "u@example.com",
                                                           "password": password}, format="json")
    assert response.status_code == 201, response.content
    tokens = login(api_client, "unicode-painter", password)
    client = APIClient(REMOTE_ADDR="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    changed = client.post("/api/v1/auth/password/", {"current_password": password, "new_password": password[::-1] + "!"},
                          format="json")
    assert changed.status_code == 200, changed.content
    login(api_client, "unicode-painter", password[::-1] + "!")


@pytest.mark.parametrize("password", ["x" * 1000, "\u00e9" * 600, "🎨" * 300])
def test_long_passwords_against_unknown_and_known_accounts_are_plain_401s(api_client, user, password):
    for identifier in ("nobody-here", user.username):
        response = api_client.post("/api/v1/auth/login/", {"username": identifier, "password": password}, format="json")
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_credentials"


def test_a_password_over_the_maximum_length_is_a_field_error_not_a_hash(api_client, user):
    response = api_client.post("/api/v1/auth/login/", {"username": user.username, "password": "x" * 1025}, format="json")
    assert response.status_code == 400
    assert list(response.json()["details"]) == ["password"]


def _fuzz(path: str, method: str = "post", authenticated: bool = False, user=None):
    problems: list[str] = []
    tried = 0
    client = APIClient(REMOTE_ADDR="127.0.0.1")
    if authenticated:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {login(APIClient(REMOTE_ADDR='127.0.0.1'), user.username)['access']}")

    @FUZZ
    @seed(20260)
    @given(body=BODIES)
    def run(body):
        nonlocal tried
        tried += 1
        response = getattr(client, method)(path, json.dumps(body), content_type="application/json")
        problem = problem_with(response)
        if problem:
            problems.append(f"{method.upper()} {path} {json.dumps(body)[:120]}: {problem}")

    run()
    figures = tally.record(SUITE, tried=tried, failed=len(problems))
    assert not problems, figures + "\n" + "\n".join(problems[:10])


@pytest.fixture
def no_limits(settings):
    settings.RATELIMIT_ENABLE = False


@pytest.mark.parametrize("path", ["/api/v1/auth/register/", "/api/v1/auth/login/", "/api/v1/auth/refresh/"])
def test_public_account_endpoints_never_fail_on_arbitrary_json(no_limits, path):
    _fuzz(path)


@pytest.mark.parametrize(("method", "path"), [("post", "/api/v1/auth/password/"), ("patch", "/api/v1/auth/me/"),
                                              ("put", "/api/v1/config/user/")])
def test_authenticated_account_endpoints_never_fail_on_arbitrary_json(no_limits, user, method, path):
    _fuzz(path, method, authenticated=True, user=user)
