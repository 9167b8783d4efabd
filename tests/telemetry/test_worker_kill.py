"""A real Celery worker SIGKILLed in the middle of a report still yields exactly one report.

The test holds an uncommitted row for the same period, so the worker's INSERT waits on the
unique index: the report is built, not yet stored. The worker (its whole process group) is
then SIGKILLed, the held row is rolled back, and a new worker gets the unacknowledged task
back from Redis (acks_late, visibility timeout shortened for the test) and stores the one report.
"""

import signal
import time

import psycopg
import pytest
import redis
from django.conf import settings
from django.db import connection

from controlpanel.celery import app
from telemetry.models import Report
from tests.telemetry import processes

pytestmark = [
    pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
]

DAY = "2026-03-10"
WORKER = ["-A", "controlpanel", "worker", "--pool", "prefork", "--concurrency", "1", "--without-gossip",
          "--without-mingle", "--without-heartbeat", "--loglevel", "INFO"]


def clear_queues() -> None:
    redis.Redis.from_url(settings.REDIS_URL).delete("celery", "unacked", "unacked_index", "unacked_mutex")


def waiting_inserts() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO \"telemetry_report\"%%'"
        )
        return cursor.fetchone()[0]


def wait_for(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def hold_period_row() -> psycopg.Connection:
    """An open transaction holding the daily report row of DAY (uncommitted)."""
    held = psycopg.connect(processes.test_database_url())
    held.execute(
        "INSERT INTO telemetry_report (kind, period_start, period_end, time_zone, starts_at, ends_at, data, charts, "
        "html, generated_at, generation_ms, version, delivery) VALUES ('daily', %s, %s, 'UTC', now(), now(), "
        "'{}', '[]', '', now(), 0, 1, '{}')",
        (DAY, "2026-03-11"),
    )
    return held


def test_worker_killed_mid_report_still_yields_exactly_one_report(tmp_path):
    clear_queues()
    env = processes.child_env(tmp_path, BROKER_VISIBILITY_TIMEOUT=4)
    celery = str(processes.BIN / "celery")
    held = hold_period_row()
    first = second = None
    try:
        first = processes.start([celery, *WORKER, "-n", "killed@%h"], env, tmp_path / "worker1.log")
        task = app.send_task("telemetry.report_generate", kwargs={"period": "daily", "day": DAY})
        wait_for(lambda: waiting_inserts() == 1, timeout=40, what="the worker to block on the report INSERT")

        processes.stop(first, sig=signal.SIGKILL, timeout=10)
        assert first.returncode == -signal.SIGKILL
        held.rollback()
        held.close()
        assert Report.objects.count() == 0

        second = processes.start([celery, *WORKER, "-n", "second@%h"], env, tmp_path / "worker2.log")
        wait_for(lambda: Report.objects.count() == 1, timeout=40, what="the redelivered task to store the report")
        time.sleep(1)  # a duplicate would have to arrive now: there is none
        report = Report.objects.get()
        assert (report.kind, str(report.period_start), report.version) == ("daily", DAY, 1)
        assert report.data["period"]["start"] == DAY
        assert Report.objects.count() == 1
        assert f"Task telemetry.report_generate[{task.id}] succeeded" in (tmp_path / "worker2.log").read_text()
    finally:
        if not held.closed:
            held.close()
        for worker in (first, second):
            if worker is not None:
                processes.stop(worker, sig=signal.SIGTERM, timeout=15)
        clear_queues()
