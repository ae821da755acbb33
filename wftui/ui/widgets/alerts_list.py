"""The alerts list: every firing episode with when it fired, cleared, and its peak."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual.binding import Binding
from textual.message import Message

from wftui.core.format import dated_clock, seconds, threshold_figure
from wftui.core.thresholds import Alert
from wftui.ui.widgets.quiet_static import QuietStatic
from wftui.view.text import plain


def alerts_text(alerts: tuple[Alert, ...], limit: int = 50,
                selected: int | None = None, marks: Mapping[str, str] | None = None,
                now: float | None = None) -> Text:
    """Newest first; a still-firing one says so instead of a clear time, and its silence
    or acknowledgement (`marks`, per alert name). The line at `selected` (the list has
    focus) is drawn reversed and marked with `›`. A time not of `now`'s day (the log's
    end; live: today) has its date."""
    text = Text(no_wrap=True, end="")
    if not alerts:
        text.append("no alerts so far", style="dim")
        return text
    for index, alert in enumerate(alerts[:limit]):
        if index:
            text.append("\n")
        cleared = alert.cleared_at
        firing = cleared is None
        start = len(text)
        if selected is not None:  # unfocused, the lines look as they always did
            text.append("› " if index == selected else "  ")
        text.append("● " if firing else "○ ", style="bold red" if firing else "dim")
        text.append(plain(alert.name, "bold" if firing else ""))
        text.append(f"  fired {_when(alert.fired_at, alert.fired_within_s, now)}")
        if cleared is None:
            text.append("  FIRING", style="bold red")
            mark = (marks or {}).get(alert.name)
            if mark:
                text.append(" · ")
                text.append(plain(mark, "yellow"))
        else:
            text.append(f"  cleared {_when(cleared, alert.cleared_within_s, now)}"
                        f" ({seconds(cleared - alert.fired_at)})", style="dim")
        text.append(f"  peak {threshold_figure(alert.name, alert.peak)}")
        if index == selected:
            text.stylize("reverse", start, len(text))
    return text


def _when(moment: float, within_s: float | None, now: float | None) -> str:
    """A time of day (dated when not of `now`'s day); judged along an old log on a
    grid, how close it is (the crossing lies up to `within_s` before it)."""
    shown = dated_clock(moment, now)
    return shown if within_s is None else f"≈{shown}"


def alerts_title(alerts: tuple[Alert, ...]) -> str:
    """The list's border title; it says what ≈ means when a time is approximate."""
    step = max((w for a in alerts for w in (a.fired_within_s, a.cleared_within_s)
                if w is not None), default=None)
    if step is None:
        return "Alerts"
    return f"Alerts · ≈: judged along the log every {seconds(step)}, crossed up to that before"


class AlertsList(QuietStatic):
    """A panel listing alert history (newest first).

    Focused (tab, or a click), up/down select an alert; enter or x asks why, s silences
    it, a acknowledges it (`AlertAsked`, handled by the screen like a panel's keys).
    """

    DEFAULT_CSS = """
    AlertsList { height: auto; max-height: 8; border: round $primary-darken-1;
                 padding: 0 1; }
    AlertsList:focus { border-title-style: reverse; }
    """
    can_focus = True
    BINDINGS = [
        Binding("up", "move(-1)", "Previous alert", show=False),
        Binding("down", "move(1)", "Next alert", show=False),
        Binding("enter,x", "ask('why')", "Why",
                tooltip="on the alerts list (tab to it): why the selected alert fired"),
        Binding("s", "ask('silence')", "Silence",
                tooltip="on the alerts list: silence the selected alert"),
        Binding("a", "ask('acknowledge')", "Acknowledge",
                tooltip="on the alerts list: acknowledge the selected alert"),
    ]

    class AlertAsked(Message):
        """The operator asked about the selected alert: why, silence or acknowledge."""

        def __init__(self, name: str, action: str) -> None:
            super().__init__()
            self.alert_name = name  # the threshold's name, e.g. error_rate
            self.action = action

    alerts: tuple[Alert, ...] = ()
    marks: Mapping[str, str] = {}  # replaced on each show, never changed in place
    now: float | None = None  # the log's end (live: the wall clock): its day is not said
    selected = 0

    def on_mount(self) -> None:
        self.border_title = "Alerts"

    def show(self, alerts: tuple[Alert, ...], marks: Mapping[str, str] | None = None,
             now: float | None = None) -> None:
        """Display the alerts (`marks`: per alert, its silence and acknowledgement;
        `now`: the log's end, or the wall clock for a live log, whose day needs no
        date); the selection stays on the same alert when one is added
        on top (newest first), else within the list."""
        if self.alerts and alerts and self.selected < len(self.alerts):
            kept = self.alerts[self.selected]
            self.selected = next((i for i, a in enumerate(alerts)
                                  if (a.name, a.fired_at) == (kept.name, kept.fired_at)),
                                 self.selected)
        self.alerts = alerts
        self.border_title = alerts_title(alerts)
        self.marks = marks or {}
        self.now = now
        self.selected = max(0, min(self.selected, len(alerts) - 1))
        self._draw()

    def _draw(self) -> None:
        # Only a focused list shows its selection (unfocused, the keys act elsewhere).
        self.show_text(alerts_text(self.alerts,
                                   selected=self.selected if self.has_focus else None,
                                   marks=self.marks, now=self.now))

    def on_focus(self) -> None:
        self._draw()

    def on_blur(self) -> None:
        self._draw()

    def action_move(self, step: int) -> None:
        if self.alerts:
            self.selected = max(0, min(self.selected + step, min(len(self.alerts), 50) - 1))
            self._draw()

    def action_ask(self, action: str) -> None:
        if not self.alerts:
            self.notify("no alert to act on", severity="warning", markup=False)
            return
        self.post_message(self.AlertAsked(self.alerts[self.selected].name, action))
