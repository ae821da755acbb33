"""The table's order kept between refreshes: rows come and go, the rest stay sorted.

Sorting 30,000 rows on every refresh, when a few hundred changed, was a good part of
each refresh's tenth of a second (`bench/refresh_cost.py`). Here the rows that pass
the filters are kept sorted; a refresh takes out the rows that changed or left and
puts their new rows in their place.

The order is exactly `arrange`'s (view/rows.py): Python's sort is stable, so there
rows of equal keys stay in the retained executions' order, ascending even when the
order is descending, and rows without a value come last in that order. Here each
entry carries that position (`Execution.kept_at`) as its tie-break: ascending for an
ascending order, negated for a descending one (the list is then read backwards).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable, Iterable
from operator import itemgetter
from typing import Any

from wftui.core.execution import ExecutionRow

# Up to this many rows to take out or put in, one at a time (bisect); more, in one
# pass over the list (a filter, or a sort that finds the two sorted runs).
ONE_BY_ONE = 64

_row_of = itemgetter(-1)


def sort_value(column: str) -> Callable[[ExecutionRow], Any]:
    """What a row is sorted on (None: it has no value for this column, it goes last)."""
    if column == "start_ts":
        # Newest first is read order: equal start times in the order first seen.
        return lambda row: (row.start_ts, row.seq)
    if column == "tokens":
        return lambda row: row.input_tokens + row.output_tokens
    if column in ("workflow_name", "execution_id", "status"):
        return lambda row: (getattr(row, column) or "").lower()
    return lambda row: getattr(row, column)


class RowOrder:
    """Rows that passed a query's filters, kept in the query's order."""

    def __init__(self, column: str, descending: bool) -> None:
        self._value = sort_value(column)
        self._descending = descending
        # (value, tie, row), ascending; read backwards when descending
        self._valued: list[tuple[Any, int, ExecutionRow]] = []
        # (kept_at, row) of rows without a value: last, in the retained order
        self._missing: list[tuple[int, ExecutionRow]] = []
        self._entries: dict[str, tuple[Any, ...]] = {}  # execution id -> its entry
        self._shown: list[ExecutionRow] | None = None  # the last list handed out

    def __len__(self) -> int:
        return len(self._entries)

    def update(self, gone: Iterable[str], added: Iterable[tuple[ExecutionRow, int]]
               ) -> None:
        """Take out the rows of `gone` ids, then put in `added` (row, kept_at) pairs."""
        entries = self._entries
        old_valued: list[tuple[Any, ...]] = []
        old_missing: list[tuple[Any, ...]] = []
        for execution_id in gone:
            old = entries.pop(execution_id, None)
            if old is not None:
                (old_valued if len(old) == 3 else old_missing).append(old)
        new_valued: list[tuple[Any, int, ExecutionRow]] = []
        new_missing: list[tuple[int, ExecutionRow]] = []
        tie_sign = -1 if self._descending else 1
        value_of = self._value
        for row, kept_at in added:
            value = value_of(row)
            if value is None:
                unvalued = (kept_at, row)
                new_missing.append(unvalued)
                entries[row.execution_id] = unvalued
            else:
                valued = (value, tie_sign * kept_at, row)
                new_valued.append(valued)
                entries[row.execution_id] = valued
        if old_valued or old_missing or new_valued or new_missing:
            self._shown = None
        _take_out(self._valued, old_valued)
        _take_out(self._missing, old_missing)
        _put_in(self._valued, new_valued)
        _put_in(self._missing, new_missing)

    def rows(self) -> list[ExecutionRow]:
        """The rows in order: a new list when something changed, else the last one (the
        table skips redrawing the same list)."""
        if self._shown is None:
            valued = reversed(self._valued) if self._descending else iter(self._valued)
            self._shown = [*map(_row_of, valued), *map(_row_of, self._missing)]
        return self._shown


def _take_out(ordered: list[Any], entries: list[Any]) -> None:
    """Remove these entries (each in `ordered`, the very objects) from the sorted list."""
    if not entries:
        return
    if len(entries) <= ONE_BY_ONE:
        for entry in entries:
            index = bisect_left(ordered, entry)
            if index >= len(ordered) or ordered[index] is not entry:
                # a value that does not compare (NaN): found by identity instead
                index = next(i for i, kept in enumerate(ordered) if kept is entry)
            del ordered[index]
        return
    leaving = {id(entry) for entry in entries}
    ordered[:] = [entry for entry in ordered if id(entry) not in leaving]


def _put_in(ordered: list[Any], entries: list[Any]) -> None:
    """Add entries to the sorted list, keeping it sorted."""
    if not entries:
        return
    entries.sort()
    if not ordered or ordered[-1] < entries[0]:
        ordered.extend(entries)  # the usual case for new executions: after the rest
    elif len(entries) <= ONE_BY_ONE:
        for entry in entries:
            insort(ordered, entry)
    else:
        ordered.extend(entries)
        ordered.sort()  # two sorted runs: one merge
