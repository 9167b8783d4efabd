"""Real processes on two "hosts": a second web server (two worker processes) and a Celery worker,
each started with its own CONTROLPANEL_HOST_NAME, sample themselves without any beat; both hosts
appear in the metrics API, each with its role and its own processes' memory."""

import time

import pytest

from controlpanel.serve import command as serve_command
from telemetry import selectors
from telemetry.models import SystemSample
from tests.telemetry import processes

pytestmark = [
    pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
]


def wait_for(condition, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_web_host_and_a_worker_host_each_sample_themselves(tmp_path, staff_client):
    port = processes.free_port()
    common = {"TELEMETRY_BACKGROUND_SAMPLER": "true", "TELEMETRY_SAMPLE_SECONDS": "1"}
    web_env = processes.child_env(tmp_path, CONTROLPANEL_HOST_NAME="web-host-b", **common)
    worker_env = processes.child_env(tmp_path, CONTROLPANEL_HOST_NAME="worker-host-c", **common)
    web = processes.start(serve_command(["--port", str(port), "--workers", "2"], environ={}), web_env,
                          tmp_path / "web.log")
    worker = processes.start([str(processes.BIN / "celery"), "-A", "controlpanel", "worker", "--pool", "prefork",
                              "--concurrency", "1", "--without-gossip", "--without-mingle", "--without-heartbeat",
                              "-Q", "telemetry-host-test", "--loglevel", "INFO"], worker_env, tmp_path / "worker.log")
    try:
        processes.wait_http(f"http://127.0.0.1:{port}/healthz")

        def both_hosts():
            hosts = {h["host"]: h for h in selectors.host_list()}
            ready = {"web-host-b", "worker-host-c"} <= set(hosts)
            if not ready:
                return None
            # Each host samples every second from its first process on; a later sample counts the
            # processes that registered after it: the second granian worker, the Celery pool child.
            web_count = hosts["web-host-b"]["latest"]["processes"].get("web", {}).get("processes", 0)
            worker_count = hosts["worker-host-c"]["latest"]["processes"].get("worker", {}).get("processes", 0)
            return hosts if web_count >= 2 and worker_count >= 2 else None

        hosts = wait_for(both_hosts, timeout=60, what="both hosts to sample themselves")
        assert hosts["web-host-b"]["roles"] == ["web"]
        assert hosts["worker-host-c"]["roles"] == ["worker"]
        assert hosts["web-host-b"]["latest"]["app_rss_bytes"] > 0

        # Several processes on one host still give one sample per host and interval.
        time.sleep(3)
        per_slot = {}
        for host, slot in SystemSample.objects.filter(host="web-host-b").values_list("host", "slot"):
            per_slot[(host, slot)] = per_slot.get((host, slot), 0) + 1
        assert per_slot and set(per_slot.values()) == {1}

        body = staff_client.get("/api/v1/metrics/system/?window=15m").json()
        listed = {h["host"] for h in body["hosts"]}
        assert {"web-host-b", "worker-host-c"} <= listed
        detail = staff_client.get("/api/v1/metrics/system/?window=15m&host=worker-host-c").json()
        assert detail["latest"]["host"] == "worker-host-c" and detail["latest"]["age_seconds"] < 30
        assert body["fleet"]["hosts"] >= 2
    finally:
        processes.stop(web)
        processes.stop(worker)
