"""P3: turbo search against plain search on a generated catalog, on SQLite and on PostgreSQL.

    .venv/bin/python bench/search.py [--lessons 100000] [--shape sqlite|postgres|both] [--runs 5] [--rebuild]

For each shape a child process builds (or reuses) a catalog of ``--lessons`` generated lessons
in a database of its own, never the development one: ``/tmp/cp-bench-search/bench.sqlite3``
and the PostgreSQL database ``cp_bench_search`` on 127.0.0.1. Lessons are bulk-inserted and
the turbo index is built with the product's own rebuild (its time is reported). Then six term
classes are timed, five queries each, plain and turbo interleaved (A B A B ...):

    absent       words in no lesson
    rare         a word in at most ~0.05% of lessons
    medium       a word in 1-5% of lessons
    very common  the words nearest to 70% of lessons (50-85%)
    multi-word   two or three words of mixed frequency
    prefix       the start of a medium word ("waterc" for "watercolour")
    misspelt     a medium word with one typo (two for 9+ letters): turbo's typo tolerance finds
                 its lessons, plain finds none (its scan still reads every lesson)

Time is server-side: one call of ``search.selectors.search_execute`` (first page of 20, with
snippets; the result cache switched off), measured with ``perf_counter`` in the process that
runs the query. The table gives p50/p95 per class and over the mixed set, the speedup (plain
p50 / turbo p50), the slowest turbo query relative to its plain twin, and the P3 verdicts.
Turbo's count beside plain's is logged per query (turbo's recall includes plain's).

Catalog text: words drawn with Zipf-like frequencies from the vocabulary of the product's own
lesson bank and catalog (so common words are the ones real lessons use) followed by a long
tail of generated words, so every frequency class exists. Generation is seeded: the same
arguments give the same catalog, and an existing catalog of the same size is reused.
"""

from __future__ import annotations

import argparse
import fcntl
import itertools
import json
import math
import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path("/tmp/cp-bench-search")
PG_DATABASE = "cp_bench_search"
PG_URL = f"postgres://postgres@127.0.0.1:5432/{PG_DATABASE}"
SEED = 20261125
CATEGORIES = [("bench-drawing", "Drawing"), ("bench-colour", "Colour"), ("bench-composition", "Composition"),
              ("bench-writing", "Writing"), ("bench-music", "Music and rhythm"), ("bench-photography", "Photography")]
WORD = re.compile(r"[^\W_]+")
QUERIES_PER_CLASS = 5
CLASSES = ["absent", "rare", "medium", "very common", "multi-word", "prefix", "misspelt"]


