"""The main screen: sources, figure panels with thresholds, alerts, executions table."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.events import Click
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Input

from wftui.ui.messages import ExecutionOpened, FilterChanged, HeadingClicked
from wftui.ui.widgets.alerts_list import AlertsList
from wftui.ui.widgets.executions_table import ExecutionsTable
from wftui.ui.widgets.figure_panel import FigurePanel
from wftui.ui.widgets.keys_line import KeysLine
from wftui.ui.widgets.quiet_static import QuietStatic
from wftui.ui.widgets.sources_bar import SourcesBar
from wftui.view.dashboard import Dashboard
from wftui.view.panels import PANELS
from wftui.view.table import column_at, header_text


class TableHeader(QuietStatic):
    """The executions table's column headings, laid out for the table's width (which
    can differ from this widget's by a scrollbar): a click sorts by the column under it,
    a second click on the same column reverses the order."""

    laid_out_for = 80
    sort = "start_ts"
    descending = True

    def show(self, width: int, sort: str, descending: bool) -> None:
        """Lay the headings out for `width` cells, the sorted column marked."""
        self.laid_out_for, self.sort, self.descending = width, sort, descending
        self.show_text(header_text(width, sort, descending))

    def on_click(self, event: Click) -> None:
        column = column_at(self.laid_out_for, event.x)
        if column is not None:
            self.post_message(HeadingClicked(column))


class MonitorScreen(Screen[None]):
    """What an operator watches: is it healthy, what is firing, which executions failed.

    `dashboard` is bound to the app's (data_bind): each refresh arrives here and is drawn.
    """

    BINDINGS = [
        Binding("slash", "open_filter", "Filter",
                tooltip="filter executions by id, workflow, step name or error text"),
        Binding("f", "app.status_filter", "Status",
                tooltip="status filter: all → failed → running"),
        Binding("s", "app.sort", "Sort",
                tooltip="sort by the next column (or click its heading)"),
        Binding("S", "app.reverse_sort", "Reverse sort", show=False,
                tooltip="reverse the order (or click the sorted heading again)"),
        Binding("w", "app.next_window", "Window", tooltip="next window: 1m → 5m → 15m → "
                "1h → all"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        # Moving through the log's time (history mode), and back to now.
        Binding("left_square_bracket", "app.travel('back')", "Back", show=False,
                tooltip="history: the window before the one shown"),
        Binding("right_square_bracket", "app.travel('forward')", "Forward", show=False,
                tooltip="history: the window after the one shown (past the end: now)"),
        Binding("left_curly_bracket", "app.travel('start')", "Log start", show=False,
                tooltip="history: the first window of the log"),
        Binding("right_curly_bracket", "app.travel('live')", "Log end", show=False,
                tooltip="back to now: the log's end, or live"),
        Binding("t", "app.travel('alert')", "Alert moment", show=False,
                tooltip="history: the moment the newest alert fired (again: the one "
                "before)"),
        Binding("l", "app.travel('live')", "Live", tooltip="back to now (leave history)"),
        Binding("h", "app.history", "History",
                tooltip="each figure charted over the log's time, with thresholds and "
                "the moments alerts fired"),
        # The app's keys, shown in this footer (the execution view's has no room).
        Binding("p", "app.pause", "Pause"),
        Binding("m", "app.malformed", "Malformed"),
    ]

    # No repaint: the watcher redraws the widgets that changed (not the whole screen).
    dashboard: reactive[Dashboard | None] = reactive(
        None, always_update=True, init=False, repaint=False)

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
        yield KeysLine()

    def on_mount(self) -> None:
        try:
            filter_input = self.query_one("#filter", Input)
        except NoMatches:
            return  # the app is leaving already (q or a signal at start): nothing to set up
        filter_input.display = False
        filter_input.cursor_blink = False
        self.query_one(ExecutionsTable).focus()
        if self.dashboard is not None:
            self.watch_dashboard(self.dashboard)

    # -- filter box ------------------------------------------------------------------

    def action_open_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def show_filter_text(self, text: str) -> None:
        """A filter set from elsewhere ("why"): shown in the box, so Esc clears it."""
        box = self.query_one("#filter", Input)
        box.value = text
        box.display = bool(text)
        self.query_one(ExecutionsTable).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(FilterChanged(event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        box = self.query_one("#filter", Input)
        if not box.value:
            box.display = False
        self.query_one(ExecutionsTable).focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.display = False
        self.post_message(FilterChanged("", cleared=True))
        self.query_one(ExecutionsTable).focus()

    async def on_figure_panel_alert_asked(self, event: FigurePanel.AlertAsked) -> None:
        """A key on a focused panel: why / silence / acknowledge its threshold."""
        threshold = next((name for panel_id, _t, _k, name in PANELS
                          if event.panel.id == f"panel-{panel_id}"), None)
        if threshold is None:
            self.notify("no threshold on this panel", severity="warning", markup=False)
            return
        await self.app.run_action(f"{event.action}({threshold!r})")

    async def on_alerts_list_alert_asked(self, event: AlertsList.AlertAsked) -> None:
        """A key on the focused alerts list: why / silence / acknowledge that alert."""
        await self.app.run_action(f"{event.action}({event.alert_name!r})")

    def on_executions_table_execution_selected(
            self, event: ExecutionsTable.ExecutionSelected) -> None:
        event.stop()
        self.post_message(ExecutionOpened(event.execution_id))

    # -- drawing a refresh -----------------------------------------------------------

    def watch_dashboard(self, dashboard: Dashboard | None) -> None:
        """Draw one refresh: sources, panels, alerts, the executions table."""
        if dashboard is None or not self.is_mounted:
            return
        snapshot = dashboard.refresh.snapshot
        self.query_one(SourcesBar).show(snapshot.sources, dashboard.status)
        for panel_id, view in dashboard.panels:
            self.query_one(f"#panel-{panel_id}", FigurePanel).show(view)
        self.query_one(AlertsList).show(snapshot.alerts, dashboard.marks,
                                        dashboard.alerts_day)
        table = self.query_one(ExecutionsTable)
        query = dashboard.refresh.query
        self.query_one("#table-title", QuietStatic).show_text(dashboard.title)
        self.query_one(TableHeader).show(table.row_width or 80, query.sort, query.descending)
        if not table.row_width:  # before the first layout: lay the headings out again
            self.call_after_refresh(self._relayout_header)
        if table.empty_message != dashboard.empty:
            # set_rows draws nothing when the rows stay none: the message must redraw
            # ("reading the log" becomes "no executions yet" on an empty log).
            table.empty_message = dashboard.empty
            table.refresh()
        table.set_rows(dashboard.refresh.rows)

    def _relayout_header(self) -> None:
        header = self.query_one(TableHeader)
        width = self.query_one(ExecutionsTable).row_width
        if width and width != header.laid_out_for:
            header.show(width, header.sort, header.descending)

    def on_resize(self) -> None:
        self.call_after_refresh(self._relayout_header)
