"""A log whose breakdowns are known by construction (see EXPECTED_* in the tests).

The window is 5 minutes ending at 12:10:00 (the newest event); the previous window is
12:00:00-12:05:00. Current window: ten executions ending at 12:06:00 + i*10 s with
durations 1..10 s; the four with durations 1-4 s failed:

    cur-01 billing  charge   (llm gpt-4o, tool stripe)  "timeout calling order-55421 after 30s"
    cur-02 billing  charge   (llm gpt-4o, tool stripe)  "timeout calling order-90017 after 30s"
    cur-03 support  classify (llm claude)               "HTTP 503 from <uuid a>"
    cur-04 billing  charge   (tool step, tool stripe)   "card 0xDEADBEEF declined"

cur-10 (10 s, the only one at or above p95 = 9.55 s) has fetch 6 s (a tool_call "web"
of 5 s inside) and summarize 3 s (llm gpt-4o). Previous window: five executions ending
12:02:00 + i*10 s, durations 2 s; prev-1 failed in classify (support, claude) with
"HTTP 503 from <uuid b>"; prev-2 has fetch 2 s. Running at the end: run-a billing
(from 12:07:00), run-b billing (12:08:00), run-c support (12:09:30), each with a step
open. Queue depth: 5000 at 12:04:00 (previous window), then 100, 200, 300, 400 at
12:06-12:09.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

BASE = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def at(seconds: float) -> str:
    return (BASE + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def ev(kind: str, t: float, **fields: Any) -> dict[str, Any]:
    return {"event": kind, "timestamp": at(t), **fields}


FAILED = {
    1: ("billing", "charge", "llm", "gpt-4o", "stripe", "timeout calling order-55421 after 30s"),
    2: ("billing", "charge", "llm", "gpt-4o", "stripe", "timeout calling order-90017 after 30s"),
    3: ("support", "classify", "llm", "claude", None,
        "HTTP 503 from 550e8400-e29b-41d4-a716-446655440000"),
    4: ("billing", "charge", "tool", None, "stripe", "card 0xDEADBEEF declined"),
}


def _failed(eid: str, start: float, duration: float, spec: tuple[Any, ...]) -> list[dict]:
    workflow, step, step_type, model, tool, error = spec
    end = start + duration
    out = [ev("workflow_start", start, execution_id=eid, workflow_name=workflow),
           ev("step_start", start, execution_id=eid, step_name=step, step_type=step_type)]
    if tool:
        out.append(ev("tool_call", start + duration / 4, execution_id=eid, tool_name=tool,
                      duration_ms=duration * 100))
    done = ev("step_complete", end - duration / 4, execution_id=eid, step_name=step,
              duration_ms=duration * 500, success=False, error=error)
    if model:
        done["model"] = model
    out += [done,
            ev("workflow_complete", end, execution_id=eid, status="failure",
               duration_ms=duration * 1000)]
    return out


def _succeeded(eid: str, start: float, duration: float, workflow: str = "support",
               steps: list[tuple[str, str, float, str | None, float | None]] | None = None
               ) -> list[dict]:
    out = [ev("workflow_start", start, execution_id=eid, workflow_name=workflow)]
    t = start
    for name, step_type, seconds, model, tool_s in steps or []:
        out.append(ev("step_start", t, execution_id=eid, step_name=name, step_type=step_type))
        if tool_s is not None:
            out.append(ev("tool_call", t + 0.5, execution_id=eid, tool_name="web",
                          duration_ms=tool_s * 1000))
        done = ev("step_complete", t + seconds, execution_id=eid, step_name=name,
                  duration_ms=seconds * 1000, success=True)
        if model:
            done["model"] = model
        out.append(done)
        t += seconds
    out.append(ev("workflow_complete", start + duration, execution_id=eid, status="success",
                  duration_ms=duration * 1000))
    return out


def events() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [ev("queue_depth", 240, value=5000)]
    for i in range(5):
        end = 120 + i * 10
        eid = f"prev-{i + 1}"
        if i == 0:
            out += _failed(eid, end - 2, 2, ("support", "classify", "llm", "claude", None,
                                             "HTTP 503 from 123e4567-e89b-12d3-a456-426614174000"))
        elif i == 1:
            out += _succeeded(eid, end - 2, 2, steps=[("fetch", "tool", 2.0, None, None)])
        else:
            out += _succeeded(eid, end - 2, 2)
    for i in range(1, 11):
        end = 360 + i * 10
        eid = f"cur-{i:02d}"
        if i in FAILED:
            out += _failed(eid, end - i, i, FAILED[i])
        elif i == 10:
            out += _succeeded(eid, end - 10, 10, steps=[
                ("fetch", "tool", 6.0, None, 5.0), ("summarize", "llm", 3.0, "gpt-4o", None)])
        else:
            out += _succeeded(eid, end - i, i)
    for eid, workflow, start in (("run-a", "billing", 420), ("run-b", "billing", 480),
                                 ("run-c", "support", 570)):
        out += [ev("workflow_start", start, execution_id=eid, workflow_name=workflow),
                ev("step_start", start + 1, execution_id=eid, step_name="wait",
                   step_type="tool")]
    for minute, value in ((6, 100), (7, 200), (8, 300), (9, 400)):
        out.append(ev("queue_depth", minute * 60, value=value))
    out.append(ev("heartbeat", 600, execution_id="run-c"))  # the newest event: 12:10:00
    out.sort(key=lambda e: e["timestamp"])
    return out


def lines() -> list[bytes]:
    return [orjson.dumps(e) for e in events()]


def write(path: Any) -> None:
    path.write_bytes(b"\n".join(lines()) + b"\n")
