"""Generate a seed-format workflow log (WorkflowLogger events, docs/log-format.md) for benchmarks.

~8 events per execution (fetch_ticket: step_start, tool_call, step_complete; classify:
step_start, step_complete; route_ticket: step_start, branch_decision, step_complete),
3% failing at fetch_ticket (error + step_complete success=false), ~50 executions
interleaved, timestamps advancing 2 ms per line.
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import UTC, datetime, timedelta


def _ts(t0: datetime, ms: float) -> str:
    return (t0 + timedelta(milliseconds=ms)).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _execution(n: int, rng: random.Random) -> list[dict]:
    eid = f"exec-{n:08d}"
    ctx_keys = ["ticket_id", "priority", "customer"]
    ticket = f"TKT-{rng.randrange(100000):05d}"
    events: list[dict] = [
        {"event": "step_start", "execution_id": eid, "step_name": "fetch_ticket",
         "step_type": "tool", "context_keys": ctx_keys},
    ]
    if rng.random() < 0.03:
        events += [
            {"event": "error", "execution_id": eid, "step_name": "fetch_ticket",
             "error": "TimeoutError: ticket service did not answer",
             "traceback": "Traceback (most recent call last):\n  File \"wf.py\", line 12\n"
                          "TimeoutError: ticket service did not answer"},
            {"event": "step_complete", "execution_id": eid, "step_name": "fetch_ticket",
             "duration_ms": round(rng.uniform(900, 3000), 3), "success": False,
             "error": "TimeoutError"},
        ]
        return events
    events += [
        {"event": "tool_call", "execution_id": eid, "tool_name": "fetch_ticket",
         "arguments": {"ticket_id": ticket}, "response_keys": ["id", "body", "priority"],
         "duration_ms": round(rng.uniform(20, 400), 3)},
        {"event": "step_complete", "execution_id": eid, "step_name": "fetch_ticket",
         "duration_ms": round(rng.uniform(25, 420), 3), "success": True, "error": None},
        {"event": "step_start", "execution_id": eid, "step_name": "classify",
         "step_type": "llm", "context_keys": ctx_keys},
        {"event": "step_complete", "execution_id": eid, "step_name": "classify",
         "duration_ms": round(rng.lognormvariate(6.5, 0.6), 3), "success": True,
         "error": None},
        {"event": "step_start", "execution_id": eid, "step_name": "route_ticket",
         "step_type": "branch", "context_keys": ctx_keys},
        {"event": "branch_decision", "execution_id": eid, "branch_name": "route_ticket",
         "path_taken": rng.choice(["auto_reply", "escalate"])},
        {"event": "step_complete", "execution_id": eid, "step_name": "route_ticket",
         "duration_ms": round(rng.uniform(1, 5), 3), "success": True, "error": None},
    ]
    return events


def generate(path: str, lines: int, seed: int = 7, interleave: int = 50) -> int:
    """Write `lines` lines to path; returns the number of executions started."""
    rng = random.Random(seed)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    started = 0
    active: list[list[dict]] = []
    written = 0
    clock_ms = 0.0
    dumps = json.dumps
    with open(path, "w", encoding="utf-8", buffering=1 << 20) as out:
        while written < lines:
            while len(active) < interleave:
                active.append(_execution(started, rng))
                started += 1
            slot = rng.randrange(len(active))
            event = active[slot].pop(0)
            if not active[slot]:
                active[slot] = _execution(started, rng)
                started += 1
            clock_ms += 2.0
            event["timestamp"] = _ts(t0, clock_ms)
            out.write(dumps(event, separators=(", ", ": ")) + "\n")
            written += 1
    return started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    generate(args.path, args.lines, args.seed)


if __name__ == "__main__":
    main()
