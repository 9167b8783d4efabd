"""Scale-out: two app servers on different ports sharing one PostgreSQL and one Redis.

Nothing an app server holds in memory may matter: a logout on one is refused on the other at
once, and rate limits count across both exactly, even when requests race.
"""

import threading
import time
import uuid
from collections import Counter

import pytest
import requests

from tests.accounts import tally
from tests.reliability import harness
from tests.reliability.figures import note

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

SUITE = "scale-out"
OPEN_LIMITS = {
    "RATELIMIT_API_RATE": "100000/h",
    "RATELIMIT_LOGIN_ADDRESS_RATE": "100000/h",
    "RATELIMIT_REGISTER_ADDRESS_RATE": "100000/h",
    "RATELIMIT_LOGIN_ACCOUNT_FAILURES": "100000/h",
}


def two_servers(stack, logdir, **settings):
    """Two app servers with one environment (so one cache key prefix: one set of counters)."""
    env = stack.env(**{**OPEN_LIMITS, **settings})
    return harness.AppServer(env, logdir, threads=4, name="app-a"), harness.AppServer(env, logdir, threads=4, name="app-b")


@pytest.fixture
def servers(stack, logdir):
    first, second = two_servers(stack, logdir)
    with first, second:
        yield first, second


def burst(calls: list, threads: int = 8) -> list[int]:
    """Run ``calls`` (each returning a response) from ``threads`` threads released at once."""
    statuses: list[int] = [0] * len(calls)
    gate = threading.Barrier(threads)
    lock = threading.Lock()
    pending = list(enumerate(calls))

    def work():
        gate.wait()
        while True:
            with lock:
                if not pending:
                    return
                index, call = pending.pop()
            statuses[index] = call().status_code

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    return statuses


def test_a_logout_on_one_server_is_refused_on_the_other_at_once(servers):
    first, second = servers
    learner = harness.register(first.url, f"scale{uuid.uuid4().hex[:8]}")
    rounds, failures = 20, []
    for n in range(rounds):
        here, there = (first, second) if n % 2 == 0 else (second, first)
        pair = requests.post(f"{here.url}/api/v1/auth/login/",
                             json={"username": learner["username"], "password": learner["password"]}, timeout=30).json()
        before = requests.get(f"{there.url}/api/v1/auth/me/", headers=harness.bearer(pair["access"]), timeout=30)
        logout = requests.post(f"{here.url}/api/v1/auth/logout/", headers=harness.bearer(pair["access"]), timeout=30)
        after = requests.get(f"{there.url}/api/v1/auth/me/", headers=harness.bearer(pair["access"]), timeout=30)
        refresh = requests.post(f"{there.url}/api/v1/auth/refresh/", json={"refresh": pair["refresh"]}, timeout=30)
        outcome = (before.status_code, logout.status_code, after.status_code, after.json().get("code"),
                   refresh.status_code)
        if outcome != (200, 204, 401, "token_invalid", 401):
            failures.append(outcome)
    tally.record(SUITE, tried=rounds, failed=len(failures))
    assert failures == []


def test_the_api_limit_is_exact_across_two_servers_when_requests_race(stack, logdir):
    limit, attempts = 40, 100
    first, second = two_servers(stack, logdir, RATELIMIT_API_RATE=f"{limit}/d")
    with first, second:
        learner = harness.register(first.url, f"scale{uuid.uuid4().hex[:8]}")
        headers = harness.bearer(learner["access"])
        calls = [lambda url=(first, second)[n % 2].url: requests.get(f"{url}/api/v1/auth/me/", headers=headers,
                                                                      timeout=30)
                 for n in range(attempts)]
        statuses = Counter(burst(calls))
    tally.record(SUITE, tried=attempts, failed=abs(statuses[200] - limit))
    assert statuses == {200: limit, 429: attempts - limit}


def test_failed_logins_per_account_are_capped_exactly_across_two_servers_when_they_race(stack, logdir):
    """Wrong passwords sent in parallel to both servers: exactly the budget is ever checked.

    bcrypt runs at cost 8 here (production uses 12) so each check takes long enough for the
    attempts to overlap, as an attacker's parallel guesses would.
    """
    limit, attempts = 10, 48
    first, second = two_servers(stack, logdir, RATELIMIT_LOGIN_ACCOUNT_FAILURES=f"{limit}/d", BCRYPT_ROUNDS="8")
    with first, second:
        learner = harness.register(first.url, f"scale{uuid.uuid4().hex[:8]}")
        calls = [lambda url=(first, second)[n % 2].url: requests.post(
            f"{url}/api/v1/auth/login/", json={"username": learner["username"], "password": "not-the-password-1"},
            timeout=30) for n in range(attempts)]
        statuses = Counter(burst(calls, threads=16))
    note(SUITE, f"{attempts} racing wrong-password logins, failure budget {limit}: {dict(statuses)}")
    tally.record(SUITE, tried=attempts, failed=max(0, statuses[401] - limit))
    assert statuses == {401: limit, 429: attempts - limit}


def test_search_limit_is_exact_across_two_servers(stack, logdir):
    from tests.reliability.traffic import route_exists

    assert route_exists("/api/v1/search/"), "the search endpoint is part of the product"
    limit, attempts = 15, 40
    first, second = two_servers(stack, logdir, RATELIMIT_SEARCH_RATE=f"{limit}/h")
    with first, second:
        learner = harness.register(first.url, f"scale{uuid.uuid4().hex[:8]}")
        headers = harness.bearer(learner["access"])
        calls = [lambda url=(first, second)[n % 2].url: requests.get(f"{url}/api/v1/search/", params={"q": "colour"},
                                                                      headers=headers, timeout=30)
                 for n in range(attempts)]
        statuses = Counter(burst(calls))
    tally.record(SUITE, tried=attempts, failed=abs(statuses[200] - limit))
    assert statuses == {200: limit, 429: attempts - limit}


def test_two_servers_serve_mixed_traffic_without_errors(servers):
    from tests.reliability.traffic import equip, learner_actions

    first, second = servers
    learners = equip(first.url, [harness.register(first.url, f"scale{uuid.uuid4().hex[:8]}") for _ in range(3)])
    with harness.Traffic([first.url, second.url], learners, learner_actions(), threads=4) as traffic:
        time.sleep(8)
    unhandled = traffic.server_errors()
    by_status = dict(traffic.statuses())
    note(SUITE, f"mixed traffic on two servers for 8 s: {len(traffic.outcomes)} calls, statuses {by_status}")
    tally.record(SUITE, tried=len(traffic.outcomes), failed=len(unhandled))
    assert unhandled == []
    assert set(by_status) <= {200, 201, 204}


def test_telemetry_counts_the_requests_of_both_servers(stack, logdir):
    first, second = two_servers(stack, logdir, TELEMETRY_FLUSH_SECONDS="1")
    route = "/api/v1/config/user/"

    def counted() -> int:
        return int(stack.sql("SELECT coalesce(sum(count), 0) FROM telemetry_requestminute "
                             f"WHERE route = '{route}' AND method = 'GET'"))

    with first, second:
        learner = harness.register(first.url, f"scale{uuid.uuid4().hex[:8]}")
        before = counted()
        for server, calls in ((first, 25), (second, 35)):
            for _ in range(calls):
                assert requests.get(f"{server.url}{route}", headers=harness.bearer(learner["access"]),
                                    timeout=30).status_code == 200
        try:
            harness.wait_for(lambda: counted() - before >= 60, timeout=30, interval=0.5, what="telemetry to flush")
        finally:
            seen = counted() - before
    tally.record(SUITE, tried=60, failed=abs(seen - 60))
    assert seen == 60
