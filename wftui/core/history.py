"""Figures over the log's own time: what they were at any moment the log covers.

The ledger keeps, per execution, when it began and ended and whether it failed
(retained and dormant summaries, and the samples of folded ones); that is enough to
say, for any past moment t, which executions had ended in the window before t (error
rate, latency, throughput) and which were running at t (active workflows). A 30-minute
log therefore opens with 30 minutes of history, whatever the window, and thresholds
can be judged along the log's time, as they would have been judged live.

Built once from a ledger: a copy of a few numbers per execution under its lock
(`wftui.core.history_parts`), sorted and queried without it. Queue depth at a past
moment is the log's last reading by then (`QueueHistory`); before the log's first
reading it is None ("no data"), never 0.
"""

from __future__ import annotations

import heapq
import math
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from wftui.core.big_sort import order_of, sorted_values
from wftui.core.figures import (
    MIN_RATE_SPAN_S,
    NO_LATENCY,
    Figures,
    earliest,
    rounded,
    too_short_to_rate,
)
from wftui.core.history_parts import HistoryParts, gather
from wftui.core.ledger import Ledger
from wftui.core.quantiles import quantiles_of
from wftui.core.sampling import FROM_LOGS, FROM_UNKNOWN_TRACES, FROM_WEIGHTED_TRACES
from wftui.core.thresholds import (
    Alert,
    Threshold,
    ThresholdEngine,
    ThresholdState,
    Transition,
)

# Moments judged along the log (at most): fine enough for a threshold's `for`, cheap
# enough to redo when the log grows.
JUDGED_MOMENTS = 300
# ... and never closer together than this.
MIN_STEP_S = 1.0
# With the window `all`, a stretch this long with nothing in it is a quiet one (`grid`).
QUIET_ALL_S = 300.0


@dataclass(frozen=True)
class Moment:
    """Where the thresholds stood at one moment of the log."""

    at: float
    states: tuple[ThresholdState, ...]


