"""Account enumeration: the answer and the hashing work must not tell which accounts exist.

Work is measured by counting real ``bcrypt.hashpw`` calls (and the cost each one ran at)
through a counting wrapper around the real function, never by wall time.

Findings, recorded as tests below:
- API and page login: unknown user, wrong password, inactive user (right or wrong password),
  and a user with an unusable password all get the same status and body and cost exactly one
  hash at the configured cost.
- A locked account (too many failures) and a never-existing name get the same 429 and cost
  no hash at all.
- Registration says "username taken" / "e-mail registered" on purpose (a person picking a
  name has to learn it is taken); the per-address registration limit bounds probing. The
  hashing work is the same whether the name is taken or new, so timing adds nothing.
- Password change (an authenticated user, so nothing to enumerate): a wrong current password
  costs one hash and changes nothing.
"""

import bcrypt
import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.accounts import tally
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SUITE = "enumeration"
COST = f"${django_settings.BCRYPT_ROUNDS:02d}$".encode()


@pytest.fixture
def hash_calls(monkeypatch) -> list[bytes]:
    """The salt (with its cost) of every real bcrypt hash computed while the test runs."""
    calls: list[bytes] = []
    real_hashpw = bcrypt.hashpw

    def counting_hashpw(password, salt):
        calls.append(salt)
        return real_hashpw(password, salt)

    monkeypatch.setattr(bcrypt, "hashpw", counting_hashpw)
    return calls


def api_login(client, identifier: str, password: str):
    return client.post("/api/v1/auth/login/", {"username": identifier, "password": password}, format="json")


def measured(hash_calls: list, action, *args, **kwargs) -> tuple:
    """The response of ``action(*args, **kwargs)`` and the hashes computed while it ran."""
    hash_calls.clear()
    response = action(*args, **kwargs)
    return response, list(hash_calls)


def login_failure_cases() -> dict:
    known = UserFactory(username="known-learner", email="known@example.com")
    inactive = UserFactory(is_active=False)
    unusable = UserFactory()
    unusable.set_unusable_password()
    unusable.save()
    return {
        "unknown username": ("nobody-at-all", DEFAULT_PASSWORD),
        "unknown e-mail": ("nobody@example.com", DEFAULT_PASSWORD),
        "wrong password": (known.username, "not-the-password-1"),
        "wrong password by e-mail": (known.email, "not-the-password-1"),
        "inactive, right password": (inactive.username, DEFAULT_PASSWORD),
        "inactive, wrong password": (inactive.username, "not-the-password-1"),
        "unusable password": (unusable.username, DEFAULT_PASSWORD),
    }


def test_api_login_failures_are_identical_and_cost_one_hash_each(api_client, hash_calls):
    reference = None
    failures, cases = [], login_failure_cases()
    for name, (identifier, password) in cases.items():
        response, calls = measured(hash_calls, api_login, api_client, identifier, password)
        seen = (response.status_code, response.json(), response.get("WWW-Authenticate"))
        reference = reference or seen
        if seen != reference:
            failures.append(f"{name}: answer {seen} differs from {reference}")
        if len(calls) != 1 or COST not in calls[0][:7]:
            failures.append(f"{name}: {len(calls)} hashes {calls}, expected one at cost {django_settings.BCRYPT_ROUNDS}")
    figures = tally.record(SUITE, tried=len(cases), failed=len(failures))
    assert not failures, f"{figures}\n" + "\n".join(failures)
    assert reference[:2] == (401, {"code": "invalid_credentials",
                                   "message": "Unable to log in with the provided credentials.", "details": {}})


def test_a_successful_login_costs_exactly_one_hash_too(api_client, user, hash_calls):
    response, calls = measured(hash_calls, api_login, api_client, user.username, DEFAULT_PASSWORD)
    assert response.status_code == 200
    assert set(response.json()) >= {"access", "refresh"}
    assert len(calls) == 1


