"""The two search modes over published lessons: plain (the ORM scan) and turbo (the databases' indexes).

Plain: the baseline
-------------------
A lesson matches when every word of the query (runs of letters and digits, :mod:`search.text`)
occurs case-insensitively inside its title, summary, body, tags or category name, as a
substring: one ``icontains`` per word. Title matches first, then summary matches, then by title.
The turbo status compares turbo's timings with this scan.

Turbo: what people expect
-------------------------
Turbo finds the union of two sets, each from an index the database maintains itself:

* **substrings**: every word is a case-insensitive substring of the lesson's text. A word of
  the text that contains the query word is a word of the catalog (``search_word``), so the
  catalog words containing it are looked up in a trigram index over the vocabulary (SQLite's
  FTS5 ``trigram`` table, PostgreSQL's ``pg_trgm``) and the lessons holding one of them in the
  lesson index (FTS5 terms; on PostgreSQL the document's words are lexemes of its tsvector). It is the plain
  scan's question, so every lesson plain finds, turbo finds too. Words under three letters, or
  inside more than ``SEARCH_EXPANSION_LIMIT`` catalog words, are checked on the rows the other
  words select, and a query made only of them runs the plain scan.
* **words**: every word matches a word of the lesson by its stem (FTS5 ``porter``,
  PostgreSQL's ``english`` configuration: "shadows" finds "shadow"), the last word also as a
  prefix (as you type: the catalog words containing it include every word it starts, so the
  index's own prefix query, which gathers every lesson of those words before the first row is
  read, is only asked where they are not in the query), and a word the catalog does not contain also by its typos: words of
  the catalog within one edit (insert, delete, substitute, swap) for 5+ letters, two edits for
  9+ (Meilisearch's defaults). A word the catalog contains is never "corrected".

Typo candidates come from ``search_word`` (every word of the catalog): a word within k edits
of the query word starts with its head, ends with its tail or contains one of its middle
pieces (:func:`typo_pieces`), so index lookups give the candidates and the edit distance is
computed on them only. When nothing matches, the same candidates give the "did you mean"
suggestion.

Order and bounded work
----------------------
At most ``SEARCH_COUNT_LIMIT`` + 1 matching ids are read: the count is exact up to the limit
and "at least" beyond (``count_exact`` false, a search engine's "1,000+"). Up to
``SEARCH_RANK_CANDIDATES`` matches are all ranked: title matches (every word in the title)
first, then by relevance (bm25 with title 10, tags 5, category 3, summary 2, body 1 on
SQLite; ``ts_rank`` over weights A-D on PostgreSQL; substring-only matches score 0), then by
id. Beyond that the title matches (up to the same cap) are ranked and lead, and the other
matches follow in id order, so every page is stable and every match is reachable. When there
are more than ``SEARCH_COUNT_LIMIT`` matches, the leading title matches are ordered by how much
of the title the query's words take (:func:`title_focus`) instead: bm25 would read the position
list of every match, costing more than the rest of the search, for words so common that their
weight is next to nothing.
"""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass, field
from functools import reduce
from operator import and_

from django.conf import settings
from django.db import connection
from django.db.models import Case, Count, IntegerField, Q, Value, When
from rapidfuzz import process
from rapidfuzz.distance import OSA

from controlpanel.sql import among, fetch_all
from lessons.models import Lesson
from search import index
from search.text import WORD_RE, allowed_typos

MIN_TRIGRAM = 3
SUGGEST_COUNT = 200  # lessons counted per suggestion candidate


@dataclass(frozen=True)
class Filters:
    category_id: int | None = None
    difficulty: int | None = None
    style: str | None = None

    def q(self) -> Q:
        q = Q()
        if self.category_id is not None:
            q &= Q(category_id=self.category_id)
        if self.difficulty is not None:
            q &= Q(difficulty=self.difficulty)
        if self.style:
            q &= Q(style=self.style)
        return q


