"""The rate-limit counter: one store operation per API request, the same counter everywhere."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import RequestFactory

from controlpanel.api.ratelimit import (
    CacheCounters,
    SQLiteCounters,
    counter_incr,
    counters,
    hit,
    parse_rate,
    redis_client,
)

pytestmark = pytest.mark.django_db


def usage(request, *, group: str, rate: str, key: str, increment: bool) -> dict:
    """One hit (or a peek) of ``key`` in ``group``, as a dict for the assertions below."""
    counted = hit(scope=group, key=key, rate=parse_rate(rate), increment=increment)
    return {"count": counted.count, "limit": counted.limit, "should_limit": counted.should_limit,
            "time_left": counted.time_left}


def test_a_counter_starts_at_one_and_counts_every_hit():
    assert [counter_incr("test:counter", 60) for _ in range(3)] == [1, 2, 3]
    assert counters().get("test:counter") == 3


def test_the_store_is_redis_in_production_and_a_shared_file_on_the_embedded_default():
    store = counters()
    if settings.REDIS_URL:
        assert isinstance(store, CacheCounters) and redis_client() is not None
    else:
        assert isinstance(store, SQLiteCounters)
        assert store.path == Path(settings.RATELIMIT_SQLITE_PATH)


def test_a_counter_expires_with_its_window():
    counter_incr("test:window", 60)
    store = counters()
    assert 0 < store.ttl("test:window") <= 60
    if settings.REDIS_URL:  # a counter that somehow lost its expiry gets one back on the next hit
        redis = redis_client()
        redis.persist(cache.make_and_validate_key("test:window"))
        counter_incr("test:window", 60)
        assert 0 < store.ttl("test:window") <= 60


def test_a_counter_whose_window_ended_starts_again_at_one(tmp_path):
    store = SQLiteCounters(tmp_path / "counters.sqlite3")
    assert [store.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    store._connection().execute("UPDATE counter SET expires_at = expires_at - 3600")
    assert store.get("k") == 0
    assert store.incr("k", 60) == 1
    store.decr("k")
    assert store.get("k") == 0


def test_two_stores_on_one_file_count_one_counter(tmp_path):
    """What two web processes see: every hit from either lands on the same count."""
    first, second = SQLiteCounters(tmp_path / "shared.sqlite3"), SQLiteCounters(tmp_path / "shared.sqlite3")
    seen = [store.incr("shared", 60) for _ in range(5) for store in (first, second)]
    assert seen == list(range(1, 11))
    assert first.get("shared") == second.get("shared") == 10


def test_hits_counted_on_requests_are_the_ones_a_peek_reads():
    request = RequestFactory().get("/api/v1/auth/me/")
    for expected in (1, 2, 3):
        counted = usage(request, group="api", rate="5/m", key="user:42", increment=True)
        assert (counted["count"], counted["limit"], counted["should_limit"]) == (expected, 5, False)
    assert usage(request, group="api", rate="5/m", key="user:42", increment=False)["count"] == 3
    for _ in range(3):
        counted = usage(request, group="api", rate="5/m", key="user:42", increment=True)
    assert counted["should_limit"] is True
    assert 0 < counted["time_left"] <= 60


def test_each_api_request_lowers_the_remaining_budget_by_one(auth_client):
    remaining = [int(auth_client.get("/api/v1/auth/me/")["X-RateLimit-Remaining"]) for _ in range(3)]
    assert remaining[0] - remaining[1] == 1 and remaining[1] - remaining[2] == 1
