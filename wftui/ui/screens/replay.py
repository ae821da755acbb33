"""The replay confirmation: exactly what will run, a dry run, then the outcome.

Nothing runs until the operator presses Replay (or `y`). The hook runs in a thread
worker, so a hook that hangs never freezes the UI; `esc` while it runs stops it (its
process group is killed). The screen dismisses with the new execution id, or None.
"""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from wftui.config import ConfigError, Settings
from wftui.core.steps import ExecutionDetail
from wftui.replay.plan import ReplayError, ReplayPlan, build_plan, hook_from
from wftui.replay.run import ReplayOutcome, ReplayResult, replay
from wftui.view.text import safe

if TYPE_CHECKING:
    from wftui.live import LiveMonitor

READY, RUNNING, DONE, REFUSED = "ready", "running", "done", "refused"
OUTPUT_LINES = 12  # of stdout and of stderr shown


class ReplayScreen(ModalScreen[str | None]):
    """Confirm, dry-run or run a replay of one execution; dismiss with the new id."""

    DEFAULT_CSS = """
    ReplayScreen { align: center middle; }
    #replay-box { width: 110; max-width: 96%; height: auto; max-height: 92%;
                  border: round $warning; padding: 0 1; background: $surface; }
    #replay-scroll { height: auto; max-height: 30; }
    #replay-status { margin: 1 0 0 0; }
    #replay-buttons { height: auto; margin: 1 0 0 0; }
    #replay-buttons Button { margin: 0 1 0 0; }
    """
    BINDINGS = [
        Binding("y", "confirm", "Replay"),
        Binding("d", "dry_run", "Dry run"),
        Binding("escape", "cancel", "Cancel / close"),
    ]

    def __init__(self, detail: ExecutionDetail, settings: Settings, *,
                 monitor: LiveMonitor | None = None) -> None:
        super().__init__()
        self.detail = detail
        self.settings = settings
        self.monitor = monitor  # optional: to follow a silent hook through replay_of
        self.state = READY
        self.result: ReplayResult | None = None
        self.plan: ReplayPlan | None = None
        self.refusal: str | None = None
        self._cancel = threading.Event()
        try:
            hook = hook_from(settings)
            self.plan = build_plan(hook, detail.execution_id, detail.workflow_name,
                                   detail.context)
        except (ConfigError, ReplayError) as error:
            self.state, self.refusal = REFUSED, str(error)

    # -- layout ----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="replay-box"):
            with VerticalScroll(id="replay-scroll"):
                yield Static(self._plan_text(), id="replay-plan")
                yield Static(Text(""), id="replay-output")
            yield Static(self._status_text(), id="replay-status")
            refused = self.state == REFUSED
            with Horizontal(id="replay-buttons"):
                # Refused (no hook, say): nothing can run, so nothing offers to.
                for button in (Button("Replay (y)", id="replay-confirm", variant="warning",
                                      disabled=refused),
                               Button("Dry run (d)", id="replay-dry", disabled=refused)):
                    button.display = not refused
                    yield button
                yield Button("Close (esc)" if refused else "Cancel (esc)", id="replay-close")

    def on_mount(self) -> None:
        box = self.query_one("#replay-box")
        box.border_title = Text("Replay " + safe(self.detail.execution_id))
        # Cancel has the focus: a stray enter must never run a hook; y or a click does.
        self.query_one("#replay-close", Button).focus()

    def _plan_text(self) -> Text:
        text = Text(end="")
        workflow = safe(self.detail.workflow_name) or "unknown workflow"
        text.append(f"{safe(self.detail.execution_id)}", style="bold")
        text.append(f"  {workflow}  status {self.detail.status}\n\n", style="dim")
        if self.plan is None:
            text.append("Cannot replay: ", style="bold red")
            text.append(safe(self.refusal))
            return text
        text.append("This will ", style="bold")
        for line in self.plan.describe():
            text.append(line + "\n")  # describe() lines are already made visible
        return text

    def _status_text(self, extra: str = "") -> Text:
        if self.state == REFUSED:
            return Text("Nothing was run.", style="dim")
        if self.state == RUNNING:
            return Text(f"Running (stopped after {self._timeout():g} s; esc stops it now)…",
                        style="bold yellow")
        if self.state == DONE:  # the words of the one button left
            if self._new_id():
                return Text("esc or Follow returns and follows the new execution",
                            style="dim")
            return Text("esc or Close returns", style="dim")
        return Text(extra or "Nothing has run yet: y runs it, d shows a dry run, esc "
                    "cancels.", style="dim")

    def _timeout(self) -> float:
        return self.plan.hook.timeout_s if self.plan is not None else 0.0

    def _new_id(self) -> str | None:
        return self.result.new_id if self.result is not None else None

    # -- actions ---------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "replay-confirm":
            self.action_confirm()
        elif event.button.id == "replay-dry":
            self.action_dry_run()
        else:
            self.action_cancel()

    def action_dry_run(self) -> None:
        if self.state != READY or self.plan is None:
            return
        text = Text("Dry run: the plan above is exactly what would run. Nothing was run "
                    "and nothing was audited.", style="bold cyan")
        self.query_one("#replay-output", Static).update(text)

    def action_confirm(self) -> None:
        if self.state != READY or self.plan is None:
            return
        self.state = RUNNING
        self.query_one("#replay-confirm", Button).disabled = True
        self.query_one("#replay-dry", Button).disabled = True
        self.query_one("#replay-close", Button).label = "Stop (esc)"
        self.query_one("#replay-output", Static).update(Text(""))
        self.query_one("#replay-status", Static).update(self._status_text())
        self.run_worker(self._run, thread=True, exclusive=True, name="replay-hook",
                        group="replay")

    def _replays(self) -> list[str]:
        monitor = self.monitor
        if monitor is None:
            return []
        detail = monitor.detail(self.detail.execution_id)
        return list(detail.replays) if detail is not None else []

    def _run(self) -> None:
        """In a worker thread: run the hook, then hand the result to the UI thread."""
        assert self.plan is not None
        try:
            result = replay(self.plan, replays=self._replays if self.monitor else None,
                            cancel=self._cancel)
        except Exception as error:  # noqa: BLE001 - shown as one line, never a traceback
            outcome = ReplayOutcome(False, f"the replay could not be run: "
                                    f"{type(error).__name__}: {error}", 0.0)
            result = ReplayResult(outcome, None, "nothing (the replay could not be run)")
        with contextlib.suppress(RuntimeError):  # the app is closing: nothing to show
            self.app.call_from_thread(self._show, result)

    def on_unmount(self) -> None:
        # Leaving (the app quits) while the hook runs: stop it rather than orphan it.
        self._cancel.set()

    def _show(self, result: ReplayResult) -> None:
        self.result = result
        if not self.is_mounted:
            return
        self.state = DONE
        for done_with in ("#replay-confirm", "#replay-dry"):  # one replay per dialog
            self.query_one(done_with, Button).display = False
        self.query_one("#replay-output", Static).update(outcome_text(result))
        self.query_one("#replay-status", Static).update(self._status_text())
        close = self.query_one("#replay-close", Button)
        close.label = "Follow (esc)" if result.new_id else "Close (esc)"
        close.focus()

    def action_cancel(self) -> None:
        if self.state == RUNNING:
            self._cancel.set()
            self.query_one("#replay-status", Static).update(
                Text("Stopping the hook…", style="bold yellow"))
            return
        self.dismiss(self._new_id() if self.state == DONE else None)