@dataclass
class Matches:
    """One page of matching lesson ids, best first, with their scores, and the facets of the matches."""

    rows: list[tuple[int, float | None]] = field(default_factory=list)
    count: int = 0
    count_exact: bool = True
    has_next: bool = False
    strategy: str = "none"
    facets: dict = field(default_factory=dict)
    suggestion: str = ""
    typos: tuple[str, ...] = ()  # catalog words the query's typos matched (highlighted like the words)


def facet_counts(rows) -> dict:
    """Matches by category (slug), difficulty and style, from (category slug, difficulty, style, count) rows."""
    facets: dict[str, dict] = {"category": {}, "difficulty": {}, "style": {}}
    for category, difficulty, style, count in rows:
        for name, value in (("category", category), ("difficulty", difficulty), ("style", style)):
            facets[name][value] = facets[name].get(value, 0) + count
    return facets


def published_rows(ids: list[int]) -> dict[int, tuple]:
    """The published lessons among ``ids`` by id, as ``Lesson.objects.published().values_list(*HIT_FIELDS)`` gives
    them (text and integers, which need no converting), in one statement written out: building the ORM's
    costs more than running it, on every search."""
    if not ids:
        return {}
    where, param = among(connection, "l.id", ids)
    rows = _fetch("SELECT l.id, l.slug, l.title, l.difficulty, l.summary, l.body_markdown, c.slug, c.name, l.style "
                  f"FROM lessons_lesson l JOIN lessons_category c ON c.id = l.category_id WHERE l.is_published AND {where}",
                  [param])
    return {row[0]: row for row in rows}


HIT_FIELDS = ("id", "slug", "title", "difficulty", "summary", "body_markdown", "category__slug", "category__name",
              "style")


# --- plain -----------------------------------------------------------------------------------

def _word_q(word: str) -> Q:
    return (Q(title__icontains=word) | Q(summary__icontains=word) | Q(body_markdown__icontains=word)
            | Q(tags__icontains=word) | Q(category__name__icontains=word))


def plain_queryset(words: tuple[str, ...], filters: Filters):
    return Lesson.objects.published().filter(reduce(and_, (_word_q(w) for w in words))).filter(filters.q())


def plain_search(words: tuple[str, ...], *, filters: Filters, offset: int, limit: int) -> Matches:
    """The ORM scan: every word ``icontains`` one of the fields; title, then summary matches first."""
    if not words:
        return Matches()
    queryset = plain_queryset(words, filters)
    count = queryset.count()
    in_title = reduce(and_, (Q(title__icontains=w) for w in words))
    in_summary = reduce(and_, (Q(summary__icontains=w) for w in words))
    score = (Case(When(in_title, then=Value(2)), default=Value(0), output_field=IntegerField())
             + Case(When(in_summary, then=Value(1)), default=Value(0), output_field=IntegerField()))
    rows = list(queryset.annotate(score=score).order_by("-score", "title", "id")
                .values_list("id", "score")[offset:offset + limit]) if offset < count else []
    return Matches(rows=[(pk, float(s)) for pk, s in rows], count=count, count_exact=True,
                   has_next=offset + limit < count, strategy="scan",
                   facets=facet_counts(queryset.order_by().values_list("category__slug", "difficulty", "style")
                                       .annotate(n=Count("id")).values_list("category__slug", "difficulty", "style", "n"))
                   if count else {})


# --- typo candidates ---------------------------------------------------------------------------

def _fetch(sql: str, params: list) -> list[tuple]:
    return fetch_all(connection, sql, params)


def known_words(words: tuple[str, ...]) -> set[str]:
    if not words:
        return set()
    marks = ", ".join(["%s"] * len(words))
    return {row[0] for row in _fetch(f"SELECT word FROM {index.WORD_TABLE} WHERE word IN ({marks})", list(words))}


