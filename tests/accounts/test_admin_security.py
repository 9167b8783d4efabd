"""The Django admin: a password an admin sets and a deactivation end every session of the user."""

import pytest
from django.test import Client

from accounts.models import AuthSession
from tests.accounts import tally
from tests.accounts.admin_forms import form_data
from tests.conftest import login
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SUITE = "admin sessions"
NEW_PASSWORD = "a fresh harbour lantern"
BROWSER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


@pytest.fixture
def admin_browser(db) -> Client:
    admin = UserFactory(is_staff=True, is_superuser=True)
    client = Client(REMOTE_ADDR="127.0.0.5")
    client.force_login(admin)
    return client


def api(address: str = "127.0.0.1"):
    from rest_framework.test import APIClient

    return APIClient(REMOTE_ADDR=address)


def me(access: str) -> int:
    return api().get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Bearer {access}").status_code


def refresh(raw: str) -> int:
    return api().post("/api/v1/auth/refresh/", {"refresh": raw}, format="json").status_code


def signed_in_browser(user) -> Client:
    browser = Client(REMOTE_ADDR="127.0.0.9", HTTP_USER_AGENT=BROWSER_AGENT)
    assert browser.post("/login/", {"username": user.username, "password": DEFAULT_PASSWORD}).status_code == 302
    assert browser.get("/home/").status_code == 200
    return browser


def still_signed_in(browser: Client) -> bool:
    return browser.get("/home/").status_code == 200


def admin_post_change_form(admin_browser: Client, user, **changes):
    url = f"/admin/accounts/user/{user.pk}/change/"
    page = admin_browser.get(url)
    assert page.status_code == 200
    response = admin_browser.post(url, {**form_data(page.content.decode(), "user_form", **changes), "_save": "Save"})
    assert response.status_code == 302, response.content.decode()[:3000]
    return response


def admin_set_password(admin_browser: Client, user, password: str | None):
    url = f"/admin/accounts/user/{user.pk}/password/"
    assert admin_browser.get(url).status_code == 200
    data = ({"usable_password": "false", "unset-password": "1"} if password is None
            else {"usable_password": "true", "password1": password, "password2": password})
    response = admin_browser.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    return response


def test_an_admin_password_reset_ends_every_api_and_browser_session(admin_browser, user):
    pairs = [login(api(f"127.0.0.{n}"), user.username) for n in (1, 2)]
    browser = signed_in_browser(user)
    admin_set_password(admin_browser, user, NEW_PASSWORD)
    results = [me(pair["access"]) for pair in pairs] + [refresh(pair["refresh"]) for pair in pairs]
    assert results == [401] * 4
    assert not still_signed_in(browser)
    assert not AuthSession.objects.active().filter(user=user).exists()
    assert set(AuthSession.objects.filter(user=user).values_list("revoked_reason", flat=True)) == {"admin_password_reset"}
    login(api(), user.username, NEW_PASSWORD)  # the new password works, in a new session
    tally.record(SUITE, tried=len(results) + 1, failed=0)


def test_an_admin_disabling_password_login_ends_every_session(admin_browser, user):
    pair = login(api(), user.username)
    admin_set_password(admin_browser, user, None)
    assert (me(pair["access"]), refresh(pair["refresh"])) == (401, 401)
    tally.record(SUITE, tried=2, failed=0)


def test_deactivate_then_reactivate_revives_no_old_token_or_browser_session(admin_browser, user):
    pair = login(api(), user.username)
    browser = signed_in_browser(user)
    admin_post_change_form(admin_browser, user, is_active=None)  # unticked
    user.refresh_from_db()
    assert not user.is_active
    admin_post_change_form(admin_browser, user, is_active="on")
    user.refresh_from_db()
    assert user.is_active
    results = [me(pair["access"]), refresh(pair["refresh"])]
    assert results == [401, 401]
    assert not still_signed_in(browser)
    assert set(AuthSession.objects.filter(user=user).values_list("revoked_reason", flat=True)) == {"admin_deactivate"}
    login(api(), user.username)  # logging in again works
    tally.record(SUITE, tried=3, failed=0)


def test_an_ordinary_admin_edit_ends_no_session(admin_browser, user):
    pair = login(api(), user.username)
    admin_post_change_form(admin_browser, user, first_name="Renamed")
    user.refresh_from_db()
    assert user.first_name == "Renamed"
    assert me(pair["access"]) == 200


# The admin sign-in is under the login limits ---------------------------------------------

ADMIN_LOGIN = "/admin/login/"
ACCOUNT_LIMITED = "Too many failed sign-ins for this account. Please try again later."
WRONG = "not-the-password-1"


