"""P3, P4 and P6 come from their owners' benchmarks (bench/search.py, bench/telemetry.py), called as they are."""

from __future__ import annotations

import json
import re
import subprocess

from common import PYTHON, RESULTS_DIR, ROOT, Goal, fmt_ms, log


def search_goals(run) -> None:
    """P3: bench/search.py as its owner wrote it; the table line is judged from its summary."""
    target = "turbo p50 ≤ 5 ms every class; never slower than plain; ≥ 20× over the mixed set"
    script = ROOT / "bench" / "search.py"
    if not script.exists():
        run.report.goals.append(Goal("P3", "turbo search, 100k lessons", target, "bench/search.py is missing", None))
        return
    log(f"{run.shape.name}: P3 via bench/search.py (its own catalog and database)")
    out = RESULTS_DIR / f"search-{run.shape.name}.json"
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.unlink()
    cmd = [PYTHON, str(script), "--shape", run.shape.name, "--json", str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0 or not out.exists():
        tail = (proc.stderr.strip().splitlines() or [""])[-1][:200]
        run.report.raw["p3_error"] = proc.stderr[-3000:]
        log(f"bench/search.py failed: {proc.stderr[-1500:]}")
        run.report.goals.append(Goal("P3", "turbo search (bench/search.py)", target, f"failed: {tail}", None))
        return
    data = json.loads(out.read_text()).get(run.shape.name, {})
    lines = {line["class"]: line for line in data.get("summary", [])}
    classes = [line for name, line in lines.items() if name != "mixed set"]
    mixed = lines.get("mixed set")
    if not classes or not mixed:
        run.report.goals.append(Goal("P3", "turbo search (bench/search.py)", target, "no summary", None))
        return
    slowest = max(classes, key=lambda line: line["turbo_p50"])
    worst = min(classes, key=lambda line: line["worst_query_speedup"])
    lessons = data.get("facts", {}).get("lessons")
    run.report.goals.append(Goal(
        "P3", f"turbo search over {lessons:,} lessons, server time (search_execute)", target,
        f"slowest class {slowest['class']} p50 {fmt_ms(slowest['turbo_p50'])}; slowest query "
        f"{worst['worst_query_speedup']:.1f}× faster than plain; mixed set {mixed['speedup']:.0f}× (p50)",
        slowest["turbo_p50"] <= 5 and worst["worst_query_speedup"] >= 1 and mixed["speedup"] >= 20))
    run.report.raw["p3"] = {"summary": data.get("summary"), "facts": data.get("facts")}
    text = proc.stdout.strip()
    if text:
        run.report.notes.append("P3 detail (bench/search.py):\n\n" + re.sub(r"(?m)^#{2,3} ", "#### ", text))

def telemetry_goals(run) -> None:
    """P4 and P6: bench/telemetry.py as its owner wrote it, for this shape."""
    script = ROOT / "bench" / "telemetry.py"
    if not script.exists():
        for g in ("P4", "P6"):
            run.report.goals.append(Goal(g, "", "", "bench/telemetry.py is missing", None))
        return
    log(f"{run.shape.name}: P4/P6 via bench/telemetry.py")
    cmd = [PYTHON, str(script), "--shape", run.shape.name, "--pairs", str(run.args.pairs),
           "--seconds", str(run.args.duration)]
    for goal in ("p4", "p6"):
        if goal in run.args.skip:
            cmd.append(f"--skip-{goal}")
    if run.args.no_write:
        cmd.append("--no-write")
    result = run_owner(cmd, "telemetry.json")
    data = (result.get("data") or {}).get(run.shape.name, {})
    run.report.raw["telemetry"] = data
    if "p4" not in run.args.skip:
        if "p4" in data:
            for endpoint in data["p4"]["endpoints"]:
                overhead = 1 - endpoint["median_ratio"]
                run.report.goals.append(Goal("P4", f"telemetry on vs off: {endpoint['label']}", "≤ 3% throughput",
                                              f"{100 * overhead:+.1f}%", overhead <= 0.03))
            c = data["p4"]["counting"]
            share = c["telemetry_counted"] / c["access_log_api_calls"] if c["access_log_api_calls"] else 0
            run.report.goals.append(Goal("P4", "requests counted by telemetry", "100%",
                                          f"{c['telemetry_counted']:,} of {c['access_log_api_calls']:,} ({100 * share:.2f}%)",
                                          share >= 1.0))
        else:
            run.report.goals.append(Goal("P4", "telemetry on vs off", "≤ 3%, 100% counted",
                                          result.get("error") or "no result", None))
    if "p6" not in run.args.skip:
        if "p6" in data:
            r = data["p6"]
            run.report.goals.append(Goal("P6", f"monthly report, {r['requests_in_report']:,} API calls in 30 days",
                                          "≤ 2 s", f"{r['median_seconds']:.2f} s (runs {', '.join(f'{t:.2f}' for t in r['timings'])})",
                                          r["median_seconds"] <= 2))
        else:
            run.report.goals.append(Goal("P6", "monthly report", "≤ 2 s", result.get("error") or "no result", None))

# -- query counts (profile) ---------------------------------------------------------------


def run_owner(cmd: list[str], result_name: str) -> dict:
    """Run another owner's benchmark script as it is; its JSON result file when it succeeds."""
    path = RESULTS_DIR / result_name
    before = path.stat().st_mtime if path.exists() else 0
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        log(f"{' '.join(cmd[1:3])} failed: {proc.stderr[-600:]}")
        return {"error": f"exit {proc.returncode}: {proc.stderr.strip().splitlines()[-1][:200] if proc.stderr.strip() else ''}"}
    if not path.exists() or path.stat().st_mtime <= before:
        return {"error": f"{result_name} was not written", "stdout": proc.stdout[-2000:]}
    return {"data": json.loads(path.read_text()), "stdout": proc.stdout[-4000:]}
