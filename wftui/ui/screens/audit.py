"""The replay audit log: every replay that ran, who asked, through which hook, how it went.

Read in a thread worker (the file may be large or on a slow disk), newest first.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from wftui.replay.audit import AuditEntry, audit_path, read_audit
from wftui.ui.widgets.keys_line import KeysLine
from wftui.view.text import clip, safe


class AuditScreen(Screen[None]):
    """A table of the audit log (`$XDG_STATE_HOME/wftui/replays.jsonl`)."""

    DEFAULT_CSS = """
    AuditScreen { layout: vertical; }
    #audit-title { padding: 0 1; background: $boost; }
    #audit-rows { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("q", "back", "Back", show=False),
        Binding("r", "reload", "Reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.path: Path = audit_path()
        self.entries: list[AuditEntry] = []

    def compose(self) -> ComposeResult:
        yield Static(Text("reading the audit log…"), id="audit-title")
        table: DataTable[Text] = DataTable(id="audit-rows", cursor_type="row", zebra_stripes=True)
        table.add_columns(*(Text(name) for name in ("time", "user", "original", "new execution",
                                                    "outcome", "message", "hook")))
        yield table
        yield KeysLine()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.action_reload()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="audit")
    def _load(self) -> None:
        entries, problem = read_audit(self.path)
        with contextlib.suppress(RuntimeError):  # the app is closing: nothing to show
            self.app.call_from_thread(self._show, entries, problem)

    def _show(self, entries: list[AuditEntry], problem: str | None) -> None:
        if not self.is_mounted:
            return
        self.entries = entries
        title = Text("Replay audit log ", style="bold")
        title.append(safe(str(self.path)), style="dim")
        title.append(f"  {len(entries)} replay{'s' if len(entries) != 1 else ''}")
        if problem:
            title.append(f"  {safe(problem)}", style="yellow")
        elif not entries:
            title.append("  (no replay yet: r in an execution view asks for one)",
                         style="dim")
        self.query_one("#audit-title", Static).update(title)
        table = self.query_one(DataTable)
        table.clear()
        for entry in reversed(entries):  # newest first
            if entry.ok is None:
                outcome = Text("unreadable", style="yellow")
            else:
                outcome = Text("ok" if entry.ok else "failed",
                               style="green" if entry.ok else "bold red")
            table.add_row(Text(entry.time), Text(entry.user), Text(entry.original_id),
                          Text(entry.new_id or "—"), outcome,
                          Text(clip(entry.message, 70)), Text(clip(entry.hook, 80)))
