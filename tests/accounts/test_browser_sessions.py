"""Dashboard logins are AuthSessions too: listed next to API clients, revocable the same way."""

import pytest
from django.test import Client

from accounts.models import AuthSession
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

BROWSER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


@pytest.fixture
def browser(user) -> Client:
    client = Client(REMOTE_ADDR="127.0.0.1", HTTP_USER_AGENT=BROWSER_AGENT)
    response = client.post("/login/", {"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    return client


def browser_session(user) -> AuthSession:
    return AuthSession.objects.get(user=user, kind=AuthSession.Kind.BROWSER)


def signed_in(browser: Client) -> bool:
    response = browser.get("/home/")
    return response.status_code == 200


def test_a_page_login_creates_a_browser_session_with_device_and_address(browser, user):
    session = browser_session(user)
    assert (session.user_agent, str(session.client_ip), session.revoked_at) == (BROWSER_AGENT, "127.0.0.1", None)
    assert signed_in(browser)


def test_the_api_lists_browser_sessions_beside_api_clients(browser, user, auth_client):
    sessions = auth_client.get("/api/v1/auth/sessions/").json()["results"]
    assert sorted((s["kind"], s["current"]) for s in sessions) == [("api", True), ("browser", False)]
    listed = next(s for s in sessions if s["kind"] == "browser")
    assert (listed["id"], listed["device"]) == (str(browser_session(user).pk), BROWSER_AGENT)


def test_revoking_a_browser_session_through_the_api_signs_the_browser_out_on_its_next_request(browser, user, auth_client):
    session_id = browser_session(user).pk
    assert auth_client.delete(f"/api/v1/auth/sessions/{session_id}/").status_code == 204
    response = browser.get("/home/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert not signed_in(browser)


def test_revoking_all_other_sessions_signs_browsers_out_too(browser, auth_client):
    assert auth_client.delete("/api/v1/auth/sessions/").json() == {"revoked": 1}
    assert not signed_in(browser)
    assert auth_client.get("/api/v1/auth/me/").status_code == 200


def test_an_api_password_change_signs_browsers_out(browser, auth_client):
    auth_client.post("/api/v1/auth/password/", {"current_password": DEFAULT_PASSWORD,
                                                "new_password": "a brand new melody"}, format="json")
    assert not signed_in(browser)


def test_a_page_logout_revokes_the_browser_session(browser, user):
    browser.post("/logout/")
    session = browser_session(user)
    assert (session.revoked_reason, session.revoked_at is not None) == ("logout", True)


def test_a_browser_calling_the_api_sees_its_own_session_as_current(browser, user):
    sessions = browser.get("/api/v1/auth/sessions/").json()["results"]
    assert [(s["kind"], s["current"]) for s in sessions] == [("browser", True)]


def test_a_browser_revoking_all_others_keeps_itself_signed_in(browser, user, auth_client):
    # The test client skips CSRF checks; their enforcement is covered in tests/controlpanel/test_envelope.py.
    assert browser.delete("/api/v1/auth/sessions/").json() == {"revoked": 1}
    assert signed_in(browser)
    assert auth_client.get("/api/v1/auth/me/").status_code == 401


def test_the_admin_revoke_action_signs_the_users_browsers_out_and_no_one_else(browser, user, staff_user, other_client):
    staff_user.is_superuser = True
    staff_user.save()
    admin = Client()
    admin.force_login(staff_user)
    admin.post("/admin/accounts/user/", {"action": "revoke_all_sessions", "_selected_action": [user.pk]})
    assert not signed_in(browser)
    assert other_client.get("/api/v1/auth/me/").json()["username"] == other_client.user.username
    assert admin.get("/admin/").status_code == 200


def test_the_admin_sessions_list_revokes_one_session(user, staff_user, auth_client):
    staff_user.is_superuser = True
    staff_user.save()
    admin = Client()
    admin.force_login(staff_user)
    target = AuthSession.objects.get(user=user, kind=AuthSession.Kind.API)
    listing = admin.get("/admin/accounts/authsession/")
    assert listing.status_code == 200
    response = admin.post("/admin/accounts/authsession/", {"action": "revoke", "_selected_action": [target.pk]},
                          follow=True)
    assert b"Revoked 1 session" in response.content
    assert auth_client.get("/api/v1/auth/me/").json()["code"] == "token_invalid"


def test_the_admin_user_page_shows_the_users_sessions_inline(browser, user, staff_user):
    staff_user.is_superuser = True
    staff_user.save()
    admin = Client()
    admin.force_login(staff_user)
    response = admin.get(f"/admin/accounts/user/{user.pk}/change/")
    assert response.status_code == 200
    assert BROWSER_AGENT in response.content.decode()
