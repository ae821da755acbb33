"""What the operator does to the executions table and the window (mixed into
`WftuiApp`): filter, status filter, sort by a column or reverse it, and the window the
figures cover. Each changes the app's `table_query` (or the monitor's window) and asks
for a refresh; the rows are filtered and sorted in the refresh worker (`view/rows.py`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from wftui.config import WINDOWS
from wftui.core.format import window
from wftui.ui.messages import FilterChanged, HeadingClicked
from wftui.ui.mixin_base import AppMixinBase
from wftui.view.rows import COLUMNS, STATUS_FILTERS, TableQuery

if TYPE_CHECKING:
    from wftui.live import LiveMonitor


SORTS = tuple(COLUMNS)


class TableControls(AppMixinBase):
    """The table's filter and sort keys, and the window keys, for the app."""

    table_query: TableQuery
    monitor: LiveMonitor

    if TYPE_CHECKING:
        def _request(self) -> None: ...

    def on_filter_changed(self, message: FilterChanged) -> None:
        self.table_query = replace(self.table_query, text=message.text)
        if message.cleared:
            self.table_query = replace(self.table_query, pick=None)
        self._request()

    def on_heading_clicked(self, message: HeadingClicked) -> None:
        """A click on a column heading: sort by it, or reverse when it is the sort."""
        if message.column == self.table_query.sort:
            self.action_reverse_sort()
        else:
            self.action_sort(message.column)

    def action_status_filter(self, status: str | None = None) -> None:
        if status is None:
            index = STATUS_FILTERS.index(self.table_query.status)
            status = STATUS_FILTERS[(index + 1) % len(STATUS_FILTERS)]
        self.table_query = replace(self.table_query, status=status)
        self._request()

    def action_sort(self, column: str | None = None) -> None:
        if column is None:
            column = SORTS[(SORTS.index(self.table_query.sort) + 1) % len(SORTS)]
        self.table_query = replace(self.table_query, sort=column, descending=True)
        self._request()

    def action_reverse_sort(self) -> None:
        query = self.table_query
        self.table_query = replace(query, descending=not query.descending)
        self._request()

    def action_next_window(self) -> None:
        sizes = list(WINDOWS.values())
        current = self.monitor.window_s
        index = sizes.index(current) if current in sizes else 0
        self.action_window(sizes[(index + 1) % len(sizes)])

    def action_window(self, size: float | None) -> None:
        self.monitor.window_s = size
        self.notify(f"window: {window(size)}", markup=False)
        self._request()
