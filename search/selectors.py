"""Search reads: executing a search (cached), history and saved searches, turbo status, report figures."""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from accounts.models import User
from lessons import selectors as lesson_selectors
from lessons.models import Category, Lesson
from search import backends, index, text
from search.models import SavedSearch, SearchHistory, SearchIndexState

logger = logging.getLogger("controlpanel.search")


@dataclass
class SearchHit:
    lesson_id: int
    slug: str
    title: str
    category: str  # slug
    category_name: str
    difficulty: int
    score: float | None
    title_html: SafeString  # HTML-escaped, whole matching words in <mark>
    snippet_html: SafeString  # HTML-escaped, whole matching words in <mark>
    style: str = ""
    status: str = "not_started"  # the learner's: not_started, in_progress, completed (never cached)


@dataclass
class SearchResult:
    """One page of search results, as the API and the dashboard show it."""

    query: str
    words: tuple[str, ...]
    items: list[SearchHit]
    count: int
    count_exact: bool
    page: int
    page_size: int
    has_next: bool
    took_ms: float
    turbo_used: bool
    strategy: str  # index (turbo), scan (plain, or turbo with only 1-2 letter words), none (no words)
    cached: bool
    category: Category | None = None
    difficulty: int | None = None
    style: str | None = None
    facets: dict = field(default_factory=dict)  # {"category": {slug: n}, "difficulty": {n: n}, "style": {...}}
    suggestion: str = ""  # "did you mean": a nearby query that finds something, when this one found nothing

    @property
    def last_page(self) -> int:
        return max(1, math.ceil(self.count / self.page_size))

    @property
    def past_the_end(self) -> bool:
        """A page after the last one of a search that did find something."""
        return not self.items and self.count > 0 and self.page > 1

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def _cache_key(*, version: str, turbo: bool, words: tuple[str, ...], filters: backends.Filters, page: int,
               page_size: int) -> str:
    digest = hashlib.sha256("\x1f".join(words).encode()).hexdigest()[:32]
    mode = "turbo" if turbo else "plain"
    narrowed = f"{filters.category_id or 0}:{filters.difficulty or 0}:{filters.style or ''}"
    return f"search:v2:{version}:{mode}:{narrowed}:{page}:{page_size}:{digest}"


def _cache_get(key: str):
    try:
        return cache.get(key)
    except Exception as exc:  # the shared cache is down: search without it
        logger.warning("search cache unavailable; searching without it", extra={"error": type(exc).__name__})
        return None


def _cache_set(key: str, value) -> None:
    try:
        cache.set(key, value, settings.SEARCH_CACHE_SECONDS)
    except Exception as exc:
        logger.warning("search cache unavailable; result not cached", extra={"error": type(exc).__name__})


def _hits(rows: list[tuple[int, float | None]], words: tuple[str, ...]) -> list[SearchHit]:
    lessons = backends.published_rows([pk for pk, _ in rows])
    hits = []
    for pk, score in rows:
        lesson = lessons.get(pk)
        if lesson is None:  # unpublished or deleted since the index answered
            continue
        _, slug, title, difficulty, summary, body, category_slug, category_name, style = lesson
        hits.append(SearchHit(
            lesson_id=pk, slug=slug, title=title, category=category_slug, category_name=category_name,
            difficulty=difficulty, score=score, style=style,
            title_html=mark_safe(text.highlight(title, words)),  # noqa: S308 - escaped by highlight()
            snippet_html=mark_safe(text.lesson_snippet(summary, body, words)),  # noqa: S308 - escaped there
        ))
    return hits


def _hit_dict(hit: SearchHit) -> dict:
    return {name: getattr(hit, name) for name in _HIT_KEYS} | {
        "title_html": str(hit.title_html), "snippet_html": str(hit.snippet_html)}


_HIT_KEYS = ("lesson_id", "slug", "title", "category", "category_name", "difficulty", "score", "style")


def _hit_from(data: dict) -> SearchHit:
    return SearchHit(**{**data, "title_html": mark_safe(data["title_html"]),  # noqa: S308 - cached escaped HTML
                        "snippet_html": mark_safe(data["snippet_html"])})  # noqa: S308


