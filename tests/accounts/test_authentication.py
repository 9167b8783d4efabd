"""The API authenticator: the user it loads, and what it refuses, on each storage shape."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.authentication import live_session_user
from accounts.models import AuthSession, User
from tests.conftest import login
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REFUSED = {"code": "token_invalid", "message": "The token is invalid, expired or revoked.", "details": {}}


def _me(token: str):
    client = APIClient(REMOTE_ADDR="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get("/api/v1/auth/me/")


def test_the_user_loaded_for_a_live_session_is_the_orm_user_field_for_field(api_client):
    user = UserFactory(first_name="Ada", last_name="Brush", is_staff=True)
    User.objects.filter(pk=user.pk).update(last_login=timezone.now() - timedelta(minutes=3, microseconds=7))
    login(api_client, user.username)
    session = AuthSession.objects.get(user=user)
    loaded = live_session_user(user.pk, str(session.pk))
    expected = User.objects.get(pk=user.pk)
    assert loaded is not None and loaded.pk == user.pk and not loaded._state.adding
    for field in User._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(expected, field.attname), field.name
    assert loaded.last_login is not None and timezone.is_aware(loaded.last_login)
    assert timezone.is_aware(loaded.date_joined)


@pytest.mark.parametrize("change", ["revoked", "expired", "inactive", "other_user"])
def test_no_user_for_a_session_that_is_not_live(api_client, change):
    user = UserFactory()
    login(api_client, user.username)
    session = AuthSession.objects.get(user=user)
    user_id = user.pk
    if change == "revoked":
        AuthSession.objects.filter(pk=session.pk).update(revoked_at=timezone.now())
    elif change == "expired":
        AuthSession.objects.filter(pk=session.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif change == "inactive":
        User.objects.filter(pk=user.pk).update(is_active=False)
    else:
        user_id = UserFactory().pk
    assert live_session_user(user_id, str(session.pk)) is None


@pytest.mark.parametrize(
    ("user_id", "session_id"),
    [
        ("99999999999999999999999999", None),  # beyond any integer column
        ("1", "not-a-session"),
        ("1", "00000000-0000-0000-0000-000000000000"),
        ("\u0663", None),  # a non-ASCII digit
        ("", None),
    ],
)
def test_a_correctly_signed_token_with_impossible_claims_is_refused_in_the_envelope(api_client, user_id, session_id):
    user = UserFactory()
    login(api_client, user.username)
    token = AccessToken.for_user(user)
    token["user_id"] = user_id
    token["sid"] = session_id or str(AuthSession.objects.get(user=user).pk)
    response = _me(str(token))
    assert response.status_code == 401
    assert response.json() == REFUSED
