"""One refresh of the UI, computed off the UI thread.

`compute_refresh` runs in a worker thread: a snapshot from the monitor, the table's
rows (kept between refreshes; see live_rows.py), filtered and sorted. The UI thread
only displays it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from wftui.core.execution import RUNNING, ExecutionRow
from wftui.core.history import LogHistory
from wftui.core.snapshot import Snapshot
from wftui.core.thresholds import Alert
from wftui.view.live_rows import FirstPage, LiveRows
from wftui.view.rows import TableQuery, arrange
from wftui.view.timeline import open_at_end

if TYPE_CHECKING:
    from wftui.live import LiveMonitor


@dataclass(frozen=True)
class Refresh:
    """One refresh's results, computed in a worker thread."""

    now: float
    version: int
    snapshot: Snapshot
    rows: Sequence[ExecutionRow]
    retained: int
    took_s: float
    query: TableQuery = TableQuery()  # what the rows were filtered and sorted by
    # The log's own history (the history view, and the sparklines unless
    # `metric_sparklines`); None without a log file, or while reading.
    log_history: LogHistory | None = None
    # The log's first and last moments, where the time keys can go (None: no log, or
    # still being read); set with metrics too: the log's past stands on its own.
    travel_span: tuple[float, float] | None = None
    # With metrics, at now: the panels show the metrics' figures, so their sparklines
    # are drawn from the app's samples of those, not from the log's history.
    metric_sparklines: bool = False
    # The alerts the history view marks on its charts of the whole log: those of now,
    # also at a past moment (whose snapshot has only the alerts fired by then).
    chart_alerts: tuple[Alert, ...] = ()


def rows_held(snapshot: Snapshot) -> bool:
    """Whether the table's rows wait for the log to be read (now, not a past moment)."""
    return snapshot.reading is not None and snapshot.at is None


def compute_refresh(monitor: LiveMonitor, rows: LiveRows, query: TableQuery,
                    now: float, at: float | None = None) -> Refresh:
    """Snapshot, rows, filter and sort (in a worker thread); `at`: a past moment of the
    log to show instead of now."""
    started = time.perf_counter()
    version = monitor.version
    snapshot = monitor.snapshot(now=now, at=at, with_rows=at is not None)
    # While the backlog is read, rows are held (the table says the log is being read):
    # rebuilding 50,000 rows took the interpreter lock from the reading thread, and
    # the rows of half a log are soon replaced anyway.
    held = rows_held(snapshot)
    if query.text.strip() and not held:
        # The text filter reads the executions' lines, kept once the screen has shown
        # the whole log: this refresh is that screen (its lines are kept meanwhile).
        monitor.lines_ready(showing_all=True)
    # An old log's now is its end: running executions are aged to it, not to today.
    log_now = snapshot.clock.now if snapshot.clock is not None else now
    arranged: Sequence[ExecutionRow]
    if snapshot.at is not None:  # as they stood then, filtered and sorted from scratch
        executions = monitor.executions_copy() if query.text else []
        by_id = {execution.execution_id: execution for execution in executions}
        arranged = arrange(list(snapshot.rows), query, rows.search, by_id)
        retained = len(snapshot.rows)
    elif held:
        arranged, retained = [], 0
    else:
        # Kept between refreshes: only the changed executions' rows are done again.
        arranged = rows.update(monitor, query, log_now, monitor.idle_timeout)
        retained = rows.retained
        if open_at_end(snapshot):
            if isinstance(arranged, FirstPage):
                arranged.open_at_end = True  # as each row is built
            else:
                arranged = [replace(row, open_at_end=True) if row.status == RUNNING
                            else row for row in arranged]
    history = None
    span: tuple[float, float] | None = None
    if monitor.tailer is not None and monitor.judged:
        history = monitor.history.log_history()
        if history.travel_start is not None and history.end is not None:
            span = (history.travel_start, history.end)  # queue readings alone too
    return Refresh(now, version, snapshot, arranged, retained,
                   time.perf_counter() - started, query, history, span,
                   metric_sparklines=monitor.metrics is not None and snapshot.at is None,
                   chart_alerts=snapshot.alerts if snapshot.at is None else monitor.alerts())
