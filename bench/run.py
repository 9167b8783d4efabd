"""The benchmark harness: every performance goal (P1–P9 in docs/performance.md), side by side.

    make bench                                  # both shapes, full length
    make bench BENCH_ARGS="--shape sqlite --quick"
    .venv/bin/python bench/run.py --shape postgres --duration 8 --pairs 5 --skip p3,p6

Per shape: fresh storage of its own, ``migrate`` + ``collectstatic`` + ``load_lessons`` +
``seed_demo`` + the harness's learners (``bench/djangoside.py seed``), then the web server as
``make run`` starts it (``controlpanel.serve``) on 127.0.0.1 with DEBUG off, and wrk (or the Python fallback) for the
load. P3 is ``bench/search.py`` and P4/P6 are ``bench/telemetry.py``, called as they are. Each
shape's table (goal, measured, met / not met) is printed; the run's report goes to a dated file
in bench/results/ and the goals table at the top of BENCHMARKS.md is rewritten with what it
measured (goal × shape, target, measured, verdict, revision, date). See bench/README.md for what each line means.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    Goal,
    ShapeReport,
    fmt_ms,
    fmt_pct,
    log,
    machine,
    median,
    record_goals,
    render_shape,
    save_json,
    write_report,
)
from load import Request, alternate, ensure_wrk, fetch, run_load  # noqa: E402
from owners import search_goals, telemetry_goals  # noqa: E402
from pages import measure_page  # noqa: E402
from server import Server, Shape, available_commands, django_side, manage  # noqa: E402

CONCURRENCY = (4, 16, 64)
API = "/api/v1"
PORT = int(os.environ.get("BENCH_PORT", "18730"))
# P7: "does not slow down" as history grows 100x, with room for this machine's noise
P7_MAX_RATIO = 1.25
P5_MAX_MS = 15  # docs/performance.md P5: a dashboard page, p50 server time


class Run:
    """One shape's run: storage, server, tokens and the measurements."""

    def __init__(self, shape: Shape, args, wrk: str | None) -> None:
        self.shape = shape
        self.args = args
        self.wrk = wrk
        self.report = ShapeReport(shape=shape.label)
        self.server: Server | None = None
        self.tokens: dict[str, str] = {}
        self.seed: dict = {}
        self.sent: dict[str, int] = {}  # requests this harness sent per path (telemetry check)

    # -- setup ---------------------------------------------------------------------------

    def prepare(self) -> None:
        a = self.args
        log(f"{self.shape.name}: fresh storage, migrate, collectstatic")
        self.shape.reset()
        manage(self.shape, "migrate", "--noinput", "-v0")
        manage(self.shape, "collectstatic", "--noinput", "-v0")
        commands = available_commands(self.shape)
        if "load_lessons" in commands:
            manage(self.shape, "load_lessons")
        else:
            self.report.notes.append("`load_lessons` is missing: the catalog is empty.")
        if "generate_lessons" in commands and a.lessons:
            log(f"{self.shape.name}: generate_lessons --count {a.lessons}")
            manage(self.shape, "generate_lessons", "--count", str(a.lessons), "--seed", "7", timeout=1800)
        if "seed_demo" in commands:
            log(f"{self.shape.name}: seed_demo")
            manage(self.shape, "seed_demo", timeout=1800)
        else:
            self.report.notes.append("`seed_demo` is missing: only the harness's own learners are seeded.")
        log(f"{self.shape.name}: seeding bench learners ({a.background} background, P7 {a.p7_small} vs {a.p7_small * 100} events)")
        self.seed = json.loads(django_side(
            self.shape, "seed", "--main", str(a.main_history), "--small", str(a.p7_small),
            "--large", str(a.p7_small * 100), "--background", str(a.background)))
        self.report.raw["seed"] = {k: v for k, v in self.seed.items() if k != "password"}
        t = self.seed["totals"]
        self.report.notes.append(
            f"Data: {t['users']:,} users, {t['lessons']:,} lessons in {t['categories']} categories, "
            f"{t['progress_events']:,} progress events, {t['lesson_records']:,} lesson records.")

    def start(self) -> None:
        self.server = Server(self.shape, PORT, name="web", workers=self.args.workers, threads=self.args.threads)
        self.server.start()
        self.report.raw["server_command"] = self.server.command()
        for role, username in self.seed["users"].items():
            self.tokens[role] = self.login(username)

    def login(self, username: str) -> str:
        body = json.dumps({"username": username, "password": self.seed["password"]})
        status, _, data, _ = fetch(self.server.base, Request(f"{API}/auth/login/", method="POST", body=body,
                                                             headers={"Content-Type": "application/json"}))
        if status != 200:
            raise RuntimeError(f"login as {username} gave {status}: {data[:300]!r}")
        return json.loads(data)["access"]

    def auth(self, role: str = "main") -> dict:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    # -- primitives ------------------------------------------------------------------------

    def check(self, req: Request) -> tuple[bool, str]:
        """One request before a load run: the endpoint exists and answers 2xx with JSON."""
        status, headers, body, _ = fetch(self.server.base, req)
        self.sent[req.path] = self.sent.get(req.path, 0) + 1
        if status >= 300:
            return False, f"HTTP {status}: {body[:160].decode(errors='replace')}"
        return True, ""

    def load(self, req: Request, connections: int, duration: float, label: str = "") -> dict:
        result = run_load(self.server.base, req, connections=connections, duration=duration, wrk=self.wrk,
                          server_pids=self.server.worker_pids(), label=label)
        self.sent[req.path] = self.sent.get(req.path, 0) + result["requests"]
        return result

    def warm(self, reqs: list[Request]) -> None:
        for req in reqs:
            self.load(req, 4, 1)

    # -- P1, P2 ----------------------------------------------------------------------------

    def p1_p2(self) -> None:
        a = self.args
        health = Request("/healthz")
        progress = Request(self.args.subject, headers=self.auth())
        ok, why = self.check(progress)
        if not ok:
            for c in CONCURRENCY:
                self.report.goals.append(Goal(f"P1 c={c}", f"{a.subject} vs /healthz throughput", "≥ 40%", why, None))
            self.report.goals.append(Goal("P2", f"{a.subject} at c=16", "p50 ≤ 12 ms, p99 ≤ 25 ms, 0 errors", why, None))
            return
        self.warm([health, progress])
        errors_total = 0
        for c in CONCURRENCY:
            pairs = []
            for i in range(a.pairs):
                h = self.load(health, c, a.duration, "/healthz")
                p = self.load(progress, c, a.duration, self.args.subject)
                pairs.append({"concurrency": c, "pair": i + 1, "healthz": h, "progress": p,
                              "ratio": p["rps"] / h["rps"] if h["rps"] else None})
                errors_total += h["errors"] + p["errors"]
                log(f"  c={c} pair {i + 1}: healthz {h['rps']:.0f}/s, progress {p['rps']:.0f}/s "
                    f"(p50 {p['p50_ms']:.1f} ms, p99 {p['p99_ms']:.1f} ms), ratio {pairs[-1]['ratio']:.3f}")
            self.report.pairs += pairs
            ratio = median([x["ratio"] for x in pairs])
            for name in ("healthz", "progress"):
                runs = [x[name] for x in pairs]
                self.report.lines.append(self._line(runs, "/healthz" if name == "healthz" else self.args.subject, c))
            per_pair = ", ".join(f"{x['ratio']:.2f}" for x in pairs)
            cpu_ratio = median([x["healthz"]["server_cpu_ms_per_request"] / x["progress"]["server_cpu_ms_per_request"]
                                for x in pairs if x["progress"].get("server_cpu_ms_per_request")])
            self.report.goals.append(Goal(
                f"P1 c={c}", f"{a.subject} vs /healthz throughput, median of interleaved pairs", "≥ 40%",
                f"{fmt_pct(ratio)} (pairs {per_pair})", ratio is not None and ratio >= 0.40,
                note=f"worker CPU-cost ratio {fmt_pct(cpu_ratio)}" if cpu_ratio else ""))
            if c == 16:
                p50 = median([x["progress"]["p50_ms"] for x in pairs])
                p99 = median([x["progress"]["p99_ms"] for x in pairs])
                errs = sum(x["progress"]["errors"] for x in pairs)
                self.report.goals.append(Goal(
                    "P2", f"{a.subject} at c=16, median of runs", "p50 ≤ 12 ms, p99 ≤ 25 ms, 0 errors",
                    f"p50 {fmt_ms(p50)}, p99 {fmt_ms(p99)}, {errs} errors",
                    p50 <= 12 and p99 <= 25 and errs == 0))
        self.report.raw["p1_errors_total"] = errors_total

    def _line(self, runs: list[dict], label: str, c: int) -> dict:
        return {
            "label": label, "connections": c, "runs": len(runs),
            "rps": median([r["rps"] for r in runs]), "p50_ms": median([r["p50_ms"] for r in runs]),
            "p99_ms": median([r["p99_ms"] for r in runs]), "errors": sum(r["errors"] for r in runs),
            "wrk_cpu": median([r["wrk_cpu"] for r in runs]), "server_cpu": median([r["server_cpu"] for r in runs]),
            "machine_busy": median([r["machine_busy"] for r in runs]), "tool": runs[0]["tool"],
            "cpu_ms": median([r.get("server_cpu_ms_per_request") for r in runs]),
        }

    # -- other endpoints on their own lines -------------------------------------------------

    def endpoints(self) -> None:
        a = self.args
        _, _, body, _ = fetch(self.server.base, Request(f"{API}/lessons/", headers=self.auth()))
        lessons = json.loads(body)["results"]
        slug = lessons[min(3, len(lessons) - 1)]["slug"]
        # P9: each learner endpoint's worker CPU per request against the subject's, the subject measured again
        # right before each one: a shared machine's speed drifts over a minute, and a ratio must not carry it
        paths = [a.subject, f"{API}/lessons/", f"{API}/lessons/recommendations/", f"{API}/lessons/{slug}/",
                 f"{API}/progress/summary/", f"{API}/progress/history/", f"{API}/search/?q=colour&turbo=true",
                 f"{API}/auth/me/"]
        subject = Request(a.subject, headers=self.auth())
        for path in paths:
            label, req = path.replace(slug, "{slug}"), Request(path, headers=self.auth())
            ok, why = self.check(req)
            if not ok:
                self.report.lines.append({"label": label, "connections": 16, "errors": why})
                continue
            self.warm([req])
            paired = path not in (a.subject, f"{API}/auth/me/")
            base = self._line([self.load(subject, 16, a.duration)], a.subject, 16).get("cpu_ms") if paired else None
            self.report.lines.append(self._line([self.load(req, 16, a.duration)], label, 16))
            line = self.report.lines[-1]
            log(f"  {label}: {line['rps']:.0f}/s p50 {line['p50_ms']:.1f} ms, worker CPU {line['cpu_ms'] or 0:.1f} ms"
                + (f" ({a.subject} just before: {base:.1f} ms)" if base else ""))
            if base and line.get("cpu_ms"):
                ratio = line["cpu_ms"] / base
                self.report.goals.append(Goal(
                    "P9", f"worker CPU per request, {label} vs {a.subject} (c=16, same run)", "≤ 2×",
                    f"{ratio:.2f}× ({fmt_ms(line['cpu_ms'])} vs {fmt_ms(base)} just before)", ratio <= 2))
        # login: bcrypt-bound by design, its own line, outside P2
        body = json.dumps({"username": self.seed["users"]["main"], "password": self.seed["password"]})
        login = Request(f"{API}/auth/login/", method="POST", body=body, headers={"Content-Type": "application/json"})
        # bcrypt-bound (~4 logins a second per core): a run long enough to have a distribution
        run = self.load(login, 4, max(5.0, a.duration), f"{API}/auth/login/ (POST, bcrypt)")
        self.report.lines.append(self._line([run], f"{API}/auth/login/ (POST, bcrypt)", 4))

    # -- P5 ----------------------------------------------------------------------------------

    def browser(self, username: str) -> urllib.request.OpenerDirector:
        """A logged-in browser: the dashboard's own login form, CSRF token and session cookie."""
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(f"{self.server.base}/login/", timeout=30).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        form = {"username": username, "password": self.seed["password"], "csrfmiddlewaretoken": token.group(1) if token else ""}
        opener.open(urllib.request.Request(f"{self.server.base}/login/", data=urllib.parse.urlencode(form).encode(),
                                           headers={"Referer": f"{self.server.base}/login/"}), timeout=30).read()
        if not any(c.name == "sessionid" for c in jar):
            raise RuntimeError(f"dashboard login as {username} set no session cookie")
        return opener

    def p5(self) -> None:
        # /staff/ redirects to the live system page; live.json is what that page polls
        pages = [("/home/", "main"), ("/staff/system/", "staff"), ("/staff/system/live.json", "staff")]
        openers = {}
        for path, role in pages:
            try:
                opener = openers.get(role) or openers.setdefault(role, self.browser(self.seed["users"][role]))
                result = measure_page(opener, self.server.base, path, self.args.page_requests)
            except Exception as exc:  # a page or its login is missing: reported, not fatal
                self.report.goals.append(Goal("P5", f"page {path}", f"p50 ≤ {P5_MAX_MS} ms, ≤ 150 KB, no other host", str(exc)[:160], None))
                continue
            self.report.raw.setdefault("p5", {})[path] = result
            kb = result["bytes_total"] / 1024
            met = result["p50_ms"] <= P5_MAX_MS and kb <= 150 and not result["foreign"]
            self.report.goals.append(Goal(
                "P5", f"page {path} ({role}), {self.args.page_requests} sequential GETs",
                f"p50 ≤ {P5_MAX_MS} ms, ≤ 150 KB, no other host",
                f"p50 {fmt_ms(result['p50_ms'])}, p90 {fmt_ms(result['p90_ms'])}, {kb:.1f} KB "
                f"(HTML {result['html_bytes'] / 1024:.1f} KB + {len(result['assets'])} assets), "
                f"{len(result['foreign'])} foreign URLs", met,
                note=("foreign: " + ", ".join(result["foreign"][:3])) if result["foreign"] else ""))

    # -- P7 ----------------------------------------------------------------------------------

    def p7(self) -> None:
        """Small and large history, request by request (A B B A …) on two keep-alive connections.

        Fine-grained interleaving puts both learners under the same machine load, so the ratio of
        their median latencies isolates what the history size costs.
        """
        a = self.args
        small, large = a.p7_small, a.p7_small * 100
        for label, path in (("summary", f"{API}/progress/summary/"), ("recommendations", f"{API}/lessons/recommendations/"),
                            ("history", f"{API}/progress/history/")):
            rs, rl = Request(path, headers=self.auth("small")), Request(path, headers=self.auth("large"))
            ok_s, why_s = self.check(rs)
            ok_l, why_l = self.check(rl)
            if not (ok_s and ok_l):
                self.report.goals.append(Goal("P7", f"{label}: {small} vs {large} events", f"ratio ≤ {P7_MAX_RATIO}",
                                              why_s or why_l, None))
                continue
            times = alternate(self.server.base, rs, rl, a.p7_requests)
            self.sent[path] = self.sent.get(path, 0) + 2 * (a.p7_requests + 5)
            p50_s, p50_l = median(times[0]), median(times[1])
            ratio = p50_l / p50_s
            self.report.raw.setdefault("p7", {})[label] = {"small_ms": times[0], "large_ms": times[1]}
            self.report.goals.append(Goal(
                "P7", f"{label}: p50 at {large:,} vs {small} events, {a.p7_requests} alternating requests each",
                f"ratio ≤ {P7_MAX_RATIO}", f"{ratio:.2f}× ({fmt_ms(p50_l)} vs {fmt_ms(p50_s)})", ratio <= P7_MAX_RATIO,
                note=f"errors {times[2]}"))

    # -- serving: the server make run starts against the previous one, same run ----------------

    def serving(self) -> None:
        """Throughput of ``/healthz`` and the P1 subject on the previous serving shape (gunicorn,
        one gthread worker × 8 threads), on Granian with one worker × 8 threads (the same shape,
        another server) and on what ``make run`` starts now (Granian, one worker per core),
        interleaved round by round at c=16 on the same data."""
        a = self.args
        extra = [Server(self.shape, PORT + 1, name="cmp-gunicorn", kind="gunicorn", workers=1, threads=8),
                 Server(self.shape, PORT + 2, name="cmp-granian1", workers=1, threads=8)]
        variants = [("gunicorn 1×8 (previous)", extra[0]), ("granian 1×8", extra[1]),
                    ("granian default (make run)", self.server)]
        for server in extra:
            server.start()
        try:
            reqs = {"/healthz": Request("/healthz"), a.subject: Request(a.subject, headers=self.auth())}
            results: dict[tuple[str, str], list[dict]] = {}
            for _, server in variants:
                for req in reqs.values():
                    run_load(server.base, req, connections=4, duration=1, wrk=self.wrk, server_pids=server.worker_pids())
            for _ in range(a.pairs):
                for path, req in reqs.items():
                    for label, server in variants:
                        run = run_load(server.base, req, connections=16, duration=a.duration, wrk=self.wrk,
                                       server_pids=server.worker_pids(), label=f"{label} {path}")
                        results.setdefault((label, path), []).append(run)
                        self.sent[req.path] = self.sent.get(req.path, 0) + run["requests"]
        finally:
            for server in extra:
                server.stop()
        rows = {}
        for (label, path), runs in results.items():
            rows[(label, path)] = {"rps": median([r["rps"] for r in runs]), "p50_ms": median([r["p50_ms"] for r in runs]),
                                   "p99_ms": median([r["p99_ms"] for r in runs]),
                                   "errors": sum(r["errors"] for r in runs)}
        self.report.raw["serving"] = {f"{label} {path}": row for (label, path), row in rows.items()}
        before, after = variants[0][0], variants[2][0]
        for path in reqs:
            b, n = rows[(before, path)], rows[(after, path)]
            ratio = n["rps"] / b["rps"] if b["rps"] else None
            same = rows[(variants[1][0], path)]
            self.report.goals.append(Goal(
                f"Serving {path}", f"{path} at c=16: make run's server vs the previous gunicorn, median of {a.pairs} interleaved rounds",
                "≥ 1.0× (nothing slower)",
                f"{ratio:.2f}× ({n['rps']:.0f}/s vs {b['rps']:.0f}/s; p50 {fmt_ms(n['p50_ms'])} vs {fmt_ms(b['p50_ms'])}; "
                f"granian 1×8 {same['rps']:.0f}/s)",
                ratio is not None and ratio >= 1.0 and n["errors"] == 0,
                note=f"errors {n['errors']} vs {b['errors']}"))

    # -- P8 ----------------------------------------------------------------------------------

    def p8(self) -> None:
        rss = self.server.worker_rss()
        self.report.raw["p8_rss"] = rss
        if not rss:
            self.report.goals.append(Goal("P8", "web worker RSS after the load", "< 150 MB", "no worker found", None))
            return
        peak = max(rss.values()) / 1024 / 1024
        self.report.goals.append(Goal("P8", f"web worker RSS after the load ({len(rss)} workers, largest)", "< 150 MB",
                                      f"{peak:.0f} MB", peak < 150))

    # -- P3, P4, P6: the owners' own benchmarks ---------------------------------------------

    def external(self) -> None:
        skip = self.args.skip
        if "p3" not in skip:
            search_goals(self)
        if not {"p4", "p6"} <= skip:
            telemetry_goals(self)

    def queries(self) -> None:
        paths = [f"{API}/progress/", f"{API}/progress/summary/", f"{API}/lessons/", f"{API}/lessons/recommendations/",
                 f"{API}/progress/history/", f"{API}/auth/me/"]
        out = {}
        for role in ("small", "large"):
            try:
                out[role] = json.loads(django_side(self.shape, "queries", "--token", self.tokens[role],
                                                   *(["--explain"] if self.args.profile else []), *paths,
                                                   env=self.shape.env(TELEMETRY_ENABLED="false")))
            except Exception as exc:
                out[role] = {"error": str(exc)[-400:]}
        self.report.raw["queries"] = out
        rows = []
        for path in paths:
            s, big = out.get("small", {}).get(path, {}), out.get("large", {}).get(path, {})
            if s and big:
                rows.append(f"`{path}` HTTP {s.get('status')}/{big.get('status')}: {s.get('queries')}→{big.get('queries')} queries, "
                            f"{s.get('wall_ms')}→{big.get('wall_ms')} ms")
        if rows:
            self.report.notes.append("Queries per request, small → large history (Django test client, same database): "
                                     + "; ".join(rows) + ".")

    # -- the whole shape ------------------------------------------------------------------------

    def execute(self) -> ShapeReport:
        started = time.monotonic()
        self.prepare()
        self.start()
        try:
            steps = [("p1", self.p1_p2), ("serving", self.serving), ("lines", self.endpoints), ("p7", self.p7),
                     ("p5", self.p5)]
            for name, step in steps:
                if name in self.args.skip:
                    continue
                log(f"{self.shape.name}: {name}")
                try:
                    step()
                except Exception as exc:
                    log(f"{self.shape.name}: {name} failed: {exc!r}")
                    self.report.notes.append(f"{name} failed: {str(exc)[:300]}")
            if "p8" not in self.args.skip:
                self.p8()
            self.queries()
        finally:
            self.server.stop()
        self.external()
        self.report.raw["seconds"] = round(time.monotonic() - started, 1)
        busy = [ln.get("machine_busy") for ln in self.report.lines if ln.get("machine_busy") is not None]
        own = [(ln.get("server_cpu") or 0) + (ln.get("wrk_cpu") or 0) for ln in self.report.lines if ln.get("machine_busy") is not None]
        if busy:
            other = median([b - o for b, o in zip(busy, own, strict=False)])
            self.report.notes.append(
                f"Machine busy during load runs: median {fmt_pct(median(busy), 0)}, of which the web server + wrk "
                f"{fmt_pct(median(own), 0)}; other processes on the machine took {fmt_pct(other, 0)} "
                "(absolute figures are noisy; the interleaved ratios are what to compare).")
        self.report.goals.sort(key=lambda g: g.goal)
        return self.report


