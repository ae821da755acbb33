"""One refresh of the UI, computed off the UI thread, and the status line it shows.

`compute_refresh` runs in a worker thread: a snapshot from the monitor, the table's
rows (cached; see rows.py), filtered and sorted. The UI thread only displays it.
"""

from __future__ import annotations

import tempfile
import time
import traceback
from dataclasses import dataclass

from rich.text import Text

from wftui.core.execution import ExecutionRow
from wftui.core.format import window
from wftui.core.snapshot import Snapshot
from wftui.live import LiveMonitor
from wftui.ui.rows import RowCache, TableQuery, arrange
from wftui.ui.text import safe


@dataclass(frozen=True)
class Refresh:
    """One refresh's results, computed in a worker thread."""

    now: float
    version: int
    snapshot: Snapshot
    rows: list[ExecutionRow]
    retained: int
    took_s: float


def compute_refresh(monitor: LiveMonitor, cache: RowCache, query: TableQuery,
                    now: float) -> Refresh:
    """Snapshot, rows, filter and sort (in a worker thread)."""
    started = time.perf_counter()
    version = monitor.version
    snapshot = monitor.snapshot(now=now)
    ledger = monitor.ledger
    # list()/dict() of a dict are single C calls: a consistent copy under the GIL
    # while the reader thread keeps adding executions.
    executions = list(ledger.executions.values())
    rows = cache.refresh(executions, now, ledger.idle_timeout)
    by_id = dict(ledger.executions) if query.text else {}
    arranged = arrange(rows, query, cache, by_id)
    return Refresh(now, version, snapshot, arranged, len(rows),
                   time.perf_counter() - started)


def status_text(snapshot: Snapshot, window_s: float | None, paused: bool,
                config_error: str | None) -> Text:
    """window, pause, window fallback, config errors and source warnings."""
    text = Text(no_wrap=True, end="")
    text.append(" wftui ", style="bold reverse")
    text.append(f"  window {window(window_s)}", style="bold")
    if paused:
        text.append("   ⏸ PAUSED (reading continues; p to resume)",
                    style="bold black on yellow")
    if snapshot.alert_window_s != window_s:
        text.append(f"   thresholds judged on the {window(snapshot.alert_window_s)} window",
                    style="cyan")
    if snapshot.window_fallback:
        text.append("   no recent events: window ends at the newest event", style="yellow")
    if snapshot.malformed_total:
        text.append(f"   {snapshot.malformed_total:,} malformed (m)", style="yellow")
    if config_error:
        text.append("   config not reloaded: ", style="bold red")
        text.append(safe(config_error), style="red")
    for warning in snapshot.warnings[:2]:
        text.append("   ⚠ ", style="yellow")
        text.append(safe(warning)[:120], style="yellow")
    return text


def crash_report(error: BaseException) -> str | None:
    """Write the traceback of an unexpected error to a file; return its path."""
    try:
        with tempfile.NamedTemporaryFile("w", prefix="wftui-crash-", suffix=".txt",
                                         delete=False) as handle:
            handle.write("".join(traceback.format_exception(error)))
            return handle.name
    except OSError:
        return None
