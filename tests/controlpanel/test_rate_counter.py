"""The rate-limit counter: one store operation per API request, the same counter everywhere."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import RequestFactory

from controlpanel.api.ratelimit import counter_incr, hit, parse_rate
from controlpanel.api.ratelimit import redis_client as _redis_client

pytestmark = pytest.mark.django_db


def usage(request, *, group: str, rate: str, key: str, increment: bool) -> dict:
    """One hit (or a peek) of ``key`` in ``group``, as a dict for the assertions below."""
    counted = hit(scope=group, key=key, rate=parse_rate(rate), increment=increment)
    return {"count": counted.count, "limit": counted.limit, "should_limit": counted.should_limit,
            "time_left": counted.time_left}


def test_a_counter_starts_at_one_and_counts_every_hit():
    assert [counter_incr("test:counter", 60) for _ in range(3)] == [1, 2, 3]
    assert cache.get("test:counter") == 3


def test_a_counter_expires_with_its_window():
    counter_incr("test:window", 60)
    redis = _redis_client()
    if settings.REDIS_URL:  # the production shape: the pipelined script sets the expiry itself
        assert redis is not None
        ttl = redis.ttl(cache.make_and_validate_key("test:window"))
        assert 0 < ttl <= 60
        # A counter that somehow lost its expiry gets one back on the next hit.
        redis.persist(cache.make_and_validate_key("test:window"))
        counter_incr("test:window", 60)
        assert 0 < redis.ttl(cache.make_and_validate_key("test:window")) <= 60
    else:
        assert redis is None
        expiry = cache._expire_info[cache.make_and_validate_key("test:window")]
        assert expiry is not None


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