class LogHistory:
    """Each figure at any moment between the log's first and last event."""

    def __init__(self, ledger: Ledger, now: float) -> None:
        """The history of `ledger` as of `now` (call under its lock; `of_parts` builds
        from what `gather` copied under it, and sorts without it)."""
        self._arrange(gather(ledger, now))

    @classmethod
    def of_parts(cls, parts: HistoryParts) -> LogHistory:
        """Built from `gather`'s copy, which it empties as it goes: each unsorted array
        is let go once its sorted copy exists."""
        history = cls.__new__(cls)
        history._arrange(parts)
        return history

    def _arrange(self, parts: HistoryParts) -> None:
        order = order_of(parts.ends)
        self.ends = array("d", (parts.ends[index] for index in order))
        parts.ends = array("d")
        self.durations = array("d", (parts.durations[index] for index in order))
        parts.durations = array("d")
        failed = parts.failed
        # Running counts in 4-byte ints (as the order): room for 2**31 executions.
        self.failed_before = array("i", accumulate((failed[index] for index in order),
                                                   initial=0))
        # Only when some trace stands for more (or less) than one execution: per-ended
        # weights, and their running sums (all and failed), for weighted figures.
        self.weights: array | None = None
        self.weight_before: array | None = None
        self.failed_weight_before: array | None = None
        weights = parts.weights
        if weights is not None:
            self.weights = array("d", (weights[index] for index in order))
            self.weight_before = array("d", accumulate(self.weights, initial=0.0))
            self.failed_weight_before = array("d", accumulate(
                (weights[index] if failed[index] else 0.0 for index in order), initial=0.0))
        self.logged_before: array | None = None
        unknown = parts.unknown
        if weights is not None or unknown:
            # only unknown ones: every ended one here was logged
            logged = parts.logged if parts.logged is not None \
                else array("b", [True]) * len(order)
            self.logged_before = array("i", accumulate((logged[index] for index in order),
                                                       initial=0))
        del order, failed
        parts.failed = array("b")
        self.unknown_ends = array("d")
        if unknown:
            unknown.sort()
            self.unknown_ends = array("d", (item[0] for item in unknown))
            self.unknown_durations = array("d", (item[1] for item in unknown))
            self.unknown_failed_before = array("i", accumulate(
                (item[2] for item in unknown), initial=0))
        self.starts = sorted_values(parts.starts)
        parts.starts = array("d")
        # An execution stops being active when it ends: the ends, and the trace-only
        # ones of unknown sampling (counted apart); without those, the same array.
        self.stops = self.ends if not unknown else array(
            "d", heapq.merge(self.ends, self.unknown_ends))
        self.approximate = parts.approximate
        self.start: float | None = parts.oldest
        self.end: float | None = parts.end
        self.lost_running = parts.lost_running
        self.has_events = parts.has_events
        self.queue_depth = parts.queue_depth
        self.queue = parts.queue
        # Where the time keys can go back to: the first moment any figure has a value.
        # A log of queue depth readings alone has no execution (`start` None: nothing
        # to rate or count, nor to judge along its time), yet its queue depth has a
        # past; there the other figures stay "no data" (`figures_at`: not before start).
        self.travel_start: float | None = earliest(self.start, self.queue.first)

    def figures_at(self, at: float, window_s: float | None,
                   steps: dict[str, dict[str, Any]] | None = None) -> Figures:
        """The figures over the window ending at `at`, as they stood then (`steps`:
        per-step latency, from `step_latency_at`, when wanted)."""
        low = 0 if window_s is None else bisect_right(self.ends, at - window_s)
        high = bisect_right(self.ends, at)
        ended = max(high - low, 0)
        failed = self.failed_before[high] - self.failed_before[low] if ended else 0
        ended_w, failed_w = float(ended), float(failed)
        weights: list[float] | None = None
        basis = FROM_LOGS
        not_sampled = 0
        logged_ended = ended
        if self.logged_before is not None and ended:
            logged_ended = self.logged_before[high] - self.logged_before[low]
        if self.weights is not None and logged_ended < ended:
            assert self.weight_before is not None and self.failed_weight_before is not None
            ended_w = self.weight_before[high] - self.weight_before[low]
            failed_w = self.failed_weight_before[high] - self.failed_weight_before[low]
            weights = [w for w, d in zip(self.weights[low:high], self.durations[low:high],
                                         strict=True) if d == d]
            basis = FROM_WEIGHTED_TRACES
            not_sampled = self.weights[low:high].count(0.0)  # (`Figures.not_sampled`)
        durations = [d for d in self.durations[low:high] if d == d]  # not NaN
        left_out = 0
        if self.unknown_ends:
            ulow = 0 if window_s is None else bisect_right(self.unknown_ends, at - window_s)
            uhigh = bisect_right(self.unknown_ends, at)
            if uhigh > ulow and logged_ended:
                left_out = uhigh - ulow  # logs cover the window
            elif uhigh > ulow:
                basis = FROM_UNKNOWN_TRACES
                extra = [d for d in self.unknown_durations[ulow:uhigh] if d == d]
                bad = self.unknown_failed_before[uhigh] - self.unknown_failed_before[ulow]
                ended += uhigh - ulow
                failed += bad
                ended_w += uhigh - ulow
                failed_w += bad
                durations.extend(extra)
                if weights is not None:
                    weights.extend([1.0] * len(extra))
        latency = (quantiles_of(durations, None, weights) if durations
                   else dict(NO_LATENCY))
        # From the log's first event, a queue depth reading included (`log_figures`).
        first = earliest(self.start, self.queue.first) if self.start is not None else None
        span = at - first if first is not None else 0.0
        if window_s is not None:
            span = min(window_s, span)
        # As the figures of now: less than MIN_RATE_SPAN_S of log is too short to rate
        # (the first seconds of a log would otherwise read as a rate many times its own).
        minutes = span / 60.0 if span >= MIN_RATE_SPAN_S else None
        running = bisect_right(self.starts, at) - bisect_right(self.stops, at)
        known = self.start is not None and at >= self.start
        at_end = self.end is not None and at >= self.end
        return Figures(
            error_rate=failed_w / ended_w if ended_w > 0 else None,
            latency_s=latency,
            step_latency_s=steps or {},
            throughput_per_min=ended_w / minutes if minutes and self.has_events else None,
            active_workflows=float(running + (self.lost_running if at_end else 0))
            if known else None,
            queue_depth=self.queue_depth if at_end else self.queue.at(at),
            ended=ended,
            failed=failed,
            approximate=self.approximate,
            basis=basis,
            unknown_left_out=left_out,
            not_sampled=not_sampled,
            throughput_note=too_short_to_rate(ended, span)
            if ended and span < MIN_RATE_SPAN_S else None,
        )

    def moments(self, start: float, end: float, count: int) -> list[float]:
        """`count` moments evenly from `start` to `end` (both included)."""
        if count <= 1 or end <= start:
            return [end]
        step = (end - start) / (count - 1)
        return [start + index * step for index in range(count)]

    def grid(self, window_s: float | None, moments: int = JUDGED_MOMENTS,
             settle_s: float = 0.0) -> tuple[list[float], float | None]:
        """The moments thresholds are judged at along the whole log, and the step
        between them (None: a single moment).

        Evenly spread from the log's first event to its last, except over its quiet
        stretches: longer than the window (5 minutes with the window `all`) and than
        one step, nothing started, ended, left the window or read a queue depth there,
        so no figure changed. Those are judged at their two ends only and the moments
        go to the rest: a log of two sessions a week apart (or one line stamped in
        1970) is judged every few seconds where it has traffic, not every half hour
        across the silence (an incident of ten minutes fell between two moments).

        A threshold breached when a silence begins fires once it has lasted its `for`
        duration, silence or not: the first `settle_s` (the longest `for`) and one step
        of each quiet stretch are judged as the rest, so that it fires on time."""
        assert self.start is not None and self.end is not None
        start, end = self.start, self.end
        whole = max(end - start, 0.0)
        count = max(min(moments, int(whole / MIN_STEP_S) + 1), 1)
        if count <= 1:
            return self.moments(start, end, count), None
        even = whole / (count - 1)
        longer_than = max(even, window_s if window_s is not None else QUIET_ALL_S)
        settle = settle_s + even if settle_s > 0 else 0.0  # (without one, at once)
        quiet = [(before + settle, after) for before, after
                 in self._quiet_stretches(window_s, even, longer_than)
                 if after - (before + settle) > longer_than]
        if not quiet:
            return self.moments(start, end, count), even
        busy = whole - sum(after - before for before, after in quiet)
        count = max(min(moments, int(busy / MIN_STEP_S) + 1), 2)
        # (a log of lone events with the window `all` may be all quiet: busy is 0)
        step = max(busy / (count - 1), MIN_STEP_S)
        grid: list[float] = []
        lows = [start, *(after for _, after in quiet)]
        highs = [*(before for before, _ in quiet), end]
        for low, high in zip(lows, highs, strict=True):
            grid.extend(low + index * step for index in range(int((high - low) / step) + 1)
                        if high - (low + index * step) > 1e-6)
            if not grid or high - grid[-1] > 1e-6:
                grid.append(high)
        return grid, step

    def _quiet_stretches(self, window_s: float | None, even: float, longer_than: float
                         ) -> list[tuple[float, float]]:
        """(from, to) of each stretch longer than `longer_than` in which no figure can
        change: found by walking the even grid (`even` apart), a few bisections a step."""
        assert self.start is not None and self.end is not None
        quiet: list[tuple[float, float]] = []
        at = self.start
        while at < self.end:
            after = self._change_after(at, window_s)
            if after - at > even:  # nothing for a step: how long is the silence?
                before = max(self._change_at_or_before(at, window_s),
                             quiet[-1][1] if quiet else self.start)
                if after - before > longer_than:
                    quiet.append((before, after))
                at = after
            else:
                at += even
        return quiet

    def _changes(self, window_s: float | None) -> list[tuple[array, float]]:
        """Sorted times at which a figure may change, each with the shift to add:
        executions starting and stopping, leaving the window, queue readings."""
        out = [(self.starts, 0.0), (self.stops, 0.0), (self.queue.times, 0.0)]
        if window_s is not None:
            out.append((self.stops, window_s))
        return out

    def _change_after(self, at: float, window_s: float | None) -> float:
        assert self.end is not None
        found = self.end
        for times, shift in self._changes(window_s):
            index = bisect_right(times, at - shift)
            if index < len(times) and times[index] + shift < found:
                found = times[index] + shift
        return max(found, at)

    def _change_at_or_before(self, at: float, window_s: float | None) -> float:
        assert self.start is not None
        found = self.start
        for times, shift in self._changes(window_s):
            index = bisect_right(times, at - shift)
            if index and times[index - 1] + shift > found:
                found = times[index - 1] + shift
        return min(found, at)

    def series(self, start: float, end: float, points: int, window_s: float | None
               ) -> list[tuple[float, dict[str, Any]]]:
        """(moment, figures as in `Figures.as_dict`) at `points` moments up to `end`."""
        return [(at, self.figures_at(at, window_s).as_dict())
                for at in self.moments(start, end, points)]

    def moments_to_judge(self, engine: ThresholdEngine, window_s: float | None,
                         until: float | None = None, moments: int = JUDGED_MOMENTS,
                         after: float | None = None) -> tuple[list[float], float | None]:
        """The moments `judge` judges `engine` at, `until` last, and the step between
        them (None: a single moment). after: only those later than it, the log's time
        judged before (a log that has grown since: `MonitorHistory.judge_appended`);
        none when `until` is not later."""
        end = self.end if until is None else until
        if self.start is None or self.end is None or end is None or (
                after is not None and end - after <= 1e-6):
            return [], None
        whole_grid, step = self.grid(window_s, moments, max(
            (threshold.for_s for threshold in engine.thresholds), default=0.0))
        # (a grid moment within a microsecond of `until` is `until`: judged once)
        grid = [at for at in whole_grid if end - at > 1e-6
                and (after is None or at - after > 1e-6)]
        grid.append(end)
        return grid, step

    def judge(self, engine: ThresholdEngine, window_s: float | None,
              until: float | None = None, moments: int = JUDGED_MOMENTS) -> list[Moment]:
        """Run `engine` along the log from its start to `until` (default: its end), at
        log times: its alert history is then what a monitor watching the log live
        would have seen. Returns the states at each moment judged.

        The moments are one grid over the whole log (`moments` of them, at least
        MIN_STEP_S apart, none inside its quiet stretches: `grid`), whatever `until`
        is: judged up to a past moment, an alert fires at the very time the whole log's
        judgment says (time travel and `check --at` agree with the alerts list).
        `until` itself is judged last.
        """
        grid, step = self.moments_to_judge(engine, window_s, until, moments)
        if step is not None:
            engine.judging_along(step, grid[-1])
        judged = []
        for at, states, _ in judge_grid(
                engine, grid, lambda at: self.figures_at(at, window_s).as_dict()):
            judged.append(Moment(at, tuple(states)))
        return judged


