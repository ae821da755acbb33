"""The alerts list: every firing episode with when it fired, cleared, and its peak."""

from __future__ import annotations

from rich.text import Text

from wftui.core.format import clock, seconds, threshold_figure
from wftui.core.thresholds import Alert
from wftui.ui.widgets.quiet_static import QuietStatic
from wftui.view.text import plain


def alerts_text(alerts: tuple[Alert, ...], limit: int = 50) -> Text:
    """Newest first; a still-firing one says so instead of a clear time."""
    text = Text(no_wrap=True, end="")
    if not alerts:
        text.append("no alerts so far", style="dim")
        return text
    for index, alert in enumerate(alerts[:limit]):
        if index:
            text.append("\n")
        cleared = alert.cleared_at
        firing = cleared is None
        text.append("● " if firing else "○ ", style="bold red" if firing else "dim")
        text.append(plain(alert.name, "bold" if firing else ""))
        text.append(f"  fired {clock(alert.fired_at)}")
        if cleared is None:
            text.append("  FIRING", style="bold red")
        else:
            text.append(f"  cleared {clock(cleared)}"
                        f" ({seconds(cleared - alert.fired_at)})", style="dim")
        text.append(f"  peak {threshold_figure(alert.name, alert.peak)}")
    return text


class AlertsList(QuietStatic):
    """A panel listing alert history (newest first)."""

    DEFAULT_CSS = """
    AlertsList { height: auto; max-height: 8; border: round $primary-darken-1;
                 padding: 0 1; }
    """

    def on_mount(self) -> None:
        self.border_title = "Alerts"

    def show(self, alerts: tuple[Alert, ...]) -> None:
        self.show_text(alerts_text(alerts))
