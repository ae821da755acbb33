"""The demo service sends its steps as spans through the real SDK and OTLP exporter;
with its log they make one execution each (never counted twice), nested trees with
tool calls under their step, branch decisions in place, and failures with tracebacks."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from demo.process import start_demo_process
from tests.demo.conftest import completed, read_events
from tests.helpers import wait_for
from wftui.core.steps import build_detail


def test_demo_traces_and_logs_are_one_execution_each(receiving: Any, tmp_path: Path) -> None:
    log = tmp_path / "demo.log"
    demo = start_demo_process(log, speed=20, rate=40, workers=8, seed=7,
                              otlp_endpoint=f"{receiving.url}/v1/traces")
    try:
        def enough() -> bool:
            statuses = completed(read_events(log))
            return len(statuses) >= 40 and "failure" in statuses.values()
        wait_for(enough, "40 executions, one of them failed")
    finally:
        assert demo.stop() == 0  # its exporter sends the last spans before it ends
    events = read_events(log)
    statuses = completed(events)
    ids = {e["execution_id"] for e in events if e["event"] != "queue_depth"}
    assert not {e["event"] for e in events} & {"step_start", "step_complete"}  # in spans
    wait_for(lambda: receiving.receiver.reader.spans >= 4 * len(statuses), "the spans")
    receiving._sink("demo.log", log.read_bytes().splitlines())
    now = time.time() + 3600
    with receiving.lock:
        ledger = receiving.ledger
        assert set(ledger.executions) == ids  # logs and spans: one execution each
        for execution_id, status in statuses.items():
            execution = ledger.executions[execution_id]
            assert execution.status(now, 30.0) == (
                "failed" if status == "failure" else "succeeded"), execution_id
        executions = {i: ledger.executions[i].copy() for i in statuses}
    trees = {i: build_detail(e, now, 30.0) for i, e in executions.items()}
    shapes = {i: [(s.depth, s.name) for s in t.steps] for i, t in trees.items()}
    replied = [i for i, shape in shapes.items() if (0, "auto_reply") in shape
               and statuses[i] == "success"]
    assert replied
    assert shapes[replied[0]] == [
        (0, "fetch_ticket"), (1, "execute_tool fetch_ticket"), (0, "classify"),
        (0, "route_ticket"), (0, "auto_reply"), (1, "execute_tool send_reply")]
    tree = trees[replied[0]]
    route = tree.steps[3]
    (decision,) = [i for i in route.items if i.kind == "branch_decision"]
    assert (decision.event["branch_name"], decision.event["path_taken"]) == (
        "route_ticket", "auto_reply")
    classify = tree.steps[2]
    assert classify.model == "gpt-4o-mini" and classify.input_tokens
    assert tree.context is not None  # the log's workflow_start: replay has its inputs
    failed = next(i for i, s in statuses.items() if s == "failure")
    bad = [s for s in trees[failed].steps if s.status == "failed"]
    assert bad and any(i.kind == "error" and "Traceback" in (i.event.get("traceback") or "")
                       for i in bad[0].items)
