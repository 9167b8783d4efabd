"""Test settings: the real settings module with test-friendly defaults from the environment.

Everything still comes from ``controlpanel.settings``; this only sets defaults before it is
read, so the suite runs against whatever DATABASE_URL / REDIS_URL the environment gives.
"""

import os

os.environ.setdefault("CONTROLPANEL_TESTING", "true")
os.environ.setdefault("BCRYPT_ROUNDS", "4")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
os.environ.setdefault("CACHE_KEY_PREFIX", f"cptest{os.getpid()}")


def _redis_url_for_worker(url: str, worker: str) -> str:
    """Each parallel test worker (pytest-xdist's gw0, gw1, ...) gets its own Redis database.

    Tests clear the cache (a FLUSHDB on Redis) and run real Celery workers on the broker's
    queues, so two workers sharing one database would wipe each other's rate-limit counters
    and take each other's tasks. Written back to the environment so that servers and workers
    the tests start use the same database.
    """
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    index = int(worker.removeprefix("gw") or 0)
    return urlunsplit(parts._replace(path=f"/{(base + 1 + index) % 16}"))


if os.environ.get("REDIS_URL") and os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["REDIS_URL"] = _redis_url_for_worker(os.environ["REDIS_URL"], os.environ["PYTEST_XDIST_WORKER"])
    os.environ.pop("CELERY_BROKER_URL", None)

from controlpanel.settings import *  # noqa: E402,F403

# The embedded default's shared counter file, one per test process (parallel workers would
# otherwise reset each other's counters between tests). Servers a test starts use their own.
if RATELIMIT_STORE == "sqlite":  # noqa: F405
    import tempfile
    from pathlib import Path

    RATELIMIT_SQLITE_PATH = Path(tempfile.gettempdir()) / f"cp-test-ratelimit-{os.getpid()}.sqlite3"
