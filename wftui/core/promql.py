"""PromQL semantics on plain numbers: counter increases, rates and histogram quantiles.

Pure functions and one small state-tracking class, no IO. They follow Prometheus where the
contract says so (docs/figures.md):

* a counter that goes down was reset: the increase across a reset is the new value (the
  previous value is added back), so an increase is never negative;
* rates are taken per series first, then summed over series and targets;
* ``histogram_quantile`` is PromQL's: linear within the bucket, the lowest bucket starts at
  0, a rank that falls into the ``+Inf`` bucket gives the highest finite bound (flagged
  ``at_least``), buckets with the same bound (``le="1"`` and ``le="1.0"``) are merged,
  non-monotonic buckets are forced monotonic, and no observations (or no ``+Inf`` bucket)
  give no value.

Unlike Prometheus's ``increase()``, nothing here extrapolates to the window's edges: the
increase is exactly what the retained scrapes show.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

INF = math.inf


class Quantile(NamedTuple):
    """A quantile read from a histogram.

    ``at_least`` is true when the rank fell into the ``+Inf`` bucket: the true quantile is
    somewhere at or above ``value``, the highest finite bucket bound.
    """

    value: float
    at_least: bool = False


def parse_le(text: str) -> float | None:
    """Read a bucket's ``le`` label as a number (``"+Inf"``, ``"1"``, ``"1.0"``, ``"1e3"``).

    Returns None when the label is not a number or is NaN, so the caller can skip the bucket.
    """
    try:
        bound = float(text)
    except ValueError:
        return None
    return None if math.isnan(bound) else bound


def increase(values: Iterable[float]) -> float:
    """Counter increase over consecutive values of one series, reset-aware.

    A value lower than the one before it means the counter was reset (the process
    restarted); the increase across the reset is the new value itself.
    """
    total = 0.0
    previous: float | None = None
    for value in values:
        if previous is not None:
            total += value - previous if value >= previous else value
        previous = value
    return total


def rate(points: Sequence[tuple[float, float]]) -> float | None:
    """Per-second rate of one counter series from ``(time_s, value)`` points.

    None when there are fewer than two points or they span no time.
    """
    if len(points) < 2:
        return None
    span = points[-1][0] - points[0][0]
    if span <= 0:
        return None
    return increase(value for _, value in points) / span


def histogram_quantile(q: float, buckets: Iterable[tuple[float, float]]) -> Quantile | None:
    """PromQL ``histogram_quantile(q, ...)`` over ``(upper_bound, cumulative_count)`` pairs.

    The pairs may come in any order and with repeated bounds (they are merged by summing,
    as PromQL's ``coalesceBuckets`` does). Returns None where PromQL returns NaN: no
    ``+Inf`` bucket, fewer than two buckets, no observations, or ``q`` NaN. A ``q`` outside
    [0, 1] gives -Inf/+Inf as in PromQL.
    """
    if math.isnan(q):
        return None
    if q < 0:
        return Quantile(-INF)
    if q > 1:
        return Quantile(INF)
    merged: dict[float, float] = {}
    for bound, count in buckets:
        if math.isnan(bound) or math.isnan(count):
            continue
        merged[bound] = merged.get(bound, 0.0) + count
    ordered = sorted(merged.items())
    if not ordered or ordered[-1][0] != INF or len(ordered) < 2:
        return None
    # A bucket can never hold fewer observations than the one below it; scrapes that are
    # not atomic (or float noise in rates) can break that, and PromQL evens it out.
    bounds = [bound for bound, _ in ordered]
    counts: list[float] = []
    highest = 0.0
    for _, count in ordered:
        highest = max(highest, count)
        counts.append(highest)
    observations = counts[-1]
    if observations <= 0:
        return None
    rank = q * observations
    chosen = next((i for i in range(len(counts) - 1) if counts[i] >= rank), len(counts) - 1)
    if chosen == len(counts) - 1:
        return Quantile(bounds[-2], at_least=True)
    if chosen == 0 and bounds[0] <= 0:
        return Quantile(bounds[0])
    start = 0.0
    end = bounds[chosen]
    in_bucket = counts[chosen]
    if chosen > 0:
        start = bounds[chosen - 1]
        in_bucket -= counts[chosen - 1]
        rank -= counts[chosen - 1]
    if in_bucket <= 0:
        # Only q == 0 with an empty lowest bucket gets here; Go's 0/0 is NaN there too.
        return None
    return Quantile(start + (end - start) * (rank / in_bucket))


def highest_finite_bound(bounds: Iterable[float]) -> float | None:
    """The largest bucket bound that is not ``+Inf`` (None when there is none)."""
    finite = [bound for bound in bounds if not math.isinf(bound)]
    return max(finite) if finite else None


@dataclass
class _SeriesState:
    last_raw: float
    offset: float
    seen: int = 0  # the update that last saw it


# A series missing from this many scrapes in a row is forgotten (Prometheus marks a series
# stale at the first scrape without it; one more rides out an exporter that skips one).
STALE_SCRAPES = 2
# Forgotten series whose last values are remembered, in case they come back (a collector
# that left them out of a few answers): that many at most, the oldest let go first.
FORGOTTEN_KEPT = 10_000


class CounterTracker:
    """Makes counter series of one target monotonic across resets.

    ``adjusted = raw + offset``, where the offset gathers every value seen just before a
    reset. The increase between two scrapes of any sum of adjusted series then equals the
    sum of the reset-aware increases of those series, so a scrape can be stored as a few
    sums instead of every series. A series that disappears keeps its last adjusted value
    (its past increases do not turn negative); a series that appears counts from 0.

    Memory is bounded under label churn: with ``group`` (a key -> the sum it belongs to),
    a series missing for ``STALE_SCRAPES`` scrapes is forgotten and its last adjusted
    value kept in its group's "retired" total, returned under the key ``group + ((),)``;
    sums over groups stay exact. A forgotten series that comes back carries on from its
    last value, as Prometheus's increase() does across the gap (not counted again from
    0: its whole total read as new executions); only the ``FORGOTTEN_KEPT`` most recently
    forgotten are remembered, an older one comes back as new.
    """

    def __init__(self, group: Callable[[Any], tuple[Any, ...]] | None = None,
                 stale_scrapes: int = STALE_SCRAPES) -> None:
        self._series: dict[Hashable, _SeriesState] = {}
        self._group = group
        self._stale_scrapes = stale_scrapes
        self._retired: dict[Hashable, float] = {}
        self._forgotten: dict[Hashable, _SeriesState] = {}  # oldest first
        self._updates = 0

    def update(self, raw: Mapping[Any, float]) -> dict[Any, float]:
        """Take one scrape's raw counter values; return every known series' adjusted value."""
        self._updates += 1
        now = self._updates
        for key, value in raw.items():
            if math.isnan(value):
                continue
            state = self._series.get(key)
            if state is None:
                state = self._forgotten.pop(key, None)
                if state is None:
                    self._series[key] = _SeriesState(value, 0.0, now)
                    continue
                # Back: out of its group's retired total, and on from where it was.
                assert self._group is not None
                retired = (*self._group(key), ())
                self._retired[retired] -= state.last_raw + state.offset
                self._series[key] = state
            if value < state.last_raw:
                state.offset += state.last_raw
            state.last_raw = value
            state.seen = now
        if self._group is not None and len(self._series) > len(raw):
            self._forget(now - self._stale_scrapes)
        out: dict[Any, float] = {key: state.last_raw + state.offset
                                 for key, state in self._series.items()}
        out.update(self._retired)
        return out

    def _forget(self, before: int) -> None:
        assert self._group is not None
        gone = [key for key, state in self._series.items() if state.seen <= before]
        for key in gone:
            state = self._series.pop(key)
            retired = (*self._group(key), ())
            self._retired[retired] = self._retired.get(retired, 0.0) + state.last_raw \
                + state.offset
            self._forgotten[key] = state
        while len(self._forgotten) > FORGOTTEN_KEPT:
            del self._forgotten[next(iter(self._forgotten))]

    def __len__(self) -> int:
        return len(self._series)
