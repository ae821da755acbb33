"""The executions table: a virtual list that renders only the rows on screen.

A DataTable holding 50,000 rows would have to be rebuilt or diffed on every refresh;
this widget keeps the (already filtered and sorted) rows in a list and draws the
visible ones with the Line API, so a refresh costs the same at 50 or 50,000 rows.
"""

from __future__ import annotations

from rich.cells import cell_len
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
from wftui.core.format import clock, seconds
from wftui.ui.rows import COLUMNS
from wftui.ui.text import clip, safe

# column key -> width in cells (the last one, workflow, takes the rest)
WIDTHS = {"status": 10, "execution_id": 22, "start_ts": 11, "duration_s": 11, "steps": 8,
          "errors": 9, "tokens": 10, "cost_usd": 10, "workflow_name": 20}
ORDER = ("status", "execution_id", "start_ts", "duration_s", "steps", "errors", "tokens",
         "cost_usd", "workflow_name")
RIGHT = {"duration_s", "steps", "errors", "tokens", "cost_usd"}
STATUS_LOOK = {"running": ("⟳ running", "cyan"), "succeeded": ("✓ ok", "green"),
               "failed": ("✗ failed", "bold red")}


def _widths(width: int) -> dict[str, int]:
    """Column widths; a wide terminal shows a whole UUID-sized execution id."""
    if width >= 150:
        return {**WIDTHS, "execution_id": 38}
    return WIDTHS


def _duration(row: ExecutionRow) -> tuple[str, str]:
    """How long it took; for one still running, how long it has run so far ("12.30s…",
    in the running colour): on-call sees a stuck execution's age without opening it."""
    if row.status == "running" and row.duration_s is None:
        if row.running_for_s is None:
            return "…", "dim"
        return seconds(row.running_for_s) + "…", "cyan"
    return seconds(row.duration_s, "-"), ""


def _cells(row: ExecutionRow) -> dict[str, tuple[str, str]]:
    """Each column's text and style (text already made visible-safe)."""
    label, style = STATUS_LOOK.get(row.status, (row.status, ""))
    marker = ""
    if row.replay_of is not None:
        marker = " ↻"  # this is a replay
    elif row.replays:
        marker = f" ⟲{len(row.replays)}"  # this was replayed
    tokens = row.input_tokens + row.output_tokens
    return {
        "status": (label, style),
        "execution_id": (safe(row.execution_id) + marker, "bold" if row.replays else ""),
        "start_ts": (clock(row.start_ts), ""),
        "duration_s": _duration(row),
        "steps": (str(row.steps), ""),
        "errors": (str(row.errors) if row.errors else "-", "bold red" if row.errors else "dim"),
        "tokens": (f"{tokens:,}" if tokens else "-", ""),
        "cost_usd": (f"${row.cost_usd:.4f}" if row.cost_usd else "-", ""),
        "workflow_name": (safe(row.workflow_name or "-"), ""),
    }


def row_text(row: ExecutionRow, width: int) -> Text:
    """One row laid out in fixed columns; the workflow column takes what is left."""
    text = Text(no_wrap=True, end="")
    cells = _cells(row)
    widths = _widths(width)
    used = 0
    for key in ORDER:
        value, style = cells[key]
        size = widths[key] if key != "workflow_name" else max(width - used, 8)
        value = clip(value, size - 1)
        pad = " " * max(size - 1 - cell_len(value), 0)
        text.append(pad + value if key in RIGHT else value + pad, style=style)
        text.append(" ")
        used += size
    return text


def header_text(width: int, sort: str, descending: bool) -> Text:
    """Column headings, the sorted one marked with an arrow."""
    text = Text(no_wrap=True, end="", style="bold")
    widths = _widths(width)
    used = 0
    for key in ORDER:
        size = widths[key] if key != "workflow_name" else max(width - used, 8)
        name = COLUMNS[key] + ((" ▼" if descending else " ▲") if key == sort else "")
        name = clip(name, size - 1)
        pad = " " * max(size - 1 - cell_len(name), 0)
        text.append((pad + name if key in RIGHT else name + pad) + " ",
                    style="bold reverse" if key == sort else "bold")
        used += size
    return text


def column_at(width: int, x: int) -> str | None:
    """The column under cell `x` of a header laid out by `header_text` (None: outside)."""
    widths = _widths(width)
    used = 0
    for key in ORDER:
        size = widths[key] if key != "workflow_name" else max(width - used, 8)
        if used <= x < used + size:
            return key
        used += size
    return None


class ExecutionsTable(ScrollView, can_focus=True):
    """Rows of executions with a cursor; Enter (or a click on the cursor row) opens one."""

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "edge(0)", "First", show=False),
        Binding("end", "edge(1)", "Last", show=False),
        Binding("enter", "open", "Open execution"),
    ]
    DEFAULT_CSS = "ExecutionsTable { height: 1fr; overflow-x: hidden; }"

    cursor = reactive(0, always_update=False, repaint=True)

    class ExecutionSelected(Message):
        """The operator asked to open an execution."""

        def __init__(self, execution_id: str) -> None:
            super().__init__()
            self.execution_id = execution_id

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.rows: list[ExecutionRow] = []
        self.selected_id: str | None = None
        self.empty_message = "no executions yet"

    def set_rows(self, rows: list[ExecutionRow]) -> None:
        """New rows; the cursor stays on the same execution (or at the top if it was)."""
        if rows == self.rows and self.virtual_size.height == len(rows):
            return  # the same rows (unchanged ones are the same objects): no repaint
        self.rows = rows
        index = 0
        if self.selected_id is not None and self.cursor != 0:
            index = next((i for i, row in enumerate(rows)
                          if row.execution_id == self.selected_id), min(self.cursor,
                                                                        len(rows) - 1))
        self.virtual_size = Size(self.size.width, len(rows))
        self._move(max(index, 0))
        self.refresh()

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

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.size.width
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
