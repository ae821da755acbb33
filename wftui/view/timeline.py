"""The log's time on screen: catch-up progress, whose clock is shown, a past moment,
the sparklines drawn from the log's own history, and where the time keys lead.

Textual-free: the status line, the sources bar and the panels call these; the app
keeps only the moment chosen (`at`, None for now).
"""

from __future__ import annotations

import itertools
import math
import time
from bisect import bisect_left
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text

from wftui.core.clock import LogClock, ago, stamp
from wftui.core.format import count, seconds, threshold_figure
from wftui.core.history import LogHistory, figure_values
from wftui.core.snapshot import Snapshot
from wftui.core.thresholds import Alert
from wftui.view.history import FigureHistory

if TYPE_CHECKING:
    from wftui.view.refresh import Refresh

BAR_CELLS = 12


def progress_text(progress: dict[str, Any], bar: bool = True) -> Text:
    """`reading 43% ▕█████░░░░░░░▏ 430,112 of ~1.0M lines · 1.2 s left` (the bar left
    out when the line is short of room: the figures say the same)."""
    fraction = min(max(float(progress.get("fraction") or 0.0), 0.0), 1.0)
    text = Text(no_wrap=True, end="")
    text.append(f"reading {fraction:.0%}" + (" " if bar else ""), style="bold cyan")
    if bar:
        filled = round(fraction * BAR_CELLS)
        text.append("█" * filled, style="cyan")
        text.append("░" * (BAR_CELLS - filled), style="dim")
    lines = int(progress.get("lines") or 0)
    text.append(f" · {lines:,}")
    estimate = progress.get("lines_estimate")
    if estimate and fraction < 1.0:
        text.append(f" of ~{short_count(estimate)}")
    text.append(" lines")
    left = progress.get("seconds_left")
    if left is not None:
        text.append(f" · {left:.1f} s left" if left < 60 else f" · {seconds(left)} left",
                    style="dim")
    return text


def short_count(value: float) -> str:
    """1,000,000 -> 1.0M; 43,000 -> 43k; below 10,000 as is."""
    if value >= 999_500:  # what rounds to 1000k is 1.0M
        return f"{value / 1e6:.1f}M"
    if value >= 10_000:
        return f"{value / 1e3:.0f}k"
    return count(value)


def hhmm(epoch: float) -> str:
    """09:26 (09:26:30 when not on the minute)."""
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    return moment.strftime("%H:%M" if moment.second == 0 else "%H:%M:%S")


def moment_label(snapshot: Snapshot) -> str | None:
    """`at 09:26–09:31 (history)`: the past moment shown (None: now)."""
    if snapshot.at is None:
        return None
    window_s = snapshot.window_s
    start = f"{hhmm(snapshot.at - window_s)}–" if window_s is not None else "…–"
    return f"at {start}{hhmm(snapshot.at)} (history)"


def as_of_label(at: float | None, moment: float | None) -> str:
    """The step tree's title opened at a past moment: as of then, or the whole of it
    ("" when opened at now)."""
    if moment is None:
        return ""
    if at is None:
        return f"whole execution (history at {hhmm(moment)}) · w: as of then"
    return f"as of {hhmm(at)} (history): what was logged by then · w: whole execution"


def clock_text(snapshot: Snapshot) -> Text:
    """What time the screen shows: a past moment, or an old log's end ("" when live)."""
    text = Text(no_wrap=True, end="")
    moment = moment_label(snapshot)
    if moment is not None:
        text.append(f"   {moment}", style="bold black on cyan")
        old = snapshot.clock is not None and not snapshot.clock.live
        text.append("  l: back to the log's end" if old else "  l: back to live",
                    style="cyan")
        return text
    if snapshot.reading is not None:
        # Nothing of where the log ends: the newest event read so far is where the read
        # has got (hours back in a big live log), not the log's end.
        text.append("   figures so far: the log is still being read", style="yellow")
        return text
    clock: LogClock | None = snapshot.clock
    if clock is not None and not clock.live and clock.log_end is not None:
        behind = clock.behind_s or 0.0
        # UTC, as every time on screen (`check` and `watch` say so too)
        text.append(f"   history: log ends {stamp(clock.log_end)} UTC, {ago(behind)}",
                    style="bold cyan")
    return text


