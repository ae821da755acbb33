"""The app's moves over the log's time: the time keys, the history view, and an
execution opened at the moment shown (mixed into `WftuiApp`).

The app keeps only the moment chosen (`travel_at`, None for now); what the dashboard
shows at that moment (figures, alerts, the executions as they stood then) is computed
in the worker thread (`compute_refresh`, `wftui.core.travel`), and where a key leads
by `wftui.view.timeline.travel`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wftui.ui.mixin_base import AppMixinBase
from wftui.view.timeline import travel

if TYPE_CHECKING:
    from wftui.live import LiveMonitor
    from wftui.view.refresh import Refresh


class TimeTravel(AppMixinBase):
    """Time keys and history for the app (its `latest` refresh, its `monitor`)."""

    travel_at: float | None  # the past moment of the log shown (None: now)
    latest: Refresh | None
    monitor: LiveMonitor

    if TYPE_CHECKING:
        def _request(self) -> None: ...

    def action_travel(self, where: str) -> None:
        """Move the moment shown over the log: back / forward a window, to the start,
        to the moment the newest alert (before the one shown) fired, or back to now."""
        latest = self.latest
        span = latest.travel_span if latest is not None else None
        if where == "live" or span is None:
            if where != "live":
                self.notify("the log is still being read: its history comes once it is"
                            if self.monitor.tailer is not None else
                            "moving through time needs a log file: metrics have no past "
                            "here", markup=False)
            self.travel_at = None
        else:
            # now: every alert; at a past moment: those fired by then
            alerts = latest.snapshot.alerts if latest is not None else ()
            before = self.travel_at
            self.travel_at = travel(where, self.travel_at, start=span[0], end=span[1],
                                    window_s=self.monitor.window_s, alerts=alerts)
            if where == "alert" and not alerts:
                self.notify("no alert has fired in this log", markup=False)
            elif where == "alert" and before is not None and self.travel_at == before:
                # At the first alert the log holds: the key would do nothing, unsaid.
                self.notify("no alert fired before this one: it is the log's first "
                            "(} or l: back to the end)", markup=False)
        self.refresh_bindings()  # `l Live` is shown only at a past moment
        self._request()

    def action_history(self) -> None:
        """Chart each figure over the log's own time (textual-plotext)."""
        from wftui.ui.screens.history import HistoryScreen

        if isinstance(self.screen, HistoryScreen):
            return
        screen = HistoryScreen(self.monitor.window_s).data_bind(
            refresh_shown=type(self).shown)  # type: ignore[attr-defined]
        self.push_screen(screen)
