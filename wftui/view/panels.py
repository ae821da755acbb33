"""The dashboard's figure panels: what each shows, worked out from one snapshot.

`panel_views` decides value, quality (no data, stale), threshold state and wording,
and where the figure comes from; `panel_text` lays one panel out for a width (value,
threshold, detail, sparkline, the runbook action when firing). The widget only draws.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.text import Text

from wftui.core.format import count, percent, rate_per_min, seconds, threshold_figure
from wftui.core.format import window as window_label
from wftui.core.sampling import FROM_METRICS, FROM_UNKNOWN_TRACES, FROM_WEIGHTED_TRACES
from wftui.core.snapshot import COUNTED, METRICS_PREFERRED, Snapshot
from wftui.core.understood import SETTLED, settled_not_understood
from wftui.view.history import FigureHistory
from wftui.view.text import ELLIPSIS, clip, plain, safe

# panel id, title, figure key (as in figure_values), threshold name or None
PANELS = (
    ("error_rate", "Error rate", "error_rate", "error_rate"),
    ("latency", "Latency p95", "latency_p95_s", "latency_p95_s"),
    ("active", "Active workflows", "active_workflows", "active_workflows"),
    ("queue", "Queue depth", "queue_depth", "queue_depth"),
    ("throughput", "Throughput", "throughput_per_min", None),
)
# A title too long for its border (80 columns: 10 cells) is not cut to "Latency p…",
# which no longer says which percentile the figure is: a short form that keeps it.
SHORT_TITLES = {"Latency p95": "Lat. p95", "Active workflows": "Active",
                "Queue depth": "Queue", "Error rate": "Errors", "Throughput": "Per min"}
SPARK_SPAN_S = 600.0  # at least the last 10 minutes, whatever the window
BLOCKS = "▁▂▃▄▅▆▇█"
GAP = "·"  # a slice with no data: visibly not a zero
# Where a counted figure comes from when traces are in it (docs/figures.md, "Sampled
# traces"), short enough for a panel's border.
TRACE_ORIGINS = {FROM_WEIGHTED_TRACES: "from traces, weighted",
                 FROM_UNKNOWN_TRACES: "from traces, sampling unknown"}
UNKNOWN_NOTE = "⚠ sampling unknown"  # beside the value: the border may be cut
STATE_LOOK = {
    "ok": ("ok", "green"),
    "pending": ("PENDING", "bold yellow"),
    "firing": ("FIRING", "bold white on red"),
    "no_data": ("no data", "dim"),
}


@dataclass
class PanelView:
    """What a panel shows, worked out from one snapshot."""

    title: str
    value: str  # already formatted ("no data", "stale" handled by `quality`)
    quality: str = "ok"  # ok | no_data | stale
    state: str | None = None  # threshold state: ok | pending | firing | no_data | None
    threshold: str = "no threshold"
    action: str | None = None
    detail: str = ""  # a second line: p50/p99, "≥ bound", "since start"...
    origin: str = ""  # where the figure comes from (the panel's bottom border)
    history: FigureHistory | None = None
    series_name: str = ""
    series_end: float = 0.0
    span_s: float = SPARK_SPAN_S
    series_threshold: float | None = None
    # Its alert's silence / acknowledgement ("silenced until 14:05 by ana: known
    # incident"), longest form first: the panel shows the longest that fits.
    mark_forms: tuple[str, ...] = ()
    # The details of the panels beside it: when one of them takes two lines (p50 and
    # p99 in a narrow panel), this one leaves a line too, so the sparklines stay level.
    beside: tuple[str, ...] = ()


def figure_text(key: str, value: float | None) -> str:
    """A figure as the panel shows it (an error rate with no traffic says so)."""
    if key == "error_rate":
        return percent(value, "no traffic")
    if key.startswith("latency"):
        return seconds(value)
    if key == "throughput_per_min":
        return rate_per_min(value)
    return count(value)


def panel_title(title: str, room: int) -> str:
    """The panel's title for a border with `room` cells for it: its short form when
    the whole title does not fit."""
    if cell_len(title) <= room:
        return title
    return SHORT_TITLES.get(title, title)


def span_text(value: float) -> str:
    """A `for` duration as configured: 10s, 90s, 5m, 1h."""
    if value < 120 and float(value).is_integer():
        return f"{int(value)}s"
    return window_label(value)


def from_metrics(key: str, snapshot: Snapshot) -> bool:
    """Does the panel's figure come from the metrics (not the logs)?"""
    if snapshot.metrics is None:
        return False
    if snapshot.logs is None:
        return True
    name = "latency_s" if key.startswith("latency") else key
    if name in COUNTED:  # metrics also stand in for traces of unknown sampling
        return snapshot.basis().get(name) == FROM_METRICS
    value = snapshot.metrics.get(name)
    if isinstance(value, dict):
        value = value.get("p95")
    return name in METRICS_PREFERRED and value is not None


