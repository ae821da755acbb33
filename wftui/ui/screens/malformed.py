"""Lines that could not be read as events: where they are, why, and what they said."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Static

from wftui.core.ledger import MalformedLine
from wftui.core.understood import not_understood_notes
from wftui.sources.filestatus import long_lines_said, long_lines_skipped
from wftui.ui.widgets.keys_line import KeysLine
from wftui.view.refresh import Refresh
from wftui.view.text import clip, clip_left, plain, safe


def malformed_text(lines: tuple[MalformedLine, ...], total: int,
                   notes: list[tuple[str, str | None]] | None = None,
                   long_lines: tuple[int, list[tuple[str, int, int]]] = (0, [])) -> Text:
    """Newest first: file:line, reason, and an excerpt shown literally; first, the
    sources of which nothing was understood, with the mapping suggested for each, and
    the lines skipped as too long (`long_lines_skipped`: how many, and file, line and
    bytes of those named), never read, so neither events nor malformed."""
    text = Text(end="")
    for problem, suggestion in notes or ():
        text.append(plain(problem, "bold red"))
        text.append("\n")
        if suggestion:
            text.append("perhaps, in the config file:\n", style="yellow")
            for config_line in suggestion.splitlines():
                text.append("    ")
                text.append(plain(config_line, "green"))
                text.append("\n")
        text.append("\n")
    kept = len(lines)
    text.append(f"{total:,} malformed lines in all", style="bold")
    if total > kept:
        text.append(f" (the latest {kept:,} are kept)", style="dim")
    text.append("\n")
    skipped, named = long_lines
    if skipped:
        text.append("\n")
        text.append(long_lines_said(skipped) + " (counted neither as events nor as malformed):",
                    style="bold yellow")
        for source, lineno, size in named:
            text.append("\n")
            text.append(plain(f"{clip_left(safe(source), 70)}:{lineno}", "bold"))
            text.append(f"  {size:,} bytes", style="yellow")
        if skipped > len(named):
            text.append(f"\n... and {skipped - len(named):,} more", style="dim")
        text.append("\n")
    if not lines:
        if skipped:
            text.append("\nnone malformed: every other line was read as an event",
                        style="green")
        else:
            text.append("\nnone: every line was read as an event", style="green")
        return text
    for line in reversed(lines):
        text.append("\n")
        text.append(plain(f"{clip_left(safe(line.source), 70)}:{line.lineno}", "bold"))
        text.append("  ")
        text.append(plain(line.reason, "yellow"))
        text.append("\n    ")
        text.append(plain(clip(safe(line.text), 300), "dim"))
    return text


class MalformedScreen(Screen[None]):
    """A scrollable list of the malformed lines the ledger kept.

    `refresh_shown` is bound to the app's refresh on screen (data_bind): the list
    follows it.
    """

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("j", "scroll(1)", "Down", show=False),
        Binding("k", "scroll(-1)", "Up", show=False),
    ]

    # No repaint: the watcher redraws the widgets that changed (not the whole screen).
    refresh_shown: reactive[Refresh | None] = reactive(
        None, always_update=True, init=False, repaint=False)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="malformed-box"):
            yield Static(id="malformed-text")
        yield KeysLine()

    def on_mount(self) -> None:
        self.query_one("#malformed-box").border_title = "Malformed lines"
        self.query_one("#malformed-box").focus()
        self.watch_refresh_shown(self.refresh_shown)

    def watch_refresh_shown(self, refresh: Refresh | None) -> None:
        """Display the kept malformed lines of the refresh on screen."""
        if not self.is_mounted:
            return
        if refresh is None:
            text = Text("reading…", style="dim")
        else:
            snapshot = refresh.snapshot
            text = malformed_text(snapshot.recent_malformed, snapshot.malformed_total,
                                  not_understood_notes(snapshot.sources),
                                  long_lines_skipped(snapshot.sources))
        self.query_one("#malformed-text", Static).update(text)

    def action_scroll(self, delta: int) -> None:
        box = self.query_one("#malformed-box", VerticalScroll)
        box.scroll_relative(y=delta, animate=False)
