"""The executions table's model: rows kept up to date cheaply, then filtered and sorted.

Building an `ExecutionRow` for each of 50,000 executions takes about a third of a
second, so rows are cached and rebuilt only for executions that changed (more raw
lines or replays than last time) or that may change with time alone (running ones:
the idle rule). Filtering by step name or error text searches the raw lines, once per
execution and query. All of this runs in a worker thread, never on the UI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wftui.core.execution import RUNNING, Execution, ExecutionRow
from wftui.core.parse import read_json

# Fields of an event a text filter looks at (besides the row's own id and workflow).
SEARCHED_FIELDS = ("step_name", "error", "traceback", "tool_name", "branch_name",
                   "path_taken", "workflow_name")
STATUS_FILTERS = ("all", "failed", "running")
# column key -> (heading, sort key)
COLUMNS: dict[str, str] = {
    "execution_id": "execution", "workflow_name": "workflow", "status": "status",
    "start_ts": "started", "duration_s": "duration", "steps": "steps",
    "errors": "errors", "tokens": "tokens", "cost_usd": "cost",
}


@dataclass(frozen=True)
class TableQuery:
    """What the operator asked the table to show."""

    text: str = ""
    status: str = "all"  # all | failed | running
    sort: str = "start_ts"
    descending: bool = True


def _sort_key(column: str) -> Any:
    if column == "tokens":
        return lambda row: row.input_tokens + row.output_tokens
    if column in ("workflow_name", "execution_id", "status"):
        return lambda row: (getattr(row, column) or "").lower()
    return lambda row: getattr(row, column)


def _event_matches(raw: bytes, needle: str) -> bool:
    """Does one of the searched fields of this raw line contain the needle?

    The line is read the way the ledger read it (`read_json`: a text prefix, a BOM,
    invalid UTF-8); one that is not JSON at all is searched as text.
    """
    event = read_json(raw)
    if event is None:
        return needle in raw.decode("utf-8", "replace").lower()
    if type(event) is not dict:
        return False
    for field in SEARCHED_FIELDS:
        value = event.get(field)
        if type(value) is str and needle in value.lower():
            return True
    return False


def lines_seen(execution: Execution) -> int:
    """Every line the execution ever had (the ledger trims the raw lines of huge ones)."""
    return len(execution.raw) + execution.raw_dropped


class RowCache:
    """Rows of the retained executions, rebuilt only where something changed."""

    def __init__(self) -> None:
        self._rows: dict[str, tuple[int, int, ExecutionRow]] = {}
        self._query = ""
        self._matches: dict[str, tuple[int, bool]] = {}

    def refresh(self, executions: list[Execution], now: float,
                idle_timeout: float | None) -> list[ExecutionRow]:
        """Rows for these executions (in their order), reusing unchanged ones."""
        old = self._rows
        fresh: dict[str, tuple[int, int, ExecutionRow]] = {}
        rows: list[ExecutionRow] = []
        for execution in executions:
            lines, replays = lines_seen(execution), len(execution.replays)
            cached = old.get(execution.execution_id)
            if (cached is not None and cached[0] == lines and cached[1] == replays
                    and cached[2].status != RUNNING):
                row = cached[2]
            else:
                row = execution.row(now, idle_timeout)
            fresh[execution.execution_id] = (lines, replays, row)
            rows.append(row)
        self._rows = fresh
        return rows

    def text_matches(self, executions: dict[str, Execution], row: ExecutionRow,
                     needle: str) -> bool:
        """The filter text found in the row's id/workflow or in a searched event field."""
        if needle in row.execution_id.lower() or needle in (row.workflow_name or "").lower():
            return True
        if needle != self._query:
            self._query, self._matches = needle, {}
        execution = executions.get(row.execution_id)
        if execution is None:
            return False
        lines = lines_seen(execution)
        cached = self._matches.get(row.execution_id)
        if cached is not None and cached[0] == lines:
            return cached[1]
        probe = needle.encode("utf-8")
        found = any(probe in raw.lower() and _event_matches(raw, needle)
                    for raw in list(execution.raw))
        self._matches[row.execution_id] = (lines, found)
        return found


def arrange(rows: list[ExecutionRow], query: TableQuery, cache: RowCache,
            executions: dict[str, Execution]) -> list[ExecutionRow]:
    """Rows that pass the status and text filters, in the asked order."""
    picked = rows
    if query.status != "all":
        picked = [row for row in picked if row.status == query.status]
    needle = query.text.strip().lower()
    if needle:
        picked = [row for row in picked if cache.text_matches(executions, row, needle)]
    if query.sort == "start_ts":
        # Newest first is read order: rows arrive in first-seen order already.
        ordered = sorted(picked, key=lambda row: (row.start_ts, row.seq),
                         reverse=query.descending)
    else:
        key = _sort_key(query.sort)
        present = [row for row in picked if key(row) is not None]
        missing = [row for row in picked if key(row) is None]
        ordered = sorted(present, key=key, reverse=query.descending) + missing
    return ordered