def log(message: str) -> None:
    print(f"[bench search {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the catalog -------------------------------------------------------------------------------

def bank_vocabulary() -> list[str]:
    """Words of the lesson bank and the authored catalog, most frequent first."""
    counts: dict[str, int] = {}
    files = list((ROOT / "lessons" / "generation" / "bank").glob("*/*.yaml")) + \
        list((ROOT / "lessons" / "catalog").glob("*/*.md"))
    for path in files:
        for line in path.read_text().lower().splitlines():
            if re.match(r"\s*-?\s*[a-z_]+:\s*$", line) or re.match(r"\s*(id|tags|choices|answer):", line):
                continue
            text = line.split(":", 1)[1] if re.match(r"\s*-?\s*[a-z_]+:", line) else line
            for word in WORD.findall(text):
                if not word.isdigit():
                    counts[word] = counts.get(word, 0) + 1
    return [w for w, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def generated_words(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    syllables = ["ka", "lo", "mi", "ren", "tu", "sa", "vel", "dor", "qui", "ban", "zo", "fe", "nar", "pil", "gro",
                 "sha", "tem", "wix", "ul", "en", "tra", "mo", "ris", "cal"]
    out: list[str] = []
    seen = set(taken)
    while len(out) < count:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            out.append(word)
    return out


def catalog_rows(count: int):
    """Yield ``count`` lesson dicts (deterministic for SEED)."""
    rng = random.Random(SEED)
    real = bank_vocabulary()
    vocabulary = real + generated_words(rng, 40_000, set(real))
    weights = list(itertools.accumulate(1 / (rank + 10) ** 1.02 for rank in range(len(vocabulary))))

    def words(n: int) -> list[str]:
        return rng.choices(vocabulary, cum_weights=weights, k=n)

    for n in range(count):
        title = " ".join(words(rng.randint(3, 6))).capitalize()[:100] + f" {n}"
        summary = " ".join(words(rng.randint(12, 24))).capitalize() + "."
        sentences = [" ".join(words(rng.randint(6, 16))).capitalize() + "." for _ in range(rng.randint(10, 18))]
        body = "## Objective\n\n" + " ".join(sentences[:3]) + "\n\n## Steps\n\n" + \
            "\n".join(f"{i}. {s}" for i, s in enumerate(sentences[3:], 1))
        yield {"n": n, "title": title, "summary": summary, "tags": sorted(set(words(rng.randint(2, 4)))),
               "body": body, "category": n % len(CATEGORIES), "difficulty": 1 + n % 5}


# --- child: one shape ----------------------------------------------------------------------------

def child_env(shape: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SQLITE_PATH"}}
    env.update({
        "DJANGO_SETTINGS_MODULE": "controlpanel.settings",
        "CONTROLPANEL_TESTING": "true",
        "CONTROLPANEL_VAR_DIR": str(BENCH_DIR / shape),
        "TELEMETRY_ENABLED": "false",
        "TELEMETRY_BACKGROUND_FLUSH": "false",
        "LOG_LEVEL": "WARNING",
    })
    if shape == "postgres":
        env["DATABASE_URL"] = PG_URL
    else:
        env["SQLITE_PATH"] = str(BENCH_DIR / "bench.sqlite3")
    return env


def build_catalog(count: int, rebuild: bool) -> dict:
    """Insert the generated catalog (unless the same one is there) and build the turbo index."""
    from django.db import connection, transaction

    from lessons.models import Category, Lesson
    from search import selectors, services

    marker = f"bench-{SEED}-{count}"
    facts: dict = {}
    existing = Lesson.objects.count()
    fresh = rebuild or existing != count or not Lesson.objects.filter(slug=f"{marker}-0").exists()
    if fresh:
        log(f"building a catalog of {count} lessons")
        started = time.perf_counter()
        with transaction.atomic():
            Lesson.objects.all()._raw_delete(Lesson.objects.db)  # only bench lessons live here; no signals
            categories = [Category.objects.update_or_create(slug=slug, defaults={"name": name, "order": i})[0]
                          for i, (slug, name) in enumerate(CATEGORIES)]
        batch = []
        for row in catalog_rows(count):
            batch.append(Lesson(
                slug=f"{marker}-{row['n']}", title=row["title"], category=categories[row["category"]],
                difficulty=row["difficulty"], style=Lesson.Style.VISUAL, summary=row["summary"], tags=row["tags"],
                body_markdown=row["body"], body_html="", content_hash=f"{marker}-{row['n']}",
                is_published=True, source=Lesson.Source.GENERATED,
            ))
            if len(batch) == 2000:
                Lesson.objects.bulk_create(batch)  # bulk: no signals; the index is built below
                batch = []
                if row["n"] % 20000 == 19999:
                    log(f"  {row['n'] + 1} lessons")
        Lesson.objects.bulk_create(batch)
        facts["catalog_seconds"] = round(time.perf_counter() - started, 1)
    status = selectors.turbo_status()
    if fresh or not status["index_in_sync"]:
        log("building the turbo index (rebuild_search_index)")
        started = time.perf_counter()
        services.search_index_rebuild(progress=lambda done, total: done % 20000 == 0 and log(f"  {done}/{total}"))
        facts["index_seconds"] = round(time.perf_counter() - started, 1)
        status = selectors.turbo_status()
    if connection.vendor == "postgresql":  # as autovacuum leaves a catalog (this machine's server runs without it)
        with connection.cursor() as cursor:
            for table in ("lessons_lesson", "lessons_category", "search_document", "search_word"):
                cursor.execute(f"VACUUM (ANALYZE) {table}")
    facts["index_in_sync"] = status["index_in_sync"]
    facts["lessons"] = status["published_lessons"]
    return facts


def document_frequencies(count: int) -> dict[str, int]:
    """Lessons containing each word (exact word), from the same generator (kept beside the databases)."""
    path = BENCH_DIR / f"df-{SEED}-{count}.json"
    if path.exists():
        return json.loads(path.read_text())
    df: dict[str, int] = {}
    for row in catalog_rows(count):
        text = " ".join((row["title"], row["summary"], " ".join(row["tags"]), row["body"],
                         CATEGORIES[row["category"]][1]))
        for word in set(WORD.findall(text.lower())):
            df[word] = df.get(word, 0) + 1
    path.write_text(json.dumps(df))
    return df


def pick_queries(count: int, df: dict[str, int]) -> dict[str, list[str]]:
    rng = random.Random(SEED + 1)
    words = sorted(w for w in df if len(w) >= 5 and not w.isdigit())

    def between(lo: float, hi: float, n: int, min_len: int = 5) -> list[str]:
        pool = [w for w in words if lo * count <= df[w] <= hi * count and len(w) >= min_len]
        return sorted(rng.sample(pool, min(n, len(pool))))

    medium = between(0.01, 0.05, QUERIES_PER_CLASS * 3, min_len=7)
    # the words nearest to 70% of lessons (in any catalog they are short, everyday words)
    common = sorted(sorted((w for w in df if len(w) >= 4 and not w.isdigit() and 0.5 * count <= df[w] <= 0.85 * count),
                           key=lambda w: abs(df[w] - 0.7 * count))[:QUERIES_PER_CLASS])
    return {
        "absent": ["zyxqvut", "quorblex", "vantablack", "xylophonics", "jqwzzk"],
        "rare": between(0.00001, 0.0005, QUERIES_PER_CLASS, min_len=8),
        "medium": medium[:QUERIES_PER_CLASS],
        "very common": common,
        "multi-word": [f"{common[0]} {medium[5]}", f"{medium[6]} {medium[7]}", f"{common[1]} {common[2]}",
                       f"{common[3]} {medium[8]} {common[4]}", f"{medium[9]} {common[0]}"],
        "prefix": [w[: max(4, len(w) - 3)] for w in medium[10:15]],
        "misspelt": [misspelt(w) for w in between(0.01, 0.05, QUERIES_PER_CLASS * 4, min_len=6)[-QUERIES_PER_CLASS:]],
    }


def misspelt(word: str) -> str:
    """``word`` with a typo a learner makes: a swapped pair in the middle, and a doubled letter too from 9 letters."""
    middle = len(word) // 2
    typo = word[:middle - 1] + word[middle] + word[middle - 1] + word[middle + 1:]
    return typo + typo[-1] if len(word) >= 9 else typo


def time_queries(queries: dict[str, list[str]], runs: int) -> list[dict]:
    from django.test.utils import override_settings

    from search import selectors

    rows = []
    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}):
        selectors.search_execute(query="warm up", turbo=True)  # opens the connection and warms the page cache
        for klass in CLASSES:
            for q in queries[klass]:
                times = {True: [], False: []}
                last = {}
                for _ in range(runs):
                    for turbo in (False, True):  # A B A B ...
                        started = time.perf_counter()
                        result = selectors.search_execute(query=q, turbo=turbo)
                        times[turbo].append((time.perf_counter() - started) * 1000)
                        last[turbo] = result
                rows.append({
                    "class": klass, "query": q,
                    "plain_ms": times[False], "turbo_ms": times[True],
                    "plain_count": last[False].count, "turbo_count": last[True].count,
                    "turbo_count_exact": last[True].count_exact, "strategy": last[True].strategy,
                })
                log(f"  {klass:11} {q!r:36} plain {statistics.median(times[False]):8.2f} ms  "
                    f"turbo {statistics.median(times[True]):6.2f} ms  ({last[True].strategy}, {last[True].count}"
                    f"{'' if last[True].count_exact else '+'} / {last[False].count})")
    return rows


def child(args) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    facts = build_catalog(args.lessons, args.rebuild)
    facts["vendor"] = connection.vendor
    log("choosing queries from the catalog's word frequencies")
    queries = pick_queries(args.lessons, document_frequencies(args.lessons))
    log("timing plain and turbo, interleaved")
    rows = time_queries(queries, args.runs)
    print(json.dumps({"facts": facts, "rows": rows}))


# --- parent: run the shapes and print the table ------------------------------------------------------

def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


def summarise(rows: list[dict]) -> list[dict]:
    lines = []
    for klass in [*CLASSES, "mixed set"]:
        chosen = rows if klass == "mixed set" else [r for r in rows if r["class"] == klass]
        plain = [t for r in chosen for t in r["plain_ms"]]
        turbo = [t for r in chosen for t in r["turbo_ms"]]
        worst = min(statistics.median(r["plain_ms"]) / statistics.median(r["turbo_ms"]) for r in chosen)
        lines.append({
            "class": klass, "queries": len(chosen),
            "plain_p50": p(plain, 0.5), "plain_p95": p(plain, 0.95),
            "turbo_p50": p(turbo, 0.5), "turbo_p95": p(turbo, 0.95),
            "speedup": p(plain, 0.5) / p(turbo, 0.5), "worst_query_speedup": worst,
            "total_speedup": sum(plain) / sum(turbo),
        })
    return lines


def table(shape: str, facts: dict, lines: list[dict]) -> str:
    out = [f"### {shape}: {facts['lessons']:,} lessons"
           + (f", catalog built in {facts['catalog_seconds']} s" if "catalog_seconds" in facts else "")
           + (f", index built in {facts['index_seconds']} s" if "index_seconds" in facts else "")
           + f", index in sync: {'yes' if facts['index_in_sync'] else 'NO'}", "",
           "| term class | queries | plain p50 ms | plain p95 ms | turbo p50 ms | turbo p95 ms | speedup (p50) "
           "| slowest query's speedup |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for line in lines:
        out.append(f"| {line['class']} | {line['queries']} | {line['plain_p50']:.1f} | {line['plain_p95']:.1f} | "
                   f"{line['turbo_p50']:.2f} | {line['turbo_p95']:.2f} | {line['speedup']:.0f}x | "
                   f"{line['worst_query_speedup']:.0f}x |")
    classes = [line for line in lines if line["class"] != "mixed set"]
    mixed = lines[-1]
    slow = [line["class"] for line in classes if line["turbo_p50"] > 5.0]
    worst = min(line["worst_query_speedup"] for line in classes)
    out += ["",
            f"- P3 turbo p50 <= 5 ms for every class: {'met' if not slow else 'NOT met (' + ', '.join(slow) + ')'}",
            f"- P3 never slower than plain: {'met' if worst >= 1 else 'NOT met'} (slowest query {worst:.1f}x faster)",
            f"- P3 >= 20x over the mixed set: {'met' if mixed['speedup'] >= 20 else 'NOT met'} "
            f"(p50 {mixed['speedup']:.0f}x, total time {mixed['total_speedup']:.0f}x)"]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lessons", type=int, default=100_000)
    parser.add_argument("--shape", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each query in each mode")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the catalog even if it exists")
    parser.add_argument("--json", type=Path, help="also write the raw timings here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    shapes = ["sqlite", "postgres"] if args.shape == "both" else [args.shape]
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    # One run at a time: runs share the generated catalogs (and the machine's two cores).
    lock = (BENCH_DIR / "run.lock").open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        log("another bench/search.py run is in progress; waiting for it to finish")
        fcntl.flock(lock, fcntl.LOCK_EX)
    results, tables = {}, []
    for shape in shapes:
        if shape == "postgres":
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {PG_DATABASE}"],
                           capture_output=True)
        log(f"shape {shape}")
        command = [sys.executable, str(Path(__file__).resolve()), "--child", "--lessons", str(args.lessons),
                   "--runs", str(args.runs)] + (["--rebuild"] if args.rebuild else [])
        done = subprocess.run(command, env=child_env(shape), cwd=ROOT, stdout=subprocess.PIPE, text=True)
        if done.returncode != 0:
            sys.exit(f"the {shape} run failed (exit {done.returncode})")
        data = json.loads(done.stdout.strip().splitlines()[-1])
        lines = summarise(data["rows"])
        results[shape] = {**data, "summary": lines}
        tables.append(table("SQLite FTS5 (porter + trigram)" if shape == "sqlite" else "PostgreSQL tsvector + pg_trgm", data["facts"],
                            lines))
    print(f"## P3 turbo search, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores\n")
    print("\n\n".join(tables))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
