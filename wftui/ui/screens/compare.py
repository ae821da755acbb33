"""Two executions side by side: the verdict on top, both headers, one row per step.

Refreshed on a timer from `LiveMonitor.detail`, so it follows a replay while it runs
(and shows "waiting" until the replay's first event is read). Rows that differ are
marked and their differences highlighted.
"""

from __future__ import annotations

import contextlib
import time
from functools import partial
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState

from wftui.core import format as fmt
from wftui.core.compare import (
    ADDED,
    MISSING,
    NOT_YET,
    Comparison,
    StepRow,
    StepSide,
    Summary,
    compare,
    shown_same,
)
from wftui.ui.widgets.keys_line import KeysLine
from wftui.view.compare_wait import LATE, NEVER, WAITING, absent_text
from wftui.view.text import clip, safe

if TYPE_CHECKING:
    from wftui.live import LiveMonitor

REFRESH_S = 0.5
STATUS_STYLE = {"ok": "green", "done": "green", "succeeded": "green", "failed": "bold red",
                "running": "yellow"}
DIFF_STYLE = {ADDED: "bold cyan", MISSING: "bold magenta", NOT_YET: "dim"}
ABSENT_STYLE = {WAITING: "yellow", LATE: "bold yellow", NEVER: "bold red"}


class CompareScreen(Screen[None]):
    """Original and replay (or any two executions), compared live."""

    DEFAULT_CSS = """
    CompareScreen { layout: vertical; }
    #compare-verdict { padding: 0 1; background: $boost; text-style: bold; }
    #compare-header { padding: 0 1; height: auto; }
    #compare-rows { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("q", "back", "Back", show=False),
        # `?` lists x under "Everywhere" as why: here it is this screen's own key.
        Binding("x", "swap", "Swap sides",
                tooltip="swap the two sides (here x swaps; it does not open why)"),
    ]

    def __init__(self, monitor: LiveMonitor, left_id: str, right_id: str) -> None:
        super().__init__()
        self.monitor = monitor
        self.left_id = left_id
        self.right_id = right_id
        self.comparison: Comparison | None = None
        self._seen_version: int | None = None
        self._busy = False  # a comparison is being computed in a worker
        self._absent_since: float | None = None  # since when a side has been missing

    def compose(self) -> ComposeResult:
        yield Static(Text("comparing…"), id="compare-verdict")
        yield Static(Text(""), id="compare-header")
        table: DataTable[Text] = DataTable(id="compare-rows", cursor_type="row", zebra_stripes=True)
        yield table
        yield KeysLine()

    def on_mount(self) -> None:
        self.refresh_comparison(force=True)
        self.set_interval(REFRESH_S, self.refresh_comparison)
        self.query_one(DataTable).focus()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_swap(self) -> None:
        self.left_id, self.right_id = self.right_id, self.left_id
        self.refresh_comparison(force=True)

    def refresh_comparison(self, force: bool = False) -> None:
        """Re-compare when something new was read, or while either side still runs.

        Building two step trees and aligning them is done in a thread worker: a pair of
        executions with thousands of steps takes a noticeable fraction of a second.
        """
        if self._busy:
            return
        version = self.monitor.version
        running = self.comparison is None or self.comparison.running
        if not force and version == self._seen_version and not running:
            return
        self._seen_version = version
        self._busy = True
        self.run_worker(partial(self._compute, self.left_id, self.right_id), thread=True,
                        group="compare", exit_on_error=False)

    def _compute(self, left_id: str, right_id: str) -> None:
        """In a worker thread: both step trees and their comparison."""
        now = time.time()
        left = self.monitor.detail(left_id, now)
        right = self.monitor.detail(right_id, now)
        comparison = compare(left, right) if left is not None and right is not None else None
        absent = [i for i, d in ((left_id, left), (right_id, right)) if d is None]
        # What can still bring a missing side (read here, off the UI thread: the
        # ledger's lock may be held by ingestion); while the files' backlog is read,
        # it may yet be in them.
        folded = {i for i in absent if self.monitor.no_longer_kept(i)}
        reading = self.monitor.reading
        may_come = reading or self.monitor.may_bring_more()
        with contextlib.suppress(RuntimeError):  # the app is closing: nothing to show
            self.app.call_from_thread(self._apply, (left_id, right_id), comparison, absent,
                                      folded, may_come, reading)

    def _apply(self, ids: tuple[str, str], comparison: Comparison | None,
               absent: list[str], folded: set[str], may_come: bool,
               reading: bool) -> None:
        self._busy = False
        if not self.is_mounted:
            return
        if ids != (self.left_id, self.right_id):  # swapped meanwhile: compare again
            self.refresh_comparison(force=True)
            return
        self.comparison = comparison
        if comparison is None:
            now = time.monotonic()
            if self._absent_since is None or reading:  # the wait counts once all is read
                self._absent_since = now
            text, grave = absent_text(absent, now - self._absent_since,
                                      folded=folded, may_come=may_come,
                                      retention=self.monitor.settings.retention)
            self.query_one("#compare-verdict", Static).update(Text(
                text, style=ABSENT_STYLE[grave]))
            return
        self._absent_since = None
        self._show_comparison(comparison)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A comparison that failed (it should not) is said on screen, then retried."""
        if event.worker.group == "compare" and event.state == WorkerState.ERROR:
            self._busy = False
            self.query_one("#compare-verdict", Static).update(Text(
                f"cannot compare: {safe(event.worker.error)}", style="bold red"))

    def _show_comparison(self, comparison: Comparison) -> None:
        verdict = Text(safe(comparison.verdict), style="bold")
        if comparison.running:
            verdict.append("   (still running: updating)", style="yellow")
        self.query_one("#compare-verdict", Static).update(verdict)
        self.query_one("#compare-header", Static).update(header_table(comparison))
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        headers = (Text(""), Text("step"), Text(safe(comparison.left_label)),
                   Text(safe(comparison.right_label)), Text("differences"))
        cells = [row_cells(row) for row in comparison.rows]
        widths = fit_sides([headers, *cells], self.size.width)
        # Widths given, not measured by the table: a table rebuilt twice in a row (the
        # first comparison, then a resize) kept drawing its columns as wide as their
        # headings (Textual measures cells when idle, and kept lines drawn before).
        for header, width in zip(headers, widths, strict=True):
            table.add_column(header, width=width)
        for row_of_cells in cells:
            table.add_row(*row_of_cells)
        if comparison.rows:
            table.move_cursor(row=min(cursor, len(comparison.rows) - 1))

    def on_resize(self) -> None:
        if self.comparison is not None:  # the sides are cut to the width: cut again
            self._show_comparison(self.comparison)


