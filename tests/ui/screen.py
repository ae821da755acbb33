"""Reading what the app put on screen, as plain text (for assertions)."""

from __future__ import annotations

import io

from rich.console import Console
from textual.app import App


def screen_text(app: App) -> str:
    """The current screen (with any screens behind it) as plain text, one line per row.

    The same render `App.export_screenshot` starts from (the compositor's full update over
    the screen stack), recorded as text: the SVG it would build, then parse back, cost
    the UI tests more CPU than what they test (they poll the screen every 50 ms)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system=None, record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens))
    rows = console.export_text().replace("\xa0", " ").split("\n")[:height]
    return "\n".join(row.rstrip() for row in rows) + "\n"
