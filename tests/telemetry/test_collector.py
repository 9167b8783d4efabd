"""Request telemetry: counted per route pattern, method and status class, written in batches."""

import time
from datetime import UTC, datetime

import pytest
from django.db.models import Sum
from django.test import Client

from telemetry.collector import Collector, collector, flush
from telemetry.histogram import BUCKET_FIELDS, bucket_index
from telemetry.middleware import UNMATCHED, route_label
from telemetry.models import ActiveUserDay, RequestHour, RequestMinute, RequestTotal

pytestmark = pytest.mark.django_db


def counted(**filters) -> int:
    return RequestMinute.objects.filter(**filters).aggregate(n=Sum("count"))["n"] or 0


def test_requests_are_counted_by_route_pattern_not_raw_path(staff_client):
    for pk in (101, 102, 103):
        staff_client.get(f"/api/v1/reports/{pk}/")
    flush()
    row = RequestMinute.objects.get(route="/api/v1/reports/<pk>/")
    assert (row.method, row.status_class, row.count) == ("GET", 4, 3)
    assert not RequestMinute.objects.filter(route__contains="101").exists()


def test_status_classes_are_kept_apart(api_client, staff_client):
    api_client.get("/api/v1/metrics/system/")  # 401
    staff_client.get("/api/v1/metrics/system/")  # 200
    flush()
    rows = dict(RequestMinute.objects.filter(route="/api/v1/metrics/system/").values_list("status_class", "count"))
    assert rows == {2: 1, 4: 1}


def test_nothing_is_written_per_request_before_a_flush(staff_client):
    staff_client.get("/api/v1/metrics/performance/")
    assert collector.pending() >= 1
    assert RequestMinute.objects.count() == 0
    written = flush()
    assert written >= 1
    assert counted(route="/api/v1/metrics/performance/") == 1
    assert collector.pending() == 0


def test_unknown_paths_share_one_unmatched_route(api_client):
    api_client.get("/api/v1/no-such-thing/")
    api_client.get("/wp-login.php")
    flush()
    assert counted(route=UNMATCHED) == 2
    assert RequestMinute.objects.exclude(route=UNMATCHED).filter(route__contains="wp-login").count() == 0


def test_health_and_static_paths_are_not_counted(db):
    client = Client()
    client.get("/healthz")
    client.get("/static/css/app.css")
    assert collector.pending() == 0


def test_unknown_methods_are_counted_as_other(api_client):
    api_client.generic("PROPFIND", "/api/v1/config/system/")
    flush()
    assert RequestMinute.objects.filter(method="OTHER").aggregate(n=Sum("count"))["n"] == 1


def test_flushes_from_two_processes_add_up():
    # Two collectors stand for two web processes writing the same minute and key.
    now = time.time()
    first, second = Collector(), Collector()
    for duration in (3.0, 7.0):
        first.record(route="/api/v1/x/", method="GET", status=200, duration_ms=duration, now=now)
    second.record(route="/api/v1/x/", method="GET", status=204, duration_ms=120.0, now=now)
    first.flush()
    second.flush()
    row = RequestMinute.objects.get(route="/api/v1/x/")
    assert row.count == 3
    assert row.duration_sum_ms == pytest.approx(130.0)
    assert row.duration_max_ms == pytest.approx(120.0)
    assert getattr(row, BUCKET_FIELDS[bucket_index(3.0)]) == 1
    assert getattr(row, BUCKET_FIELDS[bucket_index(7.0)]) == 1
    assert getattr(row, BUCKET_FIELDS[bucket_index(120.0)]) == 1
    assert sum(row.buckets) == 3


def test_hour_and_total_tiers_hold_the_same_counts_as_the_minutes():
    base = datetime(2026, 5, 4, 10, 58, tzinfo=UTC).timestamp()
    for offset in (0, 60, 120, 180):  # 10:58, 10:59, 11:00, 11:01
        collector.record(route="/api/v1/y/", method="POST", status=201, duration_ms=9.0, now=base + offset)
    flush()
    assert RequestMinute.objects.filter(route="/api/v1/y/").count() == 4
    hours = dict(RequestHour.objects.filter(route="/api/v1/y/").values_list("hour__hour", "count"))
    assert hours == {10: 2, 11: 2}
    assert RequestTotal.objects.get(route="/api/v1/y/").count == 4


def test_authenticated_callers_are_recorded_as_active_that_day(auth_client):
    auth_client.get("/api/v1/auth/me/")
    auth_client.get("/api/v1/auth/me/")
    flush()
    day = ActiveUserDay.objects.get(user_id=auth_client.user.pk)
    assert day.requests == 2


def test_a_second_flush_adds_to_the_active_user_day(auth_client):
    auth_client.get("/api/v1/auth/me/")
    flush()
    auth_client.get("/api/v1/auth/me/")
    flush()
    assert ActiveUserDay.objects.get(user_id=auth_client.user.pk).requests == 2


def test_route_labels_of_path_patterns():
    assert route_label("api/v1/auth/sessions/<uuid:session_id>/") == "/api/v1/auth/sessions/<session_id>/"
    assert route_label("api/v1/search/saved/<rowid:pk>/run/") == "/api/v1/search/saved/<pk>/run/"
    assert route_label("") == "/"


def test_every_api_route_is_a_path_pattern():
    """Labels are the patterns themselves, so no API route may be a regex."""
    from django.urls import URLPattern, URLResolver, get_resolver
    from django.urls.resolvers import RoutePattern

    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern), entry.pattern

    api = [(route, pattern) for route, pattern in walk(get_resolver().url_patterns) if route.startswith("api/")]
    assert api and all(isinstance(pattern, RoutePattern) for _, pattern in api), [r for r, p in api
                                                                                  if not isinstance(p, RoutePattern)]


def test_a_batch_that_cannot_be_stored_is_dropped_not_retried_forever():
    doomed = Collector()
    doomed.record(route="x" * 50, method="GET", status=200, duration_ms=1.0)
    doomed._stats = {(key[0], key[1], key[2], -1): row for key, row in doomed._stats.items()}  # breaks a CHECK
    assert doomed.flush() == 0
    assert doomed.dropped == 1
    assert doomed.pending() == 0