def typo_pieces(word: str, limit: int) -> tuple[str, list[str], str]:
    """``word`` cut into a head, ``limit`` - 1 middle pieces and a tail, in order, each a letter from the next.

    An edit (insert, delete, substitute, or swap two neighbours) touches at most one piece, as the
    pieces are a letter apart, so a word within ``limit`` edits keeps one of the ``limit`` + 1 intact:
    it starts with the head, ends with the tail or contains a middle piece. Middle pieces get three
    letters (a trigram lookup) when the word has room, and the head and tail share the rest; in a word
    too short for that they get what is left, and may be empty.
    """
    letters = len(word) - limit  # the others are the letters between the pieces
    middles = limit - 1
    size = MIN_TRIGRAM if letters >= 2 + middles * MIN_TRIGRAM else max(0, letters - 2) // middles if middles else 0
    rest = letters - middles * size
    head, tail = (rest + 1) // 2, rest // 2
    middle, at = [], head + 1
    for _ in range(middles):
        middle.append(word[at:at + size])
        at += size + 1
    return word[:head], middle, word[len(word) - tail:] if tail else ""


def near_words(word: str, limit: int) -> list[tuple[int, str]]:
    """Catalog words within ``limit`` edits of ``word`` (optimal string alignment), nearest first, as (distance, word).

    The candidates are the words that start with the head of :func:`typo_pieces`, end with its
    tail (``drow`` is the reversed word) or contain a middle piece of three letters (the
    vocabulary's trigram index): index lookups only, and every word within reach when the
    middle pieces have three letters, which they do for the lengths typo tolerance allows
    (:func:`search.text.allowed_typos`). A shorter middle piece is not looked up, so a "did you
    mean" for a short word weighs the words that keep its head or tail. Distances are computed
    by RapidFuzz.
    """
    head, middle, tail = typo_pieces(word, limit)
    top = "\U0010ffff"
    low, high = len(word) - limit, len(word) + limit
    sized = "AND length(word) BETWEEN %s AND %s"
    parts, params = [], []
    if head:
        parts.append(f"SELECT word FROM {index.WORD_TABLE} WHERE word >= %s AND word < %s {sized}")
        params += [head, head + top, low, high]
    if tail:
        parts.append(f"SELECT word FROM {index.WORD_TABLE} WHERE drow >= %s AND drow < %s {sized}")
        params += [tail[::-1], tail[::-1] + top, low, high]
    for piece in middle:
        if len(piece) < MIN_TRIGRAM:
            continue
        if index.is_postgres():
            parts.append(f"SELECT word FROM {index.WORD_TABLE} WHERE word LIKE %s {sized}")
            params += [f"%{piece}%", low, high]
        else:
            parts.append(f"SELECT word FROM {index.WORD_TRIGRAM_TABLE} WHERE {index.WORD_TRIGRAM_TABLE} MATCH %s {sized}")
            params += [_quote(piece), low, high]
    candidates = [row[0] for row in _fetch(" UNION ".join(parts), params)] if parts else []
    near = process.extract(word, candidates, scorer=OSA.distance, score_cutoff=limit, limit=None)
    return sorted((int(distance), candidate) for candidate, distance, _ in near if distance > 0)


# --- turbo -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Query:
    """A turbo query: the words, their typos, the catalog words containing each, the filters.

    ``containing[i]`` is None when word i is *broad*: under three letters, or inside more than
    SEARCH_EXPANSION_LIMIT catalog words; a broad word is checked on the rows the others select.
    """

    words: tuple[str, ...]
    typos: tuple[tuple[str, ...], ...]
    filters: Filters
    containing: tuple[tuple[str, ...] | None, ...] = ()


def containing_words(word: str, limit: int) -> tuple[str, ...] | None:
    """The catalog words ``word`` is a substring of (a trigram index over the vocabulary); None past ``limit``."""
    if len(word) < MIN_TRIGRAM:
        return None
    if index.is_postgres():  # words hold letters and digits only: nothing in them is a LIKE wildcard
        sql, param = f"SELECT word FROM {index.WORD_TABLE} WHERE word LIKE %s LIMIT %s", f"%{word}%"
    else:
        sql, param = f"SELECT word FROM {index.WORD_TRIGRAM_TABLE} WHERE {index.WORD_TRIGRAM_TABLE} MATCH %s LIMIT %s", _quote(word)
    rows = _fetch(sql, [param, limit + 1])
    return tuple(row[0] for row in rows) if len(rows) <= limit else None


