"""Worker CPU and queries per request of the endpoints a learner opens (docs/performance.md P7, P9).

    bench/endpoint_costs.py [--user bench-main] [--runs 20] [--warmup 5] [--json] [PATH ...]

Runs in-process against the configured database through Django's test client, authenticated
with a real bearer token (the session check and rate limit run as in production). Per path it
reports the queries of one request, counted with ``connection.execute_wrapper`` (Django resets
``connection.queries`` when a request starts, so ``CaptureQueriesContext`` would see none), and
the median of ``time.thread_time()`` around each of ``--runs`` requests after ``--warmup``
requests: CPU time of the thread serving the request, which a loaded shared machine disturbs far
less than wall time. Run it from another checkout (``--root``) to compare two versions on the
same data in the same minute.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

DEFAULT_PATHS = [
    "/api/v1/progress/",
    "/api/v1/progress/summary/",
    "/api/v1/lessons/recommendations/",
    "/api/v1/lessons/",
    "/api/v1/lessons/{slug}/",
    "/api/v1/progress/history/",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=DEFAULT_PATHS)
    parser.add_argument("--root", default=str(Path(__file__).resolve().parent.parent), help="checkout to import")
    parser.add_argument("--user", default="bench-main")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    sys.path.insert(0, args.root)
    os.chdir(args.root)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "controlpanel.settings")
    os.environ.setdefault("RATELIMIT_API_RATE", "100000000/h")  # measured, not refused; the check still runs
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from accounts.services import user_login
    from lessons.models import Lesson

    user = get_user_model().objects.get(username=args.user)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {user_login(user=user).access}")
    slug = Lesson.objects.published().order_by("category__order", "difficulty", "title").values_list("slug", flat=True)[3]
    out = {}
    for template in args.paths:
        path = template.format(slug=slug)
        for _ in range(args.warmup):
            client.get(path)
        statements: list[str] = []

        def count(execute, sql, params, many, context, statements=statements):
            statements.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
        cpu = []
        for _ in range(args.runs):
            started = time.thread_time()
            client.get(path)
            cpu.append((time.thread_time() - started) * 1000)
        out[template] = {"queries": len(statements), "cpu_ms": round(statistics.median(cpu), 3),
                         "bytes": len(response.content)}
    base = out.get("/api/v1/progress/", {}).get("cpu_ms")
    if args.json:
        print(json.dumps(out))
        return
    print(f"{'path':40} {'queries':>7} {'cpu ms':>8} {'x progress/':>11} {'bytes':>7}")
    for path, row in out.items():
        ratio = f"{row['cpu_ms'] / base:.2f}" if base else "-"
        print(f"{path:40} {row['queries']:>7} {row['cpu_ms']:>8.3f} {ratio:>11} {row['bytes']:>7}")


if __name__ == "__main__":
    main()
