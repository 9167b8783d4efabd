"""Fixed latency buckets and the percentile estimate drawn from them.

Bucket ``i`` counts durations ``d`` with ``BOUNDS_MS[i-1] < d <= BOUNDS_MS[i]`` (Prometheus's
``le`` convention); the last bucket is open-ended. Bounds grow by roughly a quarter each step,
so an estimate is never further than one bucket from the true value.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field

BOUNDS_MS: tuple[float, ...] = (
    1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100,
    125, 150, 200, 250, 300, 400, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000,
)
BUCKETS = len(BOUNDS_MS) + 1
BUCKET_FIELDS: tuple[str, ...] = tuple(f"b{i:02d}" for i in range(BUCKETS))


def bucket_index(duration_ms: float) -> int:
    """The bucket a duration falls in."""
    return bisect_left(BOUNDS_MS, duration_ms)


def bucket_range(index: int) -> tuple[float, float | None]:
    """``(lower, upper)`` of a bucket in ms; ``upper`` is None for the open-ended last one."""
    lower = BOUNDS_MS[index - 1] if index > 0 else 0.0
    upper = BOUNDS_MS[index] if index < len(BOUNDS_MS) else None
    return float(lower), (float(upper) if upper is not None else None)


def quantile(counts: Sequence[int], q: float, *, max_ms: float | None = None) -> float | None:
    """The ``q`` quantile (0..1) estimated from bucket counts, interpolating inside its bucket.

    The bucket chosen is the one holding the nearest-rank value (rank ``ceil(q * n)``), so the
    estimate lies in the same bucket as the exact percentile of the same durations. In the
    open-ended last bucket the recorded maximum (when given) is the upper edge.
    """
    total = sum(counts)
    if total <= 0:
        return None
    q = min(1.0, max(0.0, q))
    rank = max(1, math.ceil(round(q * total, 9)))  # round first: 0.95 * 100 is 94.999...
    cumulative = 0
    for index, count in enumerate(counts):
        if count and cumulative + count >= rank:
            lower, upper = bucket_range(index)
            if upper is None:
                upper = max(lower, max_ms or lower)
            if max_ms is not None:
                upper = min(upper, max(lower, max_ms))
            share = (rank - cumulative) / count
            return min(upper, max(lower, round(lower + (upper - lower) * share, 3)))
        cumulative += count
    return None


@dataclass(slots=True)
class Stats:
    """Requests folded together: count, duration sum and maximum, and the bucket counts.

    The one value type of the request tiers: the collector's per-minute batch, the rows read
    back for reports and the API, and the ``/metrics`` histograms all add up the same way.
    """

    count: int = 0
    sum_ms: float = 0.0
    max_ms: float = 0.0
    buckets: list[int] = field(default_factory=lambda: [0] * BUCKETS)

    def record(self, duration_ms: float) -> None:
        self.count += 1
        self.sum_ms += duration_ms
        if duration_ms > self.max_ms:
            self.max_ms = duration_ms
        self.buckets[bucket_index(duration_ms)] += 1

    def add(self, other: Stats) -> None:
        self.count += other.count
        self.sum_ms += other.sum_ms
        if other.max_ms > self.max_ms:
            self.max_ms = other.max_ms
        buckets = self.buckets
        for index, value in enumerate(other.buckets):
            buckets[index] += value

    def copy(self) -> Stats:
        return Stats(self.count, self.sum_ms, self.max_ms, list(self.buckets))

    def columns(self) -> tuple:
        """``count, duration_sum_ms, duration_max_ms, b00…`` as the request tables store them."""
        return (self.count, self.sum_ms, self.max_ms, *self.buckets)

    def percentile(self, q: float) -> float | None:
        return quantile(self.buckets, q, max_ms=self.max_ms or None)
