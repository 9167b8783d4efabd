"""The two search modes over published lessons: plain (ORM scan) and turbo (full-text index).

What matches (both modes, by construction)
-------------------------------------------
A lesson matches a query when **every word of the query occurs, case-insensitively, inside its
title, summary, body, tags or category name** — as a substring, so ``col`` finds "colour" and
"watercolour". Words are runs of letters and digits (:mod:`search.text`); anything else in the
query only separates words. A query without any word matches nothing.

* Plain mode is exactly that, in the ORM: one ``icontains`` per word over the five fields.
* Turbo mode answers the same question from the index. A query word is a substring of a field
  exactly when it is a substring of one of the field's indexed words (a word never spans a
  separator), so each query word *expands* to the indexed terms that contain it, looked up in
  an in-process copy of the term vocabulary: the terms it starts (matched with the engine's
  prefix query when there are many) and the terms it is found inside. A word found inside more
  than ``SEARCH_EXPANSION_LIMIT`` terms (``e``, ``at``) is *broad*: it is not expanded but
  checked on the candidates the other words select, by ``instr``/``strpos`` on the normalized
  text. When every word is broad the query runs as a plain scan ("scan" strategy).

Case folding is Python's ``str.lower`` in turbo mode; SQLite's ``LIKE`` folds ASCII letters
only, so for words with non-ASCII capitals plain mode on SQLite can find fewer lessons. For
ASCII words (the catalog's language) the two modes return the same set.

Order and bounded work (turbo)
------------------------------
Ranking every match of a common word is slower than a scan, so turbo bounds its work. One
index query reads the ids of at most ``SEARCH_COUNT_LIMIT`` + 1 matches: that is the count,
exact up to the limit and reported as "at least" beyond it (``count_exact`` false, like a
search engine's "1,000+ results"). If at most ``SEARCH_RANK_CANDIDATES`` lessons match, they
are all candidates. Otherwise the candidates are the lessons whose title holds every word (up
to the same cap, from the title-only table or vector) and, when the page reaches past those,
the first matches. Only candidates get a relevance score, and fewer of them when the words
expand to many index terms (relevance costs about rows x terms; a page's worth always is):
bm25 on SQLite with column weights title 10, tags 5, category 3, summary 2, body 1;
``ts_rank`` over title (A), tags and category (B) and summary (C) on PostgreSQL. The order
is: lessons whose title holds every word first, then by relevance, then by id; matches outside
the candidates follow by id. Plain mode orders title matches first too (then summary matches,
then by title).

The strategy also follows term frequency: every indexed term carries its exact lesson count,
so when the counts alone prove more matches than the count limit (a word in most lessons, or
several such words), turbo does not count at all and reads only title matches for the page.
"""

from __future__ import annotations

import bisect
import json
import logging
import threading
from dataclasses import dataclass, field
from functools import reduce
from operator import and_

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, IntegerField, Q, Value, When

from lessons.models import Lesson
from search import index
from search.models import SearchTerm

logger = logging.getLogger("controlpanel.search")


# --- vocabulary --------------------------------------------------------------------------------