def open_at_end(snapshot: Snapshot) -> bool:
    """Running executions are open at the end of an old log (aged to its end), not
    running now."""
    clock = snapshot.clock
    return snapshot.at is None and clock is not None and not clock.live


class LogSeries(FigureHistory):
    """The sparklines' values from the log's own history (in place of the dashboard's
    samples of its own snapshots): figures over `window_s` at moments ending at `end`,
    so an old log's sparkline shows the log's last minutes, not the app's."""

    def __init__(self, history: LogHistory, end: float, window_s: float | None) -> None:
        super().__init__()
        self.history = history
        self.end = end
        self.window_s = window_s
        self._cache: dict[tuple[float, int], dict[str, list[float | None]]] = {}

    def series(self, name: str, end: float, span_s: float, points: int
               ) -> list[float | None]:
        """`points` values over the `span_s` seconds ending at the log's now (or the
        moment shown): the figure then, None where the log has no data."""
        del end  # the log's now, not the wall clock's
        key = (span_s, points)
        lines = self._cache.get(key)
        if lines is None:
            lines = {}
            step = span_s / max(points, 1)
            for index in range(points):
                at = self.end - span_s + (index + 1) * step
                values = figure_values(self.history.figures_at(at, self.window_s).as_dict())
                for figure, value in values.items():
                    lines.setdefault(figure, []).append(value)
            self._cache[key] = lines
        return lines.get(name, [None] * points)


def travel(action: str, at: float | None, *, start: float | None, end: float | None,
           window_s: float | None, alerts: tuple[Alert, ...] = ()) -> float | None:
    """Where a time key leads from `at` (None: now). back / forward: a window's width
    (forward past the end is now again); start: the first full window; end: now;
    alert: the moment the newest alert before `at` fired (from now: the newest)."""
    if start is None or end is None:
        return None
    width = window_s if window_s is not None else max((end - start) / 10, 1.0)
    here = end if at is None else at
    if action == "back":
        return max(here - width, min(start + width, end))
    if action == "forward":
        moved = here + width
        return None if at is None or moved >= end else moved
    if action == "start":
        return min(start + width, end)
    if action == "alert":
        fired = sorted(alert.fired_at for alert in alerts)
        index = bisect_left(fired, here) if at is not None else len(fired)
        if index == 0:
            return fired[-1] if fired else at
        return fired[index - 1]
    return None


def alert_moments(live: tuple[Alert, ...], logged: tuple[Alert, ...],
                  window_s: float | None) -> tuple[Alert, ...]:
    """The alerts the alert key leads to: the log's own (judged along its time, as a
    past moment is: shown at the moment one fired, it is firing), and the live alerts
    the log does not tell of (judged on metrics, which have no past here). A live alert
    is the log's when one of the same threshold fired within a window of it: the same
    episode, which the lines came in too late, or the metrics too early, to time alike."""
    near = max(window_s or 0.0, 60.0)
    alone = tuple(alert for alert in live
                  if not any(other.name == alert.name
                             and abs(other.fired_at - alert.fired_at) <= near
                             for other in logged))
    return logged + alone


def now_or_wall(snapshot: Snapshot | None) -> float:
    """The moment the dashboard stands at: the one shown, the log's now, or the wall."""
    if snapshot is not None and snapshot.at is not None:
        return snapshot.at
    if snapshot is not None and snapshot.clock is not None:
        return snapshot.clock.now
    return time.time()



