"""The `?` screen: every key, where it works, and what it does."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Everywhere", (
        ("?", "this help"),
        ("q / ctrl+c", "quit"),
        ("p", "pause / resume the display (reading goes on)"),
        ("m", "malformed lines: what could not be read, with file and line"),
        ("ctrl+p", "command palette: every action, windows, filters, sorts, audit log"),
    )),
    ("Dashboard and executions", (
        ("w", "next window: 1m → 5m → 15m → 1h → all"),
        ("/", "filter executions by id, workflow, step name or error text"),
        ("esc", "clear the filter"),
        ("f", "status filter: all → failed → running"),
        ("s / S", "sort by the next column / reverse (or click a column heading)"),
        ("j k ↑ ↓", "move the cursor; pgup pgdn home end jump"),
        ("enter", "open the execution under the cursor (double click too)"),
    )),
    ("Execution view", (
        ("space / enter", "fold or unfold the node under the cursor"),
        ("x / z", "expand all / collapse all"),
        ("j k ↑ ↓", "move"),
        ("e", "export the execution as JSON (the path is shown)"),
        ("r", "replay the execution (asks first; dry run available)"),
        ("c", "compare with its replay (or with its original)"),
        ("esc", "back to the dashboard"),
    )),
    ("Demo (wftui demo)", (
        ("i", "switch the demo's incident: error-spike, slow-tool, backlog, none"),
    )),
)


def help_text() -> Text:
    """Every key as a two-column table in plain text."""
    text = Text(end="")
    for index, (section, keys) in enumerate(KEYS):
        if index:
            text.append("\n")
        text.append(f"{section}\n", style="bold underline")
        for key, what in keys:
            text.append(f"  {key:<14}", style="bold cyan")
            text.append(f"{what}\n")
    text.append("\nSymbols\n", style="bold underline")
    for symbol, meaning in (("✓ ✗ ⟳", "ok, failed, running"),
                            ("↻ / ⟲n", "a replay / replayed n times"),
                            ("⏱ ◆", "the slowest step / on the critical path"),
                            ("·", "no data in a sparkline (never drawn as zero)"),
                            ("␛ ␍ ⍰", "control characters and bidi marks from logs, made visible")):
        text.append(f"  {symbol:<14}", style="bold cyan")
        text.append(f"{meaning}\n")
    return text


class HelpScreen(ModalScreen[None]):
    """A modal list of keys; any of esc, q or ? closes it."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(help_text(), id="help-text")

    def on_mount(self) -> None:
        self.query_one("#help-box").border_title = "wftui keys (esc to close)"