def test_page_login_failures_are_identical_and_cost_one_hash_each(hash_calls):
    client = Client(REMOTE_ADDR="127.0.0.1")
    reference = None
    failures, cases = [], login_failure_cases()
    for name, (identifier, password) in cases.items():
        response, calls = measured(hash_calls, client.post, "/login/", {"username": identifier, "password": password})
        errors = response.context["form"].non_field_errors()
        seen = (response.status_code, list(errors))
        reference = reference or seen
        if seen != reference:
            failures.append(f"{name}: answer {seen} differs from {reference}")
        if len(calls) != 1:
            failures.append(f"{name}: {len(calls)} hashes, expected one")
    figures = tally.record(SUITE + " (dashboard login)", tried=len(cases), failed=len(failures))
    assert not failures, f"{figures}\n" + "\n".join(failures)
    assert reference == (200, ["Unable to log in with that username/e-mail and password."])


def test_a_locked_account_and_an_unknown_name_get_the_same_429_without_hashing(api_client, user, settings, hash_calls):
    settings.RATELIMIT_LOGIN_ACCOUNT_FAILURES = "2/h"
    answers = {}
    for identifier in (user.username, "never-registered"):
        for _ in range(2):
            api_login(api_client, identifier, "not-the-password-1")
        response, calls = measured(hash_calls, api_login, api_client, identifier, DEFAULT_PASSWORD)
        body = response.json()
        answers[identifier] = (response.status_code, body["code"], body["message"], len(calls))
    assert answers[user.username] == answers["never-registered"] == (
        429, "rate_limited", "Too many failed logins for this account. Try again later.", 0
    )


def test_registration_costs_the_same_hashing_whether_the_name_is_taken_or_new(api_client, user, hash_calls):
    taken, taken_calls = measured(hash_calls, lambda: api_client.post(
        "/api/v1/auth/register/", {"username": user.username, "email": "fresh@example.com",
                                   "password": "a quiet blue morning"}, format="json"))
    new, new_calls = measured(hash_calls, lambda: api_client.post(
        "/api/v1/auth/register/", {"username": "brand-new", "email": "brand-new@example.com",
                                   "password": "a quiet blue morning"}, format="json"))
    assert taken.status_code == 400
    assert taken.json()["code"] == "username_taken"
    assert new.status_code == 201
    assert len(taken_calls) == len(new_calls) == 1
    tally.record(SUITE + " (registration)", tried=2, failed=0)


def test_registration_with_a_taken_email_costs_the_same_hashing_as_a_new_one(api_client, user, hash_calls):
    taken, taken_calls = measured(hash_calls, lambda: api_client.post(
        "/api/v1/auth/register/", {"username": "another-name", "email": user.email.upper(),
                                   "password": "a quiet blue morning"}, format="json"))
    assert taken.json()["code"] == "email_taken"
    assert len(taken_calls) == 1


def test_password_change_with_a_wrong_current_password_costs_one_hash_and_changes_nothing(auth_client, user, hash_calls):
    response, calls = measured(hash_calls, lambda: auth_client.post(
        "/api/v1/auth/password/", {"current_password": "not-the-password-1", "new_password": "a brand new melody"},
        format="json"))
    assert response.status_code == 400
    assert response.json() == {"code": "wrong_password", "message": "The current password is not correct.",
                               "details": {"current_password": ["The current password is not correct."]}}
    assert len(calls) == 1
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)
    tally.record(SUITE + " (password change)", tried=1, failed=0)


def test_page_registration_costs_the_same_hashing_whether_the_name_is_taken_or_new(user, hash_calls):
    client = Client(REMOTE_ADDR="127.0.0.1")
    taken, taken_calls = measured(hash_calls, lambda: client.post(
        "/register/", {"username": user.username.upper(), "email": "fresh@example.com", "password": "a quiet blue morning"}))
    new, new_calls = measured(hash_calls, lambda: client.post(
        "/register/", {"username": "brand-new", "email": "brand-new@example.com", "password": "a quiet blue morning"}))
    assert taken.status_code == 400
    assert taken.context["form"].errors["username"] == ["That username is taken."]
    assert new.status_code == 302
    assert len(taken_calls) == len(new_calls) == 1
