"""The Textual app: owns the refresh loop, the figure history and the operator's choices.

Sources are read by `LiveMonitor` in its own thread, which wakes the app (one posted
message, however many lines) when something new was read. The app then takes a
snapshot in a worker thread, at most 10 times a second (less when snapshots get
expensive), and pushes it down to the screens; with nothing new, a slow timer still
refreshes every few seconds so the window slides. Nothing is done per log line.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from rich.text import Text
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen

from wftui.config import WINDOWS, ConfigError, Settings, load_settings
from wftui.core.format import threshold_figure, window
from wftui.core.snapshot import Snapshot
from wftui.live import LiveMonitor
from wftui.ui.crash import crash_report
from wftui.ui.palette import palette_commands
from wftui.ui.screens.execution import ExecutionScreen
from wftui.ui.screens.help import HelpScreen
from wftui.ui.screens.malformed import MalformedScreen
from wftui.ui.screens.monitor import MonitorScreen
from wftui.view.history import FigureHistory, figure_values
from wftui.view.refresh import Refresh, compute_refresh
from wftui.view.rows import COLUMNS, STATUS_FILTERS, RowCache, TableQuery
from wftui.view.status import status_text
from wftui.view.text import safe

MIN_GAP_S = 0.1  # snapshots happen at most this often (10 Hz)
TICK_S = 1.0  # the idle timer: window sliding and config checks (new data wakes us up)
SLIDE_S = 5.0  # with nothing new, refresh this often anyway: the window slides
SLIDE_MAX_S = 15.0
CONFIG_CHECK_S = 2.0
SORTS = tuple(COLUMNS)


class DemoControl(Protocol):
    """What `wftui demo` lets the app do to the demo service."""

    incidents: dict[str, str]  # name -> description

    def switch(self, name: str) -> str:
        """Switch the incident; returns a one-line outcome (raises OSError on failure)."""
        ...


class WftuiApp(App[int]):
    """The live monitor."""

    CSS_PATH = "app.tcss"
    TITLE = "wftui"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        # An operator's reflex in a terminal; Textual's default only says to use ctrl+q.
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("question_mark", "help", "Help"),
        Binding("p", "pause", "Pause"),
        Binding("m", "malformed", "Malformed"),
        Binding("i", "incident", "Incident"),
    ]

    def __init__(self, settings: Settings, monitor: LiveMonitor, *,
                 clock: Callable[[], float] = time.time, demo: DemoControl | None = None,
                 start_monitor: bool = True, export_dir: Path | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.monitor = monitor
        self.clock = clock
        self.demo = demo
        self.start_monitor = start_monitor
        self.export_dir = export_dir or Path.cwd()
        self.history = FigureHistory()
        self.table_query = TableQuery()
        self.paused = False
        self.config_error: str | None = None
        self.refresh_error: str | None = None  # the last refresh failed: why
        self.latest: Refresh | None = None
        self._shown: Refresh | None = None  # what is on screen (frozen while paused)
        self._wftui_error: str | None = None  # an unexpected error, as one line
        self.refreshes = 0  # how many refreshes were shown (tests wait on it)
        self._cache = RowCache()
        self._busy = False
        self._dirty = True  # the operator changed something: refresh at the next tick
        self._wake_pending = False
        self._timer_pending = False
        self._last_refresh = 0.0
        self._last_version = -1
        self._config_mtime = self._mtime(settings.config_path)
        self._config_checked = time.monotonic()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The incident key exists only in `wftui demo`."""
        return not (action == "incident" and self.demo is None)

    # -- start and stop --------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        """The dashboard is the app's base screen: App.query() and Textual's actions
        (focus, ...) work on it, and every other view is pushed over it."""
        return MonitorScreen()

    def on_mount(self) -> None:
        if self.start_monitor:
            self.monitor.start()
        if self.demo is not None:
            self.notify("Demo: press i to switch on an incident and watch a threshold go "
                        "pending, fire, and clear. ? lists every key.", title="wftui demo",
                        timeout=12, markup=False)
        if not self.is_headless:
            self._exit_on_signals()
        # New data wakes the app up (no polling at 10 Hz while nothing happens).
        self.monitor.on_change = self._changed_in_reader_thread
        self.set_interval(TICK_S, self._tick)
        self._tick()

    def _exit_on_signals(self) -> None:
        """SIGTERM / SIGHUP end the app cleanly: the terminal is restored and whoever
        started it (`wftui demo`) gets to clean up after `run()` returns."""
        loop = asyncio.get_running_loop()
        for name in ("SIGTERM", "SIGHUP"):
            number = getattr(signal, name, None)
            if number is not None:
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.add_signal_handler(number, self.exit)

    def on_unmount(self) -> None:
        self.monitor.on_change = None
        if self.start_monitor:
            self.monitor.stop()

    def _handle_exception(self, error: Exception) -> None:
        """An unexpected error ends the app with one line (the CLI prints it) and the
        traceback in a file, instead of Textual's full-screen traceback dump."""
        if os.environ.get("WFTUI_DEBUG"):
            super()._handle_exception(error)
            return
        if self._wftui_error is None:
            where = crash_report(error)
            self._wftui_error = (f"{type(error).__name__}: {safe(error)}"
                                 + (f" (details in {where})" if where else ""))
        self._return_code = 1
        if self._exception is None:  # what run_test re-raises for the test framework
            self._exception = error
            self._exception_event.set()
        self._close_messages_no_wait()

    # -- the refresh loop ------------------------------------------------------------

    class DataArrived(Message):
        """The reader thread read something new (posted at most once until handled)."""

    def _changed_in_reader_thread(self) -> None:
        """LiveMonitor's reader thread read something: wake the UI loop (once)."""
        if self._wake_pending:
            return
        self._wake_pending = True
        self.post_message(self.DataArrived())  # thread-safe, unlike most of Textual

    def on_wftui_app_data_arrived(self, _message: DataArrived) -> None:
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
            self._check_config()
        if self._busy:
            return  # _refresh ticks again when it is done
        since = wall - self._last_refresh
        took = self.latest.took_s if self.latest is not None else 0.0
        changed = self.monitor.version != self._last_version
        # Big ledgers make snapshots slower: keep them to a fraction of a core while
        # data flows, and to about 1% of a core while it does not.
        busy_gap = max(MIN_GAP_S, 3.0 * took)
        idle_gap = min(max(SLIDE_S, 100.0 * took), SLIDE_MAX_S)
        if self._dirty or (changed and since >= busy_gap) or since >= idle_gap:
            self._dirty = False
            self._busy = True
            self._last_refresh = wall
            self.run_worker(self._refresh(), group="refresh", exit_on_error=False)
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
        self.refresh_error = None
        self._apply(refresh)
        self._tick()  # more arrived while computing, or the operator asked for more

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

    def _compute(self, query: TableQuery) -> Refresh:
        """Worker thread: snapshot, rows (cached), filter and sort."""
        return compute_refresh(self.monitor, self._cache, query, self.clock())

    def _apply(self, refresh: Refresh) -> None:
        self.latest = refresh
        self.history.add(refresh.now, figure_values(refresh.snapshot.figures()))
        for transition in refresh.snapshot.transitions:
            self._announce(transition)
        changed = refresh.version != self._last_version
        self._last_version = refresh.version
        if self.paused:
            return  # the display stays as it was; figures and alerts are still kept
        self._show(refresh, changed)

    def _show(self, refresh: Refresh, changed: bool) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, MonitorScreen):
                screen.show(refresh)
            elif isinstance(screen, MalformedScreen):
                screen.show(refresh.snapshot.recent_malformed, refresh.snapshot.malformed_total)
            elif isinstance(screen, ExecutionScreen) and changed:
                screen.monitor_changed()
        self._shown = refresh
        self.refreshes += 1

    def _announce(self, transition: Any) -> None:
        """A threshold changed state: a notification (the text is made safe)."""
        name, after = safe(transition.name), transition.after
        value = threshold_figure(transition.name, transition.value)
        limit = threshold_figure(transition.name, transition.threshold)
        if after == "firing":
            self.notify(f"{name} FIRING: {value} > {limit}. {safe(transition.action)}",
                        title="Threshold firing", severity="error", timeout=15, markup=False)
        elif after == "pending":
            self.notify(f"{name} pending: {value} > {limit}", title="Threshold pending",
                        severity="warning", markup=False)
        elif transition.before == "firing":
            self.notify(f"{name} cleared: now {value}", title="Threshold cleared",
                        markup=False)

    def status_line(self, snapshot: Snapshot) -> Text:
        """window, pause, window fallback, config errors and source warnings."""
        return status_text(snapshot, self.monitor.window_s, self.paused, self.config_error)

    # -- config reload ---------------------------------------------------------------

    @staticmethod
    def _mtime(path: Path | None) -> float | None:
        if path is None:
            return None
        try:
            return os.stat(path).st_mtime_ns
        except OSError:
            return None

    def _check_config(self) -> None:
        path = self.settings.config_path
        mtime = self._mtime(path)
        if path is None or mtime == self._config_mtime:
            return
        self._config_mtime = mtime
        self.reload_config()

    def reload_config(self) -> None:
        """Re-read the config file; a bad one is shown and the old settings kept."""
        old = self.settings
        try:
            new = load_settings(str(old.config_path))
        except ConfigError as error:
            self.config_error = str(error)
            self.notify(f"config not reloaded: {safe(error)}", title="Config",
                        severity="error", timeout=10, markup=False)
            self._request()
            return
        sections = dict(new.sections)
        if "replay" not in sections and old.section("replay"):
            sections["replay"] = old.section("replay")  # e.g. set by `wftui demo`
        self.settings = replace(old, thresholds=new.thresholds, sections=sections)
        self.monitor.set_settings(self.settings)
        self.config_error = None
        self.notify("config reloaded: thresholds updated", title="Config", markup=False)
        self._request()

    # -- actions -----------------------------------------------------------------------

    def set_filter_text(self, value: str) -> None:
        self.table_query = replace(self.table_query, text=value)
        self._request()

    def open_execution(self, execution_id: str) -> None:
        self.push_screen(ExecutionScreen(execution_id))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_malformed(self) -> None:
        if isinstance(self.screen, MalformedScreen):
            return
        screen = MalformedScreen()
        self.push_screen(screen)
        if self.latest is not None:
            snap = self.latest.snapshot
            screen.show(snap.recent_malformed, snap.malformed_total)

    def action_pause(self) -> None:
        self.paused = not self.paused
        self.notify("display paused: reading continues" if self.paused
                    else "display resumed", markup=False)
        shown = self._shown if self.paused else self.latest
        if shown is not None:
            self._show(shown, False)  # redraws the status line with or without PAUSED
        self._request()

    def action_filter(self) -> None:
        if isinstance(self.screen, MonitorScreen):
            self.screen.open_filter()

    def action_status_filter(self, status: str | None = None) -> None:
        if status is None:
            index = STATUS_FILTERS.index(self.table_query.status)
            status = STATUS_FILTERS[(index + 1) % len(STATUS_FILTERS)]
        self.table_query = replace(self.table_query, status=status)
        self._request()

    def action_sort(self, column: str | None = None) -> None:
        if column is None:
            column = SORTS[(SORTS.index(self.table_query.sort) + 1) % len(SORTS)]
        self.table_query = replace(self.table_query, sort=column, descending=True)
        self._request()

    def sort_by_column(self, column: str) -> None:
        """A click on a column heading: sort by it, or reverse when it is the sort."""
        if column == self.table_query.sort:
            self.action_reverse_sort()
        else:
            self.action_sort(column)

    def action_reverse_sort(self) -> None:
        query = self.table_query
        self.table_query = replace(query, descending=not query.descending)
        self._request()

    def action_next_window(self) -> None:
        sizes = list(WINDOWS.values())
        current = self.monitor.window_s
        index = sizes.index(current) if current in sizes else 0
        self.action_window(sizes[(index + 1) % len(sizes)])

    def action_window(self, size: float | None) -> None:
        self.monitor.window_s = size
        self.notify(f"window: {window(size)}", markup=False)
        self._request()

    def action_audit(self) -> None:
        try:
            from wftui.ui.screens.audit import AuditScreen
        except ImportError as error:
            self.notify(f"the replay audit log is not available in this build "
                        f"({safe(error)})", severity="warning", markup=False)
            return
        self.push_screen(AuditScreen())

    def action_incident(self, name: str | None = None) -> None:
        if self.demo is None:
            self.notify("incidents can be switched only in `wftui demo`", markup=False)
            return
        if name is None:
            from wftui.ui.screens.incident import IncidentScreen

            self.push_screen(IncidentScreen(self.demo.incidents), self._switch_incident)
            return
        self._switch_incident(name)

    def _switch_incident(self, name: str | None) -> None:
        if not name or self.demo is None:
            return
        demo = self.demo

        async def switch() -> None:
            try:
                outcome = await asyncio.to_thread(demo.switch, name)
            except OSError as error:
                self.notify(f"could not switch the incident: {safe(error)}",
                            severity="error", markup=False)
                return
            self.notify(safe(outcome), title="Demo incident", timeout=10, markup=False)

        self.run_worker(switch(), group="incident", exit_on_error=False)

    # -- command palette ---------------------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from palette_commands(self, screen)


def make_app(settings: Settings, monitor: LiveMonitor, *,
             clock: Callable[[], float] = time.time, demo: DemoControl | None = None,
             start_monitor: bool = True, export_dir: Path | None = None) -> WftuiApp:
    """The one factory for the app: the CLI, `wftui demo` and the tests all use it."""
    return WftuiApp(settings, monitor, clock=clock, demo=demo, start_monitor=start_monitor,
                    export_dir=export_dir)
