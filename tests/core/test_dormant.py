"""Executions still running when retention folds them, and executions that never end.

Expectations are worked out by hand in each test's docstring.
"""

from __future__ import annotations

import json

from wftui.core.execution import MAX_RAW_LINES
from wftui.core.ledger import Ledger
from wftui.core.snapshot import take_snapshot
from wftui.core.steps import build_detail
from wftui.core.thresholds import ThresholdEngine

T0 = 1_767_268_800.0  # 2026-01-01T12:00:00Z


def line(event: str, eid: str, at: float, **fields: object) -> bytes:
    return json.dumps({"event": event, "execution_id": eid, "timestamp": at,
                       **fields}).encode()


def test_running_when_folded_still_completes_later() -> None:
    """retention=10, 20 executions start (each with an open step), then all complete
    with duration 1 s, half failing. Nothing may stay "running" and none is lost:
    20 ended, 10 failed, error rate 0.5, p50 1 s."""
    ledger = Ledger(retention=10)
    starts = [line("step_start", f"e{i}", T0 + i, step_name="s") for i in range(20)]
    ends = [line("workflow_complete", f"e{i}", T0 + 30 + i, duration_ms=1000,
                 status="failure" if i % 2 else "success") for i in range(20)]
    ledger.ingest_lines("a.log", 1, starts + ends)
    assert len(ledger.executions) <= 10
    snap = take_snapshot(ledger, ThresholdEngine(), window_s=None)
    assert snap.executions == {"total": 20, "running": 0, "succeeded": 10, "failed": 10}
    figures = snap.to_check_dict()
    assert figures["error_rate"] == 0.5
    assert figures["latency_s"]["p50"] == 1
    assert figures["active_workflows"] == 0


def test_dormant_executions_are_bounded() -> None:
    """retention=5, 100 executions that never end (open steps, no idle success): at
    most 5 retained + 5 dormant summaries; the other 90 are given up on, still counted
    as running (their last known state), so the total stays 100."""
    ledger = Ledger(retention=5)
    ledger.ingest_lines("a.log", 1, [line("step_start", f"e{i}", T0 + i, step_name="s")
                                     for i in range(100)])
    assert len(ledger.executions) <= 5 and len(ledger.dormant) <= 5
    assert ledger.kept.lost_running == 90
    assert ledger.counts(T0 + 100) == {"total": 100, "running": 100, "succeeded": 0,
                                       "failed": 0}


def test_one_endless_execution_keeps_bounded_raw_lines() -> None:
    """3 x MAX_RAW_LINES tool calls in one execution: raw lines stay at or under the cap,
    the dropped count makes up the rest, and the step tree still has the first and the
    latest events."""
    ledger = Ledger()
    total = 3 * MAX_RAW_LINES
    ledger.ingest_lines("a.log", 1, [line("tool_call", "x", T0 + i * 0.001, tool_name=f"t{i}")
                                     for i in range(total)])
    execution = ledger.executions["x"]
    assert len(execution.raw) <= MAX_RAW_LINES
    assert len(execution.raw) + execution.raw_dropped == total
    detail = build_detail(execution, T0 + total, 30.0)
    names = [item.event["tool_name"] for item in detail.items]
    assert names[0] == "t0" and names[-1] == f"t{total - 1}"
