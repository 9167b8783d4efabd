"""ORM-side helpers of the harness, run as a subprocess in one shape's environment.

    djangoside.py seed --main 500 --small 50 --large 5000 --background 2000
    djangoside.py telemetry-counts
    djangoside.py queries --token TOKEN PATH [PATH ...]

``seed`` adds the harness's own learners (names starting ``bench-``) on top of ``seed_demo``:
one for the load runs, two for P7 whose histories are 100x apart, one staff member, and
background learners so tables and indexes have a realistic size. Rows are bulk-inserted (the
product's services would take minutes for 100k events); the password hash is computed once.
Everything prints JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "controlpanel.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.validators import username_key  # noqa: E402

BATCH = 2000


def _history(rng: random.Random, *, user, events: int, days: int, categories: list, lessons_by_cat: dict,
             completed_share: float, now) -> tuple[list, list, list]:
    """Progress events, category progress and lesson records for one learner."""
    from lessons.models import LessonProgress
    from progress.models import ProgressEvent, UserProgress

    if not categories:  # an empty catalog: there is nothing to have progress in
        return [], [], []
    start = now - timedelta(days=days)
    stamps = sorted(start + timedelta(seconds=rng.uniform(0, days * 86400)) for _ in range(events))
    level = {c.pk: 0 for c in categories}
    out_events = []
    for at in stamps:
        cat = rng.choice(categories)
        total = len(lessons_by_cat[cat.pk])
        previous = level[cat.pk]
        new = previous + 1 if previous < total else rng.randint(0, total)
        level[cat.pk] = new
        source = ProgressEvent.Source.LESSON if new == previous + 1 else ProgressEvent.Source.MANUAL
        out_events.append(ProgressEvent(user=user, category=cat, previous=previous, new=new, source=source, created_at=at))
    records, progress = [], []
    for cat in categories:
        ids = lessons_by_cat[cat.pk]
        done = rng.sample(ids, k=min(len(ids), round(len(ids) * completed_share)))
        for lesson_id in done:
            finished = start + timedelta(seconds=rng.uniform(0, days * 86400))
            score = rng.choice([0.5, 1.0])
            records.append(LessonProgress(
                user=user, lesson_id=lesson_id, status=LessonProgress.Status.COMPLETED, score=score, best_score=score,
                attempts=1, time_spent_seconds=rng.randint(300, 1800), started_at=finished - timedelta(minutes=20),
                completed_at=finished,
            ))
        if rng.random() < 0.1:  # now and then a self-paced marker, as learners set them
            progress.append(UserProgress(user=user, category=cat, marked=rng.randint(0, len(ids)), last_updated=now))
    return out_events, progress, records


def seed(args) -> dict:
    from lessons.models import Category, Lesson, LessonProgress
    from progress.models import ProgressEvent, UserProgress

    started = time.monotonic()
    rng = random.Random(args.seed)
    User = get_user_model()
    password = secrets.token_urlsafe(18)
    hashed = make_password(password)
    now = timezone.now()
    categories = list(Category.objects.order_by("pk"))
    lessons_by_cat = {c.pk: list(Lesson.objects.filter(category=c, is_published=True).values_list("pk", flat=True))
                      for c in categories}
    # name: (events, days of history, share of lessons completed, staff)
    specs = {
        "bench-main": (args.main, 180, 0.3, False),
        "bench-small": (args.small, 90, 0.1, False),
        "bench-large": (args.large, 730, 0.6, False),
        "bench-staff": (20, 30, 0.1, True),
    }
    specs |= {f"bench-bg-{i:05d}": (rng.randint(5, 50), 365, rng.uniform(0, 0.3), False) for i in range(args.background)}
    with transaction.atomic():
        User.objects.filter(username__startswith="bench-").delete()
        users = User.objects.bulk_create([
            User(username=name, username_key=username_key(name), email=f"{name}@bench.invalid", password=hashed,
                 is_staff=spec[3], date_joined=now - timedelta(days=spec[1]))
            for name, spec in specs.items()
        ], batch_size=BATCH)
    users = {u.username: u for u in User.objects.filter(username__startswith="bench-")}
    counts = {"events": 0, "lesson_records": 0}
    pending_events, pending_progress, pending_records = [], [], []

    def flush():
        with transaction.atomic():
            ProgressEvent.objects.bulk_create(pending_events, batch_size=BATCH)
            UserProgress.objects.bulk_create(pending_progress, batch_size=BATCH)
            LessonProgress.objects.bulk_create(pending_records, batch_size=BATCH)
        counts["events"] += len(pending_events)
        counts["lesson_records"] += len(pending_records)
        pending_events.clear(), pending_progress.clear(), pending_records.clear()

    for name, (events, days, share, _staff) in specs.items():
        e, p, r = _history(rng, user=users[name], events=events, days=days, categories=categories,
                           lessons_by_cat=lessons_by_cat, completed_share=share, now=now)
        pending_events += e
        pending_progress += p
        pending_records += r
        if len(pending_events) >= 20000:
            flush()
    flush()
    with connection.cursor() as cursor:  # as autovacuum would leave a table that has settled
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return {
        "password": password,
        "users": {"main": "bench-main", "small": "bench-small", "large": "bench-large", "staff": "bench-staff"},
        "history": {name: specs[name][0] for name in ("bench-main", "bench-small", "bench-large")},
        "background_users": args.background,
        "totals": {
            "users": User.objects.count(),
            "lessons": Lesson.objects.count(),
            "categories": len(categories),
            "progress_events": ProgressEvent.objects.count(),
            "lesson_records": LessonProgress.objects.count(),
        },
        "seconds": round(time.monotonic() - started, 1),
    }


def telemetry_counts(_args) -> dict:
    from telemetry.models import RequestTotal

    rows = RequestTotal.objects.values("route", "method", "status_class", "count")
    return {"rows": [dict(r) for r in rows]}


def queries(args) -> dict:
    """Query count, database time and the statements of each path (Django's test client, same DB)."""
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Bearer {args.token}") if args.token else Client()
    if args.session_user:
        client.force_login(get_user_model().objects.get(username=args.session_user))
    out = {}
    for path in args.paths:
        client.get(path)  # warm caches, as the server's would be
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
        statements = [{"ms": round(float(q["time"]) * 1000, 2), "sql": q["sql"][:600]} for q in ctx.captured_queries]
        plans = []
        if args.explain:
            for q in sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))[:3]:
                if not q["sql"].lstrip().upper().startswith("SELECT"):
                    continue
                try:
                    with connection.cursor() as cursor:
                        prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
                        cursor.execute(prefix + q["sql"])
                        plans.append({"sql": q["sql"][:300], "plan": [" ".join(str(c) for c in row) for row in cursor.fetchall()]})
                except Exception as exc:  # a statement Django logged with parameters that do not round-trip
                    plans.append({"sql": q["sql"][:300], "error": str(exc)[:200]})
        out[path] = {"status": response.status_code, "queries": len(statements), "db_ms": round(sum(s["ms"] for s in statements), 2),
                     "wall_ms": round(elapsed, 2), "statements": statements, "plans": plans}
    return out


