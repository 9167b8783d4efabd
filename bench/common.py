"""Shared helpers of the benchmark harness: paths, the machine, CPU meters, tables, BENCHMARKS.md."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
REPORTS_DIR = BENCH_DIR / "results"  # one dated Markdown report per run, kept in the repository
RESULTS_DIR = REPORTS_DIR / "raw"  # raw JSON and profiles of the last runs, local only
GOALS_JSON = REPORTS_DIR / "goals.json"  # the latest measurement of every goal on every shape
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
CORES = os.cpu_count() or 1
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def log(message: str) -> None:
    """Progress on stderr, so stdout stays the tables."""
    stamp = dt.datetime.now().strftime("%H:%M:%S")
    print(f"[bench {stamp}] {message}", file=sys.stderr, flush=True)


# THE MACHINE

def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    try:
        revision = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                  capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        revision = ""
    return {
        "cores": CORES,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "cpu_model": model or platform.processor() or "unknown",
        "kernel": platform.release(),
        "python": platform.python_version(),
        "revision": revision,
    }


# CPU ACCOUNTING (from /proc, so the load generator's own share can be reported)

def machine_cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    total = sum(fields[:8])
    return total - idle, total


def process_cpu_seconds(pid: int, children: bool = False) -> float:
    """User + system CPU seconds of one process (plus its reaped children when asked)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    parts = stat[stat.rindex(")") + 2:].split()
    # fields 14..17 of stat (1-based): utime stime cutime cstime; after the comm they start at index 11
    ticks = int(parts[11]) + int(parts[12])
    if children:
        ticks += int(parts[13]) + int(parts[14])
    return ticks / CLOCK_TICKS


class CpuWindow:
    """Machine busy share and the CPU seconds of some processes over a window."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.start_machine = machine_cpu_ticks()
        self.start_proc = {name: process_cpu_seconds(pid) for name, pid in pids.items()}

    def add(self, name: str, pid: int) -> None:
        self.pids[name] = pid
        self.start_proc[name] = process_cpu_seconds(pid)

    def stop(self, wall_seconds: float, final: dict[str, float] | None = None) -> dict:
        busy0, total0 = self.start_machine
        busy1, total1 = machine_cpu_ticks()
        out = {"machine_busy": round((busy1 - busy0) / max(1, total1 - total0), 3)}
        for name, pid in self.pids.items():
            seconds = (final or {}).get(name)
            if seconds is None:
                seconds = process_cpu_seconds(pid)
            used = max(0.0, seconds - self.start_proc[name])
            # share of the whole machine (all cores) over the window
            out[f"{name}_cpu"] = round(used / max(1e-6, wall_seconds * CORES), 3)
        return out


# RESULTS

@dataclass
class Goal:
    """One line of a shape's table: a goal, what was measured, and whether it is met."""

    goal: str
    what: str
    target: str
    measured: str
    met: bool | None  # None: not measured (the feature is missing or failed)
    note: str = ""

    @property
    def verdict(self) -> str:
        return {True: "met", False: "**not met**", None: "not measured"}[self.met]


@dataclass
class ShapeReport:
    shape: str
    goals: list[Goal] = field(default_factory=list)
    lines: list[dict] = field(default_factory=list)  # per-endpoint load lines
    pairs: list[dict] = field(default_factory=list)  # interleaved A/B pairs
    notes: list[str] = field(default_factory=list)
    raw: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "shape": self.shape,
            "goals": [asdict(g) | {"verdict": g.verdict} for g in self.goals],
            "lines": self.lines,
            "pairs": self.pairs,
            "notes": self.notes,
            "raw": self.raw,
        }


def median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def fmt_pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f}%"