def _detail(key: str, figures: dict[str, Any], metrics: dict[str, Any],
            metric: bool) -> str:
    if key != "latency_p95_s":
        return ""
    latency = figures.get("latency_s") or {}
    marks = _at_least(metrics) if metric else {}
    return (f"p50 {marks.get('p50', '')}{seconds(latency.get('p50'))} · "
            f"p99 {marks.get('p99', '')}{seconds(latency.get('p99'))}")


def _at_least(metrics: dict[str, Any]) -> dict[str, str]:
    """"≥ " for each metrics quantile that fell in the +Inf bucket: a lower bound."""
    flags = (metrics.get("latency_s") or {}).get("at_least") or {}
    return {q: "≥ " for q, flag in flags.items() if flag}


def origin_text(metric: bool, snapshot: Snapshot, key: str = "") -> str:
    """Where a figure comes from, for the panel's bottom border (`key`: the figure;
    counted ones may come from sampled traces)."""
    if not metric:
        source = "from traces" if snapshot.traces_only() else "from logs"
        name = "latency_s" if key.startswith("latency") else key
        if snapshot.logs is not None and name in COUNTED:
            source = TRACE_ORIGINS.get(snapshot.logs.basis, source)
        if snapshot.logs is not None and snapshot.reading is not None:
            return f"{source} · so far"  # the log is still being read: partial
        return source if snapshot.logs is not None else ""
    if (snapshot.metrics or {}).get("since_start"):
        return "from metrics, since start"
    return "from metrics"


# Sources a figure can come from.
FEEDS = ("file", "metrics", "prometheus", "otlp")


def nothing_understood(snapshot: Snapshot) -> bool:
    """Every source a figure could come from was read and understood nothing (a log of
    no events, a target of none of our metrics): a panel without a figure says "not
    understood", not "no traffic". One source understood is enough for "no data" to be
    the truth of the others' panels; while the backlog is read nothing is settled."""
    if snapshot.reading is not None:
        return False
    feeds = [source for source in snapshot.sources if source.get("kind") in FEEDS]
    return bool(feeds) and all(settled_not_understood(source) for source in feeds)


def nothing_read(snapshot: Snapshot) -> bool:
    """No source a figure could come from has been read yet (every log waiting or
    failing, every target down or not asked yet): no figure can say "no traffic", as
    `wftui check` then says no source could be read."""
    if snapshot.reading is not None:
        return False
    feeds = [source for source in snapshot.sources if source.get("kind") in FEEDS]
    return bool(feeds) and all(source.get("status") not in SETTLED for source in feeds)


