"""Ten parallel refreshes of one refresh token: exactly one wins.

Runs on both storage shapes with real threads and real connections: PostgreSQL serialises
them on the session row's ``SELECT … FOR UPDATE``; SQLite on ``BEGIN IMMEDIATE`` (the
embedded default's transaction mode), which takes the write lock before the row is read.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import AuthSession
from tests.accounts import tally
from tests.conftest import login

PARALLEL = 10
ROUNDS = 3


def refresh_in_parallel(raw_refresh: str) -> list:
    barrier = threading.Barrier(PARALLEL)

    def attempt(_):
        try:
            client = APIClient(REMOTE_ADDR="127.0.0.1")
            barrier.wait(timeout=30)
            return client.post("/api/v1/auth/refresh/", {"refresh": raw_refresh}, format="json")
        finally:
            connection.close()  # each thread has its own connection; leave none open

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        return list(pool.map(attempt, range(PARALLEL)))


@pytest.mark.django_db(transaction=True)
def test_parallel_refreshes_of_one_token_have_exactly_one_winner(user):
    failed = 0
    for _ in range(ROUNDS):
        tokens = login(APIClient(REMOTE_ADDR="127.0.0.1"), user.username)
        responses = refresh_in_parallel(tokens["refresh"])
        statuses = sorted(r.status_code for r in responses)
        winners = [r for r in responses if r.status_code == 200]
        losers = [r for r in responses if r.status_code != 200]
        if statuses != [200] + [401] * (PARALLEL - 1):
            failed += 1
            continue
        assert winners[0].json()["refresh"] != tokens["refresh"]
        assert all(r.json()["code"] == "token_invalid" for r in losers)
    figures = tally.record("parallel refresh", tried=ROUNDS * PARALLEL, failed=failed * PARALLEL)
    assert failed == 0, figures


@pytest.mark.django_db(transaction=True)
def test_the_losers_of_a_refresh_race_count_as_replays_and_end_the_session(user):
    """A rotated refresh presented again is a replay, even by a racing twin: the session ends."""
    tokens = login(APIClient(REMOTE_ADDR="127.0.0.1"), user.username)
    responses = refresh_in_parallel(tokens["refresh"])
    winner = next(r for r in responses if r.status_code == 200).json()
    session = AuthSession.objects.get(pk=winner["session_id"])
    assert session.revoked_reason == "refresh_reuse"
    client = APIClient(REMOTE_ADDR="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {winner['access']}")
    assert client.get("/api/v1/auth/me/").json()["code"] == "token_invalid"
