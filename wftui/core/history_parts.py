"""What the log's history is built from: a few numbers per execution, copied from the
ledger under its lock, in the ledger's order (`wftui.core.history` sorts them after,
without the lock: a 5M-line log's sort took most of the second its build held it).
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from typing import Any

from wftui.core.execution import FAILED, RUNNING
from wftui.core.ledger import Ledger
from wftui.core.queue_history import QueueHistory


@dataclass
class HistoryParts:
    """Each ended execution's end, duration (NaN: none) and failure; every execution's
    start; sampled traces' weights; and the ledger's few other facts the history needs.
    An execution ended is one that stopped being active: the trace-only ones of unknown
    sampling (`unknown`: end, duration, failed) stop too, but are counted apart."""

    ends: array
    durations: array
    failed: array
    starts: array
    # Each ended one's weight and whether a log gave it (docs/figures.md): both None
    # (no cost) when no ended execution is a trace-only one of known sampling.
    weights: array | None
    logged: array | None
    unknown: list[tuple[float, float, bool]]
    oldest: float | None  # where the log's figures begin (as log_figures)
    approximate: bool  # some samples folded to per-minute sketches: counted, not timed
    end: float | None  # the log's end (None: no event read)
    lost_running: int
    has_events: bool
    queue_depth: Any
    queue: QueueHistory


def gather(ledger: Ledger, now: float) -> HistoryParts:
    """Copy what the history needs from `ledger` (call under its lock); `now` decides
    which executions still run (the log's end for an old log, the wall clock if live)."""
    idle = ledger.idle_timeout
    # Four numbers per execution, in arrays (8 bytes each, 1 for `failed`): a 5M-line
    # log has ~600k executions, and lists of floats would cost four times as much.
    ends, durations, failed, starts = array("d"), array("d"), array("b"), array("d")
    unknown: list[tuple[float, float, bool]] = []
    # (index in `ends`, weight) of the trace-only executions of known sampling
    sampled: list[tuple[int, float]] = []
    oldest = ledger.kept.folded_oldest_ts
    for execution in ledger.summaries():
        status = execution.status(now, idle)
        starts.append(execution.first_ts)
        if oldest is None or execution.first_ts < oldest:
            oldest = execution.first_ts
        if status == RUNNING:
            continue  # running at `now`: active from its start on
        end = execution.end_ts(status)
        assert end is not None
        duration = execution.duration_s(status)
        sampling = execution.sampling
        if sampling is not None and not execution.logged:
            if type(sampling) is not float:
                unknown.append((end, math.nan if duration is None else duration,
                                status == FAILED))
                continue
            sampled.append((len(ends), sampling))
        ends.append(end)
        durations.append(math.nan if duration is None else duration)
        failed.append(status == FAILED)
    # Folded trace-only executions (their exact samples, as the main ones below).
    kept = ledger.kept
    for weight, series in [(None, kept.folded_unknown), *kept.folded_weighted.items()]:
        bad = set(series.failed_at)
        for index, (end, value) in enumerate(zip(series.times, series.values, strict=True)):
            starts.append(end - value if value == value else end)
            if weight is None:
                unknown.append((end, value, index in bad))
                continue
            sampled.append((len(ends), weight))
            ends.append(end)
            durations.append(value)
            failed.append(index in bad)
    folded = ledger.folded
    failed_at = set(folded.failed_at)
    ends.extend(folded.times)
    durations.extend(folded.values)  # NaN: no duration
    failed.extend(index in failed_at for index in range(len(folded.times)))
    starts.extend(end - value if value == value else end
                  for end, value in zip(folded.times, folded.values, strict=True))
    weights: array | None = None
    logged: array | None = None
    if sampled:  # the others (logged, and the folded ones) each stand for one
        weights = array("d", [1.0]) * len(ends)
        logged = array("b", [True]) * len(ends)
        for index, weight in sampled:
            weights[index] = weight
            logged[index] = False
    anchor = ledger.window_anchor
    return HistoryParts(
        ends=ends, durations=durations, failed=failed, starts=starts, weights=weights,
        logged=logged, unknown=unknown, oldest=oldest,
        approximate=any(series.folded_ok or series.folded_failed
                        for series in kept.folded_series()),
        end=anchor if anchor is not None and math.isfinite(anchor) else None,
        lost_running=kept.lost_running, has_events=ledger.events_total > 0,
        queue_depth=ledger.queue_depth, queue=ledger.queue_history.copy())