def panel_views(snapshot: Snapshot, now: float,
                history: FigureHistory | None = None,
                marks: Mapping[str, tuple[str, ...]] | None = None
                ) -> list[tuple[str, PanelView]]:
    """Each panel's id and view, in dashboard order (`marks`: per threshold, its
    silence and acknowledgement in forms from longest to shortest)."""
    figures = snapshot.figures()
    states = {state.name: state for state in snapshot.thresholds}
    metrics = snapshot.metrics or {}
    stale = bool(metrics.get("stale"))
    latency = figures.get("latency_s") or {}
    unread = nothing_understood(snapshot)
    unreached = nothing_read(snapshot)
    views = []
    for panel_id, title, key, threshold_name in PANELS:
        value = latency.get("p95") if key == "latency_p95_s" else figures.get(key)
        state = states.get(threshold_name) if threshold_name else None
        metric = from_metrics(key, snapshot)
        quality = "no_data" if value is None else "ok"
        if metric and stale and value is not None:
            quality = "stale"
        text = figure_text(key, value)
        if key == "latency_p95_s" and metric and value is not None:
            text = _at_least(metrics).get("p95", "") + text
        if key == "error_rate" and value is None and metric \
                and metrics.get("statuses_not_understood"):
            text = "not understood"  # traffic, but no status word we know: see warnings
        elif value is None and unread:
            text = "not understood"  # see the source line and `m`
        elif value is None and unreached:
            text = "no source read"  # see the source lines: waiting, down, refused
        elif value is None and snapshot.reading is not None and not metric:
            # Nothing merged yet of a log being read: "no traffic" would be untrue.
            text = "reading…"
        view = PanelView(
            title=title, value=text, quality=quality,
            history=history, series_name=key, series_end=now,
            span_s=max(SPARK_SPAN_S, snapshot.window_s or 0.0),
            origin=origin_text(metric, snapshot, key) if value is not None else "",
        )
        if state is not None:
            view.state = state.state
            view.action = state.action
            view.threshold = (f"threshold > {threshold_figure(state.name, state.threshold)}"
                              + (f" for {span_text(state.for_s)}" if state.for_s else ""))
            view.series_threshold = state.threshold
            view.mark_forms = (marks or {}).get(state.name, ())
        elif threshold_name is not None and snapshot.reading is not None:
            # Partial figures judge nothing (`LiveMonitor.snapshot`): not off, waiting.
            view.threshold = "threshold judged once read"
        elif threshold_name is not None and snapshot.judging:
            # Read, being judged along the log's time: not off, about to be judged.
            view.threshold = "threshold being judged"
        elif threshold_name is not None:
            view.threshold = "threshold off"
        # A log still being read has no quantiles yet: "p50 no data" under "reading…"
        # would say there is none (as "no traffic" would).
        view.detail = _detail(key, figures, metrics, metric) if text != "reading…" else ""
        if not view.detail and value is not None and not metric \
                and view.origin.startswith(TRACE_ORIGINS[FROM_UNKNOWN_TRACES]):
            view.detail = UNKNOWN_NOTE
        if (metric and metrics.get("since_start") and value is not None
                and view.state == "no_data"):
            # One scrape so far: a total since the target started, which thresholds
            # do not judge. "no data" beside a number would read as a contradiction.
            view.state = None
            view.detail = " · ".join(filter(None, [view.detail, "judged from the next scrape"]))
        if key == "queue_depth" and value is None and snapshot.at is not None:
            # A past moment with no reading by then: said, never now's value or 0.
            view.value, view.detail = "no history", "no history for queue depth by then"
        views.append((panel_id, view))
    details = tuple(view.detail for _, view in views)
    for _, view in views:
        view.beside = details
    return views


def sparkline(values: list[float | None], threshold: float | None = None) -> Text:
    """Block characters scaled to the series' range (and the threshold, if close).

    Gaps (None) are dots; values above the threshold are drawn in the alert colour.
    """
    present = [v for v in values if v is not None]
    out = Text(no_wrap=True, end="")
    if not present:
        out.append(GAP * len(values), style="dim")
        return out
    low = min(0.0, min(present))
    high = max(present)
    if threshold is not None and high < threshold <= high * 1.5:
        high = threshold  # the line's distance to the threshold is worth seeing
    span = high - low or 1.0
    for value in values:
        if value is None:
            out.append(GAP, style="dim")
            continue
        level = int((value - low) / span * (len(BLOCKS) - 1) + 0.5)
        style = "bold red" if threshold is not None and value > threshold else "cyan"
        out.append(BLOCKS[max(0, min(level, len(BLOCKS) - 1))], style=style)
    return out


# The lines a panel needs for its detail on two lines: value, threshold, two of detail,
# the sparkline, and one for the runbook action.
WRAPPED_DETAIL_HEIGHT = 6