def fmt_num(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def render_shape(report: ShapeReport) -> str:
    parts = [f"### {report.shape}", ""]
    if report.goals:
        parts.append(markdown_table(
        ["goal", "what", "target", "measured", "verdict"],
        [[g.goal, g.what, g.target, g.measured + (f" ({g.note})" if g.note else ""), g.verdict] for g in report.goals],
        ))
    if report.lines:
        tool = next((ln["tool"] for ln in report.lines if ln.get("tool")), "wrk")
        parts += ["", f"Endpoints (load generator: {tool}, keep-alive, 127.0.0.1):", ""]
        parts.append(markdown_table(
            ["endpoint", "conc.", "req/s", "p50", "p99", "errors", "worker CPU/request", "load generator CPU", "machine busy"],
            [[ln["label"], ln["connections"], fmt_num(ln.get("rps")), fmt_ms(ln.get("p50_ms")), fmt_ms(ln.get("p99_ms")),
              ln.get("errors", "–"), fmt_ms(ln.get("cpu_ms")), fmt_pct(ln.get("wrk_cpu"), 0), fmt_pct(ln.get("machine_busy"), 0)]
             for ln in report.lines],
        ))
    if report.notes:
        parts += [""] + [f"- {n}" for n in report.notes if "\n" not in n]
        parts += ["\n" + n for n in report.notes if "\n" in n]
    return "\n".join(parts)


def save_json(name: str, payload: dict) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / name
    path.write_text(json.dumps(payload, indent=2, default=str))
    return path


TABLE_START = "<!-- generated by make bench: goals -->"
TABLE_END = "<!-- end of generated goals -->"
BENCHMARKS_HEADER = """# Benchmarks

Every performance goal (`docs/performance.md`) on both storage shapes, as the last `make bench`
that measured it found it. `make bench` rewrites the table below; each run's full report
(every load line, the pairs, the machine, the notes) is a dated file in `bench/results/`.
How to run and what each line measures: `bench/README.md`.

"""


def write_report(kind: str, section: str, started: dt.datetime) -> Path:
    """One dated report file per run under ``bench/results/``."""
    REPORTS_DIR.mkdir(parents=True, exist_ok=True)
    path = REPORTS_DIR / f"{started:%Y-%m-%d-%H%M}-{kind}.md"
    path.write_text(section.rstrip() + "\n")
    return path


def _goal_key(goal: Goal, shape: str) -> str:
    """The same goal across runs of different lengths: numbers in its description do not count."""
    import re

    return f"{goal.goal}|{re.sub(r'[0-9][0-9,.]*', 'N', goal.what)}|{shape}"


def _goal_order(row: dict) -> tuple:
    import re

    number = re.match(r"P(\d+)", row["goal"])
    concurrency = re.search(r"c=(\d+)", row["goal"])
    return (int(number.group(1)) if number else 99, row["goal"].split(" ")[0],
            int(concurrency.group(1)) if concurrency else 0, row["what"], row["shape"])


def record_goals(reports: list[ShapeReport], *, report_path: Path, started: dt.datetime) -> None:
    """Fold this run's goals into ``goals.json`` and rewrite the table at the top of BENCHMARKS.md."""
    state = json.loads(GOALS_JSON.read_text()) if GOALS_JSON.exists() else {}
    revision = machine()["revision"] or "?"
    for report in reports:
        for goal in report.goals:
            state[_goal_key(goal, report.shape)] = {
                "goal": goal.goal, "what": goal.what, "shape": report.shape, "target": goal.target,
                "measured": goal.measured + (f" ({goal.note})" if goal.note else ""), "verdict": goal.verdict,
                "revision": revision, "date": f"{started:%Y-%m-%d}", "report": report_path.name,
            }
    REPORTS_DIR.mkdir(parents=True, exist_ok=True)
    GOALS_JSON.write_text(json.dumps(state, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    rows = sorted(state.values(), key=_goal_order)
    table = markdown_table(
        ["goal", "what", "shape", "target", "measured", "verdict", "revision", "date"],
        [[r["goal"], r["what"], r["shape"], r["target"], r["measured"], r["verdict"], f"`{r['revision']}`",
          f"[{r['date']}](bench/results/{r['report']})"] for r in rows])
    text = BENCHMARKS_MD.read_text() if BENCHMARKS_MD.exists() else BENCHMARKS_HEADER
    block = f"{TABLE_START}\n{table}\n{TABLE_END}"
    if TABLE_START in text and TABLE_END in text:
        head, rest = text.split(TABLE_START, 1)
        text = head + block + rest.split(TABLE_END, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    BENCHMARKS_MD.write_text(text)
