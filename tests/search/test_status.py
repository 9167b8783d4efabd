"""Turbo status and the report figures the telemetry app reads."""

import json
from datetime import timedelta

from django.utils import timezone

from search import selectors, services
from search.models import SearchHistory


def test_turbo_status_reports_the_index_and_its_sync(db, catalog):
    status = selectors.turbo_status()
    assert status["index_documents"] == 4 and status["published_lessons"] == 4
    assert status["index_in_sync"] is True
    assert status["engine"] in {"SQLite FTS5", "PostgreSQL tsvector + GIN"}
    json.dumps(status)


def test_turbo_status_gives_24h_timings_hit_rate_and_speedup(db, catalog, user):
    now = timezone.now()
    rows = [(True, 2.0, False), (True, 4.0, False), (True, 0.1, True), (False, 40.0, False), (False, 60.0, False)]
    SearchHistory.objects.bulk_create([
        SearchHistory(user=user, query="q", results_count=1, turbo_used=t, search_time=ms, cached=c, cached_runs=int(c))
        for t, ms, c in rows
    ])
    old = SearchHistory.objects.create(user=user, query="old", results_count=1, turbo_used=True, search_time=999.0)
    SearchHistory.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=2))
    status = selectors.turbo_status(now=now + timedelta(seconds=1))
    assert status["searches_24h"] == 5
    assert status["cache_hit_rate"] == 0.2
    assert (status["turbo_p50_ms"], status["turbo_p95_ms"]) == (2.0, 4.0)
    assert (status["plain_p50_ms"], status["plain_p95_ms"]) == (40.0, 60.0)
    assert status["speedup"] == 20.0


def test_report_search_stats_covers_the_period(db, catalog, user, other_user):
    start = timezone.now()
    services.search_run(user=user, query="colour", turbo=True)
    services.search_run(user=user, query="colour", turbo=True)
    services.search_run(user=other_user, query="nothing-like-this", turbo=False)
    services.saved_search_create(user=user, query="grey")
    stats = selectors.report_search_stats(start=start, end=timezone.now() + timedelta(seconds=1))
    json.dumps(stats)
    assert stats["searches"] == 3 and stats["users"] == 2  # the repeat is one history entry, two searches
    assert stats["zero_result_rate"] == round(1 / 3, 3)
    assert stats["turbo_share"] == round(2 / 3, 3)
    assert stats["cache_hit_rate"] == round(1 / 3, 3)  # the repeat came from the cache
    assert stats["saved_searches_created"] == 1
    assert stats["top_queries"] == []  # typed by one person only: never listed (K_ANONYMITY)
    assert stats["turbo_p50_ms"] is not None and stats["plain_p50_ms"] is not None


def test_report_search_stats_for_an_empty_period(db):
    now = timezone.now()
    stats = selectors.report_search_stats(start=now - timedelta(days=1), end=now)
    assert stats["searches"] == 0 and stats["zero_result_rate"] is None and stats["speedup"] is None