def build_query(words: tuple[str, ...], filters: Filters) -> Query:
    containing = tuple(containing_words(w, settings.SEARCH_EXPANSION_LIMIT) for w in words)
    known = {w for w, found in zip(words, containing, strict=True) if found is None or w in found}
    typos = tuple(
        tuple(w for _, w in near_words(word, allowed_typos(word))[:8]) if allowed_typos(word) and word not in known
        else () for word in words
    )
    return Query(words=words, typos=typos, filters=filters, containing=containing)


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


class SqliteEngine:
    """One FTS5 (porter) query: each word as itself, its stems, its typos, the catalog words containing it
    (the plain scan's substrings) and, for the last word, as a prefix; expressions hold quoted words only."""

    BM25 = f"bm25({index.STEM_TABLE}, 10.0, 5.0, 3.0, 2.0, 1.0)"
    COLUMNS = ("title", "tags", "category", "summary", "body")

    def __init__(self, query: Query):
        self.query = query
        containing = query.containing or tuple(() for _ in query.words)
        parts, self.broad = [], []
        for n, (word, typos, inside) in enumerate(zip(query.words, query.typos, containing, strict=True)):
            if inside is None:
                self.broad.append(word)
                continue
            terms = dict.fromkeys([_quote(word), *(_quote(t) for t in (*typos, *inside))])
            if n == len(query.words) - 1 and not inside:  # the words containing it hold every word it starts
                terms[_quote(word) + " *"] = None
            parts.append("(" + " OR ".join(terms) + ")")
        self.match = " AND ".join(parts)
        filters = query.filters
        conditions = [("l.category_id = %s", filters.category_id), ("l.difficulty = %s", filters.difficulty),
                      ("l.style = %s", filters.style or None)]
        conditions = [(sql, value) for sql, value in conditions if value is not None]
        self.join = "CROSS JOIN lessons_lesson l ON l.id = f.rowid" if conditions else ""
        self.filter_sql = "".join(f" AND {sql}" for sql, _ in conditions)
        self.filter_params = [value for _, value in conditions]

    @property
    def usable(self) -> bool:
        return bool(self.match)

    def _broad(self, columns: tuple[str, ...]) -> tuple[str, list]:
        """LIKE, as the plain scan does it, for the broad words (on the rows the others select)."""
        sql, params = "", []
        for word in self.broad:
            sql += " AND (" + " OR ".join(f"f.{c} LIKE %s" for c in columns) + ")"
            params += [f"%{word}%"] * len(columns)
        return sql, params

    def ids(self, limit: int, after: int = 0, among: list[int] | None = None, title: bool = False,
            substrings: bool = True) -> list[int]:
        """The first ``limit`` matching ids above ``after``, ascending (title: every word in the title, from the
        titles' own index, which holds only the lessons whose title has a word)."""
        return [row[0] for row in self._rows("f.rowid", limit, after, among, title)]

    def titled(self, limit: int) -> list[tuple[int, str]]:
        """The first ``limit`` title matches in id order, with their titles (which the titles' index holds)."""
        return self._rows("f.rowid, f.title", limit, title=True)

    def _rows(self, columns: str, limit: int, after: int = 0, among: list[int] | None = None,
              title: bool = False) -> list[tuple]:
        table = index.TITLE_TABLE if title else index.STEM_TABLE
        broad, params = self._broad(("title",) if title else self.COLUMNS)
        restrict, restrict_params = "", []
        if among is not None:
            restrict, restrict_params = " AND f.rowid IN (SELECT value FROM json_each(%s))", [json.dumps(among)]
        sql = (f"SELECT {columns} FROM {table} f {self.join} WHERE {table} MATCH %s{broad}"
               f"{self.filter_sql}{restrict} AND f.rowid > %s ORDER BY f.rowid LIMIT %s")
        return _fetch(sql, [self.match, *params, *self.filter_params, *restrict_params, after, limit])

    def first(self, limit: int) -> tuple[list[int], dict]:
        """The first ``limit`` matching ids and the facets of all but the last: one grouped query over the
        ``lesson_facets`` index alone (a lesson's row would be a page of lesson text per match)."""
        found = self.ids(limit)
        facets = _fetch("SELECT c.slug, l.difficulty, l.style, count(*) FROM lessons_lesson l INDEXED BY lesson_facets "
                        "JOIN lessons_category c ON c.id = l.category_id WHERE l.id IN (SELECT value FROM json_each(%s)) "
                        "GROUP BY c.slug, l.difficulty, l.style", [json.dumps(found[:limit - 1])])
        return found, facet_counts(facets)

    def scores(self, ids: list[int]) -> dict[int, float]:
        if not ids:
            return {}
        # One pass over the matches in the ids' range (a bare "rowid IN" would rerun the MATCH once per id).
        sql = (f"SELECT rowid, {self.BM25} FROM {index.STEM_TABLE} WHERE {index.STEM_TABLE} MATCH %s "
               "AND rowid BETWEEN %s AND %s AND +rowid IN (SELECT value FROM json_each(%s))")
        return {pk: -float(rank) for pk, rank in _fetch(sql, [self.match, min(ids), max(ids), json.dumps(ids)])}


