"""Counting accuracy across two real app processes sharing PostgreSQL and Redis.

N requests are split over two gunicorn servers; after a graceful stop (SIGTERM, which flushes)
exactly N are counted, per route and status class, in every tier and on /metrics, and the
percentiles agree with the servers' own access log within one histogram bucket.
"""

import json
import math
import signal
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.test import Client, override_settings
from django.utils import timezone

from controlpanel.serve import command as serve_command
from telemetry import aggregation
from telemetry.histogram import bucket_index
from telemetry.models import RequestHour, RequestMinute, RequestTotal
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.telemetry import processes

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

N = 400
# route pattern, expected status class, path, authenticated
MIX = [
    ("/api/v1/config/system/", 2, "/api/v1/config/system/", False),
    ("/api/v1/auth/me/", 2, "/api/v1/auth/me/", True),
    ("/api/v1/auth/me/", 4, "/api/v1/auth/me/", False),
    ("<unmatched>", 4, "/api/v1/no-such-endpoint/", False),
]


def call(base: str, path: str, token: str | None = None, body: dict | None = None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method="POST" if body is not None else "GET")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        exc.read()
        return exc.code


def login(base: str, username: str) -> str:
    request = urllib.request.Request(base + "/api/v1/auth/login/", method="POST",
                                     data=json.dumps({"username": username, "password": DEFAULT_PASSWORD}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["access"]


def nearest_rank(values, q):
    ordered = sorted(values)
    return ordered[max(1, math.ceil(round(q * len(ordered), 9))) - 1]


def test_two_processes_count_every_request_and_agree_with_the_access_log(tmp_path):
    user = UserFactory()
    env = processes.child_env(tmp_path, TELEMETRY_BACKGROUND_FLUSH="true", TELEMETRY_FLUSH_SECONDS="1")
    servers, bases, logs = [], [], []
    try:
        for index in range(2):
            port = processes.free_port()
            log = tmp_path / f"web{index}.log"
            servers.append(processes.start(
                serve_command(["--port", str(port), "--workers", "1"], environ={}), {**env, "WEB_THREADS": "4"}, log))
            bases.append(f"http://127.0.0.1:{port}")
            logs.append(log)
        for base in bases:
            processes.wait_http(base + "/healthz")
        tokens = [login(base, user.username) for base in bases]

        plan = [(i % 2, MIX[i % len(MIX)]) for i in range(N)]

        def send(item):
            server, (route, status_class, path, authenticated) = item
            status = call(bases[server], path, tokens[server] if authenticated else None)
            return route, status // 100

        with ThreadPoolExecutor(max_workers=4) as pool:
            sent = Counter(pool.map(send, plan))
        sent[("/api/v1/auth/login/", 2)] += 2
    finally:
        codes = [processes.stop(server, sig=signal.SIGTERM) for server in servers]
    assert codes == [0, 0]
    assert sent == Counter({(route, cls): N // len(MIX) for route, cls, _, _ in MIX} | {("/api/v1/auth/login/", 2): 2})
    total = N + 2

    # The servers' own access log: one JSON line per API call with its duration.
    durations = []
    for log in logs:
        for line in log.read_text().splitlines():
            if line.startswith("{") and '"event": "api_call"' in line:
                durations.append(json.loads(line)["duration_ms"])
    assert len(durations) == total

    counted = Counter()
    for row in RequestMinute.objects.values("route", "status_class").annotate(n=Sum("count")):
        counted[(row["route"], row["status_class"])] += row["n"]
    assert counted == sent
    assert RequestMinute.objects.aggregate(n=Sum("count"))["n"] == total
    assert RequestHour.objects.aggregate(n=Sum("count"))["n"] == total
    assert RequestTotal.objects.aggregate(n=Sum("count"))["n"] == total

    now = timezone.now()
    histogram = aggregation.total(aggregation.request_rows(now - timedelta(hours=1), now + timedelta(minutes=1),
                                                           group=(), minutes_only=True))
    assert histogram.count == total
    figures = {}
    for q in (0.5, 0.95, 0.99):
        exact, estimate = nearest_rank(durations, q), histogram.percentile(q)
        figures[q] = (exact, estimate)
        assert abs(bucket_index(estimate) - bucket_index(exact)) <= 1, (q, exact, estimate)
    print(f"\naccuracy: {total} sent, {histogram.count} counted; "
          + ", ".join(f"p{int(q * 100)} log {e:.2f} ms vs histogram {h:.2f} ms" for q, (e, h) in figures.items()))

    with override_settings(METRICS_BEARER_TOKEN="scrape-token-0123456789abcdef"):
        text = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-0123456789abcdef").content.decode()
    scraped = sum(int(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                  if line.startswith("controlpanel_http_requests_total{"))
    assert scraped == total
