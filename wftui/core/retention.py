"""Bounded memory for the ledger: the retained executions, and the folding of old ones.

The most recent `limit` executions are kept whole (summary and raw lines). Past that the
oldest is folded, preferring one that has ended: an ended one becomes a compact sample
(`SampleSeries`) the figures still count; a running one goes *dormant* (its summary kept,
its raw lines dropped) so that a late completion still counts, until `limit` dormant
ones are waiting and the oldest of them is given up on (`lost_running`).
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterator

from wftui.core.changes import ExecutionChanges
from wftui.core.execution import FAILED, NO_LINES, RUNNING, SUCCEEDED, Execution
from wftui.core.quantiles import SampleSeries
from wftui.core.sampling import weight_of

# Eviction prefers ended executions: it looks this far past a running one.
EVICTION_LOOKAHEAD = 64
# ... and after a scan that found none ended, folds this many oldest before scanning again.
SCAN_PAUSE = 1024
# Folded trace-only executions keep their weight (docs/figures.md, "Sampled traces"):
# one series per adjusted count (to 3 significant digits), at most this many, each
# with this fraction of the sample cap (together about one more cap at most).
MAX_WEIGHTS = 16


class Retention:
    """Which executions are kept whole, which are dormant, and what was folded away."""

    def __init__(self, limit: int, idle_timeout: float | None, sample_cap: int,
                 keep_raw: bool, changes: ExecutionChanges | None = None) -> None:
        self.limit = max(limit, 1)
        # Executions that enter or leave `executions` are noted for the table's rows.
        self.changes = changes if changes is not None else ExecutionChanges()
        self.idle_timeout = idle_timeout
        self.keep_raw = keep_raw
        self.executions: dict[str, Execution] = {}
        self.order: deque[str] = deque()
        # Folded executions: (end time, duration, failed), plus those folded unfinished.
        self.folded = SampleSeries(sample_cap)
        # Folded trace-only executions: by adjusted count (other than 1), and those of
        # unknown sampling (which log_figures leaves out where logs cover the window).
        self.sample_cap = sample_cap
        self.folded_weighted: dict[float, SampleSeries] = {}
        self.folded_unknown = SampleSeries(max(sample_cap // MAX_WEIGHTS, 2))
        self.folded_count = 0
        self.dormant: OrderedDict[str, Execution] = OrderedDict()
        self.lost_running = 0
        self.folded_oldest_ts: float | None = None  # earliest first event folded away
        # Recently folded ids, to recognise their late events (a set for lookups, a deque
        # for age: deleting from the front of a dict is quadratic in CPython).
        self.folded_ids: set[str] = set()
        self._folded_order: deque[str] = deque()
        self._seq = 0
        self._kept = 0  # the last `kept_at` given
        self._scan_pause = 0

    def adopt(self, execution: Execution, now: float) -> None:
        """Retain a new execution, numbered in read order (folding the oldest past it).

        `now` is the clock that judges which executions are still running.
        """
        self._seq += 1
        execution.seq = self._seq
        self._kept += 1
        execution.kept_at = self._kept
        execution_id = execution.execution_id
        self.executions[execution_id] = execution
        self.order.append(execution_id)
        self.changes.note(execution_id)
        if len(self.executions) > self.limit:
            self.fold_one(now)

    def wake(self, execution_id: str, now: float) -> Execution | None:
        """A dormant execution has news: it is retained again (its early lines are gone)."""
        execution = self.dormant.pop(execution_id, None)
        if execution is not None:
            self._kept += 1
            execution.kept_at = self._kept  # last in `executions` again
            self.executions[execution_id] = execution
            self.order.append(execution_id)
            self.changes.note(execution_id)
            if len(self.executions) > self.limit:
                self.fold_one(now)
        return execution

    def fold_one(self, now: float) -> None:
        """Fold the oldest execution, preferring one that has ended, into the samples.

        Runs once per new execution past the limit (and per execution a merge brings),
        so it is written with locals and one status check per execution looked at.
        """
        idle = self.idle_timeout
        executions, order = self.executions, self.order
        if not self._scan_pause and not self.dormant:
            # The usual case (a big log's merge folds 80,000 this way): the oldest has
            # ended, and no dormant one waits.
            front_status = executions[order[0]].status(now, idle)
            if front_status != RUNNING:
                self._settle(self._take_front(), front_status)
                return
        status: str | None = None  # of the execution at the front of `order`, once known
        if self._scan_pause > 0:
            # The last scan found only running executions: a flood of them. Scanning
            # again for each new one would cost 64 status checks per line; fold the
            # oldest for a while instead.
            self._scan_pause -= 1
        else:
            for _ in range(min(EVICTION_LOOKAHEAD, len(order) - 1)):
                status = executions[order[0]].status(now, idle)
                if status != RUNNING:
                    break
                order.rotate(-1)
            else:
                self._scan_pause = SCAN_PAUSE
                status = None  # rotated past the last one checked
        execution = self._take_front()
        if status is None:
            status = execution.status(now, idle)
        dormant = self.dormant
        if status == RUNNING:
            execution.raw_dropped += len(execution.raw)
            execution.raw = [] if self.keep_raw else NO_LINES  # woken, it logs on
            execution.read_times = None
            dormant[execution.execution_id] = execution
            if len(dormant) > self.limit:
                oldest = dormant.popitem(last=False)[1]
                self._settle(oldest, oldest.status(now, idle))
        else:
            self._settle(execution, status)
        # Dormant executions that have ended since are folded as they come up.
        for _ in range(2):
            if not dormant:
                break
            oldest = next(iter(dormant.values()))
            status = oldest.status(now, idle)
            if status == RUNNING:
                break
            dormant.popitem(last=False)
            self._settle(oldest, status)

    def _take_front(self) -> Execution:
        """The execution at the front of `order`, no longer retained (its row leaves
        the table; its first event may be the earliest folded away)."""
        execution = self.executions.pop(self.order.popleft())
        self.changes.note(execution.execution_id)
        if self.folded_oldest_ts is None or execution.first_ts < self.folded_oldest_ts:
            self.folded_oldest_ts = execution.first_ts
        return execution

    def _settle(self, execution: Execution, status: str) -> None:
        """Fold an execution into the samples for good (or give up on a running one)."""
        if status == RUNNING:
            self.lost_running += 1
        else:
            end, duration = execution.ended(status)
            assert end is not None
            series = self.folded
            if execution.sampling is not None and not execution.logged:
                weight = weight_of(False, execution.sampling)
                if weight is None:
                    series = self.folded_unknown
                elif weight != 1.0:
                    series = self._weighted(weight)
            series.add(end, duration, status == FAILED)
        self.folded_count += 1
        execution_id = execution.execution_id
        self.folded_ids.add(execution_id)
        order = self._folded_order
        order.append(execution_id)
        if len(order) > self.limit:
            self.folded_ids.discard(order.popleft())

    def _weighted(self, weight: float) -> SampleSeries:
        """The folded series of trace-only executions of about this weight."""
        key = float(f"{weight:.3g}")
        series = self.folded_weighted.get(key)
        if series is None:
            if len(self.folded_weighted) >= MAX_WEIGHTS:  # the nearest one kept
                return self.folded_weighted[min(
                    self.folded_weighted, key=lambda known: abs(known - key)
                    / max(known, key, 1e-300))]
            series = self.folded_weighted[key] = SampleSeries(
                max(self.sample_cap // MAX_WEIGHTS, 2))
        return series

    def folded_series(self) -> list[SampleSeries]:
        """Every series of folded executions (counted once each in `counts`)."""
        return [self.folded, self.folded_unknown, *self.folded_weighted.values()]

    def summaries(self) -> Iterator[Execution]:
        """Every execution with a summary: retained ones, then dormant ones."""
        yield from self.executions.values()
        yield from self.dormant.values()

    def counts(self, now: float) -> dict[str, int]:
        """Executions seen: total, running, succeeded, failed (folded ones included)."""
        tally = {RUNNING: self.lost_running, SUCCEEDED: 0, FAILED: 0}
        idle = self.idle_timeout
        for execution in self.summaries():
            tally[execution.status(now, idle)] += 1
        for series in self.folded_series():
            folded_failed = series.failed_count()
            tally[FAILED] += folded_failed
            tally[SUCCEEDED] += len(series) - folded_failed
        return {"total": len(self.executions) + len(self.dormant) + self.folded_count,
                "running": tally[RUNNING],
                "succeeded": tally[SUCCEEDED], "failed": tally[FAILED]}
