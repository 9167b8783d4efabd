"""The telemetry app's written statements give what the ORM reads they replace gave, on generated rows."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Max, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from telemetry import fastpaths
from telemetry.histogram import BUCKET_FIELDS
from telemetry.models import HealthCheck as Probe
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


FLAGS = ("ok", "database_ok", "cache_ok", "broker_ok")
probes = st.lists(st.tuples(st.integers(-3 * 10**6, 3 * 10**6), st.lists(st.booleans(), min_size=3, max_size=3)),
                  max_size=12, unique_by=lambda probe: probe[0])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=probes, window=st.tuples(st.integers(-3 * 10**6, 3 * 10**6), st.integers(0, 4 * 10**6)))
def test_probe_rows_are_the_probes_the_orm_reads(data, window):
    """Each probe in ``[lower, upper)`` once, oldest first, its time to the microsecond and its flags' truth as
    the ORM reads them; ``lower`` and ``upper`` fall on probes too."""
    Probe.objects.all().delete()
    for offset_us, (database, cache, broker) in data:
        Probe.objects.create(at=BASE + timedelta(microseconds=offset_us), ok=database and cache and broker,
                             database_ok=database, cache_ok=cache, broker_ok=broker)
    lower = BASE + timedelta(microseconds=window[0])
    upper = lower + timedelta(microseconds=window[1])
    expected = list(Probe.objects.filter(at__gte=lower, at__lt=upper).order_by("at").values_list("at", *FLAGS))
    found = fastpaths.probe_rows(lower, upper)
    assert [tuple(bool(flag) for flag in row[1:]) for row in found] == [row[1:] for row in expected]
    assert [row[0] for row in found] == pytest.approx([row[0].timestamp() for row in expected], abs=1e-6, rel=0)
    for at in (lower, upper):  # a probe exactly on a bound: inside at the lower one, outside at the upper one
        Probe.objects.create(at=at, ok=True, database_ok=True, cache_ok=True, broker_ok=True)
    times = [row[0] for row in fastpaths.probe_rows(lower, upper)]
    assert len(times) == len(expected) + (1 if upper > lower else 0)
    assert upper == lower or any(abs(t - lower.timestamp()) <= 1e-6 for t in times)