def admin_sign_in(client: Client, username: str, password: str):
    """A POST of the real admin login form, with the CSRF token the page handed out."""
    page = client.get(ADMIN_LOGIN)
    assert page.status_code == 200
    data = form_data(page.content.decode(), "login-form", username=username, password=password)
    return client.post(ADMIN_LOGIN, data)


def csrf_browser(address: str) -> Client:
    return Client(REMOTE_ADDR=address, enforce_csrf_checks=True)


def admin_signed_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


def test_the_admin_login_is_refused_after_the_account_budget_even_with_the_right_password(settings, staff_user):
    settings.RATELIMIT_LOGIN_ACCOUNT_FAILURES = "5/h"
    attempts = 120
    guesser = csrf_browser("127.0.1.1")
    checked = sum(admin_sign_in(guesser, staff_user.username, WRONG).status_code == 200  # "wrong password"
                  for _ in range(attempts))
    response = admin_sign_in(guesser, staff_user.username, DEFAULT_PASSWORD)
    assert response.status_code == 429
    assert ACCOUNT_LIMITED in response.content.decode()
    assert not admin_signed_in(guesser)
    assert not AuthSession.objects.filter(user=staff_user).exists()
    tally.record("rate limits (admin login)", tried=attempts + 1, failed=abs(checked - 5) + (response.status_code != 429))
    assert checked == 5
    # The guesser's failures do not lock the owner out of a clean address.
    owner = csrf_browser("127.0.2.1")
    assert admin_sign_in(owner, staff_user.username, DEFAULT_PASSWORD).status_code == 302
    assert admin_signed_in(owner)


def test_admin_login_failures_share_the_api_and_dashboard_account_budget(settings, staff_user):
    settings.RATELIMIT_LOGIN_ACCOUNT_FAILURES = "2/h"
    admin_sign_in(csrf_browser("127.0.3.1"), staff_user.username, WRONG)
    api("127.0.3.1").post("/api/v1/auth/login/", {"username": staff_user.email, "password": WRONG}, format="json")
    refused = api("127.0.3.1").post("/api/v1/auth/login/", {"username": staff_user.username,
                                                            "password": DEFAULT_PASSWORD}, format="json")
    assert refused.status_code == 429
    assert admin_sign_in(csrf_browser("127.0.3.1"), staff_user.username, DEFAULT_PASSWORD).status_code == 429


def test_the_admin_login_is_limited_per_address_whatever_account_it_names(settings):
    settings.RATELIMIT_LOGIN_ADDRESS_RATE = "3/h"
    staff = [UserFactory(is_staff=True) for _ in range(4)]
    browser = csrf_browser("127.0.4.1")
    statuses = [admin_sign_in(browser, account.username, WRONG).status_code for account in staff[:3]]
    assert statuses == [200, 200, 200]
    response = admin_sign_in(browser, staff[3].username, DEFAULT_PASSWORD)
    assert response.status_code == 429
    assert "Too many attempts from your network" in response.content.decode()
    assert not admin_signed_in(browser)
    assert not AuthSession.objects.filter(user=staff[3]).exists()
    # Another address is not limited, and the admin login still works.
    other = csrf_browser("127.0.4.2")
    assert admin_sign_in(other, staff[3].username, DEFAULT_PASSWORD).status_code == 302
    assert admin_signed_in(other)
    tally.record("rate limits (admin login)", tried=5, failed=0)


def test_the_admin_login_refuses_a_non_staff_user_with_the_right_password(user):
    browser = csrf_browser("127.0.5.1")
    response = admin_sign_in(browser, user.username, DEFAULT_PASSWORD)
    assert response.status_code == 200
    assert "staff account" in response.content.decode()
    assert not admin_signed_in(browser)


# Usernames never contain "@" ---------------------------------------------------------------

def test_the_admin_cannot_create_a_username_with_an_at_sign(admin_browser, user):
    page = admin_browser.get("/admin/accounts/user/add/")
    data = form_data(page.content.decode(), "user_form", username=user.email, usable_password="true",
                     password1=NEW_PASSWORD, password2=NEW_PASSWORD)
    response = admin_browser.post("/admin/accounts/user/add/", {**data, "_save": "Save"})
    assert response.status_code == 200
    assert "no @" in response.content.decode() or "./+/-/_" in response.content.decode()
    assert not type(user).objects.filter(username__iexact=user.email).exists()


def test_the_admin_still_creates_an_ordinary_user(admin_browser):
    page = admin_browser.get("/admin/accounts/user/add/")
    data = form_data(page.content.decode(), "user_form", username="new.painter", usable_password="true",
                     password1=NEW_PASSWORD, password2=NEW_PASSWORD)
    response = admin_browser.post("/admin/accounts/user/add/", {**data, "_save": "Save"})
    assert response.status_code == 302, response.content.decode()[:2000]
    login(api(), "new.painter", NEW_PASSWORD)