class Vocabulary:
    """Every indexed term with its lesson count: sorted (prefix ranges by bisection), joined (substrings)."""

    def __init__(self, version: str, rows: list[tuple[str, int]]):
        rows.sort()
        self.version = version
        self.terms = [term for term, _ in rows]
        self.documents = [n for _, n in rows]
        # Substring search scans a blob of terms; a word with a letter can only be inside a term
        # with one, and a number only inside a term with a digit, so each gets its own blob.
        self.blobs = {
            "letters": "\n" + "\n".join(t for t in self.terms if not t.isdigit()) + "\n",
            "digits": "\n" + "\n".join(t for t in self.terms if any(c.isdigit() for c in t)) + "\n",
        }

    def __len__(self) -> int:
        return len(self.terms)

    def prefix_range(self, word: str) -> tuple[int, int]:
        lo = bisect.bisect_left(self.terms, word)
        hi = bisect.bisect_left(self.terms, word + "\U0010ffff", lo)
        return lo, hi

    def documents_of(self, term: str) -> int:
        at = bisect.bisect_left(self.terms, term)
        return self.documents[at] if at < len(self.terms) and self.terms[at] == term else 0

    def infix_terms(self, word: str, limit: int) -> list[str]:
        """Terms containing ``word`` after their first character; at most ``limit`` + 1 of them."""
        found: dict[int, str] = {}
        blob = self.blobs["digits" if word.isdigit() else "letters"]
        at = blob.find(word, 1)
        while at != -1:
            if blob[at - 1] != "\n":
                start = blob.rfind("\n", 0, at) + 1
                end = blob.index("\n", at)
                if start not in found:
                    found[start] = blob[start:end]
                    if len(found) > limit:
                        break
                at = blob.find(word, end)  # the rest of this term is already counted
            else:
                at = blob.find(word, at + 1)
        return list(found.values())

    def expand(self, word: str, limit: int) -> Expansion:
        lo, hi = self.prefix_range(word)
        infix = self.infix_terms(word, limit)
        if len(infix) > limit:
            return Expansion(word=word, terms=(), prefix=False, broad=True, documents=0)
        # the word's lessons are at least those of its most frequent term
        documents = max([*self.documents[lo:hi], *(self.documents_of(t) for t in infix), 0])
        if (hi - lo) + len(infix) <= limit:
            terms = tuple(dict.fromkeys([*self.terms[lo:hi], *infix]))
            return Expansion(word=word, terms=terms, prefix=False, broad=False, documents=documents)
        return Expansion(word=word, terms=tuple(infix), prefix=True, broad=False, documents=documents)


_vocabulary: Vocabulary | None = None
_vocabulary_lock = threading.Lock()


def vocabulary(version: str) -> Vocabulary:
    """The vocabulary as of catalog stamp ``version``, reloaded in this process when the stamp moves."""
    global _vocabulary
    current = _vocabulary
    if current is not None and current.version == version:
        return current
    with _vocabulary_lock:
        current = _vocabulary
        if current is None or current.version != version:
            rows = list(SearchTerm.objects.filter(documents__gt=0).values_list("term", "documents"))
            current = Vocabulary(version, rows)
            _vocabulary = current
    return current


# --- plans and results -------------------------------------------------------------------------

@dataclass(frozen=True)
class Expansion:
    """How one query word is matched: explicit terms, the engine's prefix query, or a check."""

    word: str
    terms: tuple[str, ...]
    prefix: bool
    broad: bool
    documents: int  # a lower bound on the lessons containing the word

    @property
    def impossible(self) -> bool:
        return not (self.terms or self.prefix or self.broad)


@dataclass(frozen=True)
class Plan:
    words: tuple[str, ...]
    narrow: tuple[Expansion, ...]
    broad: tuple[str, ...]
    category_id: int | None
    min_matches: int = 0  # a lower bound on the matching lessons, from term frequencies

    @property
    def strategy(self) -> str:
        if not self.narrow:
            return "scan"
        return "index+check" if self.broad else "index"


@dataclass
class Matches:
    """One page of matching lesson ids, best first, with their scores."""

    rows: list[tuple[int, float | None]] = field(default_factory=list)
    count: int = 0
    count_exact: bool = True
    has_next: bool = False
    strategy: str = "none"


# --- plain -----------------------------------------------------------------------------------

def _word_q(word: str) -> Q:
    return (Q(title__icontains=word) | Q(summary__icontains=word) | Q(body_markdown__icontains=word)
            | Q(tags__icontains=word) | Q(category__name__icontains=word))


def plain_search(words: tuple[str, ...], *, category_id: int | None, offset: int, limit: int) -> Matches:
    """The ORM scan: every word ``icontains`` one of the fields; title, then summary matches first."""
    if not words:
        return Matches()
    queryset = Lesson.objects.published().filter(reduce(and_, (_word_q(w) for w in words)))
    if category_id is not None:
        queryset = queryset.filter(category_id=category_id)
    count = queryset.count()
    if offset >= count:
        return Matches(count=count, strategy="scan")
    in_title = reduce(and_, (Q(title__icontains=w) for w in words))
    in_summary = reduce(and_, (Q(summary__icontains=w) for w in words))
    score = (Case(When(in_title, then=Value(2)), default=Value(0), output_field=IntegerField())
             + Case(When(in_summary, then=Value(1)), default=Value(0), output_field=IntegerField()))
    rows = list(queryset.annotate(score=score).order_by("-score", "title", "id")
                .values_list("id", "score")[offset:offset + limit])
    return Matches(rows=[(pk, float(s)) for pk, s in rows], count=count, count_exact=True,
                   has_next=offset + limit < count, strategy="scan")


