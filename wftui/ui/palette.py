"""Command palette entries: every action of the app, and the views' own.

Each entry runs an action by name (`app.run_action`), as a key would: the palette
needs no reference to the app's class or to a screen's methods.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.app import App, SystemCommand
from textual.screen import Screen

from wftui.config import WINDOWS
from wftui.ui.screens.execution import ExecutionScreen
from wftui.ui.screens.monitor import MonitorScreen
from wftui.view.rows import COLUMNS, STATUS_FILTERS


def _run(app: App[Any], action: str) -> Any:
    return lambda: app.run_action(action)


def palette_commands(app: App[Any], screen: Screen[Any],
                     incidents: dict[str, str] | None) -> Iterable[SystemCommand]:
    """The app's commands (besides Textual's own), some only on the screen they act on."""
    yield SystemCommand("Help: keys", "Every key and what it does", _run(app, "help"))
    yield SystemCommand("Pause / resume display", "Freeze the screen; reading goes on",
                        _run(app, "pause"))
    yield SystemCommand("Malformed lines", "Lines that could not be read",
                        _run(app, "malformed"))
    yield SystemCommand("Replay audit log", "Every replay asked for, and its outcome",
                        _run(app, "audit"))
    yield SystemCommand("Reload config", "Re-read thresholds from the config file",
                        _run(app, "reload_config"))
    yield SystemCommand("Config: what was not used", "Commands/URLs of an untrusted "
                        "config file, left out", _run(app, "config_refused"))
    for label, size in WINDOWS.items():
        yield SystemCommand(f"Window: {label}", f"Figures over the last {label}",
                            _run(app, f"window({size!r})"))
    if isinstance(screen, MonitorScreen):
        yield SystemCommand("Filter executions", "By id, workflow, step name, error text",
                            _run(app, "screen.open_filter"))
        for status in STATUS_FILTERS:
            yield SystemCommand(f"Show executions: {status}", f"Status filter: {status}",
                                _run(app, f"status_filter({status!r})"))
        for column, heading in COLUMNS.items():
            yield SystemCommand(f"Sort executions by {heading}", "Highest / newest first",
                                _run(app, f"sort({column!r})"))
        yield SystemCommand("Reverse sort order", "Flip the executions table's order",
                            _run(app, "reverse_sort"))
    if isinstance(screen, ExecutionScreen):
        for action, title, help_ in (
                ("export", "Export execution as JSON", "Write it to the exports folder"),
                ("replay", "Replay execution", "Ask your system to run it again"),
                ("compare", "Compare with replay", "Step by step, side by side"),
                ("expand_all", "Expand all steps", "Unfold the whole tree"),
                ("collapse_all", "Collapse all steps", "Fold the tree")):
            yield SystemCommand(title, help_, _run(app, f"screen.{action}"))
    for name, description in (incidents or {}).items():
        yield SystemCommand(f"Demo incident: {name}", description,
                            _run(app, f"incident({name!r})"))
