"""Load: a bounded soak of mixed learner traffic on loopback, 0 errors, with latency figures.

The app server runs as production would (gunicorn gthread, DEBUG off) on the storage shape of
the run: our own PostgreSQL + Redis on the PostgreSQL + Redis pass, a fresh SQLite file on the
embedded pass. ``RELIABILITY_SOAK_SECONDS`` sets the length (30 s by default, the CI form;
``scripts/reliability.py soak --long`` runs 10 minutes). Speed goals live in ``bench/``; this
suite proves that sustained traffic yields no error and reports what it saw.
"""

import os
import time
import uuid

import psutil
import pytest

from tests.accounts import tally
from tests.reliability import harness
from tests.reliability.figures import note
from tests.reliability.traffic import equip, learner_actions

pytestmark = pytest.mark.slow

SUITE = "load (soak)"
SECONDS = float(os.environ.get("RELIABILITY_SOAK_SECONDS", "30"))
THREADS = int(os.environ.get("RELIABILITY_SOAK_THREADS", "6"))
OPEN_LIMITS = {
    "RATELIMIT_API_RATE": "10000000/h",
    "RATELIMIT_LOGIN_ADDRESS_RATE": "10000000/h",
    "RATELIMIT_REGISTER_ADDRESS_RATE": "10000000/h",
    "RATELIMIT_SEARCH_RATE": "10000000/m",
}


@pytest.fixture
def app_server(product_server):
    return product_server(**OPEN_LIMITS)


def test_mixed_learner_traffic_for_the_soak_duration_gives_no_errors(app_server):
    learners = equip(app_server.url, [harness.register(app_server.url, f"soak{uuid.uuid4().hex[:10]}")
                                      for _ in range(6)])
    actions = learner_actions()
    with harness.Traffic([app_server.url], learners, actions, threads=THREADS) as traffic:
        time.sleep(SECONDS)
    worker_rss = max((child.memory_info().rss for child in psutil.Process(app_server.process.pid).children()),
                     default=0)

    outcomes = traffic.outcomes
    errors = [o for o in outcomes if not 200 <= o.status < 300]
    lines = []
    for action in sorted(actions):
        seconds = [o.seconds * 1000 for o in outcomes if o.action == action]
        lines.append(f"{action} n={len(seconds)} p50={harness.percentile(seconds, 50):.1f} "
                     f"p95={harness.percentile(seconds, 95):.1f} p99={harness.percentile(seconds, 99):.1f} ms")
    api = [o.seconds * 1000 for o in outcomes if o.action != "login"]
    note(SUITE, f"{app_server.shape}, {SECONDS:.0f} s, {THREADS} client threads: {len(outcomes)} calls "
                f"({len(outcomes) / SECONDS:.0f}/s), {len(errors)} errors; non-login p50 "
                f"{harness.percentile(api, 50):.1f} ms, p95 {harness.percentile(api, 95):.1f} ms, p99 "
                f"{harness.percentile(api, 99):.1f} ms; worker RSS {worker_rss / 2**20:.0f} MB")
    for line in lines:
        note(SUITE, "  " + line)
    tally.record(SUITE, tried=len(outcomes), failed=len(errors))
    assert len(outcomes) > SECONDS  # traffic really ran
    assert errors == [], traffic.statuses()