# --- turbo -----------------------------------------------------------------------------------

def plan(words: tuple[str, ...], *, category_id: int | None, version: str, documents: int) -> Plan | None:
    """Expand the words against the vocabulary; ``None`` when some word is in no indexed term.

    ``documents`` is the number of indexed lessons. Without a category filter or broad words the
    matches are at least sum(lower bounds) - (words - 1) * documents (each word misses at most
    documents - its lower bound lessons), which lets a very common query skip counting.
    """
    vocab = vocabulary(version)
    limit = settings.SEARCH_EXPANSION_LIMIT
    expansions = [vocab.expand(word, limit) for word in words]
    if any(e.impossible for e in expansions):
        return None
    narrow = tuple(e for e in expansions if not e.broad)
    broad = tuple(e.word for e in expansions if e.broad)
    min_matches = 0
    if narrow and not broad and category_id is None:
        min_matches = max(0, sum(e.documents for e in narrow) - (len(narrow) - 1) * documents)
    return Plan(words=words, narrow=narrow, broad=broad, category_id=category_id, min_matches=min_matches)


class SqliteEngine:
    """FTS5 queries; the expression is built from index terms only, each one quoted."""

    TEXT_COLUMNS = "{title tags category summary body}"
    BM25 = f"bm25({index.FTS_TABLE}, 10.0, 5.0, 3.0, 2.0, 1.0, 0.0)"
    FIELDS = ("title", "tags", "category", "summary", "body")

    def __init__(self, plan: Plan):
        self.plan = plan
        self.terms = sum(len(e.terms) + e.prefix for e in plan.narrow)
        words = " AND ".join(self._word(e) for e in plan.narrow)
        facet = f' AND {{facets}} : "c{int(plan.category_id)}"' if plan.category_id is not None else ""
        self.match = f"{self.TEXT_COLUMNS} : ({words}){facet}"
        self.title_match = f"{{title}} : ({words}){facet}"
        self.check, self.check_params = self._checks(self.FIELDS)
        self.title_check, self.title_check_params = self._checks(("title",))

    @staticmethod
    def _quote(term: str) -> str:
        return '"' + term.replace('"', '""') + '"'

    def _word(self, expansion: Expansion) -> str:
        parts = [self._quote(t) for t in expansion.terms]
        if expansion.prefix:
            parts.append(self._quote(expansion.word) + " *")
        return "(" + " OR ".join(parts) + ")"

    def _checks(self, columns: tuple[str, ...]) -> tuple[str, list]:
        sql, params = "", []
        for word in self.plan.broad:
            sql += " AND (" + " OR ".join(f"instr({c}, %s) > 0" for c in columns) + ")"
            params += [word] * len(columns)
        return sql, params

    def _fetch(self, sql: str, params: list) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def ids(self, limit: int) -> list[int]:
        """The first ``limit`` matching lesson ids, in id order."""
        sql = f"SELECT rowid FROM {index.FTS_TABLE} WHERE {index.FTS_TABLE} MATCH %s{self.check} LIMIT %s"
        return [row[0] for row in self._fetch(sql, [self.match, *self.check_params, limit])]

    def title_ids(self, ids: list[int]) -> set[int]:
        """Which of ``ids`` (the first len(ids) matches) have every word in their title."""
        if not ids:
            return set()
        table = index.FTS_TITLE_TABLE
        sql = f"SELECT rowid FROM {table} WHERE {table} MATCH %s{self.title_check} AND rowid <= %s"
        return {row[0] for row in self._fetch(sql, [self.title_match, *self.title_check_params, max(ids)])}

    def scored(self, ids: list[int], in_title: set[int]) -> list[tuple[int, float, bool]]:
        """(id, relevance, title match) of ``ids``, which are the first len(ids) matches."""
        if not ids:
            return []
        sql = (f"SELECT rowid, {self.BM25} FROM {index.FTS_TABLE} WHERE {index.FTS_TABLE} MATCH %s{self.check} "
               "LIMIT %s")
        rows = self._fetch(sql, [self.match, *self.check_params, len(ids)])
        return [(pk, -float(rank), pk in in_title) for pk, rank in rows]

    def titled(self, limit: int) -> list[tuple[int, float]]:
        """The first ``limit`` lessons whose title holds every word, with their relevance (title bm25)."""
        table = index.FTS_TITLE_TABLE
        sql = f"SELECT rowid, bm25({table}, 1.0, 0.0) FROM {table} WHERE {table} MATCH %s{self.title_check} LIMIT %s"
        return [(pk, -float(rank)) for pk, rank in self._fetch(sql, [self.title_match, *self.title_check_params, limit])]

    def rest(self, exclude: list[int], offset: int, limit: int) -> list[int]:
        sql = (f"SELECT rowid FROM {index.FTS_TABLE} WHERE {index.FTS_TABLE} MATCH %s{self.check} "
               "AND rowid NOT IN (SELECT value FROM json_each(%s)) ORDER BY rowid LIMIT %s OFFSET %s")
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.match, *self.check_params, json.dumps(exclude), limit, offset])
            return [row[0] for row in cursor.fetchall()]

    def run(self, fn):
        return fn()


