"""Writes to the turbo index: one document per published lesson, the term vocabulary, the version.

The index lives beside the catalog in the same database and changes in the same transaction
as the lesson it describes (callers are the receivers of ``lessons_changed`` and of
``Lesson`` saves and deletes, which run inside the writer's transaction).

Storage, by database vendor (created by migration 0002):

* SQLite: ``search_fts``, an FTS5 table (``detail=column``; bm25 ranking). Its rowid is the
  lesson id and its columns hold the *normalized* text (see :mod:`search.text`): the lower-case
  words of each field joined by spaces, so FTS5's ``ascii`` tokenizer splits them exactly as
  Python did. ``facets`` holds ``c<category id>`` for the category filter. ``search_fts_title``
  repeats the title and facet alone, for title matches.
* PostgreSQL: ``search_document``, a row per lesson with ``vector`` (every word of every field,
  GIN-indexed, for matching), ``title_vector`` (title words, GIN-indexed, for title matches),
  ``head`` (title A, tags and category B, summary C, read by ``ts_rank`` only), and the
  normalized ``title`` and ``content`` for checks on candidates. Vectors are built from the Python tokens as ``tsvector`` literals, never by a
  text-search parser, so both databases index exactly the same words.

Every write bumps ``SearchIndexState.catalog_version`` (an ``F()`` update) and renews its
``catalog_stamp``, which keys the result cache and the in-process vocabulary, and keeps the
lesson count of every term (``SearchTerm.documents``) and of the index exact.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, F, Sum
from django.utils import timezone

from lessons.models import Lesson
from search import text
from search.models import SearchIndexState, SearchTerm

FTS_TABLE = "search_fts"
FTS_TITLE_TABLE = "search_fts_title"
PG_TABLE = "search_document"
FACET_PREFIX = "cat:"  # PostgreSQL facet lexeme; text words never contain ":".
REBUILD_BATCH = 500


def vendor() -> str:
    return connection.vendor


@dataclass(frozen=True)
class Document:
    """The normalized, indexable form of one lesson."""

    lesson_id: int
    category_id: int
    title: str
    tags: str
    category: str
    summary: str
    body: str

    @classmethod
    def of(cls, lesson: dict) -> Document:
        return cls(
            lesson_id=lesson["id"],
            category_id=lesson["category_id"],
            title=text.normalized(lesson["title"]),
            tags=text.normalized(" ".join(str(tag) for tag in (lesson["tags"] or []))),
            category=text.normalized(lesson["category__name"]),
            summary=text.normalized(lesson["summary"]),
            body=text.normalized(lesson["body_markdown"]),
        )

    @property
    def content(self) -> str:
        return " ".join(part for part in (self.title, self.tags, self.category, self.summary, self.body) if part)

    def terms(self) -> set[str]:
        return set(self.content.split())


_LESSON_FIELDS = ("id", "category_id", "title", "tags", "category__name", "summary", "body_markdown")


def _documents(lesson_ids: Iterable[int]) -> dict[int, Document]:
    rows = Lesson.objects.published().filter(pk__in=list(lesson_ids)).values(*_LESSON_FIELDS).order_by()
    return {row["id"]: Document.of(row) for row in rows}


# --- tsvector literals (PostgreSQL) -------------------------------------------------------

def _lexeme(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def pg_head_vector(doc: Document) -> str:
    """Title A, tags and category B, summary C, the category facet; one position per field."""
    positions: dict[str, list[str]] = {}
    for position, (weight, field) in enumerate(
        (("A", doc.title), ("B", doc.tags), ("B", doc.category), ("C", doc.summary)), start=1
    ):
        for term in set(field.split()):
            positions.setdefault(term, []).append(f"{position}{weight}")
    positions[f"{FACET_PREFIX}{doc.category_id}"] = ["5D"]
    return " ".join(f"{_lexeme(term)}:{','.join(spots)}" for term, spots in positions.items())


def pg_vector(doc: Document) -> str:
    """Every word of every field, without positions, plus the category facet."""
    terms = doc.terms() | {f"{FACET_PREFIX}{doc.category_id}"}
    return " ".join(_lexeme(term) for term in terms)


def pg_title_vector(doc: Document) -> str:
    """The words of the title plus the category facet (title matches, filtered or not)."""
    terms = set(doc.title.split()) | {f"{FACET_PREFIX}{doc.category_id}"}
    return " ".join(_lexeme(term) for term in terms)


# --- writes -------------------------------------------------------------------------------

def _indexed_terms(cursor, lesson_ids: list[int]) -> dict[int, set[str]]:
    """The terms the index holds now for each of ``lesson_ids`` (absent ids are not indexed)."""
    if vendor() == "postgresql":
        cursor.execute(f"SELECT lesson_id, content FROM {PG_TABLE} WHERE lesson_id = ANY(%s)", [lesson_ids])
        return {pk: set(content.split()) for pk, content in cursor.fetchall()}
    cursor.execute(f"SELECT rowid, title, tags, category, summary, body FROM {FTS_TABLE} "
                   "WHERE rowid IN (SELECT value FROM json_each(%s))", [json.dumps(lesson_ids)])
    return {row[0]: set(" ".join(row[1:]).split()) for row in cursor.fetchall()}


def _delete(cursor, lesson_ids: list[int]) -> None:
    if not lesson_ids:
        return
    if vendor() == "postgresql":
        cursor.execute(f"DELETE FROM {PG_TABLE} WHERE lesson_id = ANY(%s)", [lesson_ids])
    else:
        for table in (FTS_TABLE, FTS_TITLE_TABLE):
            cursor.execute(f"DELETE FROM {table} WHERE rowid IN (SELECT value FROM json_each(%s))",
                           [json.dumps(lesson_ids)])


def _insert(cursor, docs: list[Document]) -> None:
    if not docs:
        return
    if vendor() == "postgresql":
        cursor.executemany(
            f"INSERT INTO {PG_TABLE} (lesson_id, category_id, title, content, head, title_vector, vector) "
            "VALUES (%s, %s, %s, %s, %s::tsvector, %s::tsvector, %s::tsvector) "
            "ON CONFLICT (lesson_id) DO UPDATE SET category_id = EXCLUDED.category_id, title = EXCLUDED.title, "
            "content = EXCLUDED.content, head = EXCLUDED.head, title_vector = EXCLUDED.title_vector, "
            "vector = EXCLUDED.vector",
            [(d.lesson_id, d.category_id, d.title, d.content, pg_head_vector(d), pg_title_vector(d), pg_vector(d))
             for d in docs],
        )
    else:
        cursor.executemany(
            f"INSERT INTO {FTS_TABLE} (rowid, title, tags, category, summary, body, facets) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [(d.lesson_id, d.title, d.tags, d.category, d.summary, d.body, f"c{d.category_id}") for d in docs],
        )
        cursor.executemany(
            f"INSERT INTO {FTS_TITLE_TABLE} (rowid, title, facets) VALUES (%s, %s, %s)",
            [(d.lesson_id, d.title, f"c{d.category_id}") for d in docs],
        )


def _count_terms(deltas: Counter) -> None:
    """Apply per-term changes of the lesson count; terms are touched in sorted order (lock order)."""
    new = sorted(term for term, delta in deltas.items() if delta > 0)
    if new:
        SearchTerm.objects.bulk_create([SearchTerm(term=t) for t in new], ignore_conflicts=True, batch_size=500)
    by_delta: dict[int, list[str]] = {}
    for term, delta in sorted(deltas.items()):
        if delta:
            by_delta.setdefault(delta, []).append(term)
    for delta, terms in sorted(by_delta.items()):
        for start in range(0, len(terms), 500):
            SearchTerm.objects.filter(term__in=terms[start:start + 500]).update(documents=F("documents") + delta)


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


def catalog_state() -> tuple[str, int]:
    """(stamp, indexed lessons): the stamp changes with every committed catalog change (see SearchIndexState)."""
    row = SearchIndexState.objects.filter(pk=SearchIndexState.SINGLETON_ID).values_list(
        "catalog_stamp", "documents").first()
    return row or ("initial", 0)


@transaction.atomic
def index_lessons(lesson_ids: Iterable[int]) -> int:
    """Bring the index up to date for ``lesson_ids``: published lessons are (re)indexed, others dropped.

    Also keeps every term's lesson count exact. Returns how many documents are indexed for them now.
    """
    ids = sorted({int(pk) for pk in lesson_ids if pk is not None})
    if not ids:
        return 0
    docs = _documents(ids)
    deltas: Counter = Counter()
    with connection.cursor() as cursor:
        before = _indexed_terms(cursor, ids)
        for pk in ids:
            old, new = before.get(pk, set()), docs[pk].terms() if pk in docs else set()
            deltas.update(new - old)
            deltas.subtract(old - new)
        _delete(cursor, ids if vendor() != "postgresql" else [pk for pk in ids if pk not in docs])
        _insert(cursor, list(docs.values()))
    _count_terms(deltas)
    bump_version(documents_delta=len(docs) - len(before))
    return len(docs)


@transaction.atomic
def index_category(category_id: int) -> int:
    """Re-index every lesson of a category (its name is part of each document)."""
    ids = list(Lesson.objects.filter(category_id=category_id).values_list("pk", flat=True))
    return index_lessons(ids) if ids else 0


def _clear(cursor) -> None:
    for table in [PG_TABLE] if vendor() == "postgresql" else [FTS_TABLE, FTS_TITLE_TABLE]:
        cursor.execute(f"DELETE FROM {table}")
    SearchTerm.objects.all().delete()


@transaction.atomic
def clear_index() -> None:
    """Empty the index and its vocabulary (the catalog is gone, e.g. after a test flush)."""
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
    done = 0
    terms: Counter = Counter()
    with connection.cursor() as cursor:
        _clear(cursor)
        batch: list[int] = []
        for pk in published.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=2000):
            batch.append(pk)
            if len(batch) == REBUILD_BATCH:
                done += _rebuild_batch(cursor, batch, terms)
                batch = []
                if progress:
                    progress(done, total)
        if batch or not total:
            done += _rebuild_batch(cursor, batch, terms) if batch else 0
            if progress:
                progress(done, total)
        if vendor() == "sqlite":  # merge the index b-trees into one: fewer pages per lookup
            for table in (FTS_TABLE, FTS_TITLE_TABLE):
                cursor.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")
        else:  # move the bulk of new entries out of the GIN pending lists, which every query scans
            cursor.execute("SELECT gin_clean_pending_list('search_document_vector'::regclass), "
                           "gin_clean_pending_list('search_document_title'::regclass)")
    SearchTerm.objects.bulk_create([SearchTerm(term=t, documents=n) for t, n in sorted(terms.items())],
                                   batch_size=2000)
    bump_version(documents=done)
    SearchIndexState.objects.filter(pk=SearchIndexState.SINGLETON_ID).update(
        last_rebuild_at=timezone.now(), last_rebuild_seconds=round(time.monotonic() - started, 3),
        last_rebuild_documents=done,
    )
    return done


def vacuum() -> None:
    """After a rebuild, outside any transaction: refresh PostgreSQL's visibility map and statistics."""
    if vendor() == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {PG_TABLE}")


