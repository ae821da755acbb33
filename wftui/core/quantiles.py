"""Quantiles: exact (numpy.percentile's default, linear between closest ranks) or from a
relative-error sketch when detail has been folded away.

`SampleSeries` keeps (time, value) samples in compact arrays up to a cap and folds the
oldest into a `LogSketch` past it, so an endless log costs bounded memory while recent
windows stay exact.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from itertools import accumulate

QUANTILES = (0.5, 0.95, 0.99)


def exact_quantile(sorted_values: Sequence[float], q: float) -> float | None:
    """The q-quantile of sorted values, linear between closest ranks (numpy's default)."""
    n = len(sorted_values)
    if n == 0:
        return None
    rank = q * (n - 1)
    lo = math.floor(rank)
    hi = min(lo + 1, n - 1)
    below = sorted_values[lo]
    return below + (sorted_values[hi] - below) * (rank - lo)


def weighted_quantiles(values: Sequence[float], weights: Sequence[float]
                       ) -> dict[str, float | None]:
    """p50/p95/p99 of values that each stand for `weight` values (sampled traces).

    The rule of `exact_quantile` applied to the values repeated by their weights (a
    value of weight 10 is ten values), extended to fractional weights: the rank is
    q * (total weight - 1), the value at a rank the first whose cumulative weight
    passes it. With every weight 1 this is `exact_quantile`; weight 0 counts for none.
    """
    pairs = sorted(zip(values, weights, strict=True))
    ordered = [value for value, _ in pairs]
    cumulative = list(accumulate(weight for _, weight in pairs))
    total = cumulative[-1] if cumulative else 0.0
    out: dict[str, float | None] = {}
    for q in QUANTILES:
        key = f"p{round(q * 100)}"
        if total <= 0:
            out[key] = None
            continue
        rank = max(q * (total - 1), 0.0)
        lo = math.floor(rank)
        last = len(ordered) - 1
        below = ordered[min(bisect_right(cumulative, lo), last)]
        if rank == lo:
            out[key] = below
            continue
        above = ordered[min(bisect_right(cumulative, lo + 1), last)]
        out[key] = below + (above - below) * (rank - lo)
    return out


class LogSketch:
    """Counts in logarithmic buckets: any quantile within `accuracy` relative error.

    DDSketch's mapping: bucket i holds values in (gamma^(i-1), gamma^i], reported as the
    point that splits that range's relative error evenly.
    """

    __slots__ = ("_gamma", "_log_gamma", "buckets", "count", "zeros")

    def __init__(self, accuracy: float = 0.005) -> None:
        self._gamma = (1 + accuracy) / (1 - accuracy)
        self._log_gamma = math.log(self._gamma)
        # Counts are floats once a sampled trace's weight is added (`times`).
        self.buckets: dict[int, float] = {}
        self.zeros: float = 0  # values <= 0 (a zero-length step) sit below every bucket
        self.count: float = 0

    def add(self, value: float, times: float = 1) -> None:
        self.count += times
        if value <= 0.0:
            self.zeros += times
            return
        index = math.ceil(math.log(value) / self._log_gamma)
        self.buckets[index] = self.buckets.get(index, 0) + times

    def merge(self, other: LogSketch, weight: float = 1) -> None:
        """Add another sketch's values, each standing for `weight` values."""
        self.count += other.count * weight
        self.zeros += other.zeros * weight
        for index, times in other.buckets.items():
            self.buckets[index] = self.buckets.get(index, 0) + times * weight

    def _value_at_rank(self, rank: int, ordered: list[tuple[int, float]]) -> float:
        if rank < self.zeros:
            return 0.0
        seen = self.zeros
        for index, times in ordered:
            seen += times
            if rank < seen:
                return 2.0 * self._gamma**index / (self._gamma + 1.0)
        index = ordered[-1][0]
        return 2.0 * self._gamma**index / (self._gamma + 1.0)

    def quantile(self, q: float) -> float | None:
        """Same rank rule as `exact_quantile`, each rank's value within the accuracy."""
        if self.count == 0:
            return None
        ordered = sorted(self.buckets.items())
        rank = q * (self.count - 1)
        lo = math.floor(rank)
        below = self._value_at_rank(lo, ordered)
        if rank == lo:
            return below
        above = self._value_at_rank(lo + 1, ordered)
        return below + (above - below) * (rank - lo)


def quantiles_of(
    values: Iterable[float], sketch: LogSketch | None = None,
    weights: Sequence[float] | None = None,
) -> dict[str, float | None]:
    """p50/p95/p99 of values, merged with a sketch of folded values when one is given.

    weights: how many values each stands for (sampled traces), in the same order; None
    when every value stands for itself (the fast path)."""
    if sketch is None or sketch.count == 0:
        if weights is not None:
            return weighted_quantiles(list(values), weights)
        ordered = sorted(values)
        return {f"p{round(q * 100)}": exact_quantile(ordered, q) for q in QUANTILES}
    merged = LogSketch()
    merged.merge(sketch)
    if weights is None:
        for value in values:
            merged.add(value)
    else:
        for value, weight in zip(values, weights, strict=True):
            merged.add(value, weight)
    return {f"p{round(q * 100)}": merged.quantile(q) for q in QUANTILES}


# Folded samples are kept per minute of their time, so a window that reaches into them
# is off by at most the half minute at each edge; minutes older than the horizon merge
# into one archive (memory stays bounded on an endless log).
FOLD_BUCKET_S = 60.0
FOLD_HORIZON_S = 3 * 3600.0


class FoldedBucket:
    """Folded samples of one minute (or the archive): a sketch and the outcome counts."""

    __slots__ = ("sketch", "ok", "failed", "newest")

    def __init__(self) -> None:
        self.sketch = LogSketch()
        self.ok = 0
        self.failed = 0
        self.newest = -math.inf

    def merge(self, other: FoldedBucket) -> None:
        self.sketch.merge(other.sketch)
        self.ok += other.ok
        self.failed += other.failed
        self.newest = max(self.newest, other.newest)


class SampleSeries:
    """(time, value, failed) samples: exact up to `cap`, the oldest folded per minute.

    Samples arrive in read order, which is nearly but not exactly time order; a running
    maximum of the times (extended lazily, at query time, off the hot path) lets a
    window find its first candidate by bisection and still be exact. Failures are rare,
    so they are kept as a list of sample indexes rather than a flag per sample.
    """

    __slots__ = ("_cap", "_running_max", "_in_order", "times", "values", "failed_at",
                 "_minutes", "_archive", "folded_ok", "folded_failed")

    def __init__(self, cap: int = 1_000_000) -> None:
        # Ledger inlines `add` for plain samples while len(times) < its sample cap, so
        # the cap here must be the same number (it is: Ledger passes its own).
        self._cap = max(cap, 2)
        self.times = array("d")
        self.values = array("d")
        self.failed_at: list[int] = []
        self._running_max = array("d")
        # While no sample has come out of time order, the times are their own running
        # maxima, and `_running_max` stays empty: this many leading samples are known
        # to be in order (a 5M-line log's step samples: 15 MB not held twice).
        self._in_order = 0
        self._minutes: dict[int, FoldedBucket] = {}
        self._archive: FoldedBucket | None = None
        self.folded_ok = 0
        self.folded_failed = 0

    def __len__(self) -> int:
        return len(self.times) + self.folded_ok + self.folded_failed

    def add(self, time: float, value: float | None, failed: bool = False) -> None:
        """Record one sample; value None means counted but with no duration."""
        times = self.times
        if len(times) >= self._cap:
            self._fold_oldest_half()
        if failed:
            self.failed_at.append(len(times))
        times.append(time)
        self.values.append(math.nan if value is None else value)

    def extend(self, other: SampleSeries) -> None:
        """Take another series' samples as if they had been added after these ones (the
        merge of a log read in parts: `wftui.core.ledger_merge`)."""
        for key, bucket in other._minutes.items():
            mine = self._minutes.get(key)
            if mine is None:
                mine = self._minutes[key] = FoldedBucket()
            mine.merge(bucket)
        if other._archive is not None:
            if self._archive is None:
                self._archive = FoldedBucket()
            self._archive.merge(other._archive)
        self.folded_ok += other.folded_ok
        self.folded_failed += other.folded_failed
        if len(self.times) + len(other.times) <= self._cap:
            base = len(self.times)
            # Both known in order, and the other begins where this one ends: so is the
            # whole (a log read in parts: no pass over a million times at its first
            # window, see `check_order`).
            in_order = (not self._running_max and self._in_order == base
                        and other._in_order == len(other.times)
                        and (not base or not other.times or other.times[0] >= self.times[-1]))
            self.failed_at.extend(base + index for index in other.failed_at)
            self.times.extend(other.times)
            self.values.extend(other.values)
            if in_order:
                self._in_order = len(self.times)
        else:  # past the cap: one at a time, folding the oldest half as `add` does
            failed = set(other.failed_at)
            for index, (time, value) in enumerate(zip(other.times, other.values,
                                                      strict=True)):
                self.add(time, value if value == value else None, index in failed)
        if other._minutes:
            self._archive_old_minutes()

    def check_order(self) -> None:
        """Find out now whether the times came in order: a part's reader does, in its
        own process, so the merged series knows without its first window checking
        them all (5 series of a 1M-line log: 70 ms before the first whole screen)."""
        if self._running_max or self._in_order == len(self.times):
            return
        self._times_in_order()
        # Out of order: the maxima just built are dropped, not sent with the part's
        # series (8 bytes a sample more through the pipe); a window builds them.
        self._running_max = array("d")

    def failed_count(self) -> int:
        return len(self.failed_at) + self.folded_failed

    def _fold_oldest_half(self) -> None:
        half = len(self.times) // 2
        failed = set(self.failed_at[: bisect_right(self.failed_at, half - 1)])
        minutes = self._minutes
        for index in range(half):
            time = self.times[index]
            key = math.floor(time / FOLD_BUCKET_S)
            bucket = minutes.get(key)
            if bucket is None:
                bucket = minutes[key] = FoldedBucket()
            value = self.values[index]
            if value == value:  # not NaN
                bucket.sketch.add(value)
            if index in failed:
                bucket.failed += 1
            else:
                bucket.ok += 1
            if time > bucket.newest:
                bucket.newest = time
        self.folded_failed += len(failed)
        self.folded_ok += half - len(failed)
        self.failed_at = [index - half for index in self.failed_at[len(failed):]]
        del self.times[:half]
        del self.values[:half]
        # The running maxima kept still bound everything before them: bisection stays exact.
        del self._running_max[: min(half, len(self._running_max))]
        self._in_order = max(self._in_order - half, 0)
        self._archive_old_minutes()

    def _archive_old_minutes(self) -> None:
        newest = max(self._minutes) if self._minutes else None
        if newest is None:
            return
        horizon = newest - FOLD_HORIZON_S / FOLD_BUCKET_S
        for key in [key for key in self._minutes if key < horizon]:
            if self._archive is None:
                self._archive = FoldedBucket()
            self._archive.merge(self._minutes.pop(key))

    def _running(self) -> array:
        running, times = self._running_max, self.times
        if not running:  # every sample so far in time order, or none checked yet
            return self._times_in_order()
        done = len(running)
        if done < len(times):
            peak = running[-1] if done else -math.inf
            running.extend(accumulate(times[done:], max, initial=peak))
            del running[done]  # accumulate's initial value
        return running

    def _newest(self) -> float:
        """The latest time of the exact samples (without extending the running maxima:
        that costs a Python call per sample, `max` over an array does not)."""
        running, times = self._running_max, self.times
        if not running:
            running, done = times, self._in_order
        else:
            done = len(running)
        peak = running[done - 1] if done else -math.inf
        return max(peak, max(times[done:])) if done < len(times) else peak

    def _times_in_order(self) -> array:
        """The running maxima while no sample came out of order: the times themselves;
        at the first one that does, the maxima are kept apart from then on."""
        times, checked = self.times, self._in_order
        if checked == len(times):
            return times
        newer = times[checked:]
        maxima = array("d", accumulate(newer, max,
                                       initial=times[checked - 1] if checked else -math.inf))
        del maxima[0]  # accumulate's initial value
        if maxima == newer:
            self._in_order = len(times)
            return times
        running = self._running_max = times[:checked]
        running.extend(maxima)
        return running

    def folded_in(self, start: float | None, end: float) -> FoldedBucket | None:
        """Folded samples of the window: whole minutes whose middle lies in it, and the
        archive when the window reaches past the horizon (None when there are none)."""
        if not self._minutes and self._archive is None:
            return None
        picked = FoldedBucket()
        for key, bucket in self._minutes.items():
            middle = (key + 0.5) * FOLD_BUCKET_S
            if (start is None or middle > start) and middle - FOLD_BUCKET_S / 2 <= end:
                picked.merge(bucket)
        archive = self._archive
        if archive is not None and (start is None or start < archive.newest):
            picked.merge(archive)
        return picked if picked.ok + picked.failed else None

    def window(self, start: float | None, end: float
               ) -> tuple[list[float], int, int, LogSketch | None]:
        """Samples with start < time <= end: (values, ok count, failed count, sketch).

        The sketch (None when no folded sample is in the window) holds the values of
        folded samples, to be merged with the exact ones (quantiles within 1%).
        """
        times, vals = self.times, self.values
        if start is None and (not times or self._newest() <= end):
            # Every sample (`check --window all`): no per-sample work in Python unless
            # some have no duration (NaN, which makes the sum NaN).
            values = vals.tolist()
            total = sum(vals)
            if total != total:
                values = [value for value in values if value == value]
            failed_count = len(self.failed_at)
            ok = len(times) - failed_count
        elif self._running() is times:
            # In time order (a log's, mostly): the window is one slice, found by
            # bisection, and read in C (a 5-minute window of a 1M-line log's samples
            # took 30 ms of every refresh one index at a time).
            first = 0 if start is None else bisect_right(times, start)
            last = bisect_right(times, end, first)
            values = vals[first:last].tolist()
            if math.isnan(sum(values)):
                values = [value for value in values if value == value]
            failed_at = self.failed_at
            failed_count = bisect_left(failed_at, last) - bisect_left(failed_at, first)
            ok = last - first - failed_count
        else:
            first = 0 if start is None else bisect_right(self._running(), start)
            low = -math.inf if start is None else start
            picked = [i for i in range(first, len(times)) if low < times[i] <= end]
            values = [vals[i] for i in picked if vals[i] == vals[i]]
            failed_count = sum(
                1 for i in self.failed_at[bisect_right(self.failed_at, first - 1):]
                if low < times[i] <= end)
            ok = len(picked) - failed_count
        folded = self.folded_in(start, end)
        if folded is None:
            return values, ok, failed_count, None
        return values, ok + folded.ok, failed_count + folded.failed, folded.sketch
