"""Where a request's time goes: py-spy on a web worker process while wrk loads one endpoint.

    .venv/bin/python bench/pyspy.py --shape sqlite /api/v1/progress/ [/api/v1/lessons/ ...]
    .venv/bin/python bench/pyspy.py --shape postgres --seconds 10 --role large /api/v1/progress/summary/

Same setup as ``bench/run.py`` (fresh storage, seed, the web server as make run starts it, DEBUG off).
py-spy is a profiling tool, not a dependency of the product: ``.venv/bin/pip install py-spy``.
Prints, per endpoint, the throughput under the profiler, then the top frames by inclusive and
by self time (share of the worker's samples), with the collapsed stacks kept under
``bench/results/``.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS_DIR, ROOT, log  # noqa: E402
from load import Request, ensure_wrk, run_load  # noqa: E402
from run import Run, parse_args  # noqa: E402
from server import Shape  # noqa: E402


def summarise(collapsed: Path, top: int) -> str:
    inclusive: collections.Counter = collections.Counter()
    own: collections.Counter = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [f for f in stack.split(";") if f]
        # threads idle in the gthread pool or the selector are not request work
        if any(("wait (threading.py" in f or "select (selectors.py" in f or "poll (selectors.py" in f) for f in frames[-3:]):
            continue
        total += n
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
    if not total:
        return "no samples"
    root = str(ROOT) + "/"
    lines = [f"{total} busy samples", "", "inclusive:"]
    for frame, n in inclusive.most_common(top):
        lines.append(f"  {100 * n / total:5.1f}%  {frame.replace(root, '')}")
    lines += ["", "self:"]
    for frame, n in own.most_common(top):
        lines.append(f"  {100 * n / total:5.1f}%  {frame.replace(root, '')}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--shape", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--role", default="main", help="whose token: main, small, large, staff")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--wall", dest="gil", action="store_false",
                        help="sample every thread (wall time, lock waits included) instead of only the one holding the GIL")
    args = parser.parse_args()
    pyspy = shutil.which("py-spy") or str(ROOT / ".venv" / "bin" / "py-spy")
    if not Path(pyspy).exists():
        print("py-spy is not installed: .venv/bin/pip install py-spy", file=sys.stderr)
        return 2
    run = Run(Shape(args.shape), parse_args(["--quick", "--shape", args.shape]), ensure_wrk())
    run.prepare()
    run.start()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    try:
        for path in args.paths:
            req = Request(path, headers=run.auth(args.role))
            ok, why = run.check(req)
            if not ok:
                print(f"{path}: {why}")
                continue
            run.warm([req])
            worker = run.server.worker_pids()[0]
            out = RESULTS_DIR / f"profile-{args.shape}-{path.strip('/').replace('/', '_') or 'root'}.txt"
            spy = subprocess.Popen([pyspy, "record", "--pid", str(worker), "--duration", str(args.seconds + 1),
                                    "--rate", str(args.rate), "--format", "raw", "--output", str(out), "--nonblocking"]
                                   + (["--gil"] if args.gil else []),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            time.sleep(1)
            result = run_load(run.server.base, req, connections=args.connections, duration=args.seconds, wrk=run.wrk,
                              server_pids=run.server.worker_pids())
            spy.wait(timeout=60)
            print(f"\n=== {path} ({args.shape}, c={args.connections}, under the profiler): {result['rps']:.0f} req/s, "
                  f"p50 {result['p50_ms']:.1f} ms, errors {result['errors']}")
            print(summarise(out, args.top) if out.exists() else f"py-spy wrote nothing: {spy.stderr.read()[-400:]}")
    finally:
        run.server.stop()
    log("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
