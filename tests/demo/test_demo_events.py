"""The demo writes docs/log-format.md's events, well-formed, with steps that pair up."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from tests.helpers import wait_for

from .conftest import by_execution, read_events

EXPECTED_EVENTS = {
    "workflow_start",
    "step_start",
    "tool_call",
    "step_complete",
    "branch_decision",
    "error",
    "workflow_complete",
    "queue_depth",
}
STEP_TYPES = {
    "fetch_ticket": "tool",
    "classify": "llm",
    "route_ticket": "branch",
    "auto_reply": "llm",
    "escalate": "tool",
}
# List prices per million tokens (input, output), from the providers' price pages.
PRICES = {"gpt-4o-mini": (0.15, 0.60), "gpt-4o": (2.50, 10.00)}


def _seen_enough(path: Any) -> bool:
    events = read_events(path)
    kinds = {e["event"] for e in events}
    paths = {e.get("path_taken") for e in events}
    done = sum(e["event"] == "workflow_complete" for e in events)
    return kinds >= EXPECTED_EVENTS and {"escalate", "auto_reply"} <= paths and done >= 60


def test_log_lines_are_contract_events_and_steps_pair_up(start_demo) -> None:
    demo = start_demo()
    wait_for(lambda: _seen_enough(demo.log_path), "every event type, both paths, 60 executions")
    # Stop first: a clean shutdown must close every open step and execution too.
    assert demo.stop() == 0

    raw_lines = demo.log_path.read_bytes().split(b"\n")
    assert raw_lines[-1] == b"", "the log ends with a complete line"
    events = read_events(demo.log_path)
    assert len(events) == len(raw_lines) - 1
    for event in events:
        assert isinstance(event, dict)
        assert isinstance(event["event"], str)
        if event["event"] != "queue_depth":
            assert isinstance(event["execution_id"], str), event
        assert event["timestamp"].endswith("Z"), event
        stamp = datetime.fromisoformat(event["timestamp"])
        assert stamp.tzinfo is not None and stamp.utcoffset() == UTC.utcoffset(None)
    assert {e["event"] for e in events} >= EXPECTED_EVENTS
    queue_depths = [e for e in events if e["event"] == "queue_depth"]
    assert queue_depths and all(isinstance(e["value"], int) for e in queue_depths)

    for execution_id, run in by_execution(events).items():
        _check_execution(execution_id, run)


def _check_execution(execution_id: str, run: list[dict[str, Any]]) -> None:
    assert execution_id.startswith("EXEC-")
    assert all(c.isalnum() or c == "-" for c in execution_id)
    assert run[0]["event"] == "workflow_start" and run[-1]["event"] == "workflow_complete"
    assert [e["event"] for e in run].count("workflow_start") == 1
    assert [e["event"] for e in run].count("workflow_complete") == 1
    start, end = run[0], run[-1]
    assert start["workflow_name"] == "support_ticket"
    context = start["context"]
    assert set(context) >= {"ticket_id", "priority", "body"}

    open_steps: dict[str, dict[str, Any]] = {}
    failed_steps = []
    for event in run[1:-1]:
        kind = event["event"]
        if kind == "step_start":
            assert event["step_name"] not in open_steps, event
            assert STEP_TYPES[event["step_name"]] == event["step_type"]
            assert isinstance(event["context_keys"], list)
            open_steps[event["step_name"]] = event
        elif kind == "step_complete":
            assert event["step_name"] in open_steps, f"complete without start: {event}"
            del open_steps[event["step_name"]]
            assert isinstance(event["duration_ms"], float) and event["duration_ms"] >= 0
            if not event["success"]:
                failed_steps.append(event)
                assert event["error"]
            elif STEP_TYPES[event["step_name"]] == "llm":
                _check_llm_fields(event)
        elif kind == "tool_call":
            assert event["step_name"] in open_steps
            assert isinstance(event["response_keys"], list)
            if event["tool_name"] == "fetch_ticket":
                assert event["arguments"] == {"ticket_id": context["ticket_id"]}
        elif kind == "branch_decision":
            assert event["branch_name"] == "route_ticket" and "route_ticket" in open_steps
            # The article's rule, checked against the inputs the execution logged.
            expected = "escalate" if context["priority"] == "high" else "auto_reply"
            assert event["path_taken"] == expected
        elif kind == "error":
            assert event["step_name"] in open_steps
            assert event["traceback"].startswith("Traceback (most recent call last):")
            assert event["error"].split(": ", 1)[0] in event["traceback"]
    assert not open_steps, f"{execution_id}: steps never completed: {list(open_steps)}"

    if failed_steps:
        assert end["status"] == "failure"
    else:
        assert end["status"] == "success"
        names = [e["step_name"] for e in run if e["event"] == "step_start"]
        last = "escalate" if context["priority"] == "high" else "auto_reply"
        assert names == ["fetch_ticket", "classify", "route_ticket", last]
    assert (
        end["duration_ms"]
        >= sum(e["duration_ms"] for e in run if e["event"] == "step_complete") * 0.999
    )


def _check_llm_fields(event: dict[str, Any]) -> None:
    inp, out = event["input_tokens"], event["output_tokens"]
    assert isinstance(inp, int) and isinstance(out, int) and inp > 0 and out > 0
    price_in, price_out = PRICES[event["model"]]
    expected = (inp * price_in + out * price_out) / 1_000_000
    assert math.isclose(event["cost_usd"], expected, rel_tol=1e-6, abs_tol=1e-8)


def test_failed_execution_logs_error_then_failed_step_then_failure(start_demo) -> None:
    demo = start_demo(incident="error-spike")

    def a_failure() -> list[dict[str, Any]] | None:
        runs = by_execution(read_events(demo.log_path))
        for run in runs.values():
            if run[-1]["event"] == "workflow_complete" and run[-1]["status"] == "failure":
                return run
        return None

    run = wait_for(a_failure, "a failed execution")
    kinds = [e["event"] for e in run]
    error_at = kinds.index("error")
    failed = run[error_at + 1]
    assert failed["event"] == "step_complete" and failed["success"] is False
    assert failed["step_name"] == run[error_at]["step_name"]
    assert failed["error"] == run[error_at]["error"]
    assert run[-1]["status"] == "failure" and failed is run[-2]