def render(reports: list[ShapeReport], args, argv: list[str], wrk: str | None, started: dt.datetime) -> str:
    m = machine()
    command = "make bench" + (f' BENCH_ARGS="{" ".join(argv)}"' if argv else "")
    lines = [
        f"## Harness (P1, P2, P5, P7, P8) — {started:%Y-%m-%d %H:%M}",
        "",
        f"Machine: {m['cores']} cores ({m['cpu_model']}), {m['memory_gib']} GiB, Linux {m['kernel']}, Python {m['python']}, "
        f"revision {m['revision'] or '?'}. Command: `{command}`. Load: {'wrk (Debian)' if wrk else 'Python fallback client'}, "
        f"{args.duration:g} s per run, {args.pairs} interleaved pairs; the web server as make run starts it"
        + (f" with --workers {args.workers}" if args.workers else "") + "; all traffic on 127.0.0.1.",
        "",
    ]
    for report in reports:
        lines += [render_shape(report), ""]
    return "\n".join(lines)


def parse_args(argv: list[str]):
    parser = argparse.ArgumentParser(description="Measure every performance goal (docs/performance.md) on both storage shapes.")
    parser.add_argument("--shape", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="about a minute per shape: shorter runs, fewer pairs, less data")
    parser.add_argument("--duration", type=float, help="seconds per load run (default 6, quick 2)")
    parser.add_argument("--pairs", type=int, help="interleaved A/B pairs per comparison (default 3, quick 2)")
    parser.add_argument("--workers", type=int, help="web worker processes (default: make run's, one per core)")
    parser.add_argument("--threads", type=int, help="threads per web worker (default: make run's, 8)")
    parser.add_argument("--background", type=int, help="background learners (default 2000, quick 200)")
    parser.add_argument("--lessons", type=int, default=0, help="extra generated lessons (generate_lessons --count)")
    parser.add_argument("--p7-small", type=int, default=50, help="events of the small P7 learner; the large has 100x")
    parser.add_argument("--subject", default=f"{API}/progress/", help="the P1/P2 endpoint (default: progress/)")
    parser.add_argument("--skip", default="", help="comma-separated: p1,serving,lines,p3,p4,p5,p6,p7,p8")
    parser.add_argument("--profile", action="store_true", help="add EXPLAIN plans of the slowest queries")
    parser.add_argument("--python-client", action="store_true", help="use the Python load client even where wrk exists")
    parser.add_argument("--no-write", action="store_true", help="print only; write no report and leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    args.duration = args.duration or (2 if args.quick else 6)
    args.p7_requests = 60 if args.quick else 200
    args.pairs = args.pairs or (2 if args.quick else 3)
    args.background = args.background if args.background is not None else (200 if args.quick else 2000)
    args.main_history = 500
    args.page_requests = 10 if args.quick else 30
    args.skip = {s.strip().lower() for s in args.skip.split(",") if s.strip()}
    if args.quick:
        args.skip |= {"p3", "p6"}  # a 100k-lesson catalog and 30 days at 1M calls a day take minutes to build
    return args


def main() -> int:
    argv = sys.argv[1:]
    args = parse_args(argv)
    started = dt.datetime.now()
    wrk = None if args.python_client else ensure_wrk()
    shapes = ["sqlite", "postgres"] if args.shape == "both" else [args.shape]
    reports = []
    for name in shapes:
        log(f"=== shape {name} ===")
        shape = Shape(name)
        try:
            report = Run(shape, args, wrk).execute()
        except Exception as exc:  # e.g. PostgreSQL or Redis not running: the other shape still runs
            log(f"{name}: not measured: {exc!r}")
            report = ShapeReport(shape=shape.label, notes=["Not measured: " + " ".join(str(exc).split())[:400]])
        reports.append(report)
        print(render_shape(report), flush=True)
    text = render(reports, args, argv, wrk, started)
    save_json(f"harness-{started:%Y%m%d-%H%M%S}.json", {"argv": argv, "machine": machine(), "shapes": [r.to_json() for r in reports]})
    if not args.no_write:
        path = write_report("harness", text, started)
        record_goals(reports, report_path=path, started=started)
        log(f"wrote {path.relative_to(Path(__file__).resolve().parent.parent)} and the goals table in BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
