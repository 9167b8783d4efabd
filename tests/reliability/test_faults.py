"""Faults with traffic running: Redis, PostgreSQL and the broker go away and come back.

Each test runs learner traffic (logins, reads, writes) against a gunicorn app server on our own
PostgreSQL + Redis (see ``conftest.stack``), breaks one backing server, brings it back and
counts: unhandled 5xx (a 500, a 5xx without the envelope, or a dropped connection), lost writes
(a login answered 2xx whose session row is missing afterwards) and the recovery time (from the
server being back to the first successful call of the kind that failed).
"""

import time

import pytest

from tests.accounts import tally
from tests.reliability import harness
from tests.reliability.figures import note
from tests.reliability.traffic import equip, learner_actions

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

SUITE = "faults"
OPEN_LIMITS = {
    "RATELIMIT_API_RATE": "100000/h",
    "RATELIMIT_LOGIN_ADDRESS_RATE": "100000/h",
    "RATELIMIT_REGISTER_ADDRESS_RATE": "100000/h",
    "RATELIMIT_LOGIN_ACCOUNT_FAILURES": "100000/h",
    "RATELIMIT_SEARCH_RATE": "100000/m",
}


@pytest.fixture
def app(stack, logdir):
    with harness.AppServer(stack.env(**OPEN_LIMITS), logdir, threads=4) as server:
        yield server


@pytest.fixture
def learners(app):
    return equip(app.url, [harness.register(app.url, f"fault{time.monotonic_ns()}{n}") for n in range(3)])


def lost_logins(stack, traffic) -> set[str]:
    acknowledged = {m for m in traffic.acknowledged() if m.startswith("traffic-login-")}
    stored = set(stack.sql("SELECT user_agent FROM accounts_authsession WHERE user_agent LIKE 'traffic-login-%'").split())
    return acknowledged - stored


def during(traffic, start: float, end: float, action: str) -> list[int]:
    return [o.status for o in traffic.outcomes if o.action == action and o.at > start and o.at + o.seconds < end]


def test_redis_stopped_and_restarted_during_traffic(stack, app, learners):
    with harness.Traffic([app.url], learners, learner_actions(), threads=3) as traffic:
        time.sleep(2)
        stack.redis.stop()
        down_at = time.monotonic()
        time.sleep(4)
        restarting_at = time.monotonic()
        stack.redis.start()
        up_at = time.monotonic()
        harness.wait_for(lambda: traffic.first_success_after(up_at, "login") is not None, timeout=30,
                         what="a login after Redis came back")
        time.sleep(1)
    unhandled, lost = traffic.server_errors(), lost_logins(stack, traffic)
    logins_down = during(traffic, down_at + 0.5, restarting_at, "login")
    reads_down = during(traffic, down_at + 0.5, restarting_at, "me")
    recovery = traffic.first_success_after(up_at, "login")
    note(SUITE, f"Redis stopped 4 s: {len(traffic.outcomes)} calls, {len(unhandled)} unhandled 5xx, {len(lost)} lost "
                f"writes; logins while down {sorted(set(logins_down))}, reads while down {sorted(set(reads_down))}; "
                f"login recovered {recovery:.2f} s after restart")
    tally.record(SUITE, tried=len(traffic.outcomes), failed=len(unhandled) + len(lost))
    assert unhandled == []
    assert lost == set()
    assert logins_down and set(logins_down) == {503}  # fails closed, with the envelope
    assert reads_down and set(reads_down) == {200}  # fails open
    assert traffic.statuses("login")[200] > 0


def test_postgres_restarted_during_traffic(stack, app, learners):
    with harness.Traffic([app.url], learners, learner_actions(), threads=3) as traffic:
        time.sleep(2)
        stack.postgres.stop("fast")
        down_at = time.monotonic()
        time.sleep(3)
        restarting_at = time.monotonic()
        stack.postgres.start()
        up_at = time.monotonic()
        harness.wait_for(lambda: traffic.first_success_after(up_at, "me") is not None, timeout=30,
                         what="a read after PostgreSQL came back")
        harness.wait_for(lambda: traffic.first_success_after(up_at, "login") is not None, timeout=30,
                         what="a login after PostgreSQL came back")
        time.sleep(1)
    unhandled, lost = traffic.server_errors(), lost_logins(stack, traffic)
    down_statuses = {o.status for o in traffic.outcomes if down_at + 0.5 < o.at and o.at + o.seconds < restarting_at}
    recovery = traffic.first_success_after(up_at, "me")
    note(SUITE, f"PostgreSQL restarted (3 s down): {len(traffic.outcomes)} calls, {len(unhandled)} unhandled 5xx, "
                f"{len(lost)} lost writes; statuses while down {sorted(down_statuses)}; reads recovered "
                f"{recovery:.2f} s after restart, no app restart")
    tally.record(SUITE, tried=len(traffic.outcomes), failed=len(unhandled) + len(lost))
    assert unhandled == []
    assert lost == set()
    assert 503 in down_statuses
    assert down_statuses <= {200, 201, 204, 503}


