"""One refresh of the UI, computed off the UI thread.

`compute_refresh` runs in a worker thread: a snapshot from the monitor, the table's
rows (cached; see rows.py), filtered and sorted. The UI thread only displays it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from wftui.core.execution import ExecutionRow
from wftui.core.snapshot import Snapshot
from wftui.view.rows import RowCache, TableQuery, arrange

if TYPE_CHECKING:
    from wftui.live import LiveMonitor


@dataclass(frozen=True)
class Refresh:
    """One refresh's results, computed in a worker thread."""

    now: float
    version: int
    snapshot: Snapshot
    rows: list[ExecutionRow]
    retained: int
    took_s: float
    query: TableQuery = TableQuery()  # what the rows were filtered and sorted by


def compute_refresh(monitor: LiveMonitor, cache: RowCache, query: TableQuery,
                    now: float) -> Refresh:
    """Snapshot, rows, filter and sort (in a worker thread)."""
    started = time.perf_counter()
    version = monitor.version
    snapshot = monitor.snapshot(now=now)
    executions = monitor.executions_copy()
    rows = cache.refresh(executions, now, monitor.idle_timeout)
    by_id = {execution.execution_id: execution for execution in executions} \
        if query.text else {}
    arranged = arrange(rows, query, cache, by_id)
    return Refresh(now, version, snapshot, arranged, len(rows),
                   time.perf_counter() - started, query)