def cprofile(args) -> dict:
    """Deterministic profile of ``n`` requests to one path (Django's test client, same database)."""
    import cProfile
    import io
    import pstats

    from django.test import Client

    if args.session:  # a dashboard page: the browser's session cookie
        client = Client()
        client.force_login(get_user_model().objects.get(username=args.user))
    else:
        token = args.token
        if not token:
            from accounts.services import user_login

            token = user_login(user=get_user_model().objects.get(username=args.user)).access
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    for _ in range(20):
        client.get(args.path)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(args.n):
        response = client.get(args.path)
    profiler.disable()
    per_request = (time.perf_counter() - started) * 1000 / args.n
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats(args.sort)
    stats.print_stats(args.top)
    return {"status": response.status_code, "ms_per_request_profiled": round(per_request, 3), "profile": out.getvalue()}


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("seed")
    p.add_argument("--main", type=int, default=500)
    p.add_argument("--small", type=int, default=50)
    p.add_argument("--large", type=int, default=5000)
    p.add_argument("--background", type=int, default=2000)
    p.add_argument("--seed", type=int, default=7)
    sub.add_parser("telemetry-counts")
    p = sub.add_parser("queries")
    p.add_argument("--token", default="")
    p.add_argument("--session-user", default="")
    p.add_argument("--explain", action="store_true")
    p.add_argument("paths", nargs="+")
    p = sub.add_parser("cprofile")
    p.add_argument("--token", default="")
    p.add_argument("--user", default="bench-main")
    p.add_argument("--session", action="store_true", help="log in with a session cookie (pages) instead of a token")
    p.add_argument("--n", type=int, default=300)
    p.add_argument("--sort", default="cumulative")
    p.add_argument("--top", type=int, default=60)
    p.add_argument("path")
    args = parser.parse_args()
    handler = {"seed": seed, "telemetry-counts": telemetry_counts, "queries": queries, "cprofile": cprofile}[args.command]
    json.dump(handler(args), sys.stdout, default=str)


if __name__ == "__main__":
    main()