def panel_text(view: PanelView, width: int, height: int | None = None) -> Text:
    """One panel laid out for `width` cells: value and state, threshold, detail,
    sparkline, and the runbook action while it fires (the only text that wraps: the
    operator needs all of it; cut to `height` lines, it ends in …)."""
    width = max(width, 8)
    text = Text(no_wrap=True, end="")
    if view.quality == "no_data":
        text.append(view.value, style="italic dim")
    elif view.quality == "stale":
        text.append(view.value, style="bold strike dim")
        text.append("  STALE", style="bold magenta")
    else:
        text.append(view.value, style="bold")
    if view.state is not None and not (view.state == "no_data"
                                       and view.quality == "no_data"):
        label, style = STATE_LOOK.get(view.state, (view.state, ""))
        if cell_len(f"{text.plain}   {label}") <= width:
            text.append("  ")
            text.append(f" {label} ", style=style)
        else:
            # Narrow (100 columns: 16 cells): "159,000   PENDING" took a line of its own
            # for the state and pushed the threshold and sparkline below the
            # neighbours'. One space apart it fits; the label still says the state.
            text.append(" ")
            text.append(label, style=style)
    text.append("\n")
    threshold = view.threshold
    if cell_len(threshold) > width and threshold.startswith("threshold "):
        threshold = threshold[len("threshold "):]  # a narrow terminal: keep the value
    if cell_len(threshold) > width and " for " in threshold:
        # Narrower still (80 columns: 12 cells): the value, not the `for`. Wrapped onto
        # a second line, it pushed this panel's sparkline below its neighbours'.
        threshold = threshold.partition(" for ")[0]
    text.append(clip(threshold, width), style="dim")
    text.append("\n")
    mark = mark_text(view.mark_forms, width)
    detail = view.detail
    level = False
    if _splits(detail, width, height):
        # Narrow (100 columns: 16 cells): "p50 2.40s · p99 2.90s" would lose its p99 to
        # "…"; the panel has the room for it on a line of its own (one less for the
        # runbook action below).
        first, _, rest = detail.partition(" · ")
        text.append(plain(clip(first, width), "dim"))
        text.append("\n")
        detail = rest
        if height is not None:
            height -= 1
    elif (any(_splits(other, width, height) for other in view.beside)
          and not (view.state == "firing" and view.action)):
        # A panel beside split its detail: a line left below this one's keeps the
        # sparklines level (not while firing: that line is the runbook action's).
        level = True
        if height is not None:
            height -= 1
    if detail or not mark:
        text.append(plain(clip(detail, width) or " ", "dim"))  # one line, whatever the width
        text.append("\n")
    if mark:  # on the detail line when there is no detail: the panel keeps its height
        text.append(plain(mark, "yellow"))
        text.append("\n")
        if view.detail and height is not None:
            height -= 1
    if level:
        text.append(" \n")
    label = f" {'last ' if width >= 24 else ''}{window_label(view.span_s)}"
    points = max(width - len(label), 4)
    series: list[float | None] = [None] * points
    if view.history is not None:
        series = view.history.series(view.series_name, view.series_end, view.span_s, points)
    text.append(sparkline(series, view.series_threshold))
    text.append(label, style="dim")
    if view.state == "firing" and view.action:
        for index, line in enumerate(_action_lines(safe(view.action), width, height)):
            text.append("\n")
            text.append("▶ " if index == 0 else "  ", style="bold red")
            text.append(line, style="bold red")
    return text


def _splits(detail: str, width: int, height: int | None) -> bool:
    """Whether a detail goes on two lines: too wide, in two parts, and room for both."""
    return (cell_len(detail) > width and " · " in detail
            and (height is None or height >= WRAPPED_DETAIL_HEIGHT))


def mark_text(forms: tuple[str, ...], width: int) -> str:
    """The longest of an alert's mark forms that fits `width` (the shortest, cut with
    …, when none does); "" without a mark."""
    if not forms:
        return ""
    return next((form for form in forms if cell_len(form) <= width), clip(forms[-1], width))


def _action_lines(action: str, width: int, height: int | None) -> list[str]:
    """The runbook action wrapped under "▶ " in the lines left below the sparkline
    (`height` - 4; None: as many as it takes); cut short, its last line ends in …."""
    # Not at hyphens: "Page on-" / "call" reads as a different instruction.
    lines = textwrap.wrap(action, max(width - 2, 4), break_on_hyphens=False) or [""]
    room = None if height is None else max(height - 4, 1)
    if room is not None and len(lines) > room:
        lines = lines[:room]
        lines[-1] = clip(lines[-1] + " " + ELLIPSIS, max(width - 2, 4))
        if not lines[-1].endswith(ELLIPSIS):
            lines[-1] = lines[-1][:-1] + ELLIPSIS
    return lines
