"""The execution view: one execution's step tree, updated in place while it runs."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from wftui.core.steps import ExecutionDetail
from wftui.ui.widgets.step_tree import StepTree
from wftui.view.text import plain, safe

if TYPE_CHECKING:
    from wftui.ui.app import WftuiApp

_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


def export_path(directory: Path, execution_id: str) -> Path:
    """A file name for an export that an execution id cannot steer elsewhere."""
    name = _UNSAFE_FILE_CHARS.sub("_", execution_id).strip("._") or "execution"
    return directory / f"wftui-{name[:80]}.json"


class ExecutionScreen(Screen):
    """Step by step: status, type, duration and timeline of each step, and its events."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("x", "expand_all", "Expand all"),
        Binding("z", "collapse_all", "Collapse all"),
        Binding("e", "export", "Export JSON"),
        Binding("r", "replay", "Replay"),
        Binding("c", "compare", "Compare"),
    ]

    def __init__(self, execution_id: str) -> None:
        super().__init__()
        self.execution_id = execution_id
        self.detail: ExecutionDetail | None = None
        self.last_replay: str | None = None
        self._signature: tuple[object, ...] | None = None
        self._loading = False

    @property
    def wftui(self) -> WftuiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(id="execution-title")
        yield StepTree(id="steps")
        yield Footer()

    async def on_mount(self) -> None:
        title = Text("Execution ", style="bold")
        title.append(plain(self.execution_id, "bold cyan"))
        title.append("   space/enter fold · x expand all · z collapse all · e export · "
                     "r replay · c compare · esc back", style="dim")
        self.query_one("#execution-title", Static).update(title)
        self.query_one(StepTree).focus()
        await self.reload()

    async def reload(self) -> None:
        """Rebuild the detail (in a thread: it re-parses the raw lines) and show it."""
        if self._loading:
            return
        self._loading = True
        tree = self.query_one(StepTree)
        try:
            now = self.wftui.clock()
            detail = await asyncio.to_thread(self.wftui.monitor.detail, self.execution_id, now)
        except Exception as error:  # noqa: BLE001 - one line in the view, not a crash
            tree.root.set_label(Text(f"could not build the step tree: "
                                     f"{type(error).__name__}: {safe(error)}", style="red"))
            return
        finally:
            self._loading = False
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
        self.detail = detail
        if signature != self._signature or detail.status == "running":
            self._signature = signature
            tree.show(detail, now)

    def monitor_changed(self) -> None:
        """Called by the app after a refresh: a running execution updates in place."""
        self.run_worker(self.reload(), group="execution-reload")

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
        body = orjson.dumps(self.detail.as_dict(),
                            option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
        directory = self.wftui.export_dir
        path = export_path(directory, self.detail.execution_id)
        try:
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
        try:
            from wftui.ui.screens.replay import ReplayScreen
        except ImportError as error:
            self.notify(f"replay is not available in this build ({safe(error)})",
                        severity="warning", markup=False)
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

        self.app.push_screen(ReplayScreen(self.detail, self.wftui.settings), replayed)

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
        try:
            from wftui.ui.screens.compare import CompareScreen
        except ImportError as error:
            self.notify(f"compare is not available in this build ({safe(error)})",
                        severity="warning", markup=False)
            return
        self.app.push_screen(CompareScreen(self.wftui.monitor, left, right))