class PostgresEngine:
    """Per word, one tsquery on the document's vector: its stems, typos and (last word) prefix in the ``english``
    configuration, or a catalog word containing it (the vector's marked word lexemes); a broad word by ``ILIKE``
    on the rows the others select. Title matches use the title's own vector. Words (letters and digits only)
    become tsquery operands."""

    def __init__(self, query: Query):
        self.query = query
        self.containing = query.containing or tuple(() for _ in query.words)
        self._plans: dict[tuple[bool, bool], bool] = {}  # (title, substrings): gather, as _gather decided
        filters = query.filters  # the document holds the facets (migration 0011)
        conditions = [("d.category_id = %s", filters.category_id), ("d.difficulty = %s", filters.difficulty),
                      ("d.style = %s", filters.style or None)]
        conditions = [(sql, value) for sql, value in conditions if value is not None]
        self.filter_sql = "".join(f" AND {sql}" for sql, _ in conditions)
        self.filter_params = [value for _, value in conditions]

    @property
    def usable(self) -> bool:
        return any(inside is not None for inside in self.containing)

    def _operands(self, n: int, prefix: bool = True) -> tuple[str, list]:
        word, typos = self.query.words[n], self.query.typos[n]
        operands = [word, *typos, *([f"{word}:*"] if prefix and n == len(self.query.words) - 1 else [])]
        return "(" + " || ".join(["to_tsquery('english', %s)"] * len(operands)) + ")", operands

    def tsquery(self) -> tuple[str, list]:
        """Every word (its stem, its typos, the last one as a prefix too), all of them: the ranking query."""
        parts, params = [], []
        for n in range(len(self.query.words)):
            sql, operands = self._operands(n)
            parts.append(sql)
            params += operands
        return " && ".join(parts), params

    def _where(self, title: bool, substrings: bool, rows: bool = False) -> tuple[str, list]:
        """One ``@@`` per word on the same vector (its stems, typos, prefix, and the catalog words containing it as
        marked lexemes), so the GIN index takes every word as a key of one scan and intersects them itself.
        ``rows``: the condition is checked on each row read (a walk of the ids), not asked of the index."""
        vector, text = ("d.title_vector", "d.title") if title else ("d.vector", "d.content")
        parts, params = [], []
        for n, (word, inside) in enumerate(zip(self.query.words, self.containing, strict=True)):
            if inside is None:
                parts.append(f"{text} ILIKE %s")
                params.append(f"%{word}%")
                continue
            sql, operands = self._operands(n, prefix=not (substrings and inside))  # the words hold its prefixes
            if substrings and inside:
                sql = f"({sql} || %s::tsquery)"
                operands = [*operands, self._containing_tsquery(word, inside, rows)]
            parts.append(f"{vector} @@ {sql}")
            params += operands
        return " AND ".join(parts), params

    @staticmethod
    def _containing_tsquery(word: str, inside: tuple[str, ...], rows: bool = False) -> str:
        """The catalog words containing ``word`` as a tsquery of marked lexemes (quoted: words hold letters and
        digits only).

        For the index, each word is named. A prefix lexeme (``'~with':*``) would match the same words, but
        GIN answers a prefix by reading every posting of every lexeme it covers into one bitmap before
        anything is intersected: for a common word, tens of thousands of documents, 30 ms of a two-word
        search. Named lexemes are posting lists the index intersects by skipping, so a rare word beside a
        common one costs what the rare word costs.

        Checked on rows, the words starting with ``word`` are one prefix lexeme instead: ``inside`` holds
        every catalog word containing it, so the prefix matches those and no other, and each row tests one
        lexeme instead of each of them.
        """
        if not rows:
            return " | ".join(f"'{lexeme}'" for lexeme in index.marked(inside))
        others = [w for w in inside if not w.startswith(word)]
        lexemes = [f"'{lexeme}'" for lexeme in index.marked(others)]
        if len(others) < len(inside):  # some start with it
            lexemes.append(f"'{index.WORD_MARK}{word}':*")
        return " | ".join(lexemes)

    def ids(self, limit: int, after: int = 0, among: list[int] | None = None, title: bool = False,
            substrings: bool = True) -> list[int]:
        """The first ``limit`` matching ids above ``after``, ascending (title: every word in the title).

        The matches come from the GIN indexes and are sorted when the planner expects them in at most
        ``SEARCH_GATHER_SHARE`` of the documents (:meth:`_gather`); otherwise the planner's own plan walks
        the primary key. Titles are asked the same way: a common word is in few titles, and the walk
        reads a document for each title it checks.
        """
        return [row[0] for row in self._first(limit, after, among, title, substrings)]

    def titled(self, limit: int) -> list[tuple[int, str]]:
        """The first ``limit`` title matches in id order, with their titles (which the documents hold)."""
        return self._first(limit, title=True, titles=True)

    def first(self, limit: int) -> tuple[list[int], dict]:
        """The first ``limit`` matching ids and the facets of all but the last, from the documents the same
        statement reads to find them."""
        rows = self._first(limit, facets=True)
        counts: dict[tuple, int] = {}
        for row in rows[:limit - 1]:
            counts[row[1:]] = counts.get(row[1:], 0) + 1
        return [row[0] for row in rows], facet_counts((*key, n) for key, n in counts.items())

    def _first(self, limit: int, after: int = 0, among: list[int] | None = None, title: bool = False,
               substrings: bool = True, facets: bool = False, titles: bool = False) -> list[tuple]:
        restrict, restrict_params = "", []
        if among is not None:
            restrict, restrict_params = " AND d.lesson_id = ANY(%s)", [among]
        columns = "d.lesson_id, d.category_id, d.difficulty, d.style" if facets else "d.lesson_id"

        def select(rows: bool) -> tuple[str, list]:
            where, params = self._where(title, substrings, rows)
            return (f"SELECT {columns} FROM {index.PG_TABLE} d WHERE {where}{self.filter_sql}{restrict} "
                    "AND d.lesson_id > %s"), [*params, *self.filter_params, *restrict_params, after]

        gathered, params = select(rows=False)
        if among is None and self._gathers(title, substrings, gathered, params):
            sql = f"WITH matches AS MATERIALIZED ({gathered}) SELECT * FROM matches ORDER BY lesson_id LIMIT %s"
        else:  # each row read is checked: a walk of the ids, or the ids given
            walked, params = select(rows=True)
            sql = f"{walked} ORDER BY d.lesson_id LIMIT %s"
        if facets:  # the limit is a fence: the join cannot change how the matches are found
            sql = (f"SELECT m.lesson_id, c.slug, m.difficulty, m.style FROM ({sql}) m "
                   "JOIN lessons_category c ON c.id = m.category_id ORDER BY m.lesson_id")
        if titles:  # read past the limit, for the rows it keeps only
            sql = (f"SELECT m.lesson_id, t.title FROM ({sql}) m JOIN {index.PG_TABLE} t ON t.lesson_id = m.lesson_id "
                   "ORDER BY m.lesson_id")
        return _fetch(sql, [*params, limit])

    def _gathers(self, title: bool, substrings: bool, select: str, params: list) -> bool:
        """:meth:`_gather`'s answer, asked once per search and shape of condition. Every title match is a match,
        so when the matches are few enough to gather, the title matches are too."""
        key = (title, substrings)
        if key not in self._plans:
            self._plans[key] = True if title and self._plans.get((False, substrings)) else self._gather(select, params)
        return self._plans[key]

    @staticmethod
    def _gather(select: str, params: list) -> bool:
        """Whether the planner expects ``select`` to match at most ``SEARCH_GATHER_SHARE`` of the documents.

        Asked for the first matches in id order, the planner walks the primary key and checks each
        document's vector until it has them, pricing each check as nearly free; each one
        decompresses the vector (7–14 µs). For a word in 5% of 100,000 documents the walk reads some
        20,000 of them (150–300 ms); the GIN indexes give the same matches in under 10 ms. Past
        about a fifth of the documents the walk stops early enough to win, so the planner's own
        estimate of the match count (EXPLAIN, planning only) decides, against its count of documents.
        """
        plan = _fetch(f"EXPLAIN (FORMAT JSON) {select}", params)[0][0]
        return plan[0]["Plan"]["Plan Rows"] <= settings.SEARCH_GATHER_SHARE * planned_documents()

    def scores(self, ids: list[int]) -> dict[int, float]:
        if not ids:
            return {}
        tsquery, params = self.tsquery()
        sql = (f"SELECT lesson_id, ts_rank(vector, q) FROM {index.PG_TABLE}, (SELECT {tsquery}) AS t(q) "
               "WHERE lesson_id = ANY(%s) AND vector @@ q")
        return {pk: float(rank) for pk, rank in _fetch(sql, [*params, ids])}