def search_execute(*, query: str, turbo: bool, category: Category | None = None, difficulty: int | None = None,
                   style: str | None = None, page: int = 1, page_size: int = 20) -> SearchResult:
    """Search the published catalog for an already-cleaned ``query`` (no history is written).

    Filters combine (category, difficulty, style). Pages are cached in the shared cache under
    the catalog stamp, the mode, the filters and the query's words; a cache failure only costs
    the cache. Statuses are per learner and added by the caller (``search_statuses``).
    """
    started = time.perf_counter()
    words = text.query_words(query)
    filters = backends.Filters(category_id=category.pk if category is not None else None, difficulty=difficulty,
                               style=style or None)
    key = _cache_key(version=index.catalog_stamp(), turbo=turbo, words=words, filters=filters, page=page,
                     page_size=page_size)
    cached = _cache_get(key)
    if cached is None:
        offset = (page - 1) * page_size
        if not words:
            matches = backends.Matches(strategy="none")
        elif turbo:
            matches = backends.turbo_search(words, filters=filters, offset=offset, limit=page_size)
        else:
            matches = backends.plain_search(words, filters=filters, offset=offset, limit=page_size)
        cached_value = {"items": [_hit_dict(h) for h in _hits(matches.rows, words + matches.typos)],
                        "count": matches.count,
                        "count_exact": matches.count_exact, "has_next": matches.has_next,
                        "strategy": matches.strategy, "facets": matches.facets, "suggestion": matches.suggestion}
        _cache_set(key, cached_value)
    data = cached if cached is not None else cached_value
    took_ms = round((time.perf_counter() - started) * 1000, 3)
    return SearchResult(query=query, words=words, items=[_hit_from(h) for h in data["items"]], count=data["count"],
                        count_exact=data["count_exact"], page=page, page_size=page_size, has_next=data["has_next"],
                        took_ms=took_ms, turbo_used=turbo, strategy=data["strategy"], cached=cached is not None,
                        category=category, difficulty=difficulty, style=style or None, facets=data["facets"],
                        suggestion=data["suggestion"])


@dataclass(frozen=True)
class Suggestions:
    """Autocomplete for the search box: whole queries ending in a catalog word, and lesson titles."""

    query: str
    terms: list[str]
    titles: list[dict]  # {"slug", "title"}


SUGGEST_LIMIT = 8


def search_suggest(*, query: str, limit: int = SUGGEST_LIMIT) -> Suggestions:
    """Completions of an already-cleaned ``query`` as typed: its last word completed from the catalog's words
    (each offered as the whole query), and published lessons whose title starts that way (stems count)."""
    words = text.query_words(query)
    terms, ids = backends.completions(words, limit)
    lead = " ".join(words[:-1])
    lessons = {pk: {"slug": slug, "title": title} for pk, slug, title in
               Lesson.objects.published().filter(pk__in=ids).values_list("pk", "slug", "title")}
    return Suggestions(query=query, terms=[f"{lead} {term}".strip() for term in terms],
                       titles=[lessons[pk] for pk in ids if pk in lessons])


def search_statuses(*, user: User, lesson_ids: list[int]) -> dict[int, str]:
    """The learner's status on each of ``lesson_ids`` (absent: not started), in one query."""
    if user is None or not user.is_authenticated or not lesson_ids:
        return {}
    return lesson_selectors.lesson_statuses(user=user, lesson_ids=lesson_ids)


def search_history_list(*, user: User) -> QuerySet[SearchHistory]:
    """The user's searches, newest first."""
    return SearchHistory.objects.for_user(user).select_related("category").order_by("-id")


def saved_search_list(*, user: User) -> QuerySet[SavedSearch]:
    """The user's saved searches, newest first."""
    return SavedSearch.objects.for_user(user).select_related("category").order_by("-created_at", "-id")


def saved_search_get(*, user: User, saved_search_id: int) -> SavedSearch | None:
    return saved_search_list(user=user).filter(pk=saved_search_id).first()


# --- figures -----------------------------------------------------------------------------------

def _percentiles(queryset: QuerySet, total: int, fractions: tuple[float, ...]) -> list[float | None]:
    """The nearest-rank percentiles of ``search_time`` over ``queryset`` (``total`` rows), computed in the database."""
    if not total:
        return [None] * len(fractions)
    values = []
    for fraction in fractions:
        rank = max(0, min(total - 1, math.ceil(fraction * total) - 1))
        value = queryset.order_by("search_time").values_list("search_time", flat=True)[rank:rank + 1].first()
        values.append(round(float(value), 3) if value is not None else None)
    return values


