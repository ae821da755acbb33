"""Running a replay plan and keeping its record: the hook, the new execution, the audit.

Blocking by design (subprocess and a blocking HTTP exchange): the TUI calls `replay` in
a thread worker, `wftui replay` directly. A hook that hangs is stopped at the plan's
timeout; one that fails or prints garbage ends in an outcome with a one-line message,
never an exception.
"""

from __future__ import annotations

import secrets
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from wftui.replay.audit import END, START, append_audit, audit_record
from wftui.replay.command import run_command
from wftui.replay.outcome import ReplayOutcome
from wftui.replay.plan import ReplayPlan, follow_id

__all__ = ["ReplayOutcome", "ReplayResult", "replay", "run_plan"]


def run_plan(plan: ReplayPlan, cancel: threading.Event | None = None) -> ReplayOutcome:
    """Run the plan's hook once and report; never raises for the hook's own failures."""
    if plan.argv is not None:
        return run_command(plan, cancel)
    from wftui.replay.post import post  # httpx loads only for a URL hook

    return post(plan, cancel)


@dataclass(frozen=True)
class ReplayResult:
    """A replay attempt: the hook's outcome, the execution to follow, the audit.

    `refused`: nothing was run because the audit log could not be written first.
    """

    outcome: ReplayOutcome
    new_id: str | None
    id_source: str
    audit_error: str | None = None
    refused: bool = False


# The note an interruption carries when its end could not be written to the audit log.
NOT_AUDITED = "wftui: the end of this replay is not in the audit log: "


def interrupted_message(error: BaseException) -> str:
    """What an interrupted replay tells the operator: never that the audit log holds its
    end when writing it failed (disk full, a file made read-only meanwhile)."""
    missing = [note[len(NOT_AUDITED):] for note in getattr(error, "__notes__", ())
               if isinstance(note, str) and note.startswith(NOT_AUDITED)]
    said = (f"its end could not be written to the audit log: {missing[0]}" if missing
            else "the audit log says so")
    return (f"interrupted by {interruption(error)}: the hook was stopped (its process "
            f"group was killed); {said}")


def interruption(error: BaseException) -> str:
    """How an exception that ended a replay early is told in the audit log."""
    if isinstance(error, KeyboardInterrupt):
        return "ctrl+c (SIGINT)"
    if isinstance(error, SystemExit) and isinstance(error.code, int) and error.code > 128:
        try:
            return signal.Signals(error.code - 128).name
        except ValueError:
            pass
    return type(error).__name__


def replay(plan: ReplayPlan, *, replays: Callable[[], Sequence[str]] | None = None,
           cancel: threading.Event | None = None, wait_s: float = 3.0,
           audit: bool = True) -> ReplayResult:
    """Run the hook, find the new execution id (`follow_id`), keep the record.

    The audit log gets a record before the hook runs (when it cannot be written, the
    replay is refused: a replay that leaves no trace is worse than none) and one after,
    also when the replay is interrupted (ctrl+c, or a signal turned into SystemExit:
    the hook's process group has been killed by then, and the exception goes on).

    `replays` returns the original's replays as the log shows them now (ids of
    executions whose `replay_of` is the original); when the hook does not say which
    execution it started, it is polled for up to `wait_s` seconds for a new one.
    """
    attempt = secrets.token_hex(8)

    def record(phase: str, outcome: dict[str, Any] | None, new_id: str | None,
               source: str) -> str | None:
        return append_audit(audit_record(plan.execution_id, plan.workflow_name,
                                         plan.hook_record(), outcome, new_id, source,
                                         phase=phase, attempt=attempt))

    if audit:
        problem = record(START, None, None, "not run yet")
        if problem is not None:
            return ReplayResult(ReplayOutcome(False, f"refusing to replay: {problem} (a "
                                              "replay must leave a record)", 0.0),
                                None, "nothing was run", problem, refused=True)
    started = time.monotonic()
    try:
        result = _run_and_follow(plan, replays, cancel, wait_s)
    except BaseException as error:
        if audit:
            why = interruption(error)
            outcome = ReplayOutcome(False, f"interrupted by {why}: the hook was stopped "
                                    "(its process group was killed)",
                                    time.monotonic() - started)
            problem = record(END, {**outcome.as_dict(), "interrupted": why}, None,
                             "interrupted")
            if problem is not None:  # said by whoever reports the interruption
                error.add_note(NOT_AUDITED + problem)
        raise
    if audit:
        problem = record(END, result.outcome.as_dict(), result.new_id, result.id_source)
        if problem is not None:
            result = ReplayResult(result.outcome, result.new_id, result.id_source, problem)
    return result


def _run_and_follow(plan: ReplayPlan, replays: Callable[[], Sequence[str]] | None,
                    cancel: threading.Event | None, wait_s: float) -> ReplayResult:
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
    return ReplayResult(outcome, new_id, source)