class PostgresEngine:
    """tsvector/GIN queries; tsquery literals are built from index terms only, each one quoted.

    The planner does not cost de-TOASTing a ``tsvector``, so for frequent words it prefers a
    sequential scan that unpacks every row's vector (hundreds of times slower than the GIN
    bitmap), or walks the primary key filtering every row. Turbo queries therefore run in a
    transaction of their own with sequential and plain index scans switched off (``SET LOCAL``;
    restored when the search runs inside a caller's transaction).
    """

    def __init__(self, plan: Plan):
        self.plan = plan
        self.terms = sum(len(e.terms) + e.prefix for e in plan.narrow)
        facet = f" & {index._lexeme(f'{index.FACET_PREFIX}{int(plan.category_id)}')}" if plan.category_id is not None else ""
        self.query = " & ".join(self._word(e) for e in plan.narrow) + facet
        self.check = "".join(" AND strpos(content, %s) > 0" for _ in plan.broad)
        self.title_check = "".join(" AND strpos(title, %s) > 0" for _ in plan.broad)
        self.check_params = list(plan.broad)

    @staticmethod
    def _word(expansion: Expansion) -> str:
        parts = [index._lexeme(t) for t in expansion.terms]
        if expansion.prefix:
            parts.append(f"{index._lexeme(expansion.word)}:*")
        return "(" + " | ".join(parts) + ")"

    def _fetch(self, sql: str, params: list) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def ids(self, limit: int) -> list[int]:
        """The first ``limit`` matching lesson ids, in the table's physical order (stable between writes)."""
        sql = f"SELECT lesson_id FROM {index.PG_TABLE} WHERE vector @@ %s::tsquery{self.check} LIMIT %s"
        return [row[0] for row in self._fetch(sql, [self.query, *self.check_params, limit])]

    def title_ids(self, ids: list[int]) -> set[int]:
        """Which of ``ids`` have every word in their title: primary-key lookups."""
        if not ids:
            return set()
        sql = f"SELECT lesson_id FROM {index.PG_TABLE} WHERE lesson_id = ANY(%s) AND title_vector @@ %s::tsquery"
        return {row[0] for row in self._fetch(sql + self.title_check, [ids, self.query, *self.check_params])}

    def scored(self, ids: list[int], in_title: set[int]) -> list[tuple[int, float, bool]]:
        """(id, relevance, title match) of ``ids``: primary-key lookups, no second full-text scan."""
        if not ids:
            return []
        sql = f"SELECT lesson_id, ts_rank(head, %s::tsquery) FROM {index.PG_TABLE} WHERE lesson_id = ANY(%s)"
        return [(pk, float(rank), pk in in_title) for pk, rank in self._fetch(sql, [self.query, ids])]

    def titled(self, limit: int) -> list[tuple[int, float]]:
        """The first ``limit`` lessons whose title holds every word, with their relevance."""
        sql = (f"SELECT lesson_id, ts_rank(head, %s::tsquery) FROM {index.PG_TABLE} "
               f"WHERE title_vector @@ %s::tsquery{self.title_check} LIMIT %s")
        rows = self._fetch(sql, [self.query, self.query, *self.check_params, limit])
        return [(pk, float(rank)) for pk, rank in rows]

    def rest(self, exclude: list[int], offset: int, limit: int) -> list[int]:
        sql = (f"SELECT lesson_id FROM {index.PG_TABLE} WHERE vector @@ %s::tsquery{self.check} "
               "AND NOT (lesson_id = ANY(%s)) ORDER BY lesson_id LIMIT %s OFFSET %s")
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.query, *self.check_params, exclude, limit, offset])
            return [row[0] for row in cursor.fetchall()]

    def run(self, fn):
        nested = connection.in_atomic_block
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
            try:
                return fn()
            finally:
                if nested:  # inside someone else's transaction: leave its planner settings as they were
                    cursor.execute("SET LOCAL enable_seqscan TO DEFAULT; SET LOCAL enable_indexscan TO DEFAULT")


