"""The monitor at a past moment of the log: figures, thresholds, alerts and executions
as they stood then (`wftui check --at`, and the monitor's history mode).

Figures and executions come from `LogHistory` (the log's own timestamps); thresholds
are judged along the log from its start up to the moment, so `for` and `clear` play
out as they would have live, and the alerts are those fired by then.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from dataclasses import replace
from typing import Any

from wftui.core.execution import RUNNING, ExecutionRow
from wftui.core.history import LogHistory, step_latency_at
from wftui.core.ledger import Ledger
from wftui.core.snapshot import Snapshot
from wftui.core.thresholds import ThresholdEngine

KEEP: Any = object()  # "the same window as the figures"


def counts_at(history: LogHistory, at: float) -> dict[str, int]:
    """Executions begun by `at`: total, running then, succeeded and failed by then."""
    ended = bisect_right(history.ends, at)
    failed = history.failed_before[ended]
    running = bisect_right(history.starts, at) - bisect_right(history.stops, at)
    return {"total": bisect_right(history.starts, at), "running": running,
            "succeeded": ended - failed, "failed": failed}


def rows_at(ledger: Ledger, at: float, log_now: float) -> tuple[ExecutionRow, ...]:
    """Rows of the retained executions begun by `at`: those that ended later read as
    running then, aged to `at` (their counts are the log's, to its end)."""
    idle = ledger.idle_timeout
    rows = []
    for execution in ledger.executions.values():
        if execution.first_ts > at:
            continue
        row = execution.row(log_now, idle)
        if row.status == RUNNING or row.end_ts is None or row.end_ts > at:
            row = replace(row, status=RUNNING, end_ts=None, duration_s=None,
                          running_for_s=max(at - execution.first_ts, 0.0))
        rows.append(row)
    return tuple(rows)


def snapshot_at(ledger: Ledger, engine: ThresholdEngine, at: float,
                window_s: float | None, *, log_now: float,
                sources: tuple[dict[str, Any], ...] = (), warnings: tuple[str, ...] = (),
                with_rows: bool = False, history: LogHistory | None = None,
                alert_window_s: Any = KEEP) -> Snapshot:
    """What the monitor showed at `at` (a moment of the log); `engine` should be fresh:
    it is run along the log up to `at`. log_now: the log's now (its end, or the wall
    clock for a live log), which says which executions are still running. Thresholds
    are judged on `alert_window_s` (default: `window_s`)."""
    if history is None:
        history = LogHistory(ledger, log_now)
    judge_window = window_s if alert_window_s is KEEP else alert_window_s
    judged = history.judge(engine, judge_window, until=at)
    figures = history.figures_at(at, window_s, step_latency_at(ledger, at, window_s))
    return Snapshot(
        taken_at=time.time(),
        window_s=window_s,
        window_end=at,
        window_fallback=False,
        sources=sources,
        executions=counts_at(history, at),
        logs=figures,
        metrics=None,
        thresholds=judged[-1].states if judged else (),
        alerts=tuple(engine.alerts()),
        folded=ledger.kept.folded_count,
        late_events=ledger.late_events,
        malformed_total=ledger.malformed_total,
        recent_malformed=tuple(ledger.malformed),
        rows=rows_at(ledger, at, log_now) if with_rows else (),
        warnings=warnings,
        alert_window_s=judge_window,
        at=at,
    )
