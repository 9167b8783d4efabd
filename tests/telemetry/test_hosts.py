"""Every host samples itself: tags, one sample per host and interval, app memory from registered
processes, per-host thresholds, and the API's hosts, one host's detail and the fleet."""

import os
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from telemetry import agent, selectors, services
from telemetry.models import AppProcess, SystemSample, ThresholdState
from tests.telemetry.factories import sample

pytestmark = pytest.mark.django_db


def test_a_process_sample_is_tagged_with_the_configured_host_and_its_role():
    with override_settings(CONTROLPANEL_HOST_NAME="web-7"):
        taken = agent.ProcessSampler().tick()
    assert taken.host == "web-7"
    assert taken.roles == ["web"]
    assert taken.processes["web"]["processes"] == 1
    assert taken.app_rss_bytes == AppProcess.objects.get(host="web-7", pid=os.getpid()).rss_bytes > 0


def test_processes_on_one_host_take_one_sample_per_interval():
    now = timezone.now()
    first, second = agent.ProcessSampler(), agent.ProcessSampler()
    second.role = "worker"
    assert first.tick(now=now) is not None
    assert second.tick(now=now + timedelta(milliseconds=5)) is None  # the same interval: already sampled
    assert SystemSample.objects.count() == 1
    assert first.tick(now=now + timedelta(seconds=2 * first.interval())) is not None
    assert SystemSample.objects.count() == 2


def test_app_memory_counts_only_the_processes_that_registered_and_are_alive():
    now = timezone.now()
    for pid, role, rss in ((101, "web", 100 * 2**20), (102, "web", 50 * 2**20), (103, "worker", 70 * 2**20)):
        services.app_process_register(host="app-1", pid=pid, role=role, rss_bytes=rss, started_at=now, now=now)
    services.app_process_register(host="app-1", pid=104, role="web", rss_bytes=999 * 2**20, started_at=now,
                                  now=now - timedelta(minutes=10))  # gone: not seen for ten minutes
    services.app_process_register(host="app-2", pid=105, role="web", rss_bytes=999 * 2**20, started_at=now, now=now)
    taken = services.system_sample_record(now=now, host="app-1")
    assert taken.app_rss_bytes == 220 * 2**20
    assert taken.app_processes == 3
    assert taken.processes == {"web": {"processes": 2, "rss_bytes": 150 * 2**20},
                               "worker": {"processes": 1, "rss_bytes": 70 * 2**20}}
    assert taken.roles == ["web", "worker"]


def test_a_stopping_process_takes_itself_off_its_host():
    now = timezone.now()
    services.app_process_register(host="app-1", pid=101, role="web", rss_bytes=1, started_at=now, now=now)
    services.app_process_forget(host="app-1", pid=101)
    assert selectors.app_processes(host="app-1", now=now)["roles"] == {}


def test_system_metrics_answer_a_sample_before_any_scheduled_sample_ran(staff_client):
    assert SystemSample.objects.count() == 0
    body = staff_client.get("/api/v1/metrics/system/").json()
    assert body["latest"] is not None
    assert body["latest"]["host"] == body["host"]
    assert [h["host"] for h in body["hosts"]] == [body["host"]]
    assert "web" in body["latest"]["roles"]


def test_every_host_appears_with_its_own_detail_and_the_fleet(staff_client):
    now = timezone.now()
    sample(now - timedelta(seconds=2), host="alpha", roles=["web"], cpu_percent=20.0, memory_total_bytes=8 * 2**30)
    sample(now - timedelta(seconds=1), host="beta", roles=["worker"], cpu_percent=60.0, memory_total_bytes=4 * 2**30)
    body = staff_client.get("/api/v1/metrics/system/?window=15m").json()
    hosts = {h["host"]: h for h in body["hosts"]}
    assert {"alpha", "beta"} <= set(hosts)
    assert hosts["beta"]["roles"] == ["worker"] and hosts["beta"]["latest"]["cpu_percent"] == 60.0

    detail = staff_client.get("/api/v1/metrics/system/?window=15m&host=alpha").json()
    assert detail["host"] == "alpha" and detail["latest"]["cpu_percent"] == 20.0
    assert {p["host"] for p in detail["series"]["points"]} == {"alpha"}

    fleet = body["fleet"]
    assert fleet["hosts"] == len(body["hosts"])
    assert fleet["memory_total_bytes"] >= 12 * 2**30

    missing = staff_client.get("/api/v1/metrics/system/?host=nowhere")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_thresholds_are_evaluated_per_host():
    now = timezone.now()
    for seconds in (30, 20, 10):
        sample(now - timedelta(seconds=seconds), host="busy", cpu_percent=97.0)
        sample(now - timedelta(seconds=seconds), host="idle", cpu_percent=5.0)
    services.thresholds_evaluate(now=now, host="busy")
    services.thresholds_evaluate(now=now, host="idle")
    assert ThresholdState.objects.get(host="busy", metric="cpu").status == "critical"
    assert ThresholdState.objects.get(host="idle", metric="cpu").status == "clear"
    assert {h["host"]: h["status"] for h in selectors.host_list(now=now)} == {"busy": "critical", "idle": "clear"}
