"""Percentiles from fixed latency buckets, against known inputs."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from telemetry.histogram import BOUNDS_MS, BUCKETS, bucket_index, bucket_range, quantile


def counts_of(durations):
    counts = [0] * BUCKETS
    for d in durations:
        counts[bucket_index(d)] += 1
    return counts


def nearest_rank(durations, q):
    ordered = sorted(durations)
    return ordered[max(1, math.ceil(round(q * len(ordered), 9))) - 1]


def test_bucket_upper_bound_is_inclusive():
    assert bucket_index(1.0) == 0
    assert bucket_index(1.0001) == 1
    assert bucket_index(150) == BOUNDS_MS.index(150)
    assert bucket_index(10_000.5) == BUCKETS - 1
    assert bucket_range(BUCKETS - 1) == (10_000.0, None)


def test_quantile_of_known_uniform_input():
    durations = [i + 0.5 for i in range(100)]  # 0.5 … 99.5 ms
    counts = counts_of(durations)
    # The 50th value is 49.5 ms, inside (40, 50]; linear interpolation inside the bucket.
    assert 40 < quantile(counts, 0.5) <= 50
    assert 80 < quantile(counts, 0.95) <= 100
    assert 80 < quantile(counts, 0.99) <= 100


def test_quantile_of_single_value_bucket_is_its_bucket():
    counts = counts_of([7.0] * 10)
    assert 6 < quantile(counts, 0.5) <= 8
    assert quantile(counts, 0.99) <= 8


def test_quantile_uses_recorded_maximum_in_the_open_bucket():
    counts = counts_of([20_000.0, 30_000.0])
    assert quantile(counts, 1.0, max_ms=30_000.0) == 30_000.0


def test_quantile_of_nothing_is_none():
    assert quantile([0] * BUCKETS, 0.5) is None


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(min_value=0.01, max_value=20_000, allow_nan=False), min_size=1, max_size=400),
    st.sampled_from([0.5, 0.9, 0.95, 0.99, 0.999]),
)
def test_estimate_is_in_the_bucket_of_the_exact_percentile(durations, q):
    estimate = quantile(counts_of(durations), q, max_ms=max(durations))
    exact = nearest_rank(durations, q)
    lower, upper = bucket_range(bucket_index(exact))
    assert lower <= estimate <= (upper if upper is not None else max(durations))
