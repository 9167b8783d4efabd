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
