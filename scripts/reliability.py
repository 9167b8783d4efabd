#!/usr/bin/env python3
"""Run the reliability suites (RELIABILITY.md): one command per suite, short (CI) or long form.

    .venv/bin/python scripts/reliability.py fuzz            # schema fuzz, 10 examples per operation
    .venv/bin/python scripts/reliability.py fuzz --long     # 200 examples per operation
    .venv/bin/python scripts/reliability.py soak --long     # 10 minutes of mixed learner traffic
    .venv/bin/python scripts/reliability.py all             # every suite, short forms

Suites run on the storage shape the environment names, like the test suite: the embedded default,
or PostgreSQL + Redis with ``DATABASE_URL`` and ``REDIS_URL``. ``faults`` and ``scaleout`` start
their own PostgreSQL and Redis servers on spare ports but run only on the PostgreSQL + Redis pass,
so they need those two variables set. Extra arguments after ``--`` go to pytest.
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SUITES = {
    "fuzz": ["tests/reliability/test_schema_fuzz.py", "tests/reliability/test_methods.py"],
    "cross-user": ["tests/reliability/test_cross_user.py"],
    "faults": ["tests/reliability/test_faults.py"],
    "scaleout": ["tests/reliability/test_scale_out.py"],
    "soak": ["tests/reliability/test_soak.py"],
}
NEEDS_PRODUCTION_SHAPE = {"faults", "scaleout"}
LONG_FORM = {
    "fuzz": {"RELIABILITY_FUZZ_EXAMPLES": "200", "RELIABILITY_FUZZ_PHASES": "examples,coverage,fuzzing,stateful"},
    "soak": {"RELIABILITY_SOAK_SECONDS": "600", "RELIABILITY_SOAK_THREADS": "8"},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("suite", choices=[*SUITES, "all"])
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--short", action="store_true", help="the CI form (default)")
    form.add_argument("--long", action="store_true", help="the on-demand form: longer fuzz and soak")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args()

    names = list(SUITES) if args.suite == "all" else [args.suite]
    production = bool(os.environ.get("DATABASE_URL")) and bool(os.environ.get("REDIS_URL"))
    missing = [name for name in names if name in NEEDS_PRODUCTION_SHAPE and not production]
    if missing and args.suite != "all":
        parser.error(f"{', '.join(missing)} run on PostgreSQL + Redis: set DATABASE_URL and REDIS_URL")
    if missing:
        print(f"note: {', '.join(missing)} need DATABASE_URL and REDIS_URL; not run on this shape", file=sys.stderr)
        names = [name for name in names if name not in missing]

    env = dict(os.environ)
    if args.long:
        for name in names:
            env.update(LONG_FORM.get(name, {}))
    paths = [path for name in names for path in SUITES[name]]
    command = [sys.executable, "-m", "pytest", *paths, "-p", "no:cacheprovider", "-q", "-rA", *args.pytest_args]
    print("+", " ".join(command), flush=True)
    return subprocess.call(command, cwd=BASE_DIR, env=env)


if __name__ == "__main__":
    sys.exit(main())
