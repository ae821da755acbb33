"""PromQL semantics on plain numbers; every expected value is worked out by hand below."""

from __future__ import annotations

import math

import pytest

from wftui.core.promql import (
    CounterTracker,
    Quantile,
    highest_finite_bound,
    histogram_quantile,
    increase,
    parse_le,
    rate,
)

INF = math.inf
# Cumulative buckets: 2 obs <= 0.1, 6 <= 0.5, 8 <= 1, 10 in all.
BUCKETS = [(0.1, 2.0), (0.5, 6.0), (1.0, 8.0), (INF, 10.0)]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], 0.0),
        ([4.0], 0.0),
        ([1.0, 3.0, 6.0], 5.0),  # (3-1) + (6-3)
        ([1.0, 3.0, 2.0, 5.0], 7.0),  # 2 + reset: 2 (the new value) + (5-2)=3
        ([10.0, 0.0, 0.0, 4.0], 4.0),  # reset to 0 adds 0, then +4
        ([5.0, 5.0], 0.0),
    ],
)
def test_increase_is_reset_aware(values: list[float], expected: float) -> None:
    assert increase(values) == pytest.approx(expected)


def test_rate_is_increase_over_the_span() -> None:
    # increase 7 (see above) over 30 s
    assert rate([(0.0, 1.0), (10.0, 3.0), (20.0, 2.0), (30.0, 5.0)]) == pytest.approx(7 / 30)
    assert rate([(0.0, 1.0)]) is None
    assert rate([(5.0, 1.0), (5.0, 2.0)]) is None


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        # rank 0.1*10 = 1 -> first bucket (2 >= 1): 0 + (0.1 - 0) * 1/2 = 0.05
        (0.1, Quantile(0.05)),
        # rank 5 -> bucket le=0.5 (6 >= 5): 0.1 + 0.4 * (5-2)/(6-2) = 0.4
        (0.5, Quantile(0.4)),
        # rank 8 -> bucket le=1 (8 >= 8): 0.5 + 0.5 * (8-6)/(8-6) = 1.0
        (0.8, Quantile(1.0)),
        # rank 9.5 > 8 -> +Inf bucket -> highest finite bound 1.0, "at least"
        (0.95, Quantile(1.0, at_least=True)),
        (1.5, Quantile(INF)),
        (-0.1, Quantile(-INF)),
    ],
)
def test_histogram_quantile_matches_promql(q: float, expected: Quantile) -> None:
    result = histogram_quantile(q, BUCKETS)
    assert result is not None
    assert result.value == pytest.approx(expected.value)
    assert result.at_least == expected.at_least


def test_bucket_order_does_not_matter_and_equal_bounds_merge() -> None:
    # le="1" and le="1.0" are the same bound: 3 + 5 = 8 observations <= 1.
    shuffled = [(INF, 10.0), (parse_le("1"), 3.0), (0.5, 6.0), (parse_le("1.0"), 5.0), (0.1, 2.0)]
    result = histogram_quantile(0.5, shuffled)
    assert result == Quantile(pytest.approx(0.4))


def test_non_monotonic_buckets_are_forced_monotonic() -> None:
    # 1:2, 2:6, 3:4 (dip), 4:7, +Inf:8 -> forced 2, 6, 6, 7, 8.
    # q=0.8: rank 6.4 -> bucket le=4 (7 >= 6.4): 3 + 1 * (6.4-6)/(7-6) = 3.4
    # (without the fix it would be 3 + (6.4-4)/(7-4) = 3.8)
    buckets = [(1.0, 2.0), (2.0, 6.0), (3.0, 4.0), (4.0, 7.0), (INF, 8.0)]
    result = histogram_quantile(0.8, buckets)
    assert result is not None
    assert result.value == pytest.approx(3.4)


@pytest.mark.parametrize(
    "buckets",
    [
        [(0.1, 2.0), (0.5, 6.0)],  # no +Inf bucket
        [(0.1, 0.0), (0.5, 0.0), (INF, 0.0)],  # no observations
        [(INF, 4.0)],  # only the +Inf bucket
        [],
    ],
)
def test_no_quantile_where_promql_gives_nan(buckets: list[tuple[float, float]]) -> None:
    assert histogram_quantile(0.5, buckets) is None


def test_lowest_bucket_with_negative_bound_returns_that_bound() -> None:
    # rank 0.25*6 = 1.5 falls in the first bucket, whose bound -1 is <= 0: PromQL returns -1.
    assert histogram_quantile(0.25, [(-1.0, 3.0), (1.0, 6.0), (INF, 6.0)]) == Quantile(-1.0)


def test_q_zero_with_empty_lowest_bucket_is_nan_like_go() -> None:
    assert histogram_quantile(0.0, [(0.1, 0.0), (1.0, 4.0), (INF, 4.0)]) is None
    assert histogram_quantile(float("nan"), BUCKETS) is None


def test_parse_le_reads_numbers() -> None:
    assert parse_le("+Inf") == INF
    assert parse_le("1e1") == 10.0
    assert parse_le("0.25") == 0.25
    assert parse_le("fast") is None
    assert parse_le("NaN") is None
    assert highest_finite_bound([0.1, INF, 60.0, 5.0]) == 60.0
    assert highest_finite_bound([INF]) is None


def test_counter_tracker_adds_previous_value_on_reset() -> None:
    tracker = CounterTracker()
    assert tracker.update({"a": 5.0}) == {"a": 5.0}
    assert tracker.update({"a": 8.0}) == {"a": 8.0}
    # reset: 8 is kept as an offset, so adjusted = 2 + 8 = 10 (increase 2, never negative)
    assert tracker.update({"a": 2.0}) == {"a": 10.0}
    # a disappears (kept at 10), b appears and counts from its first value
    assert tracker.update({"b": 1.0}) == {"a": 10.0, "b": 1.0}
    # a comes back lower than its last raw value (2): another reset, offset 8 + 2
    assert tracker.update({"a": 1.0, "b": 3.0}) == {"a": 11.0, "b": 3.0}
    assert len(tracker) == 2


def test_counter_tracker_ignores_nan() -> None:
    tracker = CounterTracker()
    tracker.update({"a": 5.0})
    assert tracker.update({"a": float("nan")}) == {"a": 5.0}