def judge_grid(engine: ThresholdEngine, grid: list[float],
               figures_of: Callable[[float], dict[str, Any]]
               ) -> Iterator[tuple[float, list[ThresholdState], list[Transition]]]:
    """Judge `engine` at each moment of `grid` (in order) on `figures_of(moment)`, and
    also where a pending threshold's `for` runs out between two of them: a breach first
    seen up to a step after it began then fires at most one step after it has held for
    `for` (its alert's "≈ step"), not at the grid's next moment, up to a step later."""
    last: float | None = None
    for at in grid:
        due = engine.runs_out()
        while due is not None and due < at - 1e-6 and (last is None or due > last + 1e-6):
            states, transitions = engine.update(figures_of(due), due)
            yield due, states, transitions
            last = due
            due = engine.runs_out()
        states, transitions = engine.update(figures_of(at), at)
        yield at, states, transitions
        last = at


def step_latency_at(ledger: Ledger, at: float, window_s: float | None
                    ) -> dict[str, dict[str, Any]]:
    """Per-step latency over the window ending at `at` (as `log_figures` computes it)."""
    start = None if window_s is None else at - window_s
    steps: dict[str, dict[str, Any]] = {}
    for name, series in sorted(ledger.step_samples.items()):
        values, ok, bad, sketch = series.window(start, at)
        if ok + bad:
            stats: dict[str, Any] = dict(quantiles_of(values, sketch))
            stats["count"] = ok + bad
            steps[name] = stats
    return steps


