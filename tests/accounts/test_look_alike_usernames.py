"""One name, one account: usernames are NFKC-normalised and compared by case folding and by their
look-alike letters (``username_key``), the same on SQLite and PostgreSQL."""

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from accounts.models import User
from accounts.validators import username_key
from tests.accounts import tally
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SUITE = "look-alike usernames"
PASSWORD = "a quiet blue morning"
LOOK_ALIKES = {
    "full-width": "ｄｅｍｏ",
    "cyrillic e": "d\u0435mo",
    "cyrillic o and a": "dem\u043e",
    "mathematical bold": "𝐝𝐞𝐦𝐨",
    "mathematical italic": "𝑑𝑒𝑚𝑜",
    "upper case": "DEMO",
    "full-width upper": "ＤＥＭＯ",
}


def api_register(client, username: str, n: int):
    return client.post("/api/v1/auth/register/", {"username": username, "email": f"person{n}@example.com",
                                                  "password": PASSWORD}, format="json")


def test_look_alikes_of_an_existing_name_are_taken_on_the_api(api_client):
    assert api_register(api_client, "demo", 0).status_code == 201
    failures = []
    for n, (case, name) in enumerate(LOOK_ALIKES.items(), start=1):
        response = api_register(api_client, name, n)
        if response.status_code != 400 or response.json()["code"] != "username_taken":
            failures.append(f"{case} ({name!r}): {response.status_code} {response.content[:200]!r}")
    figures = tally.record(SUITE + " (api)", tried=len(LOOK_ALIKES), failed=len(failures))
    assert not failures, f"{figures}\n" + "\n".join(failures)
    assert User.objects.count() == 1


def test_look_alikes_of_an_existing_name_are_taken_on_the_register_page():
    UserFactory(username="demo")
    failures = []
    for n, (case, name) in enumerate(LOOK_ALIKES.items(), start=1):
        response = Client(REMOTE_ADDR="127.0.0.1").post(
            "/register/", {"username": name, "email": f"person{n}@example.com", "password": PASSWORD})
        if response.status_code != 400 or "That username is taken." not in response.content.decode():
            failures.append(f"{case} ({name!r}): {response.status_code}")
    figures = tally.record(SUITE + " (register page)", tried=len(LOOK_ALIKES), failed=len(failures))
    assert not failures, f"{figures}\n" + "\n".join(failures)


def test_a_plain_name_is_taken_when_its_look_alike_registered_first(api_client):
    assert api_register(api_client, "d\u0435mo", 0).status_code == 201  # Cyrillic е first
    response = api_register(api_client, "demo", 1)
    assert response.status_code == 400
    assert response.json()["code"] == "username_taken"


def test_case_folding_is_unicode_case_folding_on_every_database(api_client):
    assert api_register(api_client, "Ärger", 0).status_code == 201
    assert api_register(api_client, "ärger", 1).json()["code"] == "username_taken"
    assert api_register(api_client, "Straße", 2).status_code == 201
    assert api_register(api_client, "STRASSE", 3).json()["code"] == "username_taken"
    tally.record(SUITE + " (api)", tried=2, failed=0)


def test_the_database_refuses_a_second_account_with_the_same_key_however_it_is_written():
    UserFactory(username="Ärger")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(username="ärger")


def test_full_width_names_are_stored_normalised_and_log_in_either_way(api_client):
    assert api_register(api_client, "ｐａｉｎｔｅｒ", 0).status_code == 201
    assert User.objects.get().username == "painter"
    for name in ("painter", "ｐａｉｎｔｅｒ", "PAINTER"):
        response = api_client.post("/api/v1/auth/login/", {"username": name, "password": PASSWORD}, format="json")
        assert response.status_code == 200, name


def test_ordinary_and_different_names_still_register(api_client):
    names = ["Ärger", "Anger", "ärgern", "demo", "demos", "user1", "userl", "渡辺崋山", "Иван", "first.last"]
    statuses = [api_register(api_client, name, n).status_code for n, name in enumerate(names)]
    assert statuses == [201] * len(names)
    assert len({username_key(name) for name in names}) == len(names)


@pytest.mark.parametrize(("name", "key"), [("ｄｅｍｏ", "demo"), ("d\u0435mo", "demo"), ("𝐝𝐞𝐦𝐨", "demo"),
                                           ("Ärger", "ärger"), ("Straße", "strasse"), ("渡辺", "渡辺")])
def test_username_key(name, key):
    assert username_key(name) == key
