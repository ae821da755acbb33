"""The main screen: sources, figure panels with thresholds, alerts, executions table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Click
from textual.screen import Screen
from textual.widgets import Footer, Input

from wftui.core.format import count, percent, rate_per_min, seconds, threshold_figure
from wftui.core.format import window as window_label
from wftui.core.snapshot import METRICS_PREFERRED, Snapshot
from wftui.ui.widgets.alerts_list import AlertsList
from wftui.ui.widgets.executions_table import ExecutionsTable, column_at, header_text
from wftui.ui.widgets.figure_panel import FigurePanel, PanelView
from wftui.ui.widgets.quiet_static import QuietStatic
from wftui.ui.widgets.sources_bar import SourcesBar

if TYPE_CHECKING:
    from wftui.ui.app import WftuiApp
    from wftui.ui.refresh import Refresh

# panel id -> (title, figure key in figure_values, threshold name or None)
PANELS = (
    ("error_rate", "Error rate", "error_rate", "error_rate"),
    ("latency", "Latency p95", "latency_p95_s", "latency_p95_s"),
    ("active", "Active workflows", "active_workflows", "active_workflows"),
    ("queue", "Queue depth", "queue_depth", "queue_depth"),
    ("throughput", "Throughput", "throughput_per_min", None),
)
SPARK_SPAN_S = 600.0  # at least the last 10 minutes, whatever the window


def _format(key: str, value: float | None) -> str:
    if key == "error_rate":
        return percent(value, "no traffic")
    if key.startswith("latency"):
        return seconds(value)
    if key == "throughput_per_min":
        return rate_per_min(value)
    return count(value)


def _span(value: float) -> str:
    """A `for` duration as configured: 10s, 90s, 5m, 1h."""
    if value < 120 and float(value).is_integer():
        return f"{int(value)}s"
    return window_label(value)



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
        app = self.wftui
        figures = snapshot.figures()
        states = {state.name: state for state in snapshot.thresholds}
        metrics = snapshot.metrics or {}
        stale = bool(metrics.get("stale"))
        latency = figures.get("latency_s") or {}
        for panel_id, title, key, threshold_name in PANELS:
            value = latency.get("p95") if key == "latency_p95_s" else figures.get(key)
            state = states.get(threshold_name) if threshold_name else None
            from_metrics = self._from_metrics(key, snapshot)
            quality = "no_data" if value is None else "ok"
            if from_metrics and stale and value is not None:
                quality = "stale"
            view = PanelView(
                title=title, value=_format(key, value), quality=quality,
                history=app.history, series_name=key, series_end=now,
                span_s=max(SPARK_SPAN_S, snapshot.window_s or 0.0),
            )
            if state is not None:
                view.state = state.state
                view.action = state.action
                view.threshold = (f"threshold > {threshold_figure(state.name, state.threshold)}"
                                  + (f" for {_span(state.for_s)}" if state.for_s else ""))
                view.series_threshold = state.threshold
            elif threshold_name is not None:
                view.threshold = "threshold off"
            view.detail = self._detail(key, figures, metrics, from_metrics)
            if (from_metrics and metrics.get("since_start") and value is not None
                    and view.state == "no_data"):
                # One scrape so far: a total since the target started, which thresholds
                # do not judge. "no data" beside a number would read as a contradiction.
                view.state = None
                view.detail = " · ".join(filter(None, [
                    view.detail, "judged from the next scrape"]))
            panel = self.query_one(f"#panel-{panel_id}", FigurePanel)
            panel.border_subtitle = (self._origin(from_metrics, snapshot)
                                     if value is not None else "")
            panel.show(view)

    @staticmethod
    def _from_metrics(key: str, snapshot: Snapshot) -> bool:
        if snapshot.metrics is None:
            return False
        if snapshot.logs is None:
            return True
        name = "latency_s" if key.startswith("latency") else key
        value = snapshot.metrics.get(name)
        if isinstance(value, dict):
            value = value.get("p95")
        return name in METRICS_PREFERRED and value is not None

    @staticmethod
    def _detail(key: str, figures: dict[str, Any], metrics: dict[str, Any],
                from_metrics: bool) -> str:
        if key != "latency_p95_s":
            return ""
        latency = figures.get("latency_s") or {}
        detail = f"p50 {seconds(latency.get('p50'))} · p99 {seconds(latency.get('p99'))}"
        if from_metrics and (metrics.get("latency_s") or {}).get("at_least"):
            detail += " (≥ bound)"
        return detail

    @staticmethod
    def _origin(from_metrics: bool, snapshot: Snapshot) -> str:
        """Where a figure comes from, for the panel's bottom border."""
        if not from_metrics:
            return "from logs" if snapshot.logs is not None else ""
        if (snapshot.metrics or {}).get("since_start"):
            return "from metrics, since start"
        return "from metrics"

    def _relayout_header(self) -> None:
        header = self.query_one(TableHeader)
        width = self.query_one(ExecutionsTable).size.width
        if width and width != header.laid_out_for:
            header.show(width, header.sort, header.descending)

    def on_resize(self) -> None:
        self.call_after_refresh(self._relayout_header)

    def _show_table(self, refresh: Refresh) -> None:
        app = self.wftui
        table = self.query_one(ExecutionsTable)
        query = app.table_query
        title = Text(no_wrap=True, end="")
        title.append("Executions", style="bold")
        shown, retained = len(refresh.rows), refresh.retained
        counts = refresh.snapshot.executions
        title.append(f"  {count(shown)} shown of {count(retained)} retained"
                     f" · {count(counts.get('running'))} running"
                     f" · {count(counts.get('failed'))} failed"
                     f" · {count(counts.get('total'))} seen")
        if refresh.snapshot.folded:
            title.append(f" ({count(refresh.snapshot.folded)} folded into figures)",
                         style="dim")
        title.append(f"   status: {query.status}", style="bold cyan" if query.status != "all"
                     else "dim")
        if query.text:
            title.append("   filter: ", style="bold cyan")
            title.append(Text(query.text, style="bold cyan"))
        self.query_one("#table-title", QuietStatic).show_text(title)
        self.query_one(TableHeader).show(table.size.width or 80, query.sort, query.descending)
        if not table.size.width:  # before the first layout: lay the headings out again
            self.call_after_refresh(self._relayout_header)
        if self.wftui.monitor.tailer is None:
            # Metrics count executions but do not name them: the table needs a log.
            table.empty_message = ("executions come from log files: start wftui with the "
                                   "workflows' JSON-lines log to see them here")
        else:
            table.empty_message = ("no executions match the filter" if retained
                                   else "no executions yet")
        table.set_rows(refresh.rows)
