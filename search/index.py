"""Writes to the turbo index: the databases' own full-text and trigram indexes, one row per published lesson.

The index lives beside the catalog in the same database and changes in the same transaction
as the lesson it describes (the caller is the ``lessons_changed`` receiver, which runs inside
the writer's transaction). Tables, created by migration 0003:

* SQLite: ``search_stem``, an FTS5 table with the ``porter`` tokenizer (stems and plurals,
  bm25 ranking; the lesson id is its rowid), ``search_title``, the same over the title alone
  (which matches hold every word in their title, migration 0009), and ``search_word_trigram``, an FTS5 table with
  the ``trigram`` tokenizer over the catalog's words (which words contain a query word: the
  substrings the plain scan matches, looked up in a table of words rather than of lessons).
* PostgreSQL: ``search_document`` (with the lesson's category, difficulty and style: the facets, migration
  0011) with a weighted ``tsvector`` in the ``english``
  configuration that also holds the lesson's words (the tokenizer of ``search_word``) as
  lexemes marked ``~`` (migration 0010), and the title's own ``tsvector`` made the same way,
  each with a GIN index: one index scan answers every word of a search; ``search_word`` has a
  ``pg_trgm`` GIN index (which words contain a query word).
* Both: ``search_word``, every distinct word of the catalog (with its reverse, for suffix
  lookups): the candidates of typo tolerance, "did you mean" and completions. Words are only
  added on writes (no counts); a rebuild drops the ones no lesson uses any more.

Every write bumps ``SearchIndexState.catalog_version`` and renews its ``catalog_stamp``,
which keys the result cache.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable

from django.db import connection, transaction
from django.db.models import Count, F, Sum
from django.utils import timezone

from lessons.models import Lesson
from search import text
from search.models import SearchIndexState

STEM_TABLE = "search_stem"
TITLE_TABLE = "search_title"
WORD_TRIGRAM_TABLE = "search_word_trigram"
PG_TABLE = "search_document"
WORD_TABLE = "search_word"
# PostgreSQL: a document's words are lexemes of its vector with this mark, which the ``english`` parser never
# puts in a lexeme, so a word (``~colours``) never meets a stem (``colour``).
WORD_MARK = "~"
REBUILD_BATCH = 1000
MAX_WORD_LENGTH = text.MAX_TOKEN_LENGTH

_FIELDS = ("id", "category_id", "difficulty", "style", "title", "tags", "category__name", "summary", "body_markdown")


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _rows(lesson_ids: Iterable[int]) -> list[dict]:
    return list(Lesson.objects.published().filter(pk__in=list(lesson_ids)).values(*_FIELDS).order_by("pk"))


def _tags_text(tags) -> str:
    """The tags as the plain scan sees them (the JSON text the database stores) and as words."""
    tags = [str(tag) for tag in (tags or [])]
    return json.dumps(tags, ensure_ascii=not is_postgres()) + " " + " ".join(tags)


def _indexed_words(*texts: str) -> set[str]:
    """The catalog words of ``texts``: lower-case words of three letters or more, cut to the indexed length."""
    words = set()
    for value in texts:
        words.update(text.WORD_RE.findall((value or "").lower()))
    return {w[:MAX_WORD_LENGTH] for w in words if len(w) >= 3}


def _words(row: dict) -> set[str]:
    fields = (row["title"], row["category__name"], row["summary"], row["body_markdown"])
    return _indexed_words(*fields, *(str(tag) for tag in row["tags"] or []))


def _title_words(row: dict) -> set[str]:
    return _indexed_words(row["title"])


def marked(words) -> list[str]:
    """PostgreSQL: catalog words as the lexemes a document's vector holds them by, beside its stems (sorted)."""
    return sorted(WORD_MARK + word for word in words)


def _delete(cursor, ids: list[int]) -> None:
    if is_postgres():
        cursor.execute(f"DELETE FROM {PG_TABLE} WHERE lesson_id = ANY(%s)", [ids])
        return
    for table in (STEM_TABLE, TITLE_TABLE):
        cursor.execute(f"DELETE FROM {table} WHERE rowid IN (SELECT value FROM json_each(%s))", [json.dumps(ids)])


