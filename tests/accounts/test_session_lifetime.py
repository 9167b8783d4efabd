"""A session has an absolute lifetime: refreshing moves its end on, never past login + SESSION_ABSOLUTE_DAYS."""

from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import AuthSession
from tests.accounts import tally

pytestmark = pytest.mark.django_db

REFRESH_REFUSED = {"code": "token_invalid", "message": "The token is invalid, expired or revoked.", "details": {}}


def refresh(client, raw: str):
    return client.post("/api/v1/auth/refresh/", {"refresh": raw}, format="json")


def test_a_session_records_its_absolute_end_at_login(tokens):
    session = AuthSession.objects.get(pk=tokens["session_id"])
    assert session.absolute_expires_at - session.created_at == timedelta(days=settings.SESSION_ABSOLUTE_DAYS)
    assert session.expires_at <= session.absolute_expires_at


def test_refresh_is_refused_past_the_absolute_end_with_the_usual_envelope(api_client, tokens):
    """A session logged in 31 days ago and refreshed every day since: its refresh token is fresh."""
    long_ago = timezone.now() - timedelta(days=settings.SESSION_ABSOLUTE_DAYS + 1)
    AuthSession.objects.filter(pk=tokens["session_id"]).update(
        created_at=long_ago, absolute_expires_at=long_ago + timedelta(days=settings.SESSION_ABSOLUTE_DAYS))
    response = refresh(api_client, tokens["refresh"])
    assert response.status_code == 401
    assert response.json() == REFRESH_REFUSED
    tally.record("token attacks (auth/refresh)", tried=1, failed=0)


def test_refreshing_never_moves_the_session_end_past_its_absolute_end(api_client, tokens):
    soon = timezone.now() + timedelta(hours=2)
    AuthSession.objects.filter(pk=tokens["session_id"]).update(absolute_expires_at=soon)
    response = refresh(api_client, tokens["refresh"])
    assert response.status_code == 200
    session = AuthSession.objects.get(pk=tokens["session_id"])
    assert session.expires_at == soon
    assert datetime.fromisoformat(response.json()["refresh_expires_at"]) <= soon


def test_the_absolute_lifetime_follows_the_setting(api_client, user, settings):
    from tests.conftest import login

    settings.SESSION_ABSOLUTE_DAYS = 2
    pair = login(api_client, user.username)
    session = AuthSession.objects.get(pk=pair["session_id"])
    assert session.absolute_expires_at - session.created_at == timedelta(days=2)
