"""The app's moves over the log's time: the time keys, the history view, and an
execution opened at the moment shown (mixed into `WftuiApp`).

The app keeps only the moment chosen (`travel_at`, None for now); what the dashboard
shows at that moment (figures, alerts, the executions as they stood then) is computed
in the worker thread (`compute_refresh`, `wftui.core.travel`), and where a key leads
by `wftui.view.timeline.travel`.
"""

from __future__ import annotations

import contextlib
from functools import partial
from typing import TYPE_CHECKING

from wftui.ui.mixin_base import AppMixinBase
from wftui.view.timeline import alert_moments, hhmm, no_travel_note, travel

if TYPE_CHECKING:
    from wftui.core.thresholds import Alert
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
                self.notify(no_travel_note(latest, self.monitor.tailer is not None),
                            markup=False)
            self.travel_at = None
        elif where == "alert" and self.travel_at is None:
            # From now: the alerts as the log's own time has them (a past moment is
            # judged that way; a live alert may have fired a little earlier or later,
            # and its moment would show it pending). Judging the whole log takes a
            # while on a big one: in a thread.
            live = latest.snapshot.alerts if latest is not None else ()
            self.run_worker(partial(self._to_alert, live, span), thread=True,
                            group="travel", exclusive=True, exit_on_error=False)
            return
        else:
            # at a past moment: the alerts judged along the log up to it
            self._move(where, span, latest.snapshot.alerts if latest is not None else ())
        self.refresh_bindings()  # `l Live` is shown only at a past moment
        self._request()

    def _to_alert(self, live: tuple[Alert, ...], span: tuple[float, float]) -> None:
        """Worker thread: the alert key from now, once the log's alerts are known."""
        alerts = alert_moments(live, self.monitor.history.log_alerts(),
                               self.monitor.settings.window_s)
        with contextlib.suppress(RuntimeError):  # the app is closing
            self.call_from_thread(self._moved_to_alert, alerts, span)

    def _moved_to_alert(self, alerts: tuple[Alert, ...], span: tuple[float, float]) -> None:
        self._move("alert", span, alerts)
        self.refresh_bindings()
        self._request()

    def _move(self, where: str, span: tuple[float, float], alerts: tuple[Alert, ...]) -> None:
        before = self.travel_at
        self.travel_at = travel(where, self.travel_at, start=span[0], end=span[1],
                                window_s=self.monitor.window_s, alerts=alerts)
        if where == "alert" and not alerts and before is not None:
            # At a past moment the alerts are those fired by then: later ones may
            # exist, so "none in this log" would be false.
            self.notify(f"no alert had fired by {hhmm(before)} (}} or l: back to the end)",
                        markup=False)
        elif where == "alert" and not alerts:
            self.notify("no alert has fired in this log", markup=False)
        elif where == "alert" and before is not None and self.travel_at == before:
            # At the first alert the log holds: the key would do nothing, unsaid.
            self.notify("no alert fired before this one: it is the log's first "
                        "(} or l: back to the end)", markup=False)

    def action_history(self) -> None:
        """Chart each figure over the log's own time (textual-plotext)."""
        from wftui.ui.screens.history import HistoryScreen

        if isinstance(self.screen, HistoryScreen):
            return
        screen = HistoryScreen(self.monitor.window_s).data_bind(
            refresh_shown=type(self).shown)  # type: ignore[attr-defined]
        self.push_screen(screen)