def _side_cell(side: StepSide | None) -> Text:
    if side is None:
        return Text("—", style="dim")
    text = Text(side.status, style=STATUS_STYLE.get(side.status, ""))
    text.append(f" {fmt.seconds(side.duration_s, '?')}")
    if side.path_taken:
        text.append(f" → {clip(safe(side.path_taken), 30)}", style="bold")
    if side.input_tokens is not None or side.output_tokens is not None:
        text.append(f" {fmt.count(side.input_tokens, '?')}/{fmt.count(side.output_tokens, '?')}"
                    " tok", style="dim")
    if side.cost_usd is not None:
        text.append(f" {fmt.dollars(side.cost_usd, '$0')}", style="dim")
    if side.error:
        text.append(f" {clip(safe(side.error), 60)}", style="red")
    return text


# A DataTable column is as wide as its widest cell; what it leaves over scrolls off the
# right edge. Each column has one cell of padding on either side.
CELL_PADDING = 2
MIN_SIDE = 16


def fit_sides(cells: list[tuple[Text, Text, Text, Text, Text]], width: int) -> list[int]:
    """Cut both sides' cells (the long ones: errors; the headings too, two execution
    ids when the replay does not say `replay_of`) so that every column, the differences
    last, fits in `width`: a long error must not push the replay's side and the
    differences off screen (at 100 columns they were). `cells`: headings first.
    Returns each column's width once cut (padding apart)."""
    def widest(column: int) -> int:
        return max((row[column].cell_len for row in cells), default=0)

    if not cells or width <= 0:
        return [widest(column) for column in range(5)]
    fixed = sum(widest(i) + CELL_PADDING for i in (0, 1, 4))
    room = width - fixed - 2 * CELL_PADDING - 2  # 2: the vertical scrollbar
    need = [widest(2), widest(3)]
    # Half each; what one side does not need goes to the other.
    sides = [min(n, room // 2) for n in need]
    spare = room - sum(sides)
    for index in (0, 1):
        more = max(0, min(spare, need[index] - sides[index]))
        sides[index] += more
        spare -= more
    for row in cells:
        for cell, side in zip((row[2], row[3]), sides, strict=True):
            side = max(side, MIN_SIDE)
            if cell.cell_len > side:
                cell.truncate(side, overflow="ellipsis")
    return [widest(column) for column in range(5)]


def row_cells(row: StepRow) -> tuple[Text, Text, Text, Text, Text]:
    """The five cells of one aligned step (all text made visible, no markup)."""
    differs = bool(row.differences) and row.differences != (NOT_YET,)
    mark = Text("●" if differs else " ", style="bold yellow")
    name = Text(clip(safe(row.name), 40), style="bold" if differs else "")
    notes = Text()
    for index, kind in enumerate(row.differences):
        if index:
            notes.append(", ")
        label = kind
        if kind in ("slower", "faster") and row.duration_ratio is not None:
            label = f"{kind} ×{fmt.ratio(row.duration_ratio)}"
        notes.append(label, style=DIFF_STYLE.get(kind, "bold yellow"))
    return mark, name, _side_cell(row.left), _side_cell(row.right), notes


def _summary_cells(summary: Summary) -> list[Text]:
    tokens, cost = fmt.usage(summary.input_tokens, summary.output_tokens, summary.cost_usd)
    return [
        Text(safe(summary.execution_id), style="bold"),
        Text(summary.status, style=STATUS_STYLE.get(summary.status, "")),
        Text(fmt.seconds(summary.duration_s, "running")),
        Text(str(summary.steps)),
        Text(tokens),
        Text(cost),
        Text(clip(safe(summary.failed_step), 40) or "—"),
        Text(clip(safe(summary.error), 80) or "—", style="red" if summary.error else "dim"),
    ]


def header_table(comparison: Comparison) -> Table:
    """Both executions' figures in two columns, differing figures highlighted."""
    table = Table(box=None, show_header=True, padding=(0, 2), expand=False)
    table.add_column(Text(""), style="dim")
    table.add_column(Text(safe(comparison.left_label), style="bold"))
    table.add_column(Text(safe(comparison.right_label), style="bold"))
    names = ["execution", "status", "duration", "steps", "tokens", "cost", "failed at",
             "error"]
    left, right = _summary_cells(comparison.left), _summary_cells(comparison.right)
    for index, name in enumerate(names):
        a, b = left[index], right[index]
        if index and a.plain != b.plain:
            b.stylize("reverse")
        table.add_row(Text(name), a, b)
    if comparison.duration_ratio is not None:
        # Both read 0ms (or any same figure): their ratio is what rounding hid, not news.
        left_s, right_s = comparison.left.duration_s, comparison.right.duration_s
        ratio = Text(f"same ({fmt.seconds(left_s)} each)" if shown_same(right_s, left_s)
                     else f"×{fmt.ratio(comparison.duration_ratio)} of "
                          f"{safe(comparison.left_label)}")
        table.add_row(Text("ratio"), Text(""), ratio)
    return table
