"""The Textual app: owns the figure history, the operator's choices and the reactives
the screens are bound to (`dashboard`, `shown`, `data_version`).

Its parts are mixed in: the refresh loop (ui/refresh_cycle.py: when a snapshot is
taken and how it is handed down), the table's controls, time travel and config
reloading. Screens tell the app what the operator did with messages (ui/messages.py).
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import RenderableType
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen

from wftui.alerts.desk import AlertDesk
from wftui.config import Settings
from wftui.core.thresholds import ThresholdState
from wftui.live import LiveMonitor
from wftui.ui.alert_control import AlertControl
from wftui.ui.alert_control import palette_entries as alert_palette_entries
from wftui.ui.config_reload import ConfigReloader, ConfigReloading, refused_notice
from wftui.ui.crash import crash_report
from wftui.ui.exit_guard import FLUSH_GRACE_S, SIGNAL_FLUSH_S, ExitGuard
from wftui.ui.messages import ExecutionOpened
from wftui.ui.palette import palette_commands
from wftui.ui.refresh_cycle import TICK_S, RefreshCycle
from wftui.ui.screens.execution import ExecutionScreen, default_export_dir
from wftui.ui.screens.monitor import MonitorScreen
from wftui.ui.table_controls import TableControls
from wftui.ui.time_travel import TimeTravel
from wftui.ui.workers import run_async
from wftui.view.dashboard import Dashboard
from wftui.view.history import FigureHistory
from wftui.view.live_rows import FirstPage, LiveRows
from wftui.view.refresh import Refresh
from wftui.view.rows import TableQuery
from wftui.view.text import safe
from wftui.view.why import WhyRow

# The screens a key opens load with that key: the first screen shows sooner (each
# import here is paid before it is drawn).
if TYPE_CHECKING:
    from wftui.ui.screens.incident import DemoControl


class WftuiApp(ConfigReloading, TableControls, TimeTravel, RefreshCycle, App[int]):
    """The live monitor."""

    CSS_PATH = "app.tcss"
    TITLE = "wftui"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        # An operator's reflex in a terminal; Textual's default only says to use ctrl+q.
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("question_mark", "help", "Help", tooltip="every key (this list)"),
        # Shown in the dashboard's footer (MonitorScreen binds them too).
        Binding("p", "pause", "Pause", show=False,
                tooltip="pause / resume the display (reading goes on)"),
        Binding("m", "malformed", "Malformed", show=False, tooltip="malformed lines: what "
                "could not be read, with file and line"),
        Binding("i", "incident", "Incident",
                tooltip="switch the demo's incident (wftui demo only)"),
        Binding("x", "why", "Why", show=False,
                tooltip="why the firing alert (else the error rate) is where it is; enter "
                        "lists the executions of a line, s silences, a acknowledges"),
        Binding("a", "acknowledge", "Acknowledge", show=False,
                tooltip="acknowledge the firing alert (your user name, now)"),
    ]

    # State handed down to the screens (data_bind); `always_update`: a refresh is
    # drawn even when it compares equal to the last (the clock moved on). No repaint:
    # the screens' watchers redraw the widgets that changed; a repaint of the app
    # would redraw the whole screen at each refresh (tens of ms a key waits behind).
    dashboard: reactive[Dashboard | None] = reactive(
        None, always_update=True, init=False, repaint=False)
    shown: reactive[Refresh | None] = reactive(
        None, always_update=True, init=False, repaint=False)
    data_version: reactive[int] = reactive(-1, init=False, repaint=False)

    def __init__(self, settings: Settings, monitor: LiveMonitor, *,
                 clock: Callable[[], float] = time.time, demo: DemoControl | None = None,
                 start_monitor: bool = True, export_dir: Path | None = None,
                 desk: AlertDesk | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.monitor = monitor
        # Silences, acknowledgements, Alertmanager; why / silence / acknowledge keys.
        self.alerts = AlertControl(self, monitor, desk or AlertDesk(), self._show_why_row,
                                   clock=lambda: self.clock(), redraw=self._request,
                                   moment=lambda: self.travel_at,
                                   shown_states=self._past_states)
        self.clock = clock
        self.demo = demo
        self.start_monitor = start_monitor
        self.export_dir = export_dir or default_export_dir()
        self.history = FigureHistory()
        self.table_query = TableQuery()
        self.paused = False
        self.config_error: str | None = None
        self.refresh_error: str | None = None  # the last refresh failed: why
        self.crash_line: str | None = None  # an unexpected error, as one line
        self.latest: Refresh | None = None
        self.travel_at: float | None = None  # a past moment of the log shown (None: now)
        self.refreshes = 0  # how many refreshes were shown (tests wait on it)
        self._rows = LiveRows()
        self._init_refresh_cycle()
        self._monitor_pending = False
        self._config = ConfigReloader(
            settings.config_path, lambda result: self.call_from_thread(self._config_read,
                                                                       result))
        self._config_checked = time.monotonic()
        # Ends the process if leaving hangs; run_app closes it once run() returns.
        self.exit_guard = ExitGuard()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The incident key exists only in `wftui demo`; back to now (`l`, `}`) only at
        a past moment: live, it would do nothing, and its room on the keys line goes to
        keys that do something."""
        if action == "incident":
            return self.demo is not None
        if action == "travel" and parameters == ("live",):
            return self.travel_at is not None
        return True

    # -- start and stop --------------------------------------------------------------

    def get_default_screen(self) -> Screen[None]:
        """The dashboard is the app's base screen: App.query() and Textual's actions
        (focus, ...) work on it, and every other view is pushed over it."""
        return MonitorScreen().data_bind(WftuiApp.dashboard)

    def on_mount(self) -> None:
        if self.start_monitor:
            self.monitor.read_shown = threading.Event()
            self._monitor_pending = True  # started once the first screen is drawn
        self.alerts.desk.start()
        if self.demo is not None:
            self.notify("Demo: press i to switch on an incident and watch a threshold go "
                        "pending, fire, and clear. ? lists every key.", title="wftui demo",
                        timeout=12, markup=False)
        if self.settings.refused:
            self.action_config_refused()
        if not self.is_headless:
            # SIGTERM / SIGHUP end the app cleanly (the terminal is restored, `wftui demo`
            # cleans up after run()); if leaving hangs, the guard ends the process.
            loop = asyncio.get_running_loop()
            self.exit_guard.install(
                lambda code: loop.call_soon_threadsafe(self.exit, None, code))
        # Back from SIGTSTP (`fg`): Textual takes the terminal again but draws only what
        # changes next, so the title and the source lines stayed blank: draw it all.
        self.app_resume_signal.subscribe(self, lambda _app: self.refresh(layout=True))
        # New data wakes the app up (no polling at 10 Hz while nothing happens).
        self.monitor.on_change = self._changed_in_reader_thread
        pusher = self.alerts.desk.pusher
        if pusher is not None:  # Alertmanager down or back: its source line at once
            pusher.on_change = self._alertmanager_changed
        self.set_interval(TICK_S, self._tick)
        self._tick()

    def exit(self, result: int | None = None, return_code: int = 0,
             message: RenderableType | None = None) -> None:
        """Leave; in a real terminal, in bounded time even if the terminal is gone."""
        if self.exit_guard.installed:
            self.exit_guard.arm(code=return_code)
        super().exit(result, return_code, message)

    def _start_monitor(self) -> None:
        """Start reading once the first screen is drawn: the forked readers of a big
        log would take both cores from the first paint (measured: 0.5 s later on a
        1M-line log, for 0.1 s more to catch up)."""
        if self._monitor_pending and self.is_running:
            self._monitor_pending = False
            self.monitor.start()

    def on_unmount(self) -> None:
        self._monitor_pending = False  # never started now, if not yet
        self.alerts.desk.close(SIGNAL_FLUSH_S if self.exit_guard.signalled
                               else FLUSH_GRACE_S)
        self.monitor.on_change = None
        if self.start_monitor:
            self.monitor.stop()

    def crash(self, error: BaseException) -> None:
        """An unexpected error ends the app with one line (`crash_line`, printed by the
        CLI) and the traceback in a file, instead of a full-screen traceback dump."""
        if os.environ.get("WFTUI_DEBUG"):  # a developer wants the whole traceback
            from rich.traceback import Traceback  # only then: a tenth of a second at start

            self.exit(return_code=1, message=Traceback.from_exception(
                type(error), error, error.__traceback__))
            return
        if self.crash_line is None:
            where = crash_report(error)
            self.crash_line = (f"{type(error).__name__}: {safe(error)}"
                               + (f" (details in {where})" if where else ""))
        self.exit(return_code=1)

    # -- what the screens tell the app ---------------------------------------------

    def on_execution_opened(self, message: ExecutionOpened) -> None:
        self.open_execution(message.execution_id)

    def open_execution(self, execution_id: str) -> None:
        """Push the execution view; it follows new data through `data_version`. At a
        past moment, it shows the execution as it stood then (`w`: the whole of it)."""
        self.push_screen(ExecutionScreen(
            execution_id, monitor=self.monitor, settings=self.settings,
            export_dir=self.export_dir, clock=self.clock,
            at=self.travel_at).data_bind(WftuiApp.data_version))

    # -- actions -----------------------------------------------------------------------

    def action_help(self) -> None:
        from wftui.ui.screens.help import HelpScreen, bindings, help_sections

        if not isinstance(self.screen, HelpScreen):
            app_keys = [b for b in bindings(self.BINDINGS)
                        if self.demo is not None or b.key != "i"]
            self.push_screen(HelpScreen(help_sections(app_keys)))

    def action_malformed(self) -> None:
        from wftui.ui.screens.malformed import MalformedScreen

        if isinstance(self.screen, MalformedScreen):
            return
        screen = MalformedScreen().data_bind(refresh_shown=WftuiApp.shown)
        self.push_screen(screen)

    def action_pause(self) -> None:
        self.paused = not self.paused
        self.notify("display paused: reading continues" if self.paused
                    else "display resumed", markup=False)
        shown = self.shown if self.paused else self.latest
        if self.paused and shown is not None and isinstance(shown.rows, FirstPage):
            # Its rows are built when first drawn, from the live executions: built now,
            # they stay as they were at the pause however far the table is scrolled.
            shown.rows.build_all()
        if shown is not None:
            self._show(shown)  # redraws the status line with or without PAUSED
        self._request()

    def action_config_refused(self) -> None:
        """Say which commands/URLs of the config file are not used, and why."""
        message, refused = refused_notice(self.settings)
        self.notify(message, title="Config: not used" if refused else "Config",
                    severity="warning" if refused else "information",
                    timeout=30 if refused else 5, markup=False)

    def action_audit(self) -> None:
        from wftui.ui.screens.audit import AuditScreen

        self.push_screen(AuditScreen())

    def action_incident(self, name: str | None = None) -> None:
        if self.demo is None:
            self.notify("incidents can be switched only in `wftui demo`", markup=False)
        elif name is None:
            from wftui.ui.screens.incident import IncidentScreen

            self.push_screen(IncidentScreen(self.demo.incidents, self.demo.active),
                             self._switch_incident)
        else:
            self._switch_incident(name)

    def _switch_incident(self, name: str | None) -> None:
        if name and self.demo is not None:
            from wftui.ui.screens.incident import switch_incident

            run_async(self, partial(switch_incident, self, self.demo, name), group="incident",
                            exit_on_error=False)

    # -- alerts: why, silence, acknowledge ----------------------------------------------

    def _past_states(self) -> tuple[ThresholdState, ...] | None:
        """The thresholds as the shown past moment had them (None: none shown)."""
        latest = self.latest
        if latest is None or latest.snapshot.at is None:
            return None
        return tuple(latest.snapshot.thresholds)

    def action_why(self, figure: str | None = None) -> None:
        self.alerts.why(figure)

    def action_silence(self, figure: str | None = None) -> None:
        self.alerts.silence(figure)

    def action_acknowledge(self, figure: str | None = None) -> None:
        self.alerts.acknowledge(figure)

    def action_list_silences(self) -> None:
        self.alerts.list_silences()

    def _show_why_row(self, row: WhyRow) -> None:
        """A row of "why": the executions it counted in the table (their ids: the same
        window or moment, the exact step or error), else (a metrics row, which names
        none) the log's found by its filter text and status."""
        if row.pick is not None:
            query = replace(self.table_query, text="", status="all", pick=row.pick)
        else:
            query = replace(self.table_query, text=row.filter_text or "",
                            status=row.status or "all", pick=None)
        self.table_query = query
        for screen in self.screen_stack:
            if isinstance(screen, MonitorScreen):
                screen.show_filter_text(query.text)
        self._request()

    # -- command palette ---------------------------------------------------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        # Textual's "Keys" panel would sit beside our "Help: keys": one entry for keys.
        yield from (command for command in super().get_system_commands(screen)
                    if command.title != "Keys")
        yield from palette_commands(self, screen,
                                    self.demo.incidents if self.demo else None)
        for title, help_, action in alert_palette_entries():
            yield SystemCommand(title, help_,
                                lambda action=action: self.run_action(action))


def make_app(settings: Settings, monitor: LiveMonitor, *,
             clock: Callable[[], float] = time.time, demo: DemoControl | None = None,
             start_monitor: bool = True, export_dir: Path | None = None,
             desk: AlertDesk | None = None) -> WftuiApp:
    """The one factory for the app: the CLI, `wftui demo` and the tests all use it."""
    return WftuiApp(settings, monitor, clock=clock, demo=demo, start_monitor=start_monitor,
                    export_dir=export_dir, desk=desk)