# The history view's charts: figure key (as in figure_values), title, threshold name.
CHARTS = (
    ("error_rate", "Error rate", "error_rate"),
    ("latency_p95_s", "Latency p95 (s)", "latency_p95_s"),
    ("active_workflows", "Active workflows", "active_workflows"),
    ("queue_depth", "Queue depth", "queue_depth"),
    ("throughput_per_min", "Throughput (/min)", None),
)
CHART_POINTS = 120
OFF_SCALE = 4.0  # a threshold more than this many times the highest value is off scale
# The largest value plotext can place: it overflowed (an OverflowError ending the
# monitor) on a queue depth of 1e308 that a log wrote. Values past it are cut to it.
CHART_LIMIT = 1e300
# From this size on, the y axis's labels are written short (1e+300): plotext writes
# every digit, and 1e300's 301 left the plot no columns (an empty box, no title).
LONG_TICKS = 1e15


@dataclass(frozen=True)
class Chart:
    """One figure over the whole log: points (minutes from the log's start, value),
    its threshold line, and the minutes at which its alerts fired."""

    title: str
    xs: list[float]
    ys: list[float]
    threshold: float | None
    fired: list[float]
    xlabel: str
    threshold_off_scale: bool = False  # far above the values: named, not drawn
    # The title in fewer columns ("" when the title is the figure's name alone): plotext
    # draws no title wider than its plot, and at 80 columns the charts are 40 wide.
    short_title: str = ""
    name: str = ""
    # The y axis runs from 0 to this (every charted figure is a count, rate or time):
    # an axis fitted to the values made 5.96 -> 6.0 /min look like a step up.
    y_top: float = 1.0
    # Where a stretch of no data ended: the indices in xs/ys that begin a new run of
    # points (the first run, at 0, is not listed).
    breaks: tuple[int, ...] = ()
    # ... and from this, below 0 only for a value below 0 (a gauge gone wrong): handed
    # a point far below its axis, plotext drew the line to it point by point (-100,000
    # took 18 s and 300 MB, the UI frozen; -1e10, gigabytes).
    y_bottom: float = 0.0

    def line(self) -> tuple[list[float], list[float]]:
        """The points to draw as one line, broken where the log had no data: a NaN
        between runs (plotext draws no segment to a NaN), and a point alone in its run
        twice (a segment of no length is a dot; alone it would not be drawn). Joined
        across the gap, a week without traffic read as p95 falling from 90 s to 0."""
        if not self.breaks:
            return self.xs, self.ys
        xs: list[float] = []
        ys: list[float] = []
        edges = (0, *self.breaks, len(self.xs))
        for low, high in itertools.pairwise(edges):
            if xs:
                xs.append(math.nan)
                ys.append(math.nan)
            run = range(low, high) if high - low > 1 else (low, low)
            xs.extend(self.xs[index] for index in run)
            ys.extend(self.ys[index] for index in run)
        return xs, ys

    def yticks(self) -> tuple[list[float], list[str]] | None:
        """Five ticks and their short labels when plotext's own would be too wide (None:
        its own fit)."""
        if max(abs(self.y_top), abs(self.y_bottom)) < LONG_TICKS:
            return None
        ticks = [self.y_bottom + (self.y_top - self.y_bottom) * k / 4 for k in range(5)]
        return ticks, [f"{tick:.3g}" for tick in ticks]

    def titles(self) -> tuple[str, ...]:
        """The titles to try, longest first: the first the plot has room for is drawn."""
        return tuple(title for title in (self.title, self.short_title, self.name) if title)


def history_note(refresh: Refresh) -> str:
    """The history view's line above its charts."""
    # Where the figures come from first (the line wraps below 135 columns).
    source = "from the log (panels: metrics) · " if refresh.metric_sparklines else ""
    return (f"{source}each point: the figure over the window ending then · red: threshold"
            " · yellow: alert fired · esc: back")


def no_travel_note(refresh: Refresh | None, has_files: bool) -> str:
    """Why a time key goes nowhere: no log file, a log still being read, or (read to
    its end: its history is there) a log without events, which was said to be still
    being read."""
    if not has_files:
        return "moving through time needs a log file: metrics have no past here"
    if refresh is not None and refresh.log_history is not None:
        return "the log has no events to move through"
    return "the log is still being read: its history comes once it is"


