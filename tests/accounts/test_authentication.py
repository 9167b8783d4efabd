"""The API authenticator: the user it loads, and what it refuses, on each storage shape."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.authentication import live_session_user
from accounts.models import AuthSession, User, UserPreferences
from accounts.selectors import preferences_of
from accounts.services import preferences_update
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


def test_the_preferences_come_with_the_user_as_the_orm_reads_them(api_client, django_assert_num_queries):
    user = UserFactory()
    preferences_update(user=user, time_zone="Asia/Kathmandu", daily_goal_minutes=35, preferred_style="musical",
                       turbo_default=False)
    login(api_client, user.username)
    loaded = live_session_user(user.pk, str(AuthSession.objects.get(user=user).pk))
    expected = UserPreferences.objects.get(user=user)
    with django_assert_num_queries(0):
        preferences = preferences_of(user=loaded)
    assert preferences.pk == expected.pk and not preferences._state.adding
    for field in UserPreferences._meta.concrete_fields:
        assert getattr(preferences, field.attname) == getattr(expected, field.attname), field.name
    assert preferences.user is loaded
    preferences_update(user=loaded, daily_goal_minutes=55)
    assert preferences_of(user=loaded).daily_goal_minutes == 55  # the rest of the request sees the saved row


def test_a_user_who_never_saved_preferences_gets_the_defaults_and_can_save_them(api_client, django_assert_num_queries):
    user = UserFactory()
    UserPreferences.objects.filter(user=user).delete()
    login(api_client, user.username)
    loaded = live_session_user(user.pk, str(AuthSession.objects.get(user=user).pk))
    with django_assert_num_queries(0):  # the absence came with the user: no request asks for the row again
        defaults = preferences_of(user=loaded)
        assert preferences_of(user=loaded).daily_goal_minutes == defaults.daily_goal_minutes
    assert defaults.pk is None and defaults.time_zone == "UTC" and defaults.turbo_default is True
    preferences_update(user=loaded, daily_goal_minutes=50)
    assert preferences_of(user=loaded).daily_goal_minutes == 50  # the rest of the request sees the saved row
    assert UserPreferences.objects.get(user=user).daily_goal_minutes == 50


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