def outcome_text(result: ReplayResult) -> Text:
    """The outcome for the operator: message, figures, notes, output tails, audit."""
    outcome = result.outcome
    text = Text(end="")
    text.append("✓ " if outcome.ok else "✗ ", style="bold green" if outcome.ok else "bold red")
    text.append(safe(outcome.message) + "\n", style="bold")
    facts = [f"took {outcome.elapsed_s:.2f} s"]
    if outcome.exit_code is not None:
        facts.append(f"exit code {outcome.exit_code}")
    if outcome.http_status is not None:
        facts.append(f"HTTP {outcome.http_status}")
    if outcome.timed_out:
        facts.append("timed out")
    text.append(" · ".join(facts) + "\n", style="dim")
    for note in outcome.notes:
        text.append(f"note: {safe(note)}\n", style="yellow")
    if result.new_id:
        text.append(f"following {safe(result.new_id)} (from {safe(result.id_source)})\n",
                    style="green")
    elif outcome.ok:
        text.append(f"cannot follow the replay: {safe(result.id_source)}\n", style="yellow")
    # An HTTP hook's answer comes back where a command's stdout would.
    answer = "response body" if outcome.http_status is not None else "stdout"
    for title, tail in ((answer, outcome.stdout_tail), ("stderr", outcome.stderr_tail)):
        if tail:
            text.append(f"{title} (end):\n", style="bold")
            for line in tail.split("\u240a")[-OUTPUT_LINES:]:
                text.append(f"  {line}\n")  # already made visible; \n became ␊ above
    if result.audit_error:
        text.append(f"warning: {safe(result.audit_error)}\n", style="yellow")
    return text