def history_wait_note(refresh: Refresh | None) -> str:
    """Why the history view has no charts yet (or none at all)."""
    if refresh is not None and refresh.snapshot.reading is None and not any(
            source.get("kind") == "file" for source in refresh.snapshot.sources):
        return ("no log file: the history view charts a log's own time (metrics and "
                "traces have no past here) · esc: back")
    return "the log's history comes once it has been read · esc: back"


def chart_inputs(snapshot: Snapshot, alerts: tuple[Alert, ...] | None = None
                 ) -> tuple[object, ...]:
    """What of a snapshot the charts draw besides the log's history: the threshold
    lines and the alert moments (the same inputs draw the same charts)."""
    return (tuple((state.name, state.threshold) for state in snapshot.thresholds),
            tuple((alert.name, alert.fired_at)
                  for alert in (snapshot.alerts if alerts is None else alerts)))


def charts(history: LogHistory, snapshot: Snapshot, window_s: float | None,
           points: int = CHART_POINTS, alerts: tuple[Alert, ...] | None = None
           ) -> list[Chart]:
    """Each charted figure at up to `points` moments from the log's first event to its
    last (over the window ending at each), with threshold lines and the moments
    `alerts` fired (default: the snapshot's; at a past moment, pass those of now: the
    charts are of the whole log, not of what had happened by then)."""
    if alerts is None:
        alerts = snapshot.alerts
    if history.start is None or history.end is None:
        return []
    start = history.start
    # At the moments thresholds are judged at (`LogHistory.grid`): dense where the log
    # has traffic, the two ends of a quiet stretch. Spread evenly over a log of two
    # sessions days apart, the points fell in the silence between them, and a spike an
    # alert fired on was not on its chart. The moments alerts fired are charted too, so
    # the value each fired on is there.
    grid, step = history.grid(window_s, points)
    # A quiet stretch's end is the moment something changed: the moment just before it
    # is charted too, so the line stays level across the stretch (not a slope over days).
    held = [] if step is None else [
        later - 1e-3 for earlier, later in itertools.pairwise(grid) if later - earlier > 2 * step]
    fired_at = (alert.fired_at for alert in alerts
                if start <= alert.fired_at <= history.end)
    series = [(at, history.figures_at(at, window_s).as_dict())
              for at in sorted({*grid, *held, *fired_at})]
    limits = {state.name: state.threshold for state in snapshot.thresholds}
    out = []
    for key, title, threshold in CHARTS:
        xs: list[float] = []
        ys: list[float] = []
        breaks: list[int] = []
        gap = False
        for at, figures in series:
            value = figure_values(figures).get(key)
            if value is None:  # no data is a gap, not a zero
                gap = True
                continue
            if gap and xs:
                breaks.append(len(xs))
            gap = False
            xs.append((at - start) / 60.0)
            ys.append(max(min(float(value), CHART_LIMIT), -CHART_LIMIT))
        fired = [(alert.fired_at - start) / 60.0 for alert in alerts
                 if alert.name == threshold]
        limit = limits.get(threshold) if threshold else None
        name, short = title, ""
        if not xs:  # an empty plot would read as a flat line at nothing; say it
            title += " · no data in the log"
            short = f"{name} · no data"
        elif any(abs(y) == CHART_LIMIT for y in ys):
            title += f" · values past ±{CHART_LIMIT:g} cut there"
            short = f"{name} · cut at ±{CHART_LIMIT:g}"
        # A line at 10,000 over values near 300 would flatten them against the axis:
        # the threshold is then named in the title instead of drawn.
        off_scale = False
        if limit is not None and (ys and limit > OFF_SCALE * max(max(ys), 0)
                                  or limit > CHART_LIMIT):
            off_scale = True
            title += f" · threshold {threshold_figure(key, limit)}, far above"
            short = f"{name} · > {threshold_figure(key, limit)} off scale"
        drawn = [*ys, limit] if limit is not None and not off_scale else ys
        out.append(Chart(title, xs, ys, limit, fired, f"minutes from {stamp(start)} UTC",
                         off_scale, short, name, max([*drawn, 0.0]) or 1.0, tuple(breaks),
                         min([*drawn, 0.0])))
    return out
