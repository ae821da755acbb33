"""The executions table's model: the operator's query, the text search, and the order.

`arrange` filters and sorts rows from scratch (a past moment of the log, whose rows
are taken as they stood then); the live table keeps its rows and order between
refreshes (live_rows.py, row_order.py) and gives the same result. Filtering by step
name or error text searches the raw lines, once per execution and query. All of this
runs in a worker thread, never on the UI thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from wftui.core.execution import Execution, ExecutionRow
from wftui.core.format import visible
from wftui.core.parse import read_json

# Fields of an event a text filter looks at (besides the row's own id and workflow).
SEARCHED_FIELDS = ("step_name", "error", "traceback", "tool_name", "branch_name",
                   "path_taken", "workflow_name")
# The needle is lower-cased: a "k" in it may be the Kelvin sign's (U+212A), an "i"
# before a combining dot the dotted capital I's (U+0130), which no line holds as
# those ASCII bytes; a run stops at them.
_PLAIN_RUN = re.compile("(?:(?!i\u0307)[a-jl-z0-9])+")
STATUS_FILTERS = ("all", "failed", "running")
# column key -> (heading, sort key)
COLUMNS: dict[str, str] = {
    "execution_id": "execution", "workflow_name": "workflow", "status": "status",
    "start_ts": "started", "duration_s": "duration", "steps": "steps",
    "errors": "errors", "tokens": "tokens", "cost_usd": "cost",
}


@dataclass(frozen=True)
class Pick:
    """The executions one "why" row counted, by id, and what they were, in the title's
    words ("failed · step classify · in 11:57:00–12:02:00"): the table shows exactly
    those, not whatever else in the log holds the step's name."""

    ids: frozenset[str]
    label: str


@dataclass(frozen=True)
class TableQuery:
    """What the operator asked the table to show."""

    text: str = ""
    status: str = "all"  # all | failed | running
    sort: str = "start_ts"
    descending: bool = True
    pick: Pick | None = None  # a "why" row's executions (Esc lets go of them)


def _sort_key(column: str) -> Any:
    # A cost of None (nothing priced) has no value: last either way, as the live
    # table's order does (view/row_order.py); $0 (priced, free) is a cost like any.
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
        return needle in visible(raw.decode("utf-8", "replace")).lower()
    if type(event) is not dict:
        return False
    for field in SEARCHED_FIELDS:
        value = event.get(field)
        if type(value) is str and (needle in visible(value).lower()
                                   or needle in _one_line(value)):
            return True
    return False


def _one_line(value: str) -> str:
    """A field as "why" groups errors: whitespace runs (a traceback's newlines and
    indents) as one space, then made visible; its error rows' filters are taken from
    that form."""
    collapsed = " ".join(value.split())
    return "" if collapsed == value else visible(collapsed).lower()


def _raw_probe(needle: str) -> bytes | None:
    """Bytes that a raw line holding the needle must hold, to look for first: its
    longest run of ASCII letters and digits, the only characters every JSON writer
    writes as they are (a space may stand for a newline, `_one_line`; JSON escapes a
    quote, a backslash, a control; Go's encoder writes < > & as \\u003c..., PHP's / as
    \\/, .NET's ' and + as \\u0027...; non-ASCII may be escaped). None: no such run."""
    piece = max(_PLAIN_RUN.findall(needle), key=len, default="")
    return piece.encode() if piece else None


def lines_seen(execution: Execution) -> int:
    """Every line the execution ever had (the ledger trims the raw lines of huge ones)."""
    return len(execution.raw) + execution.raw_dropped


class TextSearch:
    """The text filter's answers, kept per execution while the filter text stays."""

    def __init__(self) -> None:
        self._query = ""
        # per execution id: (kept_at, lines seen, found): a retained-again execution (a
        # new one of the same id, or a dormant one woken without its old lines) has a
        # new `kept_at` and is searched again
        self._matches: dict[str, tuple[int, tuple[int, int], bool]] = {}

    def text_matches(self, executions: dict[str, Execution], row: ExecutionRow,
                     needle: str) -> bool:
        """The filter text found in the row's id/workflow or in a searched event field.

        Text is compared as shown (`visible`): the filter box holds what the operator
        can see and type, never a raw control (which would reach the terminal)."""
        if (needle in visible(row.execution_id).lower()
                or needle in visible(row.workflow_name or "").lower()):
            return True
        if needle != self._query:
            self._query, self._matches = needle, {}
        execution = executions.get(row.execution_id)
        if execution is None:
            return False
        # The lines kept too: the catch-up's second read keeps lines already counted.
        lines = (lines_seen(execution), len(execution.raw))
        cached = self._matches.get(row.execution_id)
        if cached is not None and cached[0] == execution.kept_at and cached[1] == lines:
            return cached[2]
        probe = _raw_probe(needle)
        found = any((probe is None or probe in raw.lower()) and _event_matches(raw, needle)
                    for raw in list(execution.raw))
        self._matches[row.execution_id] = (execution.kept_at, lines, found)
        return found


def arrange(rows: list[ExecutionRow], query: TableQuery, search: TextSearch,
            executions: dict[str, Execution]) -> list[ExecutionRow]:
    """Rows that pass the status and text filters, in the asked order."""
    picked = rows
    if query.pick is not None:
        picked = [row for row in picked if row.execution_id in query.pick.ids]
    if query.status != "all":
        picked = [row for row in picked if row.status == query.status]
    needle = query.text.strip().lower()
    if needle:
        picked = [row for row in picked if search.text_matches(executions, row, needle)]
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