def _insert(cursor, rows: list[dict]) -> None:
    if not rows:
        return
    if is_postgres():
        cursor.executemany(
            f"INSERT INTO {PG_TABLE} (lesson_id, category_id, difficulty, style, title, content, title_vector, vector) "
            "VALUES (%s, %s, %s, %s, %s, %s, to_tsvector('english', %s) || array_to_tsvector(%s::text[]), "
            "setweight(to_tsvector('english', %s), 'A') || setweight(to_tsvector('english', %s), 'B') "
            "|| setweight(to_tsvector('english', %s), 'C') || setweight(to_tsvector('english', %s), 'D') "
            "|| array_to_tsvector(%s::text[]))",
            [(r["id"], r["category_id"], r["difficulty"], r["style"], r["title"],
              "\n".join((r["title"], _tags_text(r["tags"]), r["category__name"], r["summary"], r["body_markdown"])),
              r["title"], marked(_title_words(r)),
              r["title"], " ".join(map(str, r["tags"] or [])) + " " + r["category__name"], r["summary"],
              r["body_markdown"], marked(_words(r))) for r in rows],
        )
    else:
        cursor.executemany(
            f"INSERT INTO {STEM_TABLE} (rowid, title, tags, category, summary, body) VALUES (%s, %s, %s, %s, %s, %s)",
            [(r["id"], r["title"], " ".join(map(str, r["tags"] or [])), r["category__name"], r["summary"],
              r["body_markdown"]) for r in rows],
        )
        cursor.executemany(f"INSERT INTO {TITLE_TABLE} (rowid, title) VALUES (%s, %s)",
                           [(r["id"], r["title"]) for r in rows])
    words = sorted(set().union(*(_words(r) for r in rows)))
    conflict = "ON CONFLICT (word) DO NOTHING" if is_postgres() else "ON CONFLICT DO NOTHING"
    for start in range(0, len(words), 2000):
        chunk = words[start:start + 2000]
        cursor.executemany(f"INSERT INTO {WORD_TABLE} (word, drow) VALUES (%s, %s) {conflict}",
                           [(w, w[::-1]) for w in chunk])
    if not is_postgres():  # new words have the highest ids (words are only removed by a rebuild)
        cursor.execute(f"INSERT INTO {WORD_TRIGRAM_TABLE} (rowid, word) SELECT id, word FROM {WORD_TABLE} "
                       f"WHERE id > (SELECT coalesce(max(rowid), 0) FROM {WORD_TRIGRAM_TABLE})")


def bump_version(*, documents_delta: int = 0, documents: int | None = None) -> None:
    stamp = uuid.uuid4().hex
    count = F("documents") + documents_delta if documents is None else documents
    if not SearchIndexState.objects.filter(pk=SearchIndexState.SINGLETON_ID).update(
        catalog_version=F("catalog_version") + 1, catalog_stamp=stamp, documents=count
    ):
        SearchIndexState.objects.get_or_create(pk=SearchIndexState.SINGLETON_ID, defaults={
            "catalog_version": 1, "catalog_stamp": stamp,
            "documents": max(0, documents_delta) if documents is None else documents,
        })


def catalog_stamp() -> str:
    """Changes with every committed catalog change (see SearchIndexState); keys the result cache."""
    with connection.cursor() as cursor:  # read on every search: one statement, no query to build
        cursor.execute(f"SELECT catalog_stamp FROM {SearchIndexState._meta.db_table} WHERE id = %s",
                       [SearchIndexState.SINGLETON_ID])
        row = cursor.fetchone()
    return (row[0] if row else "") or "initial"


@transaction.atomic
def index_lessons(lesson_ids: Iterable[int]) -> int:
    """Bring the index up to date for ``lesson_ids``: published lessons are (re)indexed, others dropped."""
    ids = sorted({int(pk) for pk in lesson_ids if pk is not None})
    if not ids:
        return 0
    rows = _rows(ids)
    with connection.cursor() as cursor:
        _delete(cursor, ids)
        _insert(cursor, rows)
    bump_version()
    return len(rows)


