"""One dashboard panel: a figure's value, its threshold, and a sparkline of its past."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

from wftui.core.format import window as window_label
from wftui.ui.history import FigureHistory
from wftui.ui.text import plain
from wftui.ui.widgets.quiet_static import QuietStatic

BLOCKS = "▁▂▃▄▅▆▇█"
GAP = "·"  # a slice with no data: visibly not a zero


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


@dataclass
class PanelView:
    """What a panel shows, worked out by the app from one snapshot."""

    title: str
    value: str  # already formatted ("no data", "stale" handled by `quality`)
    quality: str = "ok"  # ok | no_data | stale | paused
    state: str | None = None  # threshold state: ok | pending | firing | no_data | None
    threshold: str = "no threshold"
    action: str | None = None
    detail: str = ""  # a second line: p50/p99, "≥ bound", "since start"...
    history: FigureHistory | None = None
    series_name: str = ""
    series_end: float = 0.0
    span_s: float = 600.0
    series_threshold: float | None = None


STATE_LOOK = {
    "ok": ("ok", "green"),
    "pending": ("PENDING", "bold yellow"),
    "firing": ("FIRING", "bold white on red"),
    "no_data": ("no data", "dim"),
}


class FigurePanel(QuietStatic):
    """A bordered panel; `show(view)` replaces what it displays."""

    DEFAULT_CSS = """
    FigurePanel { height: auto; min-height: 6; border: round $primary-darken-1;
                  padding: 0 1; }
    FigurePanel.-pending { border: heavy $warning; }
    FigurePanel.-firing { border: heavy $error; }
    """

    def __init__(self, title: str, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.border_title = title
        self.view: PanelView | None = None

    def show(self, view: PanelView) -> None:
        """Display a new view (the border marks pending and firing)."""
        self.view = view
        self.set_class(view.state == "pending", "-pending")
        self.set_class(view.state == "firing", "-firing")
        self.show_text(self._render_view(view))

    def _render_view(self, view: PanelView) -> Text:
        width = max(self.content_size.width, 8)
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
            text.append("  ")
            text.append(f" {label} ", style=style)
        text.append("\n")
        threshold = view.threshold
        if len(threshold) > width and threshold.startswith("threshold "):
            threshold = threshold[len("threshold "):]  # a narrow terminal: keep the value
        text.append(threshold, style="dim")
        text.append("\n")
        text.append(plain(view.detail or " ", "dim"))
        text.append("\n")
        label = f" {'last ' if width >= 24 else ''}{window_label(view.span_s)}"
        points = max(width - len(label), 4)
        series = (view.history.series(view.series_name, view.series_end, view.span_s, points)
                  if view.history is not None else [None] * points)
        text.append(sparkline(series, view.series_threshold))
        text.append(label, style="dim")
        if view.state == "firing" and view.action:
            text.append("\n")
            text.append("▶ ", style="bold red")
            text.append(plain(view.action, "bold red"))
        return text

    def on_resize(self) -> None:
        if self.view is not None:
            self.show_text(self._render_view(self.view))