def _rebuild_batch(cursor, ids: list[int], terms: Counter) -> int:
    docs = _documents(ids)
    if vendor() == "postgresql":  # the table was emptied in this transaction: COPY is several times faster
        columns = "lesson_id, category_id, title, content, head, title_vector, vector"
        with cursor.cursor.copy(f"COPY {PG_TABLE} ({columns}) FROM STDIN") as copy:
            for d in docs.values():
                copy.write_row((d.lesson_id, d.category_id, d.title, d.content, pg_head_vector(d),
                                pg_title_vector(d), pg_vector(d)))
    else:
        _insert(cursor, list(docs.values()))
    for doc in docs.values():
        terms.update(doc.terms())
    return len(docs)


# --- status -------------------------------------------------------------------------------

def index_fingerprint() -> tuple[int, int]:
    """(documents, sum of their lesson ids) in the index: cheap, and equal to the catalog's when in sync."""
    with connection.cursor() as cursor:
        if vendor() == "postgresql":
            cursor.execute(f"SELECT count(*), coalesce(sum(lesson_id), 0) FROM {PG_TABLE}")
        else:
            cursor.execute(f"SELECT count(*), coalesce(sum(id), 0) FROM {FTS_TABLE}_docsize")
        count, total = cursor.fetchone()
    return int(count), int(total)


def catalog_fingerprint() -> tuple[int, int]:
    row = Lesson.objects.published().order_by().aggregate(n=Count("id"), s=Sum("id"))
    return int(row["n"] or 0), int(row["s"] or 0)


def index_exists() -> bool:
    table = PG_TABLE if vendor() == "postgresql" else FTS_TABLE
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