def states_at(judged: list[Moment], at: float) -> tuple[ThresholdState, ...]:
    """The states at the last moment judged at or before `at` (none before the log)."""
    index = bisect_right([moment.at for moment in judged], at)
    return judged[index - 1].states if index else ()


def figure_values(figures: dict[str, Any]) -> dict[str, float | None]:
    """The figures the dashboard draws, flattened from `Figures.as_dict()` shape."""
    latency = figures.get("latency_s") or {}
    return {
        "error_rate": figures.get("error_rate"),
        "latency_p50_s": latency.get("p50"),
        "latency_p95_s": latency.get("p95"),
        "latency_p99_s": latency.get("p99"),
        "active_workflows": figures.get("active_workflows"),
        "queue_depth": figures.get("queue_depth"),
        "throughput_per_min": figures.get("throughput_per_min"),
    }


def lines_of(series: Iterable[tuple[float, dict[str, Any]]]
             ) -> dict[str, list[float | None]]:
    """Per figure, its values along a `LogHistory.series` (None: no data then)."""
    out: dict[str, list[float | None]] = {}
    for _, figures in series:
        for name, value in figure_values(figures).items():
            out.setdefault(name, []).append(rounded(value) if value is not None
                                            and not math.isnan(value) else None)
    return out


def alerts_along(history: LogHistory, thresholds: tuple[Threshold, ...],
                 window_s: float | None, until: float | None = None) -> list[Alert]:
    """The alerts a monitor watching the log live would have raised, judged along its
    own time to `until` (default: its end) as the TUI judges an old log; oldest first."""
    engine = ThresholdEngine(thresholds)
    history.judge(engine, window_s, until=until)
    return engine.alerts()[::-1]