def _timing(searches: QuerySet) -> dict:
    """p50/p95 of engine time (cache hits excluded) for turbo and plain, and the resulting speedup.

    Both modes' sizes come from one count; each percentile is one indexed row read."""
    engine = searches.filter(cached=False)
    sizes = engine.aggregate(turbo=Count("pk", filter=Q(turbo_used=True)), plain=Count("pk", filter=Q(turbo_used=False)))
    figures = {}
    for mode in ("turbo", "plain"):
        p50, p95 = _percentiles(engine.filter(turbo_used=mode == "turbo"), sizes[mode], (0.50, 0.95))
        figures[f"{mode}_p50_ms"], figures[f"{mode}_p95_ms"] = p50, p95
    t50, p50 = figures["turbo_p50_ms"], figures["plain_p50_ms"]
    figures["speedup"] = round(p50 / t50, 1) if t50 and p50 else None
    return figures


def turbo_status(*, now: datetime | None = None) -> dict:
    """Index size and sync with the published catalog, last rebuild, cache hit rate, 24 h timings.

    JSON-serialisable and flat (the dashboard shows every scalar as a row).
    """
    now = now or timezone.now()
    state = SearchIndexState.objects.filter(pk=SearchIndexState.SINGLETON_ID).first()
    documents, id_sum = index.index_fingerprint() if index.index_exists() else (0, 0)
    published, published_sum = index.catalog_fingerprint()
    day = SearchHistory.objects.filter(created_at__gte=now - timedelta(hours=24), created_at__lt=now)
    totals = day.aggregate(searches=Coalesce(Sum("repeats"), 0), hits=Coalesce(Sum("cached_runs"), 0))
    return {
        "engine": "PostgreSQL tsvector + GIN" if connection.vendor == "postgresql" else "SQLite FTS5",
        "index_documents": documents,
        "published_lessons": published,
        "index_in_sync": (documents, id_sum) == (published, published_sum),
        "catalog_version": state.catalog_version if state else 0,
        "last_rebuild_at": state.last_rebuild_at.isoformat() if state and state.last_rebuild_at else None,
        "last_rebuild_seconds": state.last_rebuild_seconds if state else None,
        "searches_24h": totals["searches"],
        "cache_hit_rate": round(totals["hits"] / totals["searches"], 3) if totals["searches"] else None,
        **_timing(day),
    }


# A query is shown to staff (reports, staff pages, the metrics API) only when at least this
# many distinct people typed it in the period, so a list of top queries never tells what one
# learner searched for. Queries are grouped the way the search reads them (text.normalized:
# their words, lower-cased), and only the group and its counts are shown, never who typed it.
K_ANONYMITY = 3
TOP_QUERIES = 10


def _top_queries(searches: QuerySet, *, limit: int = TOP_QUERIES) -> list[dict]:
    """The most searched normalised queries typed by at least K_ANONYMITY distinct users."""
    counts: dict[str, int] = {}
    people: dict[str, set[int]] = {}
    rows = searches.values_list("query", "user_id").annotate(n=Count("id")).order_by()
    for query, user_id, n in rows:
        key = text.normalized(query) or query.strip().lower()
        counts[key] = counts.get(key, 0) + n
        people.setdefault(key, set()).add(user_id)
    shown = [key for key, who in people.items() if len(who) >= K_ANONYMITY]
    shown.sort(key=lambda key: (-counts[key], key))
    return [{"query": key, "searches": counts[key], "learners": len(people[key])} for key in shown[:limit]]


def report_search_stats(*, start: datetime, end: datetime) -> dict:
    """Search figures for a report period ``[start, end)``: volume, zero results, turbo share, timings.

    Volumes count every run: a collapsed history entry counts its repeats (and its cached runs).

    ``top_queries`` is aggregated and k-anonymous (see K_ANONYMITY): counts per normalised
    query, only for queries at least K_ANONYMITY distinct users typed.
    """
    searches = SearchHistory.objects.filter(created_at__gte=start, created_at__lt=end)
    totals = searches.aggregate(
        searches=Coalesce(Sum("repeats"), 0), users=Count("user", distinct=True),
        zero=Coalesce(Sum("repeats", filter=Q(results_count=0)), 0),
        turbo=Coalesce(Sum("repeats", filter=Q(turbo_used=True)), 0),
        hits=Coalesce(Sum("cached_runs"), 0),
    )
    n = totals["searches"]
    return {
        "searches": n,
        "users": totals["users"],
        "zero_result_rate": round(totals["zero"] / n, 3) if n else None,
        "turbo_share": round(totals["turbo"] / n, 3) if n else None,
        "cache_hit_rate": round(totals["hits"] / n, 3) if n else None,
        **_timing(searches),
        "saved_searches_created": SavedSearch.objects.filter(created_at__gte=start, created_at__lt=end).count(),
        "top_queries": _top_queries(searches),
    }
