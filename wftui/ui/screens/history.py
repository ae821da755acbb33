"""The history view: each figure charted over the log's own time, with its threshold
line and the moments its alerts fired (textual-plotext draws; view/timeline computes)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.binding import Binding
from textual.containers import Grid
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Static
from textual_plotext import PlotextPlot

from wftui.ui.widgets.keys_line import KeysLine
from wftui.view.refresh import Refresh
from wftui.view.timeline import (
    CHARTS,
    Chart,
    chart_inputs,
    charts,
    history_note,
    history_wait_note,
)


class ChartPlot(PlotextPlot):
    """A plot whose title fits: plotext leaves out a title wider than the plot (at 80
    columns "Queue depth · threshold 10,000, far above" was gone, and the chart said
    not what it was), so the chart's titles are tried longest first at each render
    (the width is known only then, and changes with the terminal's)."""

    chart: Chart | None = None

    def render(self) -> RenderResult:
        titles = self.chart.titles() if self.chart is not None else ()
        for title in titles:
            self.plt.title(title)
            drawn = super().render()
            if isinstance(drawn, Text) and title in drawn.plain:
                return drawn
        return super().render()  # no title fits: the last tried, as plotext leaves it


class HistoryScreen(Screen[None]):
    """Charts of the log's history. `refresh_shown` is bound to the app's refresh on
    screen (data_bind); `window_s` is the window each point's figure covers."""

    DEFAULT_CSS = """
    HistoryScreen Grid { grid-size: 2 3; }
    HistoryScreen #history-note { height: auto; padding: 0 1; }
    """
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    # No repaint: the watcher redraws the widgets that changed (not the whole screen).
    refresh_shown: reactive[Refresh | None] = reactive(
        None, always_update=True, init=False, repaint=False)

    def __init__(self, window_s: float | None) -> None:
        super().__init__()
        self.window_s = window_s
        self.drawn: list[Chart] = []  # what the plots show (tests read it)
        self._charted: tuple[object, ...] | None = None  # what `drawn` was computed from

    def compose(self) -> ComposeResult:
        yield Static("", id="history-note")
        with Grid():
            for index, _ in enumerate(CHARTS):
                yield ChartPlot(id=f"chart-{index}")
        yield KeysLine()

    def on_mount(self) -> None:
        self.watch_refresh_shown(self.refresh_shown)

    def watch_refresh_shown(self, refresh: Refresh | None) -> None:
        """Draw the charts from the refresh's log history (once it exists)."""
        if not self.is_mounted:
            return
        note = self.query_one("#history-note", Static)
        if refresh is None or refresh.log_history is None:
            note.update(history_wait_note(refresh))
            return
        # The log's history is rebuilt at most every few seconds, but refreshes come up
        # to 10 times a second while data flows: charting it again each time (hundreds
        # of moments, each a window's figures) kept the UI thread ~30% busy in the demo.
        charted = (refresh.log_history,
                   chart_inputs(refresh.snapshot, refresh.chart_alerts), self.window_s)
        if charted != self._charted:
            self._charted = charted
            drawn = charts(refresh.log_history, refresh.snapshot, self.window_s,
                           alerts=refresh.chart_alerts)
        else:
            drawn = self.drawn
        note.update(history_note(refresh) if drawn else
                    "no events in the log to chart · esc: back")
        if drawn == self.drawn:
            return
        self.drawn = drawn
        for index, chart in enumerate(drawn):
            widget = self.query_one(f"#chart-{index}", ChartPlot)
            widget.chart = chart  # its title is set as it renders, to fit its width
            plt = widget.plt
            plt.clear_figure()
            plt.xlabel(chart.xlabel)
            if chart.xs:
                plt.plot(*chart.line(), marker="braille")
            plt.ylim(chart.y_bottom, chart.y_top)
            if (ticks := chart.yticks()) is not None:
                plt.yticks(*ticks)
            if chart.threshold is not None and not chart.threshold_off_scale:
                plt.hline(chart.threshold, "red")
            for moment in chart.fired:
                plt.vline(moment, "yellow")
            widget.refresh()
