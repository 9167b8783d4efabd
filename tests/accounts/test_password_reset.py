"""Password reset by e-mail: the link works once, expires, ends every session, and tells nobody
which accounts exist (same status, body and hashing work for known and unknown identifiers)."""

import re

import bcrypt
import pytest
from django.conf import settings as django_settings
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import AuthSession
from tests.accounts import tally
from tests.conftest import login
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SUITE = "password reset enumeration"
NEW_PASSWORD = "lantern-orchard-2027"
LINK = re.compile(r"/password/reset/(?P<uid>[^/\s]+)/(?P<token>[^/\s]+)/")


@pytest.fixture
def hash_calls(monkeypatch) -> list[bytes]:
    calls: list[bytes] = []
    real_hashpw = bcrypt.hashpw

    def counting_hashpw(password, salt):
        calls.append(salt)
        return real_hashpw(password, salt)

    monkeypatch.setattr(bcrypt, "hashpw", counting_hashpw)
    return calls


def request_reset(client, identifier: str):
    return client.post("/api/v1/auth/password/reset/", {"identifier": identifier}, format="json")


def confirm(client, uid: str, token: str, new_password: str = NEW_PASSWORD):
    return client.post("/api/v1/auth/password/reset/confirm/",
                       {"uid": uid, "token": token, "new_password": new_password}, format="json")


def link_from(mail) -> dict:
    match = LINK.search(mail.body)
    assert match, mail.body
    assert mail.body[:match.start()].rstrip().endswith(django_settings.SITE_URL) or django_settings.SITE_URL in mail.body
    return match.groupdict()


def test_a_reset_request_e_mails_a_link_to_the_account(api_client, user, mailoutbox):
    response = request_reset(api_client, user.email)
    assert response.status_code == 202
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [user.email]
    assert f"{django_settings.SITE_URL}/password/reset/" in mailoutbox[0].body


def test_a_username_names_the_account_too(api_client, user, mailoutbox):
    assert request_reset(api_client, user.username.upper()).status_code == 202
    assert [mail.to for mail in mailoutbox] == [[user.email]]


def test_the_link_sets_the_password_once(api_client, user, mailoutbox):
    request_reset(api_client, user.email)
    link = link_from(mailoutbox[0])
    response = confirm(api_client, link["uid"], link["token"])
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    again = confirm(api_client, link["uid"], link["token"], "another-orchard-2028")
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_token"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_an_expired_link_is_refused(api_client, user, mailoutbox, settings):
    request_reset(api_client, user.email)
    link = link_from(mailoutbox[0])
    settings.PASSWORD_RESET_TIMEOUT = -1
    response = confirm(api_client, link["uid"], link["token"])
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


@pytest.mark.parametrize(("uid", "token"), [("MQ", "nope-nope"), ("", "x"), ("%%%", "a-b"), ("OTk5OTk5", "abc-def"),
                                       ("bm90LWEtbnVtYmVy", "abc-def"), ("A" * 64, "B" * 128)])
def test_forged_links_are_refused(api_client, user, uid, token):
    response = confirm(api_client, uid, token)
    assert response.status_code == 400
    assert response.json()["code"] in {"invalid_token", "validation_error"}


def test_the_confirm_ends_every_api_token_and_browser_session(api_client, user, mailoutbox):
    tokens = login(APIClient(REMOTE_ADDR="127.0.0.9"), user.username)
    browser = Client(REMOTE_ADDR="127.0.0.8")
    assert browser.post("/login/", {"username": user.username, "password": DEFAULT_PASSWORD}).status_code == 302
    assert browser.get("/home/").status_code == 200
    request_reset(api_client, user.email)
    link = link_from(mailoutbox[0])
    assert confirm(api_client, link["uid"], link["token"]).json()["revoked"] == 2
    assert not AuthSession.objects.active().filter(user=user).exists()
    bearer = APIClient(REMOTE_ADDR="127.0.0.9", HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert bearer.get("/api/v1/auth/me/").status_code == 401
    refresh = api_client.post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert refresh.status_code == 401
    assert browser.get("/home/").status_code == 302


def test_weak_new_passwords_are_refused_with_the_validators_messages(api_client, user, mailoutbox):
    request_reset(api_client, user.email)
    link = link_from(mailoutbox[0])
    response = confirm(api_client, link["uid"], link["token"], "123")
    assert response.status_code == 400
    body = response.json()
    assert body["details"]["new_password"]
    assert any("too short" in message or "numeric" in message for message in body["details"]["new_password"])
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)
    assert confirm(api_client, link["uid"], link["token"]).status_code == 200  # the link still works once


