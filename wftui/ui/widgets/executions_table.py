"""The executions table: a virtual list that renders only the rows on screen.

A DataTable holding 50,000 rows would have to be rebuilt or diffed on every refresh;
this widget keeps the (already filtered and sorted) rows in a list and draws the
visible ones with the Line API, so a refresh costs the same at 50 or 50,000 rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from wftui.core.execution import ExecutionRow
from wftui.view.table import row_text


class ExecutionsTable(ScrollView, can_focus=True):
    """Rows of executions with a cursor; Enter (or a click on the cursor row) opens one."""

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "edge(0)", "First", show=False),
        Binding("end", "edge(1)", "Last", show=False),
        Binding("enter", "open", "Open", tooltip="open the execution under the cursor "
                "(double click too)"),
    ]
    DEFAULT_CSS = "ExecutionsTable { height: 1fr; overflow-x: hidden; }"

    # A cursor move redraws its two rows (`watch_cursor`), not the whole table: that
    # frame is what a key waits for (a whole table is ~8 ms of the UI thread).
    cursor = reactive(0, always_update=False, repaint=False)

    class ExecutionSelected(Message):
        """The operator asked to open an execution."""

        def __init__(self, execution_id: str) -> None:
            super().__init__()
            self.execution_id = execution_id

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.rows: Sequence[ExecutionRow] = []
        self.selected_id: str | None = None
        self.empty_message = "no executions yet"

    def set_rows(self, rows: Sequence[ExecutionRow]) -> None:
        """New rows; the cursor stays on the same execution (or at the top if it was)."""
        if rows == self.rows and self.virtual_size.height == len(rows):
            return  # the same rows (unchanged ones are the same objects): no repaint
        self.rows = rows
        index = 0
        if self.selected_id is not None and self.cursor != 0:
            index = next((i for i, row in enumerate(rows)
                          if row.execution_id == self.selected_id), min(self.cursor,
                                                                        len(rows) - 1))
        self._resize_rows(Size(self.size.width, len(rows)))
        self._move(max(index, 0))
        self.refresh()

    def _resize_rows(self, size: Size) -> None:
        """A new row count. Setting `virtual_size` lays the whole screen out again (and
        redraws all of it: tens of ms on the UI thread at every refresh while new
        executions arrive); when the scrollbar is there before and after, only it and
        the rows change: it is updated as ScrollView does after a layout."""
        old, height = self.virtual_size, self.size.height
        if (height and size.width == old.width and old.height > height
                and size.height > height):
            self.set_reactive(ExecutionsTable.virtual_size, size)
            self._scroll_update(size)
        else:
            self.virtual_size = size

    def _move(self, index: int) -> None:
        index = max(0, min(index, len(self.rows) - 1))
        self.cursor = index
        self.selected_id = self.rows[index].execution_id if self.rows else None
        height = max(self.scrollable_content_region.height, 1)
        top = self.scroll_offset.y
        if index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False, immediate=True)

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh_line(old)
        self.refresh_line(new)

    def action_cursor(self, delta: int) -> None:
        self._move(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        """Scroll a page and move the cursor with it (as a pager does)."""
        page = max(self.scrollable_content_region.height - 1, 1) * direction
        top = max(0, min(self.scroll_offset.y + page, max(len(self.rows) - 1, 0)))
        self.scroll_to(y=top, animate=False, immediate=True)
        self._move(self.cursor + page)

    def action_edge(self, end: int) -> None:
        self._move(len(self.rows) - 1 if end else 0)

    def action_open(self) -> None:
        if self.rows:
            self.post_message(self.ExecutionSelected(self.rows[self.cursor].execution_id))

    def on_click(self, event: Click) -> None:
        index = self.scroll_offset.y + event.y
        if 0 <= index < len(self.rows):
            if index == self.cursor and event.chain >= 2:
                self.action_open()
            self._move(index)

    @property
    def row_width(self) -> int:
        """Cells a row has: the width less the scrollbar (rows are laid out for this, so
        a cut workflow's … is not hidden under the scrollbar)."""
        return self.scrollable_content_region.width

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.row_width
        if index >= len(self.rows):
            if index == 0 and y == 0:
                return Strip(Text(self.empty_message, style="dim").render(
                    self.app.console)).crop_extend(0, width, None)
            return Strip.blank(width)
        text = row_text(self.rows[index], width)
        if index == self.cursor:
            text.stylize(Style(reverse=True) if self.has_focus else Style(underline=True))
        return Strip(text.render(self.app.console)).crop_extend(0, width, None)

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.rows))

    def watch_has_focus(self, _focused: bool) -> None:
        self.refresh()
