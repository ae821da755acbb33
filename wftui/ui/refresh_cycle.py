"""The app's refresh loop (mixed into `WftuiApp`): when to take a snapshot, and handing
it down to the screens.

Sources are read by `LiveMonitor` in its own thread, which wakes the app (one posted
message, however many lines) when something new was read. The app then takes a
snapshot in a worker thread (`compute_refresh`), at most 10 times a second (twice while
the backlog is read; less when snapshots or showing them get expensive), and hands it
down: the screens' reactives are bound to the app's (`dashboard`, `shown`,
`data_version`), so setting them redraws whatever is open. With nothing new, a slow
timer still refreshes every few seconds so the window slides. Nothing is done per log
line.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.message import Message

from wftui.core.history import figure_values
from wftui.ui.crash import crash_report
from wftui.ui.mixin_base import AppMixinBase
from wftui.ui.workers import run_async
from wftui.view.dashboard import Dashboard, dashboard
from wftui.view.notices import transition_notice
from wftui.view.refresh import Refresh, compute_refresh
from wftui.view.text import safe

if TYPE_CHECKING:
    from wftui.config import Settings
    from wftui.live import LiveMonitor
    from wftui.ui.alert_control import AlertControl
    from wftui.ui.config_reload import ConfigReloader
    from wftui.view.history import FigureHistory
    from wftui.view.live_rows import LiveRows
    from wftui.view.rows import TableQuery

MIN_GAP_S = 0.1  # snapshots happen at most this often (10 Hz)
# ... and while the backlog is read, at most twice a second: each one holds the
# interpreter lock (and the ledger's) that the reading thread needs to merge its parts.
READING_GAP_S = 0.5
# ... and the UI thread spends at most about a tenth of its time showing refreshes
# (each redraws panels and table: 20-40 ms of its CPU, twice that in wall time while
# the reading threads hold the interpreter lock): a key pressed meanwhile waits for the
# frame to end. A show's cost is the UI thread's CPU time (wall time also counts the
# moments another process had the core), the lesser of the last two: a whole-screen
# paint (the first, a screen opened: 100 ms and more) must not hold back the next.
SHOW_SHARE = 10.0
TICK_S = 1.0  # the idle timer: window sliding and config checks (new data wakes us up)
SLIDE_S = 5.0  # with nothing new, refresh this often anyway: the window slides
SLIDE_MAX_S = 15.0
CONFIG_CHECK_S = 2.0


class RefreshCycle(AppMixinBase):
    """The refresh loop of the app (its `monitor`, `alerts`, `history` and the reactives
    the screens are bound to)."""

    settings: Settings
    monitor: LiveMonitor
    alerts: AlertControl
    history: FigureHistory
    table_query: TableQuery
    travel_at: float | None
    paused: bool
    config_error: str | None
    refresh_error: str | None
    latest: Refresh | None
    refreshes: int
    _rows: LiveRows
    _config: ConfigReloader
    _config_checked: float
    _monitor_pending: bool
    clock: Callable[[], float]
    if TYPE_CHECKING:  # the app's reactives (`WftuiApp`)
        dashboard: Dashboard | None
        shown: Refresh | None
        data_version: int

        def crash(self, error: BaseException) -> None: ...
        def _start_monitor(self) -> None: ...

    def _init_refresh_cycle(self) -> None:
        """The loop's own state, before the first tick."""
        self._busy = False
        self._dirty = True  # the operator changed something: refresh at the next tick
        self._wake_pending = False
        self._timer_pending = False
        self._last_refresh = 0.0
        self._show_s = 0.0  # showing a refresh costs this (see SHOW_SHARE)
        self._last_show_s = 0.0  # the last one's cost
        self._last_version = -1

    class DataArrived(Message):
        """The reader thread read something new (posted at most once until handled)."""

    def _changed_in_reader_thread(self) -> None:
        """LiveMonitor's reader thread read something: wake the UI loop (once)."""
        if self._wake_pending:
            return
        self._wake_pending = True
        self.post_message(self.DataArrived())  # thread-safe, unlike most of Textual

    def _alertmanager_changed(self) -> None:
        """Alertmanager went down or came back (pusher's thread): show it at once."""
        self._dirty = True  # the ledger did not change: refresh anyway
        self._changed_in_reader_thread()

    def on_refresh_cycle_data_arrived(self, _message: DataArrived) -> None:
        self._wake_pending = False
        self._tick()

    def _request(self) -> None:
        """The operator changed what to show: refresh now (or right after the current)."""
        self._dirty = True
        self._tick()

    def _tick(self) -> None:
        wall = time.monotonic()
        if wall - self._config_checked >= CONFIG_CHECK_S:
            self._config_checked = wall
            self._config.check()
        if self._busy:
            return  # _refresh ticks again when it is done
        since = wall - self._last_refresh
        took = self.latest.took_s if self.latest is not None else 0.0
        # While the backlog is read, the progress line moves even when the ledger does
        # not (forked readers count lines long before their parts are merged).
        changed = self.monitor.version != self._last_version or self.monitor.reading
        # Big ledgers make snapshots slower: keep them to a fraction of a core while
        # data flows, and to about 1% of a core while it does not.
        busy_gap = max(READING_GAP_S if self.monitor.reading else MIN_GAP_S, 3.0 * took,
                       SHOW_SHARE * self._show_s)
        idle_gap = min(max(SLIDE_S, 100.0 * took), SLIDE_MAX_S)
        # The end of the first read is shown at once (`following`, the whole log's
        # figures), not a gap after the last progress shown.
        read_now = (self.latest is not None and self.latest.snapshot.reading is not None
                    and not self.monitor.reading)
        if (self._dirty or read_now or (changed and since >= busy_gap)
                or since >= idle_gap):
            self._dirty = False
            self._busy = True
            self._last_refresh = wall
            run_async(self, self._refresh, group="refresh", exit_on_error=False)
        elif changed and not self._timer_pending:
            self._timer_pending = True
            self.set_timer(busy_gap - since, self._timer_due)

    def _timer_due(self) -> None:
        self._timer_pending = False
        self._tick()

    async def _refresh(self) -> None:
        try:
            refresh = await asyncio.to_thread(self._compute, self.table_query)
        except Exception as error:  # noqa: BLE001 - said on screen; the UI keeps going
            self._refresh_failed(error)
            return
        finally:
            self._busy = False
            if self._monitor_pending:  # the first refresh: reading starts once drawn
                self.call_after_refresh(self._start_monitor)
        self.refresh_error = None
        shown = time.thread_time()
        try:
            self._apply(refresh)
        except Exception as error:  # noqa: BLE001 - a bug in drawing: one line and a file
            self.crash(error)
            return
        self.call_after_refresh(self._shown_at, shown)
        self._tick()  # more arrived while computing, or the operator asked for more

    def _shown_at(self, started: float) -> None:
        """The frame showing a refresh is drawn: what showing it cost (see SHOW_SHARE)."""
        cost = time.thread_time() - started
        self._show_s, self._last_show_s = min(cost, self._last_show_s), cost

    def _compute(self, query: TableQuery) -> Refresh:
        """Worker thread: snapshot, rows, filter and sort; then silences read and
        Alertmanager told (`AlertDesk.judge`)."""
        refresh = compute_refresh(self.monitor, self._rows, query, self.clock(),
                                  self.travel_at)
        if refresh.snapshot.at is None:  # a past moment is shown, not judged again
            self.alerts.judge(refresh.snapshot.thresholds)
        return refresh

    def _refresh_failed(self, error: Exception) -> None:
        """A snapshot failed (a bug, or data the core chokes on): one line, not a crash.

        The next refresh tries again; the message is shown once until it changes.
        """
        message = f"refresh failed: {type(error).__name__}: {safe(error)}"
        if message != self.refresh_error:
            self.refresh_error = message
            where = crash_report(error)
            self.notify(message + (f" (details in {where})" if where else ""),
                        title="wftui", severity="error", timeout=15, markup=False)

    def _apply(self, refresh: Refresh) -> None:
        self.latest = refresh
        if refresh.snapshot.at is None:  # a past moment is not a sample of now
            self.history.add(refresh.now, figure_values(refresh.snapshot.figures()))
        # An old log's changes (judged along it) say when they happened in it; a live
        # log's are news.
        clock = refresh.snapshot.clock
        old_log = refresh.now if clock is not None and not clock.live else None
        for transition in refresh.snapshot.transitions:
            notice = self.alerts.notice(transition, transition_notice(transition, old_log))
            if notice is not None:
                self.notify(notice.message, title=notice.title, severity=notice.severity,
                            timeout=notice.timeout, markup=False)
        self.alerts.tell_problems()
        read_shown = self.monitor.read_shown
        whole_log = read_shown is not None and refresh.snapshot.reading is None
        if self.paused:
            if whole_log:  # it would be on screen, unpaused: judging may begin
                read_shown.set()  # type: ignore[union-attr]
            return  # the display stays as it was; figures and alerts are still kept
        self._show(refresh)
        if whole_log:
            # The whole log is on screen once this frame is drawn: judging may begin
            # then, not while it is drawn (its thread would share the interpreter lock
            # with the drawing of the first whole screen).
            self.call_after_refresh(read_shown.set)  # type: ignore[union-attr]

    def _show(self, refresh: Refresh) -> None:
        """Hand a refresh down: every open screen bound to these redraws."""
        self.dashboard = dashboard(refresh, window_s=self.monitor.window_s,
                                   paused=self.paused, config_error=self.config_error,
                                   history=self.history,
                                   # spans name executions too: the table lists them
                                   reads_logs=self.monitor.tailer is not None
                                   or self.monitor.otlp is not None,
                                   refused=len(self.settings.refused),
                                   alerts=self.alerts.shown(),
                                   alert_status=self.alerts.status_text())
        self.shown = refresh
        self._last_version = refresh.version
        self.data_version = refresh.version
        self.refreshes += 1
