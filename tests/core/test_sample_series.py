"""A series' window finds exactly the samples with start < time <= end, whether the
samples came in time order (the times are then their own running maxima, and no second
array is kept) or not, before and after the oldest half is folded past the cap."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from wftui.core.quantiles import SampleSeries

times_st = st.lists(st.integers(min_value=0, max_value=400).map(float), max_size=60)
bounds_st = st.tuples(st.one_of(st.none(), st.integers(-10, 410).map(float)),
                      st.integers(-10, 410).map(float))


def expected(samples: list[tuple[float, float, bool]], start: float | None, end: float
             ) -> tuple[list[float], int, int]:
    inside = [(value, failed) for time, value, failed in samples
              if (start is None or start < time) and time <= end]
    return (sorted(value for value, _ in inside),
            sum(1 for _, failed in inside if not failed),
            sum(1 for _, failed in inside if failed))


def fill(times: list[float]) -> tuple[SampleSeries, list[tuple[float, float, bool]]]:
    series = SampleSeries()
    samples = [(time, time / 10.0, index % 3 == 0) for index, time in enumerate(times)]
    for time, value, failed in samples:
        series.add(time, value, failed)
    return series, samples


@given(times_st, st.lists(bounds_st, min_size=1, max_size=4), st.lists(times_st, max_size=2))
def test_windows_are_exact_in_order_or_not(times: list[float],
                                           windows: list[tuple[float | None, float]],
                                           later: list[list[float]]) -> None:
    series, samples = fill(times)
    for more in [[], *later]:  # samples added between queries, in order or not
        for time in more:
            series.add(time, time / 10.0, False)
            samples.append((time, time / 10.0, False))
        for start, end in windows:
            values, ok, failed, sketch = series.window(start, end)
            assert sketch is None
            assert (sorted(values), ok, failed) == expected(samples, start, end)


def test_in_order_samples_keep_no_second_array_and_one_out_of_order_makes_it() -> None:
    series, samples = fill([float(time) for time in range(100)])
    assert series.window(49.0, 60.0)[1:3] == expected(samples, 49.0, 60.0)[1:]
    assert len(series._running_max) == 0  # the times are their own running maxima
    series.add(10.0, 1.0)  # out of order: now and later windows still find it
    samples.append((10.0, 1.0, False))
    for start in (5.0, 9.0, 50.0):
        assert series.window(start, 200.0)[1:3] == expected(samples, start, 200.0)[1:]
    assert list(series._running_max) == [*map(float, range(100)), 99.0]


def test_folding_the_oldest_half_keeps_in_order_windows_exact() -> None:
    series = SampleSeries(cap=10)
    minute = 120.0  # samples two minutes apart: a folded one's minute is not the window's
    for step in range(25):
        series.add(step * minute, 1.0)
        series.window((step - 3.5) * minute, step * minute)  # queried as it grows
    values, ok, failed, sketch = series.window(20.5 * minute, 24 * minute)
    assert (values, ok, failed, sketch) == ([1.0] * 4, 4, 0, None)  # steps 21 to 24
    assert len(series._running_max) == 0
    assert len(series) == 25 and not math.isnan(sum(values))


@given(times_st, times_st, st.booleans(), st.lists(bounds_st, min_size=1, max_size=4))
def test_a_series_merged_from_parts_windows_as_one_read_in_one_go(
        first: list[float], second: list[float], checked: bool,
        windows: list[tuple[float | None, float]]) -> None:
    """A log read in parts: each part's series checked for order in its reader (or
    not), then merged; windows find exactly what one series of every sample finds."""
    merged, samples = fill(first)
    later, more = fill(second)
    if checked:
        merged.check_order()
        later.check_order()
    merged.extend(later)
    samples += more
    for start, end in windows:
        values, ok, failed, _ = merged.window(start, end)
        assert (sorted(values), ok, failed) == expected(samples, start, end)


def test_parts_in_order_merge_into_a_series_known_in_order() -> None:
    merged, _ = fill([float(time) for time in range(50)])
    later, _ = fill([float(time) for time in range(50, 80)])
    merged.check_order()
    later.check_order()
    merged.extend(later)
    assert merged._in_order == 80  # no first window needs to check them again
    across, _ = fill([float(time) for time in range(40, 60)])  # begins before the end
    across.check_order()
    merged.extend(across)
    assert merged._in_order == 80
    _, ok, failed, _ = merged.window(45.0, 55.0)
    assert ok + failed == 20  # 46..55 twice
