"""The request tiers' written statement sums what the ORM aggregate it replaces summed, on generated rows."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Max, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from telemetry import fastpaths
from telemetry.histogram import BUCKET_FIELDS
from telemetry.models import RequestHour, RequestMinute

pytestmark = pytest.mark.django_db

BASE = datetime(2026, 3, 2, 10, tzinfo=UTC)
ORM_SUMS = {"n": Sum("count"), "s": Sum("duration_sum_ms"), "mx": Max("duration_max_ms"),
            **{f"h{name[1:]}": Sum(name) for name in BUCKET_FIELDS}}
ROUTES = ["/api/v1/progress/", "/api/v1/lessons/", "/healthz"]
rows = st.lists(st.tuples(st.integers(0, 5), st.sampled_from(ROUTES), st.sampled_from(["GET", "POST"]), st.integers(2, 5),
                          st.integers(0, 10**6), st.floats(0, 10**6, allow_nan=False), st.floats(0, 10**4, allow_nan=False),
                          st.lists(st.integers(0, 1000), min_size=3, max_size=3)), max_size=15)
groups = st.sampled_from([(), ("route",), ("time", "route", "status_class"), ("route", "method", "status_class"),
                          ("time", "status_class")])


def normal(found: list[dict]) -> list[dict]:
    """Rows in one order, numbers as floats (the databases type a sum as integer, numeric or real alike)."""
    def value(v):
        return float(v) if isinstance(v, int | float) or hasattr(v, "as_tuple") else v
    return sorted(({k: value(v) for k, v in row.items()} for row in found), key=repr)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=rows, group=groups, hours=st.booleans(), window=st.tuples(st.integers(0, 5), st.integers(0, 6)),
       routes=st.none() | st.lists(st.sampled_from(ROUTES), unique=True, max_size=2))
def test_request_sums_equal_the_orm_aggregate(data, group, hours, window, routes):
    model, column = (RequestHour, "hour") if hours else (RequestMinute, "minute")
    step = timedelta(hours=1) if hours else timedelta(minutes=1)
    model.objects.all().delete()
    seen = set()
    for slot, route, method, status_class, count, total, longest, buckets in data:
        if (slot, route, method, status_class) in seen:  # one row per key (a unique constraint)
            continue
        seen.add((slot, route, method, status_class))
        model.objects.create(**{column: BASE + slot * step}, route=route, method=method, status_class=status_class,
                             count=count, duration_sum_ms=total, duration_max_ms=longest,
                             **dict(zip(BUCKET_FIELDS[::11], buckets, strict=True)))
    lower, upper = BASE + window[0] * step, BASE + (window[0] + window[1]) * step
    fields = [column if name == "time" else name for name in group]
    qs = model.objects.filter(**{f"{column}__gte": lower, f"{column}__lt": upper})
    if routes is not None:
        qs = qs.filter(route__in=routes)
    expected = [qs.aggregate(**ORM_SUMS)] if not fields else list(qs.values(*fields).annotate(**ORM_SUMS).order_by())
    found = fastpaths.request_sums(model, column, lower, upper, group=fields, routes=routes)
    assert normal(found) == normal(expected)
    for row in found:
        if column in row:
            assert row[column].tzinfo is not None
