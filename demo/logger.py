"""The article's `WorkflowLogger`: one JSON object per line, one event per call.

The article's version hands each JSON string to a `logging.StreamHandler`; this one
writes straight to a file, because a tailer (wftui) must see every line as soon as it
is written and never half of one. Each line goes out in a single unbuffered `write`
of the whole encoded line, so a reader never observes a partial event.

Method names and arguments follow the usual WorkflowLogger, so this file doubles as the
example of how to instrument an application for wftui (see docs/log-format.md for the fields).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import orjson


def utc_timestamp() -> str:
    """Now as ISO 8601 UTC with a trailing ``Z``, e.g. ``2026-01-01T12:00:00.123456Z``."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class WorkflowLogger:
    """Structured logger for workflow events, one JSON object per line.

    Thread-safe: the demo writes from its event loop and, for replays, the HTTP thread
    may trigger writes too; a lock keeps lines whole.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        # Unbuffered binary append: one write() per line, visible to a tailer at once.
        self._file: BinaryIO = open(self.path, "ab", buffering=0)  # noqa: SIM115
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the log file; later calls to the log methods are ignored."""
        with self._lock:
            self._file.close()

    def _write(self, event: dict[str, Any]) -> None:
        event.setdefault("timestamp", utc_timestamp())
        # OPT_NON_STR_KEYS: contexts are operator data and may carry int keys.
        line = orjson.dumps(event, option=orjson.OPT_NON_STR_KEYS) + b"\n"
        with self._lock:
            if not self._file.closed:
                self._file.write(line)

    # -- the five core events (docs/log-format.md) -------------------------------------------------

    def log_step_start(
        self,
        execution_id: str,
        step_name: str,
        step_type: str,
        context: Mapping[str, Any],
    ) -> None:
        """Log the start of a step execution (the context's keys, not its values)."""
        self._write(
            {
                "event": "step_start",
                "execution_id": execution_id,
                "step_name": step_name,
                "step_type": step_type,
                "timestamp": utc_timestamp(),
                "context_keys": list(context.keys()),
            }
        )

    def log_step_complete(
        self,
        execution_id: str,
        step_name: str,
        duration_ms: float,
        success: bool,
        error: str | None = None,
        **extra: Any,
    ) -> None:
        """Log the completion of a step.

        `extra` carries the LLM fields (`model`, `input_tokens`, `output_tokens`,
        `cost_usd`) for LLM steps.
        """
        self._write(
            {
                "event": "step_complete",
                "execution_id": execution_id,
                "step_name": step_name,
                "duration_ms": round(duration_ms, 3),
                "success": success,
                "error": error,
                "timestamp": utc_timestamp(),
                **extra,
            }
        )

    def log_branch_decision(self, execution_id: str, branch_name: str, path_taken: str) -> None:
        """Log a branch decision."""
        self._write(
            {
                "event": "branch_decision",
                "execution_id": execution_id,
                "branch_name": branch_name,
                "path_taken": path_taken,
                "timestamp": utc_timestamp(),
            }
        )

    def log_tool_call(
        self,
        execution_id: str,
        tool_name: str,
        arguments: Mapping[str, Any],
        response: Any,
        duration_ms: float,
        step_name: str | None = None,
    ) -> None:
        """Log an external tool invocation (the response's keys, not its values).

        `step_name` is an addition to the standard event: it ties the call to its step
        when several steps are open.
        """
        event: dict[str, Any] = {
            "event": "tool_call",
            "execution_id": execution_id,
            "tool_name": tool_name,
            "arguments": dict(arguments),
            "response_keys": list(response.keys()) if isinstance(response, Mapping) else None,
            "duration_ms": round(duration_ms, 3),
            "timestamp": utc_timestamp(),
        }
        if step_name is not None:
            event["step_name"] = step_name
        self._write(event)

    def log_error(
        self,
        execution_id: str,
        step_name: str,
        error: str,
        traceback_str: str | None = None,
    ) -> None:
        """Log an error with its traceback."""
        self._write(
            {
                "event": "error",
                "execution_id": execution_id,
                "step_name": step_name,
                "error": error,
                "traceback": traceback_str,
                "timestamp": utc_timestamp(),
            }
        )

    # -- extensions (docs/log-format.md) -----------------------------------------

    def log_workflow_start(
        self,
        execution_id: str,
        workflow_name: str,
        context: Mapping[str, Any],
        replay_of: str | None = None,
    ) -> None:
        """Log the start of an execution with its inputs, which replay re-uses."""
        event: dict[str, Any] = {
            "event": "workflow_start",
            "execution_id": execution_id,
            "workflow_name": workflow_name,
            "context": dict(context),
            "timestamp": utc_timestamp(),
        }
        if replay_of is not None:
            event["replay_of"] = replay_of
        self._write(event)

    def log_workflow_complete(
        self,
        execution_id: str,
        workflow_name: str,
        status: str,
        duration_ms: float,
        error: str | None = None,
    ) -> None:
        """Log the end of an execution: `status` is ``success`` or ``failure``."""
        event: dict[str, Any] = {
            "event": "workflow_complete",
            "execution_id": execution_id,
            "workflow_name": workflow_name,
            "status": status,
            "duration_ms": round(duration_ms, 3),
            "timestamp": utc_timestamp(),
        }
        if error is not None:
            event["error"] = error
        self._write(event)

    def log_queue_depth(self, value: int) -> None:
        """Log the work queue's depth (the only event without an execution_id)."""
        self._write({"event": "queue_depth", "value": value, "timestamp": utc_timestamp()})
