"""What each piece of per-request work costs: P1 with one thing switched off at a time.

    .venv/bin/python bench/ablate.py --shape sqlite [--pairs 3 --duration 5 --connections 16]
    .venv/bin/python bench/ablate.py --shape postgres --variants baseline,no-api-log,workers-1

Every variant is a web server of its own (same seeded storage, different port, one
environment switch or server option changed); in each round every variant gets a /healthz run
and a progress/ run, so all of them see the same machine load. The table gives each variant's
progress/healthz ratio (P1) and its progress throughput relative to the baseline's.

Switches only: nothing here edits the product. A variant that turns a promise off (the API log
line, rate limits, telemetry) measures what that promise costs; it is not a fix.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import fmt_ms, fmt_num, fmt_pct, log, machine, markdown_table, median, write_report  # noqa: E402
from load import Request, ensure_wrk, run_load  # noqa: E402
from run import API, Run, parse_args  # noqa: E402
from server import Server, Shape  # noqa: E402

VARIANTS = {
    "baseline": ({}, {}),
    "access-log": ({}, {"access_log": True}),
    "no-api-log": ({"LOG_LEVEL": "WARNING"}, {}),
    "no-telemetry": ({"TELEMETRY_ENABLED": "false"}, {}),
    "no-ratelimit": ({"RATELIMIT_ENABLE": "false"}, {}),
    "workers-1": ({}, {"workers": 1}),
    "all-off": ({"LOG_LEVEL": "WARNING", "TELEMETRY_ENABLED": "false", "RATELIMIT_ENABLE": "false"}, {}),
}
SQLITE_ONLY = {
    # the same file through DATABASE_URL: CONN_MAX_AGE applies (the file stays in WAL mode)
    "sqlite-persistent-conn": (lambda shape: {"DATABASE_URL": f"sqlite:///{shape.var_dir / 'db.sqlite3'}",
                                              "DATABASE_CONN_MAX_AGE": "600"}, {}),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shape", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--path", default=f"{API}/progress/")
    parser.add_argument("--variants", default="", help="comma-separated names (default: all that apply)")
    parser.add_argument("--write", action="store_true", help="write the table to a dated report in bench/results/")
    args = parser.parse_args()
    shape = Shape(args.shape)
    variants = dict(VARIANTS)
    if shape.name == "sqlite":
        variants |= SQLITE_ONLY
    if args.variants:
        variants = {k: v for k, v in variants.items() if k in args.variants.split(",")}
    run = Run(shape, parse_args(["--quick", "--shape", shape.name]), ensure_wrk())
    run.prepare()
    servers: dict[str, Server] = {}
    try:
        for i, (name, (env, opts)) in enumerate(variants.items()):
            env = env(shape) if callable(env) else env
            servers[name] = Server(shape, 18800 + i, name=name, env_extra=env, **opts)
            servers[name].start()
        run.server = servers["baseline"] if "baseline" in servers else next(iter(servers.values()))
        for role, username in run.seed["users"].items():
            run.tokens[role] = run.login(username)
        health, subject = Request("/healthz"), Request(args.path, headers=run.auth())
        results: dict[str, list] = {name: [] for name in servers}
        for server in servers.values():
            for req in (health, subject):
                run_load(server.base, req, connections=4, duration=1, wrk=run.wrk, server_pids=server.worker_pids())
        for round_ in range(args.pairs):
            for name, server in servers.items():
                h = run_load(server.base, health, connections=args.connections, duration=args.duration, wrk=run.wrk,
                             server_pids=server.worker_pids())
                p = run_load(server.base, subject, connections=args.connections, duration=args.duration, wrk=run.wrk,
                             server_pids=server.worker_pids())
                results[name].append((h, p))
                log(f"round {round_ + 1} {name}: healthz {h['rps']:.0f}/s, subject {p['rps']:.0f}/s, ratio {p['rps'] / h['rps']:.3f}")
    finally:
        for server in servers.values():
            server.stop()
    base = median([p["rps"] for _, p in results.get("baseline", [])]) if "baseline" in results else None
    rows = []
    for name, pairs in results.items():
        ratio = median([p["rps"] / h["rps"] for h, p in pairs])
        rps = median([p["rps"] for _, p in pairs])
        cpu_h = median([h["server_cpu_ms_per_request"] for h, _ in pairs])
        cpu_p = median([p["server_cpu_ms_per_request"] for _, p in pairs])
        rows.append([name, fmt_num(median([h["rps"] for h, _ in pairs])), fmt_num(rps), fmt_ms(median([p["p50_ms"] for _, p in pairs])),
                     fmt_pct(ratio), f"{rps / base:.2f}×" if base else "–", f"{cpu_h:.2f} / {cpu_p:.2f}",
                     fmt_pct(cpu_h / cpu_p) if cpu_p else "–", sum(h["errors"] + p["errors"] for h, p in pairs)])
    m = machine()
    text = "\n".join([
        f"### Ablation, {shape.label}: {args.path} at c={args.connections} — {dt.datetime.now():%Y-%m-%d %H:%M}", "",
        f"`.venv/bin/python bench/ablate.py --shape {shape.name} --pairs {args.pairs} --duration {args.duration:g}`; "
        f"{m['cores']} cores ({m['cpu_model']}), revision {m['revision'] or '?'}. Each variant switches one thing off "
        "(what that work costs, not a fix).", "",
        markdown_table(["variant", "/healthz req/s", "subject req/s", "subject p50", "subject / healthz (P1)",
                        "subject vs baseline", "worker CPU ms/request (healthz / subject)", "CPU-cost ratio",
                        "errors"], rows),
    ])
    print(text)
    if args.write:
        write_report("ablation", text, dt.datetime.now())
    return 0


if __name__ == "__main__":
    sys.exit(main())
