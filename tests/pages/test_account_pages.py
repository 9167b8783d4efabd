"""Public pages, sign-in and registration, and the account pages (profile, password, sessions)."""

import pytest
from django.test import Client

from accounts.models import AuthSession, User
from tests.conftest import login
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.pages.conftest import assert_clean_html, signed_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-long-practice-phrase"


def test_landing_explains_the_product_to_visitors(client):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Crazy Diamonds" in html
    assert 'href="/register/"' in html and 'href="/login/"' in html
    assert_clean_html(html)


def test_landing_sends_signed_in_learners_home(page_client):
    response = page_client.get("/")
    assert response.status_code == 302 and response["Location"] == "/home/"


def test_pages_carry_a_csp_without_inline_script(client):
    response = client.get("/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_register_with_bad_input_shows_errors_next_to_fields(client):
    UserFactory(username="taken")
    response = client.post("/register/", {"username": "taken", "email": "not-an-email", "password": "123"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "That username is taken." in html
    assert "Enter a valid email address." in html
    assert 'aria-invalid="true"' in html
    assert 'id="id_username_error"' in html
    assert not User.objects.filter(email="not-an-email").exists()


def test_register_rejects_a_common_password_on_the_password_field(client):
    response = client.post("/register/", {"username": "newcomer", "email": "new@example.com", "password": "password123"})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_password_error"' in html and "too common" in html
    assert not User.objects.filter(username="newcomer").exists()


def test_register_signs_the_learner_in_and_lands_on_home(client):
    response = client.post("/register/", {"username": "newcomer", "email": "new@example.com", "password": DEFAULT_PASSWORD},
                           follow=True)
    assert response.redirect_chain[-1][0] == "/home/"
    assert "Welcome to Control Panel, newcomer!" in response.content.decode()
    user = User.objects.get(username="newcomer")
    assert AuthSession.objects.filter(user=user, kind=AuthSession.Kind.BROWSER).count() == 1


def test_login_with_a_wrong_password_shows_one_message_and_no_session(client, user):
    response = client.post("/login/", {"username": user.username, "password": "wrong-password-here"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Unable to log in with that username/e-mail and password." in html
    assert not AuthSession.objects.filter(user=user).exists()


def test_login_with_an_empty_form_marks_both_fields(client):
    response = client.post("/login/", {"username": "", "password": ""})
    html = response.content.decode()
    assert 'id="id_username_error"' in html and 'id="id_password_error"' in html


def test_login_without_csrf_token_is_refused(user):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 403
    assert "security token" in response.content.decode()
    assert not AuthSession.objects.filter(user=user).exists()


def test_login_by_email_lands_on_home(client, user):
    response = client.post("/login/", {"username": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/home/"


def test_login_rate_limited_shows_a_friendly_message(client, user, settings):
    settings.RATELIMIT_LOGIN_ADDRESS_RATE = "2/h"
    for _ in range(2):
        client.post("/login/", {"username": user.username, "password": "wrong-password-here"})
    response = client.post("/login/", {"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 429
    assert "Too many attempts from your network" in response.content.decode()
    assert not AuthSession.objects.filter(user=user).exists()


def test_register_rate_limited_shows_a_friendly_message(client, settings):
    settings.RATELIMIT_REGISTER_ADDRESS_RATE = "1/h"
    client.post("/register/", {"username": "first", "email": "first@example.com", "password": "1"})
    response = client.post("/register/", {"username": "second", "email": "second@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 429
    assert "Too many attempts from your network" in response.content.decode()
    assert not User.objects.filter(username="second").exists()


def test_logout_needs_post(page_client):
    assert page_client.get("/logout/").status_code == 405
    assert page_client.get("/account/").status_code == 200


def test_logout_ends_the_browser_session(page_client, user):
    response = page_client.post("/logout/", follow=True)
    assert "You are signed out." in response.content.decode()
    assert not AuthSession.objects.active().filter(user=user).exists()
    assert page_client.get("/account/")["Location"].startswith("/login/")


def test_account_pages_need_sign_in(client):
    for path in ("/account/", "/account/password/", "/account/sessions/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == f"/login/?next={path}"


def test_profile_shows_account_details_and_preferences(page_client, user):
    response = page_client.get("/account/")
    html = response.content.decode()
    assert response.status_code == 200
    assert user.username in html and user.email in html
    for label in ("Theme", "Use turbo search by default", "Preferred lesson style", "Daily goal (minutes)", "Time zone",
                  "E-mail me my weekly progress summary"):
        assert f">{label}</label>" in html
    assert "You don't receive the weekly progress e-mail." in html
    assert_clean_html(html)


def test_saving_preferences_applies_the_theme_to_every_page(page_client, user):
    response = page_client.post("/account/", {
        "action": "preferences", "prefs-theme": "dark", "prefs-preferred_style": "musical",
        "prefs-daily_goal_minutes": "45", "prefs-time_zone": "Europe/Berlin", "prefs-weekly_progress_email": "on",
    }, follow=True)
    assert "Your preferences are saved." in response.content.decode()
    assert f"You receive a weekly progress e-mail at <strong>{user.email}</strong>" in response.content.decode()
    assert '<html lang="en" data-theme="dark">' in page_client.get("/home/").content.decode()
    user.preferences.refresh_from_db()
    prefs = user.preferences
    assert (prefs.theme, prefs.preferred_style, prefs.daily_goal_minutes, prefs.time_zone) == ("dark", "musical", 45, "Europe/Berlin")
    assert prefs.weekly_progress_email is True and prefs.turbo_default is False


def test_preferences_out_of_range_show_field_errors(page_client, user):
    response = page_client.post("/account/", {"action": "preferences", "prefs-theme": "neon", "prefs-daily_goal_minutes": "999",
                                              "prefs-time_zone": "Mars/Olympus"})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_prefs-theme_error"' in html and 'id="id_prefs-daily_goal_minutes_error"' in html
    assert 'id="id_prefs-time_zone_error"' in html
    user.preferences.refresh_from_db()
    assert user.preferences.theme == "system" and user.preferences.daily_goal_minutes == 20


def test_profile_email_taken_by_someone_else_is_a_field_error(page_client, other_user):
    response = page_client.post("/account/email/", {"email": other_user.email.upper(), "current_password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    assert "That e-mail is already registered." in response.content.decode()


def test_profile_details_are_saved(page_client, user):
    page_client.post("/account/", {"action": "profile", "profile-email": "New@Example.com", "profile-first_name": "Ada"})
    user.refresh_from_db()
    assert (user.email, user.first_name) == (f"{user.username}@example.com", "Ada")  # e-mail: /account/email/


def test_password_change_with_wrong_current_password_is_a_field_error(page_client, user):
    response = page_client.post("/account/password/", {"current_password": "not-my-password", "new_password": NEW_PASSWORD,
                                                       "new_password_again": NEW_PASSWORD})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_current_password_error"' in html and "The current password is not correct." in html
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_password_change_shows_every_problem_with_the_new_password_at_once(page_client):
    response = page_client.post("/account/password/", {"current_password": DEFAULT_PASSWORD, "new_password": "12345",
                                                       "new_password_again": "54321"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "too short" in html and "entirely numeric" in html and "The two new passwords differ." in html


def test_password_change_with_mismatched_new_passwords_is_a_field_error(page_client):
    response = page_client.post("/account/password/", {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD,
                                                       "new_password_again": NEW_PASSWORD + "x"})
    assert response.status_code == 400
    assert "The two new passwords differ." in response.content.decode()


def test_password_change_keeps_this_browser_and_ends_other_sessions(page_client, user, api_client):
    tokens = login(api_client, user.username)
    response = page_client.post("/account/password/", {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD,
                                                       "new_password_again": NEW_PASSWORD}, follow=True)
    assert "Your password is changed. 1 other session ended." in response.content.decode()
    assert page_client.get("/account/").status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api_client.get("/api/v1/auth/me/").status_code == 401


def test_sessions_page_lists_browser_and_api_sessions_and_marks_this_one(page_client, user, api_client):
    login(api_client, user.username, HTTP_USER_AGENT="python-requests/2.32")
    html = page_client.get("/account/sessions/").content.decode()
    assert "Firefox on Linux" in html and "This browser" in html
    assert "Python requests" in html and "API client" in html
    assert html.count("/revoke/") == 1


def test_revoking_one_session_ends_its_api_token(page_client, user, api_client):
    tokens = login(api_client, user.username)
    session = AuthSession.objects.get(user=user, kind=AuthSession.Kind.API)
    response = page_client.post(f"/account/sessions/{session.pk}/revoke/", follow=True)
    assert "The session is ended" in response.content.decode()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api_client.get("/api/v1/auth/me/").status_code == 401
    assert page_client.get("/account/sessions/").status_code == 200


def test_revoking_another_users_session_changes_nothing(page_client, other_user, api_client):
    login(api_client, other_user.username)
    session = AuthSession.objects.get(user=other_user)
    response = page_client.post(f"/account/sessions/{session.pk}/revoke/", follow=True)
    assert "That session has already ended." in response.content.decode()
    session.refresh_from_db()
    assert session.revoked_at is None


def test_revoke_others_keeps_only_this_browser(page_client, user, api_client):
    login(api_client, user.username)
    second_browser = signed_in(user)
    response = page_client.post("/account/sessions/revoke-others/", follow=True)
    assert "2 other sessions ended." in response.content.decode()
    assert AuthSession.objects.active().filter(user=user).count() == 1
    assert second_browser.get("/account/")["Location"].startswith("/login/")


def test_session_revoke_needs_csrf(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    other = signed_in(user)
    session_ids = list(AuthSession.objects.filter(user=user).values_list("pk", flat=True))
    response = client.post(f"/account/sessions/{session_ids[0]}/revoke/")
    assert response.status_code == 403
    assert AuthSession.objects.active().filter(user=user).count() == 2
    assert other.get("/account/").status_code == 200
