"""Reading what the app put on screen, as plain text (for assertions)."""

from __future__ import annotations

import io

from rich.console import Console
from textual.app import App


def screen_text(app: App) -> str:
    """The current screen (with any screens behind it) as plain text, one line per row."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False,
                      safe_box=False)
    update = app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens)
    console.print(update)
    return console.export_text(styles=False)
