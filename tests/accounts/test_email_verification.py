"""E-mail verification: links at registration and on every change, changes need the password and
take effect only once verified, and report/progress e-mails go only to verified addresses."""

import re

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import verification
from accounts.models import User, UserPreferences
from telemetry.selectors.reports import report_recipients
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"/account/email/verify/(?P<token>[^/\s]+)/")
NEW = "diamond-practice-2027"


def token_from(mail) -> str:
    match = LINK.search(mail.body)
    assert match, mail.body
    return match["token"]


def verify(client, token: str):
    return client.post("/api/v1/auth/email/verify/", {"token": token}, format="json")


def test_api_registration_sends_a_verification_email_and_the_link_verifies(api_client, mailoutbox):
    response = api_client.post("/api/v1/auth/register/", {"username": "newbie", "email": "Newbie@Example.com",
                                                          "password": NEW}, format="json")
    assert response.status_code == 201
    assert response.json()["user"]["email_verified_at"] is None
    assert [mail.to for mail in mailoutbox] == [["newbie@example.com"]]
    answer = verify(APIClient(), token_from(mailoutbox[0]))
    assert answer.status_code == 200
    assert answer.json() == {"email": "newbie@example.com", "email_verified": True, "pending_email": ""}
    assert User.objects.get(username="newbie").email_verified_at is not None
    again = verify(APIClient(), token_from(mailoutbox[0]))
    assert again.status_code == 400 and again.json()["code"] == "invalid_token"


def test_page_registration_sends_a_verification_email_and_the_page_verifies(mailoutbox):
    browser = Client()
    response = browser.post("/register/", {"username": "pagenewbie", "email": "pagenewbie@example.com",
                                           "password": NEW, "password_again": NEW})
    assert response.status_code == 302, response.content
    assert [mail.to for mail in mailoutbox] == [["pagenewbie@example.com"]]
    page = browser.get(f"/account/email/verify/{token_from(mailoutbox[0])}/", follow=True)
    assert page.status_code == 200 and b"Your e-mail address is verified." in page.content
    assert User.objects.get(username="pagenewbie").email_verified_at is not None


def test_an_email_change_with_a_wrong_password_is_refused(auth_client, user, mailoutbox):
    response = auth_client.post("/api/v1/auth/email/", {"email": "new@example.com", "current_password": "nope"},
                                format="json")
    assert response.status_code == 400 and response.json()["code"] == "wrong_password"
    user.refresh_from_db()
    assert user.pending_email == "" and not mailoutbox


def test_the_old_address_stays_until_the_new_one_is_verified(auth_client, user, mailoutbox):
    old = user.email
    response = auth_client.post("/api/v1/auth/email/", {"email": "New@Example.com", "current_password": DEFAULT_PASSWORD},
                                format="json")
    assert response.status_code == 202
    assert response.json()["pending_email"] == "new@example.com" and response.json()["email"] == old
    assert [mail.to for mail in mailoutbox] == [["new@example.com"]]
    me = auth_client.get("/api/v1/auth/me/").json()
    assert me["email"] == old and me["pending_email"] == "new@example.com"
    assert verify(APIClient(), token_from(mailoutbox[0])).status_code == 200
    user.refresh_from_db()
    assert (user.email, user.pending_email) == ("new@example.com", "")
    assert user.email_verified_at is not None
    assert verify(APIClient(), token_from(mailoutbox[0])).status_code == 400  # used


def test_patch_me_no_longer_changes_the_email(auth_client, user):
    response = auth_client.patch("/api/v1/auth/me/", {"email": "other@example.com"}, format="json")
    assert response.status_code == 400
    assert "auth/email/" in response.json()["details"]["email"][0]
    user.refresh_from_db()
    assert user.email != "other@example.com"


@pytest.mark.parametrize("token", ["", "garbage", "a:b:c", "x" * 900])
def test_forged_tokens_are_refused(api_client, token):
    response = verify(api_client, token)
    assert response.status_code == 400


def test_a_token_signed_with_another_salt_or_for_another_address_is_refused(api_client, user):
    forged = signing.dumps({"u": user.pk, "e": user.email}, salt="something.else", compress=True)
    assert verify(api_client, forged).json()["code"] == "invalid_token"
    other = verification.verification_token(user=user, email="not-pending@example.com")
    assert verify(api_client, other).json()["code"] == "invalid_token"


def test_an_expired_token_is_refused(api_client, mailoutbox, settings):
    user = UserFactory(email_verified_at=None)
    verification.send_verification(user=user)
    settings.EMAIL_VERIFY_MAX_AGE = -1
    assert verify(api_client, token_from(mailoutbox[0])).json()["code"] == "invalid_token"


def test_the_email_page_changes_through_a_link_with_the_current_password(page_user_client, user, mailoutbox):
    wrong = page_user_client.post("/account/email/", {"email": "n@example.com", "current_password": "nope"})
    assert wrong.status_code == 400
    ok = page_user_client.post("/account/email/", {"email": "n@example.com", "current_password": DEFAULT_PASSWORD},
                               follow=True)
    assert ok.status_code == 200 and b"n@example.com" in ok.content and user.email.encode() in ok.content
    user.refresh_from_db()
    assert user.email != "n@example.com" and user.pending_email == "n@example.com"


@pytest.fixture
def page_user_client(user):
    client = Client()
    client.force_login(user)
    return client


def test_unverified_learners_get_no_weekly_progress_email_and_unverified_staff_no_reports(settings):
    from progress.weekly_email import weekly_email_recipients

    settings.REPORT_EMAIL_STAFF = True
    settings.REPORT_EMAIL_TO = ["ops@example.com"]
    verified = UserFactory(email_verified_at=timezone.now())
    unverified = UserFactory()
    UserPreferences.objects.filter(user__in=[verified, unverified]).update(weekly_progress_email=True)
    assert list(weekly_email_recipients()) == [verified]
    UserFactory(is_staff=True, email="staff-unverified@example.com")
    UserFactory(is_staff=True, email="staff-verified@example.com", email_verified_at=timezone.now())
    assert report_recipients() == ["staff-verified@example.com", "ops@example.com"]


def test_createsuperuser_staff_count_as_verified():
    admin = User.objects.create_superuser("root-admin", "root@example.com", "x-very-long-passphrase-9")
    assert admin.email_verified_at is not None
    assert "root@example.com" in report_recipients()
