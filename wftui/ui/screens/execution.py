"""The execution view: one execution's step tree, updated in place while it runs."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Static

from wftui.config import Settings
from wftui.core.json_out import dumps
from wftui.core.steps import ExecutionDetail
from wftui.live import LiveMonitor
from wftui.ui.widgets.keys_line import KeysLine
from wftui.ui.widgets.step_tree import StepTree
from wftui.ui.workers import run_async
from wftui.view.text import clip, plain, safe
from wftui.view.timeline import as_of_label

_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


def default_export_dir() -> Path:
    """Where exports go: `$XDG_DATA_HOME/wftui/exports` (~/.local/share/wftui/exports)."""
    base = os.environ.get("XDG_DATA_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path.home() / ".local" / "share"
    return root / "wftui" / "exports"


def export_path(directory: Path, execution_id: str) -> Path:
    """A file name for an export that an execution id cannot steer elsewhere.

    When the name is not the id itself (characters replaced, or a long id cut), a hash
    of the whole id is added: else ids such as `a b` and `a_b` would share one file, and
    exporting one would silently overwrite the other's export.
    """
    name = _UNSAFE_FILE_CHARS.sub("_", execution_id).strip("._") or "execution"
    if name[:80] != execution_id:
        digest = hashlib.sha256(execution_id.encode("utf-8", "surrogatepass")).hexdigest()
        return directory / f"wftui-{name[:80]}-{digest[:12]}.json"
    return directory / f"wftui-{name}.json"

TITLE_ID_WIDTH = 80  # the id in the title; the whole id is in the tree and export


class ExecutionScreen(Screen[None]):
    """Step by step: status, type, duration and timeline of each step, and its events.

    `data_version` is bound to the app's (data_bind): when something new was read, a
    running execution updates in place.
    """

    # Most used first: on a narrow terminal the keys line lets the last ones go (the
    # title says space/enter fold, which does most of what expand and collapse do).
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", tooltip="back to the dashboard"),
        Binding("r", "replay", "Replay",
                tooltip="replay the execution (asks first; dry run available)"),
        Binding("c", "compare", "Compare",
                tooltip="compare with its replay (or with its original)"),
        Binding("w", "whole", "Whole/then",
                tooltip="opened in history: the whole execution, or as it stood then"),
        Binding("e", "export", "Export",
                tooltip="export the execution as JSON (the path is shown)"),
        Binding("x", "expand_all", "Expand",
                tooltip="expand all (here x expands; it does not open why)"),
        Binding("z", "collapse_all", "Collapse", tooltip="collapse all"),
    ]

    # No repaint: the watcher redraws the widgets that changed (not the whole screen).
    data_version: reactive[int] = reactive(-1, init=False, repaint=False)

    def __init__(self, execution_id: str, *, monitor: LiveMonitor, settings: Settings,
                 export_dir: Path | None = None,
                 clock: Callable[[], float] = time.time, at: float | None = None) -> None:
        super().__init__()
        self.execution_id = execution_id
        # Opened at a past moment of the log: the tree as it stood then (what was
        # logged by then), as the row it was opened from; `w` shows the whole of it.
        self.moment = at
        self.as_of = at
        self.monitor = monitor
        self.settings = settings
        self.export_dir = export_dir or default_export_dir()
        self.clock = clock
        self.detail: ExecutionDetail | None = None
        self._detail_at: float | None = None  # the moment `detail` was built as of
        self.last_replay: str | None = None
        self._signature: tuple[object, ...] | None = None
        self._loading = False

    def compose(self) -> ComposeResult:
        yield Static(id="execution-title")
        yield StepTree(id="steps")
        yield KeysLine()

    async def on_mount(self) -> None:
        self._show_title()
        self.query_one(StepTree).focus()
        await self.reload()

    def _show_title(self) -> None:
        # One line whatever the id: a 10,000-character id must not wrap over the screen.
        title = Text("Execution ", style="bold", no_wrap=True, overflow="ellipsis", end="")
        title.append(plain(clip(self.execution_id, TITLE_ID_WIDTH), "bold cyan"))
        moment = as_of_label(self.as_of, self.moment)
        if moment:
            title.append(f"   {moment}", style="bold black on cyan")
        title.append("   space/enter fold · → scrolls a cut line · ? every key",
                     style="dim")
        self.query_one("#execution-title", Static).update(title)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`w` (the whole execution / as of the moment) only when opened in history."""
        return not (action == "whole" and self.moment is None)

    async def action_whole(self) -> None:
        """Opened at a past moment: switch between the tree as it stood then and the
        whole execution as the log tells it."""
        self.as_of = None if self.as_of is not None else self.moment
        self._signature = None
        self._show_title()
        await self.reload()

    async def reload(self) -> None:
        """Rebuild the detail (in a thread: it re-parses the raw lines) and show it."""
        if self._loading:
            return
        self._loading = True
        tree = self.query_one(StepTree)
        try:
            # An old log's "now" is its end: a running execution is aged to there (open
            # at the end of the log, as its row says), not to today's wall clock.
            clock = self.monitor.clock(self.clock())
            now = clock.now
            at = self.as_of  # `w` may change it while the detail is built
            open_at_end = not clock.live and at is None
            detail = await asyncio.to_thread(self.monitor.detail, self.execution_id, now,
                                             at)
            if at is not None:
                now = at  # a running step's age: to the moment shown
        except Exception as error:  # noqa: BLE001 - one line in the view, not a crash
            tree.root.set_label(Text(f"could not build the step tree: "
                                     f"{type(error).__name__}: {safe(error)}", style="red"))
            return
        finally:
            self._loading = False
        if at != self.as_of:  # `w` while this was built (its own reload was skipped)
            await self.reload()
            return
        if detail is None:
            if self.detail is None:
                tree.root.set_label(Text(
                    f"{safe(self.execution_id)} is no longer retained in detail "
                    "(older executions are folded into the figures; raise --retention)",
                    style="yellow"))
            return
        signature = (detail.status, detail.end_ts, len(detail.steps), len(detail.items),
                     sum(len(step.items) for step in detail.steps),
                     sum(step.complete_event is not None for step in detail.steps),
                     tuple(detail.replays))
        self.detail, self._detail_at = detail, at
        if signature != self._signature or detail.status == "running":
            self._signature = signature
            tree.show(detail, now, open_at_end=open_at_end)

    def watch_data_version(self) -> None:
        """Something new was read: a running execution updates in place."""
        if self.is_mounted:
            run_async(self, self.reload, group="execution-reload")

    def action_expand_all(self) -> None:
        self.query_one(StepTree).root.expand_all()

    def action_collapse_all(self) -> None:
        tree = self.query_one(StepTree)
        for child in tree.root.children:
            child.collapse_all()

    def action_export(self) -> None:
        if self.detail is None:
            self.notify("nothing to export yet", severity="warning")
            return
        body = dumps(self.detail.as_dict(self._detail_at), indent=True)  # as_of: as built
        path = export_path(self.export_dir, self.detail.execution_id)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body + b"\n")
        except OSError as error:
            self.notify(f"export failed: {safe(error.strerror or error)} ({safe(path)})",
                        severity="error", markup=False)
            return
        self.notify(f"exported to {safe(path.resolve())}", title=f"Export of "
                    f"{safe(self.detail.execution_id)[:60]}", markup=False, timeout=8)

    def action_replay(self) -> None:
        if self.detail is None:
            self.notify("no execution detail to replay", severity="warning")
            return
        original = self.detail.execution_id

        def replayed(new_id: str | None) -> None:
            if new_id:
                # Follow the replay: side by side with the original as it arrives.
                self.last_replay = new_id
                self.notify(f"replay of {safe(original)} started as {safe(new_id)}; "
                            "c compares them again later", title="Replay", markup=False,
                            timeout=10)
                self.action_compare()

        # Loaded when first asked for: replaying (httpx) is not on the first screen.
        from wftui.ui.screens.replay import ReplayScreen

        self.app.push_screen(ReplayScreen(self.detail, self.settings), replayed)

    def action_compare(self) -> None:
        detail = self.detail
        if detail is None:
            self.notify("no execution detail to compare", severity="warning")
            return
        if self.last_replay or detail.replays:
            left, right = detail.execution_id, self.last_replay or detail.replays[-1]
        elif detail.replay_of:
            left, right = detail.replay_of, detail.execution_id
        else:
            self.notify("nothing to compare: this execution has no replay and is not one "
                        "(press r to replay it)", severity="warning")
            return
        from wftui.ui.screens.compare import CompareScreen  # as ReplayScreen above

        self.app.push_screen(CompareScreen(self.monitor, left, right))
