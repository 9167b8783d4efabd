"""Registration, login, refresh rotation, logout, me, sessions and password change."""

import pytest
from rest_framework.test import APIClient

from accounts.models import AuthSession, User
from tests.conftest import login
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def bearer(token: str) -> APIClient:
    client = APIClient(REMOTE_ADDR="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_register_creates_user_and_returns_working_token_pair(api_client):
    response = api_client.post(
        "/api/v1/auth/register/",
        {"username": "Painter", "email": "Painter@Example.com", "password": "a quiet blue morning"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["user"]["username"] == "Painter"
    assert body["user"]["email"] == "painter@example.com"
    assert "password" not in body["user"]
    assert response["Cache-Control"] == "no-store"
    me = bearer(body["tokens"]["access"]).get("/api/v1/auth/me/")
    assert me.json()["username"] == "Painter"
    user = User.objects.get(username="Painter")
    assert user.password.startswith("bcrypt_sha256$")
    assert hasattr(user, "preferences")


def test_register_applies_django_password_validators(api_client):
    response = api_client.post(
        "/api/v1/auth/register/", {"username": "weak", "email": "weak@example.com", "password": "12345678"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert "password" in body["details"]
    assert not User.objects.filter(username="weak").exists()


def test_register_refuses_username_taken_in_another_case(api_client, user):
    response = api_client.post(
        "/api/v1/auth/register/",
        {"username": user.username.upper(), "email": "new@example.com", "password": "a quiet blue morning"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "username_taken"


def test_register_refuses_email_taken_in_another_case(api_client, user):
    response = api_client.post(
        "/api/v1/auth/register/",
        {"username": "someone-new", "email": user.email.upper(), "password": "a quiet blue morning"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "email_taken"


@pytest.mark.parametrize("password", ["x" * 1000, "pässwörd-ünïcødé-密码-🎨🎶", "a" * 72 + "b" * 64])
def test_long_and_non_ascii_passwords_register_and_log_in(api_client, password):
    response = api_client.post(
        "/api/v1/auth/register/", {"username": "longpass", "email": "lp@example.com", "password": password}, format="json"
    )
    assert response.status_code == 201, response.content
    login(api_client, "longpass", password)
    # bcrypt alone would ignore bytes after 72; the SHA-256 pre-hash must not.
    wrong = api_client.post("/api/v1/auth/login/", {"username": "longpass", "password": password[:-1] + "!"}, format="json")
    assert wrong.status_code == 401


def test_password_over_the_maximum_is_a_validation_error(api_client):
    response = api_client.post(
        "/api/v1/auth/register/", {"username": "huge", "email": "huge@example.com", "password": "x" * 5000}, format="json"
    )
    assert response.status_code == 400
    assert "password" in response.json()["details"]


def test_login_by_username_or_email_in_any_case(api_client, user):
    for identifier in (user.username, user.username.upper(), user.email.upper()):
        body = login(api_client, identifier)
        assert body["access"] and body["refresh"]


def test_login_response_is_not_cached(api_client, user):
    response = api_client.post("/api/v1/auth/login/", {"username": user.username, "password": DEFAULT_PASSWORD}, format="json")
    assert response["Cache-Control"] == "no-store"


def test_unknown_user_and_wrong_password_get_identical_answers(api_client, user):
    unknown = api_client.post("/api/v1/auth/login/", {"username": "nobody-here", "password": "whatever-123"}, format="json")
    wrong = api_client.post("/api/v1/auth/login/", {"username": user.username, "password": "whatever-123"}, format="json")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json() == {
        "code": "invalid_credentials",
        "message": "Unable to log in with the provided credentials.",
        "details": {},
    }


def test_inactive_user_cannot_log_in_and_gets_the_same_answer(api_client):
    inactive = UserFactory(is_active=False)
    response = api_client.post("/api/v1/auth/login/", {"username": inactive.username, "password": DEFAULT_PASSWORD}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_login_records_a_session_with_device_and_address(api_client, user):
    api_client.post("/api/v1/auth/login/", {"username": user.username, "password": DEFAULT_PASSWORD}, format="json",
                    HTTP_USER_AGENT="Sketchbook/1.0")
    session = AuthSession.objects.get(user=user)
    assert session.user_agent == "Sketchbook/1.0"
    assert session.client_ip == "127.0.0.1"
    assert session.kind == AuthSession.Kind.API
    assert session.revoked_at is None


def test_refresh_rotates_and_the_old_refresh_dies(api_client, tokens):
    first = api_client.post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert first.status_code == 200
    new = first.json()
    assert new["refresh"] != tokens["refresh"]
    assert bearer(new["access"]).get("/api/v1/auth/me/").status_code == 200
    replay = api_client.post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert replay.status_code == 401
    assert replay.json()["code"] == "token_invalid"


def test_replaying_a_rotated_refresh_revokes_the_whole_session(api_client, tokens):
    new = api_client.post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json").json()
    api_client.post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json")
    # The legitimate holder's newest tokens die too: the family is compromised.
    assert bearer(new["access"]).get("/api/v1/auth/me/").status_code == 401
    assert api_client.post("/api/v1/auth/refresh/", {"refresh": new["refresh"]}, format="json").status_code == 401
    assert AuthSession.objects.get().revoked_reason == "refresh_reuse"


def test_refresh_for_deleted_user_is_401_not_500(api_client, user, tokens):
    user.delete()
    response = api_client.post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


def test_refresh_for_inactive_user_is_refused(api_client, user, tokens):
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert api_client.post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json").status_code == 401
    assert bearer(tokens["access"]).get("/api/v1/auth/me/").status_code == 401


def test_logout_kills_access_and_refresh_at_once(api_client, tokens):
    client = bearer(tokens["access"])
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert client.get("/api/v1/auth/me/").status_code == 401
    assert api_client.post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json").status_code == 401


def test_logout_ends_only_that_session(api_client, user, tokens):
    other = login(api_client, user.username)
    bearer(tokens["access"]).post("/api/v1/auth/logout/")
    assert bearer(other["access"]).get("/api/v1/auth/me/").status_code == 200


def test_me_patch_refuses_fields_outside_the_allow_list_and_changes_nothing(auth_client, user):
    response = auth_client.patch(
        "/api/v1/auth/me/",
        {"first_name": "Ada", "is_staff": True, "is_superuser": True, "username": "root"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert set(response.json()["details"]) == {"is_staff", "is_superuser", "username"}
    user.refresh_from_db()
    assert user.first_name != "Ada"
    assert not user.is_staff and not user.is_superuser
    assert user.username != "root"


def test_me_patch_changes_allow_listed_fields(auth_client, user):
    response = auth_client.patch("/api/v1/auth/me/", {"first_name": "Ada"}, format="json")
    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.first_name, user.email) == ("Ada", f"{user.username}@example.com")  # e-mail: POST auth/email/


def test_me_patch_rejects_invalid_email(auth_client):
    response = auth_client.patch("/api/v1/auth/me/", {"email": "not-an-email"}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()["details"]


def test_sessions_list_marks_the_current_one(api_client, user, auth_client):
    login(api_client, user.username, HTTP_USER_AGENT="Phone")
    body = auth_client.get("/api/v1/auth/sessions/").json()
    assert body["count"] == 2
    current = [s for s in body["results"] if s["current"]]
    assert len(current) == 1
    assert {s["device"] for s in body["results"]} >= {"Phone"}


def test_revoking_one_session_refuses_its_token_at_once(api_client, user, auth_client):
    phone = login(api_client, user.username, HTTP_USER_AGENT="Phone")
    sessions = auth_client.get("/api/v1/auth/sessions/").json()["results"]
    phone_id = next(s["id"] for s in sessions if s["device"] == "Phone")
    assert auth_client.delete(f"/api/v1/auth/sessions/{phone_id}/").status_code == 204
    assert bearer(phone["access"]).get("/api/v1/auth/me/").status_code == 401
    assert auth_client.get("/api/v1/auth/me/").status_code == 200


def test_revoke_all_other_sessions_keeps_the_current(api_client, user, auth_client):
    others = [login(api_client, user.username) for _ in range(2)]
    response = auth_client.delete("/api/v1/auth/sessions/")
    assert response.json() == {"revoked": 2}
    assert all(bearer(t["access"]).get("/api/v1/auth/me/").status_code == 401 for t in others)
    assert auth_client.get("/api/v1/auth/me/").status_code == 200


def test_cannot_revoke_another_users_session(auth_client, other_user, api_client):
    theirs = login(api_client, other_user.username)
    session_id = AuthSession.objects.get(user=other_user).pk
    assert auth_client.delete(f"/api/v1/auth/sessions/{session_id}/").status_code == 404
    assert bearer(theirs["access"]).get("/api/v1/auth/me/").status_code == 200


def test_password_change_needs_the_current_password(auth_client, user):
    response = auth_client.post(
        "/api/v1/auth/password/", {"current_password": "wrong-one-123", "new_password": "a brand new melody"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "wrong_password"
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_password_change_validates_the_new_password(auth_client):
    response = auth_client.post(
        "/api/v1/auth/password/", {"current_password": DEFAULT_PASSWORD, "new_password": "password"}, format="json"
    )
    assert response.status_code == 400
    assert "new_password" in response.json()["details"]


def test_password_change_revokes_other_sessions_and_keeps_this_one(api_client, user, auth_client):
    other = login(api_client, user.username)
    response = auth_client.post(
        "/api/v1/auth/password/", {"current_password": DEFAULT_PASSWORD, "new_password": "a brand new melody"}, format="json"
    )
    assert response.json() == {"revoked": 1}
    assert bearer(other["access"]).get("/api/v1/auth/me/").status_code == 401
    assert api_client.post("/api/v1/auth/refresh/", {"refresh": other["refresh"]}, format="json").status_code == 401
    assert auth_client.get("/api/v1/auth/me/").status_code == 200
    login(api_client, user.username, "a brand new melody")


def test_admin_revoke_action_kills_every_token_of_the_user(client, staff_user, user, api_client):
    staff_user.is_superuser = True
    staff_user.save()
    tokens = login(api_client, user.username)
    client.force_login(staff_user)
    response = client.post(
        "/admin/accounts/user/", {"action": "revoke_all_sessions", "_selected_action": [user.pk]}, follow=True
    )
    assert b"Revoked 1 session" in response.content
    assert bearer(tokens["access"]).get("/api/v1/auth/me/").status_code == 401


def test_tokens_live_15_minutes_and_24_hours_and_name_their_session(api_client, tokens):
    import jwt

    access = jwt.decode(tokens["access"], options={"verify_signature": False})
    refresh = jwt.decode(tokens["refresh"], options={"verify_signature": False})
    assert access["exp"] - access["iat"] == 15 * 60
    assert refresh["exp"] - refresh["iat"] == 24 * 3600
    assert access["sid"] == refresh["sid"] == tokens["session_id"]
    assert (access["token_type"], refresh["token_type"]) == ("access", "refresh")
    session = AuthSession.objects.get(pk=tokens["session_id"])
    assert int(session.expires_at.timestamp()) == refresh["exp"]


def test_refresh_response_is_not_cached_and_keeps_the_session(api_client, tokens):
    response = api_client.post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert response["Cache-Control"] == "no-store"
    assert response.json()["session_id"] == tokens["session_id"]


def test_no_raw_token_is_stored_in_the_session_row(tokens):
    session = AuthSession.objects.get(pk=tokens["session_id"])
    stored = " ".join(str(getattr(session, f.attname)) for f in AuthSession._meta.fields)
    assert tokens["access"] not in stored and tokens["refresh"] not in stored
    assert tokens["refresh"].rsplit(".", 1)[1] not in stored