def engine_for(plan: Plan):
    return PostgresEngine(plan) if connection.vendor == "postgresql" else SqliteEngine(plan)


def turbo_search(words: tuple[str, ...], *, category_id: int | None, offset: int, limit: int,
                 version: str, documents: int) -> Matches:
    """The full-text search with bounded ranking work (see the module docstring)."""
    if not words:
        return Matches()
    query_plan = plan(words, category_id=category_id, version=version, documents=documents)
    if query_plan is None:
        return Matches(strategy="index")
    if query_plan.strategy == "scan":
        return plain_search(words, category_id=category_id, offset=offset, limit=limit)
    engine = engine_for(query_plan)
    return engine.run(lambda: _ranked_page(engine, offset=offset, limit=limit, strategy=query_plan.strategy,
                                           min_matches=query_plan.min_matches))


def _ranked_page(engine, *, offset: int, limit: int, strategy: str, min_matches: int = 0) -> Matches:
    """One page in the order: title matches, then the other ranked candidates, then the rest by id.

    Relevance is computed for at most SEARCH_RANK_CANDIDATES rows per query (fewer when the
    words expand to many index terms), and for candidates without a title match only when the
    page reaches past the title matches. When term frequencies already prove more matches than
    the count limit, nothing is counted.
    """
    cap, count_limit = settings.SEARCH_RANK_CANDIDATES, settings.SEARCH_COUNT_LIMIT
    reach = max(count_limit, cap)
    # Relevance costs about rows x index terms in the query: a query whose words expand to many
    # terms ranks fewer candidates (at least a page's worth); the others keep score 0, by id.
    budget = min(cap, max(20, cap // max(1, engine.terms)))

    def order(rows):
        return sorted(rows, key=lambda row: (not row[2], -row[1], row[0]))

    found = engine.ids(reach + 1) if min_matches <= reach else None
    if found is not None and len(found) <= cap:  # every match is in hand: rank (the first budget of) them
        count, exact = len(found), True
        in_title = engine.title_ids(found)
        scored = engine.scored(found[:budget], in_title=in_title)
        done = {pk for pk, _, _ in scored}
        ranked = order(scored + [(pk, 0.0, pk in in_title) for pk in found if pk not in done])
    else:  # bounded: the title matches (up to the cap), then the first matches without one
        count, exact = (count_limit, False) if found is None else (min(len(found), count_limit),
                                                                  len(found) <= count_limit)
        titled = engine.titled(cap)
        ranked = order([(pk, score, True) for pk, score in titled])
        if len(titled) < cap and offset + limit > len(titled):  # every title match is in hand
            first = found[:budget] if found is not None else engine.ids(budget)
            seen = {pk for pk, _ in titled}
            ranked += order([row for row in engine.scored(first, in_title=seen) if row[0] not in seen])
    rows: list[tuple[int, float | None]] = [(pk, round(score, 6)) for pk, score, _ in ranked[offset:offset + limit]]
    has_next = offset + limit < len(ranked) or (not exact and len(ranked) <= count)
    if len(rows) < limit and (not exact or count > len(ranked)):
        wanted = limit - len(rows)
        extra = engine.rest([pk for pk, _, _ in ranked], max(0, offset - len(ranked)), wanted + 1)
        rows += [(pk, 0.0) for pk in extra[:wanted]]
        has_next = len(extra) > wanted
    if exact:
        has_next = offset + limit < count
    return Matches(rows=rows, count=count, count_exact=exact, has_next=has_next, strategy=strategy)
