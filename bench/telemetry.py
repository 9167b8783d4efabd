"""Telemetry benchmarks: P4 (overhead of request telemetry) and P6 (monthly report time).

    .venv/bin/python bench/telemetry.py [--shape sqlite|postgres|both] [--pairs 8] [--seconds 4]
                                        [--skip-p4] [--skip-p6] [--no-write]

P4: two web servers started as make run starts them against the same fresh
database, one with ``TELEMETRY_ENABLED=false`` (A) and one with it on (B). wrk loads them in
turn, pairs alternating A B and B A, on a cheap public endpoint and an authenticated one; the
table gives each pair's throughput ratio and the median. B is then stopped gracefully (SIGTERM
flushes) and its telemetry count is compared with the API calls in its own access log. Since
a shared 2-core machine is noisy, the middleware's cost is also timed in-process.

P6: 30 days of synthetic telemetry at 1,000,000 API calls a day (per-minute, per-hour and
all-time rows for 14 routes and their status classes, hour rows only for the month before, as
retention leaves them, a probe a minute, hourly system rollups and 3,000 active users a day)
in the harness's own database, then ``report_generate(kind="monthly")`` timed three times.

Results are printed as tables and written to a dated report in ``bench/results/`` (``--no-write`` to skip).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
# The harness's own storage for these runs, apart from other benchmarks and the tests.
os.environ.setdefault("BENCH_TMP", "/tmp/cp-bench-telemetry")
os.environ.setdefault("BENCH_PG_DB", "cp_bench_telemetry")
os.environ.setdefault("BENCH_REDIS_DB", "5")

from common import PYTHON, ROOT, CpuWindow, log, machine, markdown_table, save_json, write_report  # noqa: E402
from server import Server, Shape, manage  # noqa: E402

ENDPOINTS = [("GET /api/v1/config/system/ (public)", "/api/v1/config/system/", False),
             ("GET /api/v1/auth/me/ (JWT)", "/api/v1/auth/me/", True)]
PASSWORD = "bench-telemetry-password-2026"
CALLS_PER_DAY = 1_000_000
DAYS = 30
USERS_PER_DAY = 3_000


# --- P4 ------------------------------------------------------------------------------------

def wrk(url: str, *, seconds: float, connections: int, token: str | None) -> dict:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--latency", url]
    if token:
        cmd[1:1] = ["-H", f"Authorization: Bearer {token}"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    started = time.monotonic()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    out = proc.stdout.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if not rps or not total:
        raise RuntimeError(f"wrk failed:\n{out}")
    return {"rps": float(rps.group(1)), "requests": int(total.group(1)),
            "errors": int(errors.group(1)) if errors else 0,
            "wrk_cpu": round((usage.ru_utime + usage.ru_stime) / max(wall, 1e-6) / (os.cpu_count() or 1), 3)}


def register(base: str) -> str:
    import urllib.request

    body = json.dumps({"username": "benchtelemetry", "email": "bench-telemetry@example.com", "password": PASSWORD}).encode()
    request = urllib.request.Request(f"{base}/api/v1/auth/register/", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["tokens"]["access"]


def p4(shape: Shape, *, pairs: int, seconds: float, connections: int) -> dict:
    shape.reset()
    manage(shape, "migrate", "--noinput", "-v0")
    off = Server(shape, 18761, name="telemetry-off", env_extra={"TELEMETRY_ENABLED": "false"})
    on = Server(shape, 18762, name="telemetry-on", env_extra={"TELEMETRY_ENABLED": "true"})
    rows, counted = [], {}
    try:
        off.start()
        on.start()
        token = register(on.base)
        for server in (off, on):
            for _, path, auth in ENDPOINTS:
                wrk(server.base + path, seconds=1, connections=connections, token=token if auth else None)
        for label, path, auth in ENDPOINTS:
            pair_rows = []
            for index in range(pairs):
                window = CpuWindow({})
                header = token if auth else None
                # A B, then B A: a drift in the machine's background load falls on both sides.
                if index % 2 == 0:
                    a = wrk(off.base + path, seconds=seconds, connections=connections, token=header)
                    b = wrk(on.base + path, seconds=seconds, connections=connections, token=header)
                else:
                    b = wrk(on.base + path, seconds=seconds, connections=connections, token=header)
                    a = wrk(off.base + path, seconds=seconds, connections=connections, token=header)
                busy = window.stop(2 * seconds)["machine_busy"]
                pair_rows.append({"pair": index + 1, "off_rps": a["rps"], "on_rps": b["rps"],
                                  "ratio": round(b["rps"] / a["rps"], 4), "errors": a["errors"] + b["errors"],
                                  "wrk_cpu": max(a["wrk_cpu"], b["wrk_cpu"]), "machine_busy": busy})
                log(f"P4 {shape.name} {label} pair {index + 1}: off {a['rps']:.0f} req/s, on {b['rps']:.0f} req/s")
            rows.append({"label": label, "pairs": pair_rows,
                         "median_ratio": statistics.median(r["ratio"] for r in pair_rows)})
    finally:
        off.stop()
        on.stop()  # SIGTERM: the worker flushes what it still holds before it exits
    logged = sum(1 for line in on.log_path.read_text().splitlines() if '"event": "api_call"' in line)
    total = manage(shape, "shell", "-c",
                   "from django.db.models import Sum; from telemetry.models import RequestTotal as T; "
                   "print(T.objects.aggregate(n=Sum('count'))['n'] or 0)").stdout.strip().splitlines()[-1]
    counted = {"access_log_api_calls": logged, "telemetry_counted": int(total)}
    return {"endpoints": rows, "counting": counted}


# --- P6 ------------------------------------------------------------------------------------

# route, share of calls, median ms, share of 4xx, share of 5xx
MIX = [
    ("/api/v1/progress/", 0.18, 6, 0.01, 0.001), ("/api/v1/lessons/", 0.16, 9, 0.01, 0.001),
    ("/api/v1/lessons/<slug>/", 0.14, 7, 0.03, 0.001), ("/api/v1/search/", 0.12, 14, 0.02, 0.002),
    ("/api/v1/lessons/recommendations/", 0.08, 18, 0.0, 0.001), ("/api/v1/progress/summary/", 0.07, 8, 0.0, 0.0),
    ("/api/v1/auth/me/", 0.06, 3, 0.02, 0.0), ("/api/v1/progress/history/", 0.05, 10, 0.0, 0.0),
    ("/api/v1/lessons/<slug>/complete/", 0.04, 22, 0.05, 0.002), ("/api/v1/auth/refresh/", 0.03, 5, 0.05, 0.0),
    ("/api/v1/auth/login/", 0.02, 240, 0.2, 0.0), ("/api/v1/search/history/", 0.02, 6, 0.0, 0.0),
    ("/api/v1/config/system/", 0.02, 2, 0.0, 0.0), ("<unmatched>", 0.01, 1, 1.0, 0.0),
]


def _minute_rows(minute_epoch: int, calls: float, rng) -> dict:
    from telemetry.histogram import BUCKETS, bucket_index

    stats = {}
    for route, share, median_ms, client_errors, server_errors in MIX:
        method = "POST" if route.endswith(("complete/", "login/", "refresh/")) else "GET"
        n = calls * share
        for status_class, part in ((2, 1 - client_errors - server_errors), (4, client_errors), (5, server_errors)):
            count = int(round(n * part))
            if count <= 0:
                continue
            buckets = [0] * BUCKETS
            total = 0.0
            peak = 0.0
            # a log-normal around the median, summarised per bucket (8 draws stand for the minute)
            for _ in range(8):
                duration = median_ms * rng.lognormvariate(0, 0.6)
                buckets[bucket_index(duration)] += count / 8
                total += duration * count / 8
                peak = max(peak, duration)
            buckets = [int(round(b)) for b in buckets]
            buckets[bucket_index(median_ms)] += count - sum(buckets)
            stats[(minute_epoch, route, method, status_class)] = [count, total, peak, *buckets]
    return stats


def _fold(rows: dict, key_of) -> dict:
    """Synthetic minute rows summed into coarser keys, as the collector folds its own."""
    folded: dict = {}
    for key, row in rows.items():
        target = key_of(key)
        mine = folded.get(target)
        if mine is None:
            folded[target] = list(row)
        else:
            mine[:] = [mine[0] + row[0], mine[1] + row[1], max(mine[2], row[2]),
                       *(a + b for a, b in zip(mine[3:], row[3:], strict=True))]
    return folded


def _insert_rows(model, time_column: str | None, stats: dict) -> None:
    """Plain multi-row inserts of synthetic rows (the periods never overlap, so no upsert is needed)."""
    from django.db import connection

    from telemetry.collector import STATS_COLUMNS

    qn = connection.ops.quote_name
    adapt = connection.ops.adapt_datetimefield_value
    keys = ((time_column,) if time_column else ()) + ("route", "method", "status_class")
    columns = (*keys, *STATS_COLUMNS)
    sql = (f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(c) for c in columns)}) "
           f"VALUES ({', '.join(['%s'] * len(columns))})")
    rows = []
    for key, row in stats.items():
        head = (adapt(dt.datetime.fromtimestamp(key[0], tz=dt.UTC)), *key[1:]) if time_column else key
        rows.append((*head, *row))
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def p6_internal() -> dict:
    """Runs inside the shape's environment (Django set up): seed, then time the monthly report."""
    import random

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from telemetry.models import ActiveUserDay, HealthCheck, RequestHour, RequestMinute, RequestTotal, SystemRollup
    from telemetry.periods import period_for
    from telemetry.services import report_generate, telemetry_prune

    rng = random.Random(2026)
    period = period_for("monthly", dt.date(2026, 9, 1))  # September: 30 days
    previous = period.previous()
    now = period.ends_at + dt.timedelta(minutes=15)
    per_minute = CALLS_PER_DAY / 1440
    started = time.perf_counter()
    start_epoch = int(period.starts_at.timestamp())
    # A daily rhythm (quiet at night, busy in the evening) scaled so a day holds CALLS_PER_DAY.
    rhythm = [0.55 + 0.9 * max(0.0, math.sin((minute / 1440) * 2 * math.pi - 1.6)) for minute in range(1440)]
    scale = 1440 / sum(rhythm)
    totals: dict = {}
    for day in range(DAYS):
        batch = {}
        for minute in range(1440):
            epoch = start_epoch + (day * 1440 + minute) * 60
            batch.update(_minute_rows(epoch, per_minute * rhythm[minute] * scale, rng))
        # The tiers the collector would have written: minutes, hours and all-time totals.
        _insert_rows(RequestMinute, "minute", batch)
        _insert_rows(RequestHour, "hour", _fold(batch, lambda k: (k[0] // 3600 * 3600, k[1], k[2], k[3])))
        for key, row in _fold(batch, lambda k: k[1:]).items():
            if key not in totals:
                totals[key] = row
                continue
            mine = totals[key]
            mine[:] = [mine[0] + row[0], mine[1] + row[1], max(mine[2], row[2]),
                       *(a + b for a, b in zip(mine[3:], row[3:], strict=True))]
        log(f"P6 seeded day {day + 1}/{DAYS} ({len(batch)} minute rows)")
    _insert_rows(RequestTotal, None, totals)
    # The month before: hour rows only, as retention leaves them.
    prev_start = int(previous.starts_at.timestamp())
    _insert_rows(RequestHour, "hour", {key: row for hour in range(previous.days * 24)
                                       for key, row in _minute_rows(prev_start + hour * 3600, per_minute * 60, rng).items()})
    telemetry_prune(now=now)
    from accounts.validators import username_key

    User = get_user_model()
    User.objects.bulk_create([User(username=f"bench{i}", username_key=username_key(f"bench{i}"), email=f"bench{i}@example.com", password="!")
                              for i in range(USERS_PER_DAY * 2)], batch_size=2000)
    ids = list(User.objects.values_list("pk", flat=True))
    days = [period.start + dt.timedelta(days=d) for d in range(DAYS)]
    ActiveUserDay.objects.bulk_create(
        [ActiveUserDay(day=d, user_id=uid, requests=rng.randint(1, 400)) for d in days for uid in rng.sample(ids, USERS_PER_DAY)],
        batch_size=5000)
    HealthCheck.objects.bulk_create(
        [HealthCheck(at=period.starts_at + dt.timedelta(minutes=m), ok=m % 5000 != 0, database_ok=True, cache_ok=True,
                     broker_ok=m % 5000 != 0, database_ms=0.4, cache_ms=0.2, broker_ms=1.1) for m in range(DAYS * 1440)],
        batch_size=5000)
    rollups = []
    for hour in range(DAYS * 24):
        values = {"samples": 360}
        for metric in ("cpu_percent", "memory_percent", "swap_percent", "disk_percent", "disk_read_bps", "disk_write_bps",
                       "net_recv_bps", "net_sent_bps", "load_1", "app_rss_bytes"):
            level = rng.uniform(10, 60) if metric.endswith("percent") else rng.uniform(1, 5e5)
            values.update({f"{metric}_sum": level * 360, f"{metric}_n": 360, f"{metric}_max": level * 1.4})
        rollups.append(SystemRollup(resolution="hour", start=period.starts_at + dt.timedelta(hours=hour), **values))
    SystemRollup.objects.bulk_create(rollups, batch_size=2000)
    seed_seconds = time.perf_counter() - started
    rows = {"minute_rows": RequestMinute.objects.count(), "hour_rows": RequestHour.objects.count()}
    timings = []
    for attempt in range(3):
        connection.close()
        t0 = time.perf_counter()
        report = report_generate(kind="monthly", day=period.start, force=attempt > 0, now=now).report
        timings.append(time.perf_counter() - t0)
        log(f"P6 monthly report run {attempt + 1}: {timings[-1]:.2f} s")
    return {"seed_seconds": round(seed_seconds, 1), **rows, "timings": [round(t, 3) for t in timings],
            "requests_in_report": report.data["headline"]["requests"], "html_kb": round(len(report.html) / 1024, 1),
            "median_seconds": round(statistics.median(timings), 3)}


def micro_internal() -> dict:
    """What telemetry adds to one request, measured in-process without the noise of a server:
    the middleware around a trivial view, with and without telemetry, on a resolved API route."""
    import django

    django.setup()
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.urls import resolve

    from telemetry.collector import Collector
    from telemetry.middleware import TelemetryMiddleware

    request = RequestFactory().get("/api/v1/config/system/")
    request.resolver_match = resolve("/api/v1/config/system/")
    response = HttpResponse(b"{}")

    def view(_request):
        return response

    middleware = TelemetryMiddleware(view)
    import telemetry.middleware as module

    module.collector = Collector()  # a private collector: nothing is flushed from here
    rounds = []
    for _ in range(7):
        t0 = time.perf_counter()
        for _ in range(20_000):
            view(request)
        bare = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(20_000):
            middleware(request)
        rounds.append((time.perf_counter() - t0 - bare) / 20_000 * 1e6)
    return {"middleware_us": round(statistics.median(rounds), 2)}


def micro(shape: Shape) -> dict:
    result = subprocess.run([PYTHON, __file__, "--micro-internal"], cwd=ROOT, env=shape.env(TELEMETRY_BACKGROUND_FLUSH="false"),
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"micro benchmark failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def p6(shape: Shape) -> dict:
    shape.reset()
    manage(shape, "migrate", "--noinput", "-v0")
    result = subprocess.run([PYTHON, __file__, "--p6-internal"], cwd=ROOT, env=shape.env(), capture_output=True,
                            text=True, timeout=3600)
    sys.stderr.write(result.stderr[-3000:])
    if result.returncode != 0:
        raise RuntimeError("P6 failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- output --------------------------------------------------------------------------------

def render(results: dict, args) -> str:
    when = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    m = machine()
    parts = ["## Telemetry (P4, P6)", "",
             f"{when}, revision {m['revision'] or '?'}, {m['cores']} cores ({m['cpu_model']}), {m['memory_gib']} GiB, "
             f"Python {m['python']}. Command: `.venv/bin/python bench/telemetry.py "
             f"--pairs {args.pairs} --seconds {args.seconds}`.", ""]
    for shape in results.values():
        parts += [f"### {shape['label']}", ""]
        if "p4" in shape:
            rows = []
            for endpoint in shape["p4"]["endpoints"]:
                ratios = ", ".join(f"{p['ratio']:.3f}" for p in endpoint["pairs"])
                off = statistics.median(p["off_rps"] for p in endpoint["pairs"])
                on = statistics.median(p["on_rps"] for p in endpoint["pairs"])
                overhead = 1 - endpoint["median_ratio"]
                rows.append([endpoint["label"], f"{off:,.0f}", f"{on:,.0f}", ratios, f"{endpoint['median_ratio']:.3f}",
                             f"{100 * overhead:+.1f}%".replace("+-", "-"),
                             "met" if overhead <= 0.03 else "**not met**",
                             f"{100 * max(p['wrk_cpu'] for p in endpoint['pairs']):.0f}%"])
            parts.append(markdown_table(["P4 endpoint", "off req/s (median)", "on req/s (median)", "on/off per pair",
                                         "median ratio", "overhead", "≤ 3%", "wrk CPU"], rows))
            ratios = [p["ratio"] for e in shape["p4"]["endpoints"] for p in e["pairs"]]
            if max(ratios) - min(ratios) > 0.1:
                busy = max(p["machine_busy"] for e in shape["p4"]["endpoints"] for p in e["pairs"])
                parts += ["", f"Pair ratios spread from {min(ratios):.2f} to {max(ratios):.2f} (machine up to "
                              f"{100 * busy:.0f}% busy with other work): this run cannot resolve a 3% difference by "
                              "wall clock, so the in-process cost below is the figure to trust."]
            cost = shape["p4"]["micro"]["middleware_us"]
            per_request = [1e6 / statistics.median(p["off_rps"] for p in e["pairs"]) for e in shape["p4"]["endpoints"]]
            parts += ["", f"In-process, the telemetry middleware adds {cost:.1f} µs to a request (median of 7 × 20,000 calls): "
                          + ", ".join(f"{100 * cost / t:.2f}% of a {t:,.0f} µs {e['label'].split(' (')[0]}"
                                      for t, e in zip(per_request, shape["p4"]["endpoints"], strict=True))
                          + " at the telemetry-off server's median throughput."]
            c = shape["p4"]["counting"]
            share = c["telemetry_counted"] / c["access_log_api_calls"] if c["access_log_api_calls"] else 0
            parts += ["", f"Counted: {c['telemetry_counted']:,} of {c['access_log_api_calls']:,} API calls in the "
                          f"telemetry-on server's access log ({100 * share:.2f}%).", ""]
        if "p6" in shape:
            r = shape["p6"]
            verdict = "met" if r["median_seconds"] <= 2 else "**not met**"
            parts.append(markdown_table(
                ["P6", "telemetry", "report runs", "median", "≤ 2 s"],
                [["monthly report", f"{r['requests_in_report']:,} API calls in 30 days; {r['minute_rows']:,} minute rows, "
                  f"{r['hour_rows']:,} hour rows", ", ".join(f"{t:.2f} s" for t in r["timings"]),
                  f"{r['median_seconds']:.2f} s", verdict]]))
            parts += ["", f"Seeding took {r['seed_seconds']} s; the report's HTML is {r['html_kb']} KB with its charts.", ""]
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shape", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--pairs", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--skip-p4", action="store_true")
    parser.add_argument("--skip-p6", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--p6-internal", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--micro-internal", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.p6_internal or args.micro_internal:
        sys.path.insert(0, str(ROOT))
        print(json.dumps(p6_internal() if args.p6_internal else micro_internal()))
        return
    shapes = ["sqlite", "postgres"] if args.shape == "both" else [args.shape]
    results: dict = {}
    for name in shapes:
        shape = Shape(name)
        results[name] = {"label": shape.label}
        if not args.skip_p4:
            results[name]["p4"] = p4(shape, pairs=args.pairs, seconds=args.seconds, connections=args.connections)
            results[name]["p4"]["micro"] = micro(shape)
        if not args.skip_p6:
            results[name]["p6"] = p6(shape)
    text = render(results, args)
    print(text)
    save_json("telemetry.json", results)
    if not args.no_write:
        write_report("telemetry", text, dt.datetime.now())


if __name__ == "__main__":
    main()