def test_known_and_unknown_identifiers_get_identical_answers_and_work(hash_calls, mailoutbox):
    known = UserFactory(username="reset-known", email="reset-known@example.com")
    inactive = UserFactory(is_active=False)
    cases = {"known e-mail": known.email, "known username": known.username, "unknown e-mail": "nobody@example.com",
             "unknown username": "nobody-at-all", "inactive": inactive.email, "empty-ish": " "}
    answers = {}
    for name, identifier in cases.items():
        client = APIClient(REMOTE_ADDR="127.0.0.50")
        hash_calls.clear()
        response = request_reset(client, identifier)
        answers[name] = (response.status_code, response.content, len(hash_calls))
    reference = answers["unknown e-mail"]
    failed = [name for name, answer in answers.items() if name != "empty-ish" and answer != reference]
    print(tally.record(SUITE, tried=len(cases) - 1, failed=len(failed)))
    assert not failed, answers
    assert reference[0] == 202 and reference[2] == 1
    assert len(mailoutbox) == 2  # the known account, named two ways


def test_the_pages_answer_the_same_for_known_and_unknown_identifiers(user, mailoutbox):
    bodies = []
    for identifier in (user.email, "nobody@example.com"):
        client = Client(REMOTE_ADDR="127.0.0.60")
        response = client.post("/password/reset/", {"identifier": identifier}, follow=True)
        assert response.status_code == 200
        bodies.append(response.content)
    assert bodies[0] == bodies[1]
    assert len(mailoutbox) == 1


def test_per_account_limit_gives_429_with_retry_after(settings, user):
    settings.RATELIMIT_PASSWORD_RESET_ACCOUNT_RATE = "2/h"
    answers = [request_reset(APIClient(REMOTE_ADDR=f"10.0.0.{n}"), user.email) for n in range(1, 4)]
    assert [a.status_code for a in answers] == [202, 202, 429]
    assert int(answers[-1]["Retry-After"]) >= 1
    # the same account named by its username shares the budget; an unknown name is limited alike
    assert request_reset(APIClient(REMOTE_ADDR="10.0.0.9"), user.username).status_code == 429
    unknown = [request_reset(APIClient(REMOTE_ADDR=f"10.0.1.{n}"), "ghost@example.com").status_code for n in range(3)]
    assert unknown == [202, 202, 429]


def test_per_address_limit_gives_429_with_retry_after(settings):
    settings.RATELIMIT_PASSWORD_RESET_ADDRESS_RATE = "3/h"
    client = APIClient(REMOTE_ADDR="10.0.2.1")
    answers = [request_reset(client, f"someone{n}@example.com") for n in range(4)]
    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    assert answers[-1].json()["code"] == "rate_limited"
    assert int(answers[-1]["Retry-After"]) >= 1
    page = Client(REMOTE_ADDR="10.0.2.1").post("/password/reset/", {"identifier": "x@example.com"})
    assert page.status_code == 429


def test_the_page_flow_sets_the_password_and_sends_to_login(user, mailoutbox):
    login_page = Client().get("/login/")
    assert b'href="/password/reset/"' in login_page.content
    browser = Client(REMOTE_ADDR="127.0.0.70")
    assert browser.get("/password/reset/").status_code == 200
    response = browser.post("/password/reset/", {"identifier": user.username})
    assert response.status_code == 302 and response["Location"] == "/password/reset/sent/"
    link = link_from(mailoutbox[0])
    url = f"/password/reset/{link['uid']}/{link['token']}/"
    assert browser.get(url).status_code == 200
    weak = browser.post(url, {"new_password": "123", "new_password_again": "123"})
    assert weak.status_code == 400
    done = browser.post(url, {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}, follow=True)
    assert done.redirect_chain[-1][0] == "/login/"
    assert b"Your password is set" in done.content
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert browser.get(url).status_code == 400  # used
