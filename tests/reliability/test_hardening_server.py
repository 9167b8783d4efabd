"""A SQLite database named by ``DATABASE_URL`` keeps the embedded default's safety settings (WAL,
IMMEDIATE transactions, busy timeout): concurrent writers queue instead of failing with
"database is locked", through a real gunicorn server."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.reliability import figures, harness

pytestmark = pytest.mark.slow

THREADS = 10
UPDATES = 100
REFRESHES = 10


@pytest.fixture
def sqlite_url_server(tmp_path):
    """gunicorn on a fresh SQLite file named by ``DATABASE_URL=sqlite:///...`` (not the default path)."""
    env = harness.product_env(DATABASE_URL=f"sqlite:///{tmp_path / 'named.sqlite3'}",
                              CONTROLPANEL_VAR_DIR=str(tmp_path / "var"), RATELIMIT_API_RATE="100000/h")
    harness.manage(env, "migrate", "--noinput", "-v0")
    harness.manage(env, "load_lessons")
    with harness.AppServer(env, tmp_path, threads=8) as server:
        yield server


def _put_progress(base_url: str, learner: dict, category: dict, n: int) -> int:
    try:
        response = requests.put(f"{base_url}/api/v1/progress/{category['slug']}/", json={"progress": n % (category["total"] + 1)},
                                headers=harness.bearer(learner["access"]), timeout=60)
    except requests.RequestException:
        return 0
    return response.status_code


def test_concurrent_writes_on_a_sqlite_url_all_succeed(sqlite_url_server):
    base = sqlite_url_server.url
    learners = [harness.register(base, f"writer{n}") for n in range(THREADS)]
    listing = requests.get(f"{base}/api/v1/progress/", headers=harness.bearer(learners[0]["access"]), timeout=30).json()
    categories = [{"slug": row["category"]["slug"], "total": row["total_lessons"]}
                  for row in listing["results"] if row["total_lessons"] > 0]
    assert categories

    def writer(index: int) -> list[int]:
        return [_put_progress(base, learners[index], categories[(index + k) % len(categories)], k + 1)
                for k in range(UPDATES // THREADS)]

    with ThreadPoolExecutor(THREADS) as pool:
        statuses = Counter(status for batch in pool.map(writer, range(THREADS)) for status in batch)
    errors = UPDATES - statuses[200]
    figures.note("SQLite URL", f"concurrent progress updates: {UPDATES} tried from {THREADS} threads, {errors} failed "
                 f"(statuses {dict(sorted(statuses.items()))})")
    assert errors == 0, statuses

    # Parallel refreshes of one refresh token: rotation lets exactly one of them win.
    refresh = learners[0]["refresh"]
    start = threading.Barrier(REFRESHES)

    def refresher(_: int) -> int:
        start.wait(timeout=30)
        try:
            return requests.post(f"{base}/api/v1/auth/refresh/", json={"refresh": refresh}, timeout=60).status_code
        except requests.RequestException:
            return 0

    with ThreadPoolExecutor(REFRESHES) as pool:
        outcomes = Counter(pool.map(refresher, range(REFRESHES)))
    figures.note("SQLite URL", f"parallel refreshes of one token: {REFRESHES} tried, {outcomes[200]} won "
                 f"(statuses {dict(sorted(outcomes.items()))})")
    assert outcomes[200] == 1, outcomes
    assert not {status for status in outcomes if status >= 500}, outcomes
