"""Running a replay plan and keeping its record: the hook, the new execution, the audit.

Blocking by design (subprocess and a blocking HTTP exchange): the TUI calls `replay` in
a thread worker, `wftui replay` directly. A hook that hangs is stopped at the plan's
timeout; one that fails or prints garbage ends in an outcome with a one-line message,
never an exception.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from wftui.replay.audit import append_audit, audit_record
from wftui.replay.command import run_command
from wftui.replay.outcome import ReplayOutcome
from wftui.replay.plan import ReplayPlan, follow_id
from wftui.replay.post import post

__all__ = ["ReplayOutcome", "ReplayResult", "replay", "run_plan"]


def run_plan(plan: ReplayPlan, cancel: threading.Event | None = None) -> ReplayOutcome:
    """Run the plan's hook once and report; never raises for the hook's own failures."""
    if plan.argv is not None:
        return run_command(plan, cancel)
    return post(plan, cancel)


@dataclass(frozen=True)
class ReplayResult:
    """A replay that ran: the hook's outcome, the execution to follow, the audit."""

    outcome: ReplayOutcome
    new_id: str | None
    id_source: str
    audit_error: str | None = None


def replay(plan: ReplayPlan, *, replays: Callable[[], Sequence[str]] | None = None,
           cancel: threading.Event | None = None, wait_s: float = 3.0,
           audit: bool = True) -> ReplayResult:
    """Run the hook, find the new execution id (`follow_id`), append to the audit log.

    `replays` returns the original's replays as the log shows them now (ids of
    executions whose `replay_of` is the original); when the hook does not say which
    execution it started, it is polled for up to `wait_s` seconds for a new one.
    """
    before = list(replays()) if replays is not None else []
    outcome = run_plan(plan, cancel)
    now_seen = before
    if outcome.ok and outcome.answered_id is None and replays is not None:
        deadline = time.monotonic() + wait_s
        while True:
            now_seen = list(replays())
            if [r for r in now_seen if r not in before] or time.monotonic() >= deadline:
                break
            if cancel is not None:
                if cancel.wait(0.1):
                    break
            else:
                time.sleep(0.1)
    new_id, source = (follow_id(plan.execution_id, outcome.answered_id, before, now_seen)
                      if outcome.ok else (None, "the hook failed"))
    audit_error = None
    if audit:
        record = audit_record(plan.execution_id, plan.workflow_name, plan.hook_record(),
                              outcome.as_dict(), new_id, source)
        audit_error = append_audit(record)
    return ReplayResult(outcome, new_id, source, audit_error)