_PLANNED = {"documents": 1.0, "read_at": -math.inf}
PLANNED_SECONDS = 60.0


def planned_documents() -> float:
    """The planner's count of documents (``reltuples``; a table never analysed counts as one), read at most once a
    minute per process: it only chooses between two plans that give the same pages, and changes when the
    table is analysed, not with each lesson."""
    now = time.monotonic()
    if now - _PLANNED["read_at"] >= PLANNED_SECONDS:
        rows = _fetch("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [index.PG_TABLE])
        _PLANNED.update(documents=max(float(rows[0][0]), 1.0), read_at=now)
    return _PLANNED["documents"]


def engine_for(query: Query):
    return PostgresEngine(query) if index.is_postgres() else SqliteEngine(query)


def turbo_search(words: tuple[str, ...], *, filters: Filters, offset: int, limit: int) -> Matches:
    """The indexed search with bounded work (see the module docstring)."""
    if not words:
        return Matches()
    if not any(len(w) >= MIN_TRIGRAM for w in words):
        return plain_search(words, filters=filters, offset=offset, limit=limit)
    query = build_query(words, filters)
    engine = engine_for(query)
    if not engine.usable:  # every word is broad: the scan is the fastest way
        return plain_search(words, filters=filters, offset=offset, limit=limit)
    cap, reach = settings.SEARCH_RANK_CANDIDATES, settings.SEARCH_COUNT_LIMIT
    found, facets = engine.first(reach + 1)
    exact = len(found) <= reach
    count = len(found) if exact else reach
    if not found:
        return Matches(strategy="index", suggestion=suggestion(words, filters))
    if exact and len(found) <= cap:
        head = found
        titled = set(engine.ids(len(found), title=True))  # every title match is a match: all of them, at most these
        scores = engine.scores(head)
    else:
        leading = engine.titled(cap)
        head = [pk for pk, _ in leading]
        titled = set(head)
        scores = engine.scores(head) if exact else title_focus(leading, words)
    head = sorted(head, key=lambda pk: (pk not in titled, -scores.get(pk, 0.0), pk))
    rows = head[offset:offset + limit]
    has_next = offset + limit < len(head)
    if len(rows) < limit and len(head) < count + (0 if exact else 1):
        skip, want = max(0, offset - len(head)), limit - len(rows)
        in_head = set(head)
        reach_needed = skip + want + 1 + len(head)  # ids() gives the first matches in id order: found holds them
        pool = found if exact or reach_needed <= len(found) else engine.ids(reach_needed)
        rest = [pk for pk in pool if pk not in in_head][skip:skip + want + 1]
        rows += rest[:want]
        has_next = len(rest) > want
    if exact:
        has_next = offset + limit < count
    return Matches(rows=[(pk, round(scores.get(pk, 0.0), 6)) for pk in rows], count=count, count_exact=exact,
                   has_next=has_next, strategy="index", facets=facets,
                   typos=tuple(dict.fromkeys(t for typos in query.typos for t in typos)))


def title_focus(titles: list[tuple[int, str]], words: tuple[str, ...]) -> dict[int, float]:
    """Per lesson of ``titles`` (id, title), the share of its title's words that hold a query word (0..1)."""
    holds = re.compile("|".join(re.escape(word) for word in words))
    focus = {}
    for pk, title in titles:
        title_words = WORD_RE.findall(title.lower())
        held = sum(1 for t in title_words if holds.search(t))
        focus[pk] = round(held / len(title_words), 6) if title_words else 0.0
    return focus


def _slip_cost(word: str, candidate: str, distance: int) -> float:
    """Edits from ``word`` to ``candidate``; when only letters were left out, each counts half."""
    letters = iter(candidate)
    if len(candidate) > len(word) and all(char in letters for char in word):
        return (len(candidate) - len(word)) / 2
    return float(distance)


def suggestion(words: tuple[str, ...], filters: Filters) -> str:
    """A nearby query that finds something, for a query that found nothing; "" when there is none.

    Each word the catalog lacks is replaced by the catalog word within two edits (one for three
    letters) that finds the most lessons (as a word), an edit costing a factor of four; letters
    left out count half an edit, the commonest slip ("colr" becomes "colour", in many lessons,
    rather than "cold", in one, or "car").
    """
    known = known_words(words)
    corrected, changed = [], False
    for word in words:
        if word in known or len(word) < MIN_TRIGRAM or word.isdigit():
            corrected.append(word)
            continue
        best, best_score = word, 0.0
        near = near_words(word, 2 if len(word) >= 4 else 1)
        costs = sorted((_slip_cost(word, candidate, distance), candidate) for distance, candidate in near)
        for cost, candidate in costs[:6]:
            engine = engine_for(Query(words=(candidate,), typos=((),), filters=filters))
            score = len(engine.ids(SUGGEST_COUNT, substrings=False)) / 4 ** cost
            if score > best_score:
                best, best_score = candidate, score
        corrected.append(best)
        changed = changed or best != word
    if not changed:
        return ""
    engine = engine_for(Query(words=tuple(corrected), typos=((),) * len(corrected), filters=filters))
    return " ".join(corrected) if engine.ids(1) else ""


def completions(words: tuple[str, ...], limit: int) -> tuple[list[str], list[int]]:
    """As-you-type: catalog words starting with the last word (shortest first) and ids of lessons whose title
    holds the earlier words and a word starting with the last one."""
    if not words or len(words[-1]) < 2:
        return [], []
    last = words[-1]
    rows = _fetch(f"SELECT word FROM {index.WORD_TABLE} WHERE word >= %s AND word < %s ORDER BY length(word), word "
                  "LIMIT %s", [last, last + "\U0010ffff", limit])
    terms = [row[0] for row in rows]
    engine = engine_for(Query(words=words, typos=((),) * len(words), filters=Filters()))
    return terms, engine.ids(limit, title=True, substrings=False)