@transaction.atomic
def index_category(category_id: int) -> int:
    """Re-index every lesson of a category (its name is part of each document)."""
    ids = list(Lesson.objects.filter(category_id=category_id).values_list("pk", flat=True))
    return index_lessons(ids) if ids else 0


def _clear(cursor) -> None:
    for table in [PG_TABLE, WORD_TABLE] if is_postgres() else [STEM_TABLE, TITLE_TABLE, WORD_TRIGRAM_TABLE, WORD_TABLE]:
        cursor.execute(f"DELETE FROM {table}")


@transaction.atomic
def clear_index() -> None:
    """Empty the index (the catalog is gone, e.g. after a test flush)."""
    with connection.cursor() as cursor:
        _clear(cursor)
    bump_version(documents=0)


@transaction.atomic
def rebuild(progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild the whole index from the published catalog in one transaction.

    Readers keep seeing the old index until the commit (WAL on SQLite, MVCC on PostgreSQL).
    ``progress(done, total)`` is called after every batch. Returns the documents indexed.
    """
    started = time.monotonic()
    published = Lesson.objects.published()
    total = published.count()
    ids = list(published.order_by("pk").values_list("pk", flat=True))
    done = 0
    with connection.cursor() as cursor:
        _clear(cursor)
        for start in range(0, len(ids), REBUILD_BATCH):
            rows = _rows(ids[start:start + REBUILD_BATCH])
            _insert(cursor, rows)
            done += len(rows)
            if progress:
                progress(done, total)
        if not ids and progress:
            progress(0, 0)
        if is_postgres():  # fresh statistics, or the planner guesses how common each word is
            cursor.execute(f"ANALYZE {PG_TABLE}, {WORD_TABLE}")
        else:  # merge each index's b-trees into one: fewer pages per lookup
            for table in (STEM_TABLE, TITLE_TABLE, WORD_TRIGRAM_TABLE):
                cursor.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")
    bump_version(documents=done)
    SearchIndexState.objects.filter(pk=SearchIndexState.SINGLETON_ID).update(
        last_rebuild_at=timezone.now(), last_rebuild_seconds=round(time.monotonic() - started, 3),
        last_rebuild_documents=done,
    )
    return done


def vacuum() -> None:
    """After a rebuild, outside any transaction: refresh PostgreSQL's statistics for the planner."""
    if is_postgres() and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {PG_TABLE}")
            cursor.execute(f"VACUUM (ANALYZE) {WORD_TABLE}")


# --- status -------------------------------------------------------------------------------

def index_fingerprint() -> tuple[int, int]:
    """(documents, sum of their lesson ids) in the index: cheap, and equal to the catalog's when in sync."""
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute(f"SELECT count(*), coalesce(sum(lesson_id), 0) FROM {PG_TABLE}")
        else:
            cursor.execute(f"SELECT count(*), coalesce(sum(id), 0) FROM {STEM_TABLE}_docsize")
        count, total = cursor.fetchone()
    return int(count), int(total)


def catalog_fingerprint() -> tuple[int, int]:
    row = Lesson.objects.published().order_by().aggregate(n=Count("id"), s=Sum("id"))
    return int(row["n"] or 0), int(row["s"] or 0)


def index_exists() -> bool:
    table = PG_TABLE if is_postgres() else STEM_TABLE
    return table in connection.introspection.table_names()


def sync_after_migrate(*, auto_rebuild_limit: int = 5000) -> str:
    """Called after ``migrate`` (and after a test flush): repair an index that no longer matches.

    An index whose catalog is gone is emptied; a small catalog missing from the index is indexed;
    a large one is left for ``rebuild_search_index`` (logged by the caller).
    """
    if not index_exists():
        return "missing"
    index, catalog = index_fingerprint(), catalog_fingerprint()
    if index == catalog:
        return "in_sync"
    if catalog[0] == 0:
        clear_index()
        return "cleared"
    if catalog[0] <= auto_rebuild_limit:
        rebuild()
        return "rebuilt"
    return "out_of_sync"
