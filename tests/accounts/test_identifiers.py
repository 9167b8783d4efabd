"""Login identifiers are unambiguous: usernames never contain "@", so an identifier with "@" is an
e-mail address and one without is a username; nobody can squat another person's e-mail login."""

import pytest
from django.test import Client

from accounts.models import User
from tests.accounts import tally
from tests.conftest import login
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SUITE = "identifiers"
PASSWORD = "a quiet blue morning"
AT_NAMES = ["victim@example.com", "a@b", "@home", "name@", "VICTIM@EXAMPLE.COM", "x@y.z"]


def api_register(client, username: str, email: str):
    return client.post("/api/v1/auth/register/", {"username": username, "email": email, "password": PASSWORD},
                       format="json")


def test_the_api_refuses_usernames_with_an_at_sign(api_client):
    failures = []
    for n, name in enumerate(AT_NAMES):
        response = api_register(api_client, name, f"squatter{n}@example.com")
        if response.status_code != 400 or "username" not in response.json()["details"]:
            failures.append(f"{name}: {response.status_code}")
    figures = tally.record(SUITE + " (registration)", tried=len(AT_NAMES), failed=len(failures))
    assert not failures, figures
    assert not User.objects.filter(username__contains="@").exists()


def test_the_register_page_refuses_usernames_with_an_at_sign():
    failures = []
    for n, name in enumerate(AT_NAMES):
        response = Client(REMOTE_ADDR="127.0.0.1").post(
            "/register/", {"username": name, "email": f"squatter{n}@example.com", "password": PASSWORD})
        if response.status_code != 400:
            failures.append(f"{name}: {response.status_code}")
    figures = tally.record(SUITE + " (register page)", tried=len(AT_NAMES), failed=len(failures))
    assert not failures, figures
    assert not User.objects.filter(username__contains="@").exists()


def test_the_model_validator_refuses_an_at_sign():
    from django.core.exceptions import ValidationError

    user = User(username="someone@example.com", email="someone@example.com")
    with pytest.raises(ValidationError) as caught:
        user.full_clean(exclude=["password"])
    assert "username" in caught.value.message_dict


def test_a_username_equal_to_an_email_registered_first_cannot_break_that_email_login(api_client):
    """Even a row written around the validators (older data) cannot take over an e-mail login."""
    squatter = UserFactory(username="victim@example.com", email="squatter@example.com")
    victim = UserFactory(username="victim", email="victim@example.com")
    response = api_client.post("/api/v1/auth/login/", {"username": "victim@example.com", "password": DEFAULT_PASSWORD},
                               format="json")
    assert response.status_code == 200
    me = api_client.get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert me.json()["username"] == victim.username
    assert squatter.pk != victim.pk


def test_an_identifier_without_an_at_is_only_a_username(api_client):
    UserFactory(username="painter", email="painter@example.com")
    UserFactory(username="other", email="other@example.com")
    login(api_client, "painter")
    login(api_client, "PAINTER@example.com")
    bad = api_client.post("/api/v1/auth/login/", {"username": "other@example", "password": DEFAULT_PASSWORD},
                          format="json")
    assert bad.status_code == 401


def test_ordinary_usernames_still_register(api_client):
    names = ["painter", "first.last", "a-b_c+d", "Ärger", "渡辺崋山"]
    statuses = [api_register(api_client, name, f"person{n}@example.com").status_code for n, name in enumerate(names)]
    assert statuses == [201] * len(names)
