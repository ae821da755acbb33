"""The main screen: sources, figure panels with thresholds, alerts, executions table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Click
from textual.screen import Screen
from textual.widgets import Footer, Input

from wftui.core.snapshot import Snapshot
from wftui.ui.widgets.alerts_list import AlertsList
from wftui.ui.widgets.executions_table import ExecutionsTable
from wftui.ui.widgets.figure_panel import FigurePanel
from wftui.ui.widgets.quiet_static import QuietStatic
from wftui.ui.widgets.sources_bar import SourcesBar
from wftui.view.panels import PANELS, panel_views
from wftui.view.table import column_at, empty_message, header_text, table_title

if TYPE_CHECKING:
    from wftui.ui.app import WftuiApp
    from wftui.view.refresh import Refresh

class TableHeader(QuietStatic):
    """The executions table's column headings, laid out for the table's width (which
    can differ from this widget's by a scrollbar): a click sorts by the column under it,
    a second click on the same column reverses the order."""

    laid_out_for = 80
    sort = "start_ts"
    descending = True

    def show(self, width: int, sort: str, descending: bool) -> None:
        self.laid_out_for, self.sort, self.descending = width, sort, descending
        self.show_text(header_text(width, sort, descending))

    def on_click(self, event: Click) -> None:
        column = column_at(self.laid_out_for, event.x)
        if column is not None:
            self.app.sort_by_column(column)  # type: ignore[attr-defined]


class MonitorScreen(Screen):
    """What an operator watches: is it healthy, what is firing, which executions failed."""

    BINDINGS = [
        Binding("slash", "app.filter", "Filter"),
        Binding("f", "app.status_filter", "Failed/running/all"),
        Binding("s", "app.sort", "Sort"),
        Binding("S", "app.reverse_sort", "Reverse sort", show=False),
        Binding("w", "app.next_window", "Window"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield SourcesBar(id="sources")
        with Horizontal(id="panels"):
            for panel_id, title, _key, _threshold in PANELS:
                yield FigurePanel(title, id=f"panel-{panel_id}")
        yield AlertsList(id="alerts")
        with Vertical(id="executions"):
            yield QuietStatic(id="table-title")
            yield Input(placeholder="filter: id, workflow, step name, error text "
                                    "(Enter to keep, Esc to clear)", id="filter")
            yield TableHeader(id="table-header")
            yield ExecutionsTable(id="table")
        yield Footer()

    def on_mount(self) -> None:
        filter_input = self.query_one("#filter", Input)
        filter_input.display = False
        filter_input.cursor_blink = False
        self.query_one(ExecutionsTable).focus()

    @property
    def wftui(self) -> WftuiApp:
        return self.app  # type: ignore[return-value]

    # -- filter box ------------------------------------------------------------------

    def open_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.wftui.set_filter_text(event.value)

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        box = self.query_one("#filter", Input)
        if not box.value:
            box.display = False
        self.query_one(ExecutionsTable).focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.display = False
        self.wftui.set_filter_text("")
        self.query_one(ExecutionsTable).focus()

    def on_executions_table_execution_selected(
            self, event: ExecutionsTable.ExecutionSelected) -> None:
        self.wftui.open_execution(event.execution_id)

    # -- showing a refresh ----------------------------------------------------------

    def show(self, refresh: Refresh) -> None:
        """Display one refresh: a snapshot and the arranged executions."""
        snapshot = refresh.snapshot
        app = self.wftui
        self.query_one(SourcesBar).show(snapshot.sources, app.status_line(snapshot))
        self._show_panels(snapshot, refresh.now)
        self.query_one(AlertsList).show(snapshot.alerts)
        self._show_table(refresh)

    def _show_panels(self, snapshot: Snapshot, now: float) -> None:
        for panel_id, view in panel_views(snapshot, now, self.wftui.history):
            self.query_one(f"#panel-{panel_id}", FigurePanel).show(view)

    def _relayout_header(self) -> None:
        header = self.query_one(TableHeader)
        width = self.query_one(ExecutionsTable).size.width
        if width and width != header.laid_out_for:
            header.show(width, header.sort, header.descending)

    def on_resize(self) -> None:
        self.call_after_refresh(self._relayout_header)

    def _show_table(self, refresh: Refresh) -> None:
        table = self.query_one(ExecutionsTable)
        query = refresh.query
        self.query_one("#table-title", QuietStatic).show_text(table_title(refresh))
        self.query_one(TableHeader).show(table.size.width or 80, query.sort, query.descending)
        if not table.size.width:  # before the first layout: lay the headings out again
            self.call_after_refresh(self._relayout_header)
        table.empty_message = empty_message(refresh, self.wftui.monitor.tailer is not None)
        table.set_rows(refresh.rows)