def test_broker_unavailable_during_traffic_never_fails_a_request(stack, app, learners, logdir):
    with harness.CeleryProcess(stack.env(), logdir, "worker") as worker:
        with harness.Traffic([app.url], learners, learner_actions(), threads=3) as traffic:
            time.sleep(2)
            stack.broker.stop()
            down_at = time.monotonic()
            time.sleep(5)
            stack.broker.start()
            up_at = time.monotonic()
            time.sleep(2)
        unhandled, lost = traffic.server_errors(), lost_logins(stack, traffic)
        down_calls = [o for o in traffic.outcomes if down_at < o.at < up_at]
        alive = worker.process.poll() is None
        reconnect = harness.wait_for(lambda: _worker_answers(stack), timeout=60, interval=0.5,
                                     what="the worker to reconnect") if alive else None
    enqueuing = [o for o in down_calls if o.action in ("progress_set", "complete")]
    slowest = max((o.seconds for o in enqueuing), default=0.0)
    note(SUITE, f"broker stopped 5 s: {len(traffic.outcomes)} calls ({len(down_calls)} while down, "
                f"{len(enqueuing)} of them writes that enqueue work, statuses "
                f"{sorted({o.status for o in enqueuing})}, slowest {slowest:.2f} s), "
                f"{len(unhandled)} unhandled 5xx, {len(lost)} lost writes; worker "
                + (f"answered {reconnect:.2f} s after the broker returned" if alive else "EXITED"))
    tally.record(SUITE, tried=len(traffic.outcomes), failed=len(unhandled) + len(lost) + (0 if alive else 1))
    assert unhandled == []
    assert lost == set()
    assert down_calls
    assert {o.status for o in enqueuing} <= {200, 201}
    assert alive, worker.output()[-3000:]


def _worker_answers(stack) -> bool:
    from celery import Celery

    probe = Celery(broker=stack.broker.url(0))
    try:
        return bool(probe.control.ping(timeout=1.0))
    finally:
        probe.close()


# Two beats, or any duplicated delivery of a due report -----------------------------------------

def test_a_due_report_sent_by_two_beats_and_redelivered_yields_one_report_and_one_email(stack, logdir):
    """Celery does not stop a second beat; what keeps reports single is the report service.

    Six ``telemetry.report_due`` messages for the same period (two beats, each message delivered
    up to three times) race on a worker with two processes: one report row, one e-mail per
    recipient.
    """
    from celery import Celery

    mail = logdir / "mail"
    mail.mkdir()
    env = stack.env(EMAIL_URL=f"filemail:///{mail}")  # three slashes and an absolute path
    recipient = f"staff{time.monotonic_ns()}@example.com"
    harness.manage(env, "shell", "-c", "from django.utils import timezone; from accounts.models import User; "
                   f"User.objects.create_user(username='{recipient.split('@')[0]}', email='{recipient}', is_staff=True, "
                   "email_verified_at=timezone.now())")  # reports go to verified addresses only
    reports_before = int(stack.sql("SELECT count(*) FROM telemetry_report WHERE kind = 'daily'"))
    copies = 6
    with harness.CeleryProcess(env, logdir, "worker", name="report-worker", concurrency=2) as worker:
        sender = Celery(broker=stack.broker.url(0))
        try:
            for _ in range(copies):
                sender.send_task("telemetry.report_due", kwargs={"period": "daily"})
        finally:
            sender.close()
        harness.wait_for(lambda: worker.output().count("succeeded in") >= copies, timeout=120, interval=0.5,
                         what=f"{copies} report_due tasks to finish")
        output = worker.output()
    reports = int(stack.sql("SELECT count(*) FROM telemetry_report WHERE kind = 'daily'")) - reports_before
    emails = sum(path.read_text(errors="replace").count(f"To: {recipient}") for path in mail.iterdir())
    failed_tasks = output.count("raised unexpected")
    note(SUITE, f"{copies} copies of one due daily report on a 2-process worker: {reports} report, {emails} e-mail, "
                f"{failed_tasks} task errors")
    tally.record(SUITE, tried=copies, failed=abs(reports - 1) + abs(emails - 1) + failed_tasks)
    assert failed_tasks == 0, output[-4000:]
    assert reports == 1
    assert emails == 1


def test_two_beats_started_by_mistake_each_send_every_periodic_task(stack, logdir):
    """Measured, not hoped: a second beat doubles every periodic message (here the 1-second
    system sample), which is why the one-beat rule is an operating rule (one ``beat`` line in
    the Procfile) and every periodic job must be safe to run twice."""
    import redis

    env = stack.env(TELEMETRY_SAMPLE_SECONDS="1")
    queue = redis.Redis(host=harness.LOOPBACK, port=stack.broker.port)
    queue.delete("celery")
    with harness.CeleryProcess(env, logdir, "beat", name="beat-one"):
        with harness.CeleryProcess(env, logdir, "beat", name="beat-two"):
            time.sleep(5)
    import json

    samples = sum(1 for raw in queue.lrange("celery", 0, -1)
                  if json.loads(raw).get("headers", {}).get("task") == "telemetry.sample_system")
    queue.delete("celery")
    note(SUITE, f"two beats for 5 s with a 1 s sample schedule queued {samples} sample tasks (one beat: ~5)")
    assert samples >= 8
