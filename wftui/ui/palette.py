"""Command palette entries: every action of the app, and the views' own."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.screen import Screen

from wftui.config import WINDOWS
from wftui.ui.screens.execution import ExecutionScreen
from wftui.view.rows import COLUMNS, STATUS_FILTERS

if TYPE_CHECKING:
    from wftui.ui.app import WftuiApp


def palette_commands(app: WftuiApp, screen: Screen) -> Iterable[SystemCommand]:
    """The app's commands (besides Textual's own), some only on the screen they act on."""
    yield SystemCommand("Help: keys", "Every key and what it does", app.action_help)
    yield SystemCommand("Pause / resume display", "Freeze the screen; reading goes on",
                        app.action_pause)
    yield SystemCommand("Malformed lines", "Lines that could not be read",
                        app.action_malformed)
    yield SystemCommand("Replay audit log", "Every replay asked for, and its outcome",
                        app.action_audit)
    yield SystemCommand("Filter executions", "By id, workflow, step name, error text",
                        app.action_filter)
    for label, size in WINDOWS.items():
        yield SystemCommand(f"Window: {label}", f"Figures over the last {label}",
                            lambda size=size: app.action_window(size))
    for status in STATUS_FILTERS:
        yield SystemCommand(f"Show executions: {status}", f"Status filter: {status}",
                            lambda status=status: app.action_status_filter(status))
    for column, heading in COLUMNS.items():
        yield SystemCommand(f"Sort executions by {heading}", "Highest / newest first",
                            lambda column=column: app.action_sort(column))
    yield SystemCommand("Reverse sort order", "Flip the executions table's order",
                        app.action_reverse_sort)
    yield SystemCommand("Reload config", "Re-read thresholds from the config file",
                        app.reload_config)
    if isinstance(screen, ExecutionScreen):
        yield SystemCommand("Export execution as JSON", "Write it to a file",
                            screen.action_export)
        yield SystemCommand("Replay execution", "Ask your system to run it again",
                            screen.action_replay)
        yield SystemCommand("Compare with replay", "Step by step, side by side",
                            screen.action_compare)
        yield SystemCommand("Expand all steps", "Unfold the whole tree",
                            screen.action_expand_all)
        yield SystemCommand("Collapse all steps", "Fold the tree", screen.action_collapse_all)
    if app.demo is not None:
        for name, description in app.demo.incidents.items():
            yield SystemCommand(f"Demo incident: {name}", description,
                                lambda name=name: app.action_incident(name))
