"""Executions (docs/log-format.md): status, end time, duration, idle rule, sums, merging.

Every scenario is a short hand-written event list; offsets are seconds after T0.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from wftui.core.figures import log_figures
from wftui.core.ledger import Ledger
from wftui.core.steps import build_detail

T0 = 1767268800.0  # 2026-01-01T12:00:00Z
READ_TIME = T0 + 3600


def ev(event: str, offset: float, execution_id: str = "e1", **fields: Any) -> bytes:
    """One JSON line with an epoch-seconds timestamp (the contract allows both forms)."""
    record = {"event": event, "execution_id": execution_id, "timestamp": T0 + offset}
    record.update(fields)
    return json.dumps(record).encode()


def ledger_of(*lines: bytes, idle_timeout: float = 30.0) -> Ledger:
    ledger = Ledger(idle_timeout=idle_timeout)
    ledger.ingest_lines("app.log", 1, list(lines), read_time=READ_TIME)
    return ledger


def row(ledger: Ledger, now_offset: float, execution_id: str = "e1"):
    return ledger.executions[execution_id].row(T0 + now_offset, ledger.idle_timeout)


# -- status ---------------------------------------------------------------------------

def test_success_by_workflow_complete() -> None:
    ledger = ledger_of(ev("workflow_start", 0), ev("step_start", 1, step_name="a"),
                       ev("step_complete", 2, step_name="a", success=True),
                       ev("workflow_complete", 3, status="success"))
    r = row(ledger, 3)
    assert r.status == "succeeded"
    assert r.end_ts == T0 + 3
    assert r.duration_s == pytest.approx(3.0)  # no duration_ms: end - first event


def test_failure_by_workflow_complete() -> None:
    ledger = ledger_of(ev("workflow_start", 0), ev("workflow_complete", 5, status="failure"))
    r = row(ledger, 5)
    assert r.status == "failed"
    assert r.end_ts == T0 + 5


def test_the_error_of_a_failed_workflow_complete_is_its_first_error() -> None:
    """A failure outside any step is told on workflow_complete only; a step's error,
    read first, stays the first error."""
    ledger = ledger_of(ev("workflow_start", 0),
                       ev("workflow_complete", 5, status="failure", error="cancelled: shutdown"),
                       ev("workflow_start", 0, "e2"),
                       ev("step_complete", 1, "e2", step_name="a", success=False,
                          error="429 rate limit"),
                       ev("workflow_complete", 2, "e2", status="failure", error="wrapped"))
    assert ledger.executions["e1"].first_error == "cancelled: shutdown"
    assert ledger.executions["e2"].first_error == "429 rate limit"


def test_failure_by_error_event_ends_at_the_error() -> None:
    # No workflow_complete: end time is the error's, even though events follow it.
    ledger = ledger_of(ev("workflow_start", 0), ev("step_start", 1, step_name="a"),
                       ev("error", 4, step_name="a", error="boom"),
                       ev("step_complete", 6, step_name="a", success=True),
                       ev("custom", 9))
    r = row(ledger, 9)
    assert r.status == "failed"
    assert r.end_ts == T0 + 4
    assert r.duration_s == pytest.approx(4.0)
    assert r.errors == 1


def test_failure_by_step_complete_success_false() -> None:
    # No error event and no workflow_complete: end time is the last event's.
    ledger = ledger_of(ev("workflow_start", 0), ev("step_start", 1, step_name="a"),
                       ev("step_complete", 2, step_name="a", success=False, error="bad"),
                       ev("custom", 2.5))
    r = row(ledger, 2.5)
    assert r.status == "failed"
    assert r.end_ts == T0 + 2.5
    assert r.duration_s == pytest.approx(2.5)


def test_complete_time_wins_over_error_time() -> None:
    ledger = ledger_of(ev("workflow_start", 0), ev("error", 2, error="x"),
                       ev("workflow_complete", 7, status="failure"))
    r = row(ledger, 7)
    assert r.status == "failed"
    assert r.end_ts == T0 + 7


def test_error_then_success_complete_is_failed() -> None:
    ledger = ledger_of(ev("workflow_start", 0), ev("error", 1, error="x"),
                       ev("workflow_complete", 2, status="success"))
    assert row(ledger, 2).status == "failed"


def test_running_until_something_ends_it() -> None:
    ledger = ledger_of(ev("workflow_start", 0), ev("step_start", 1, step_name="a"))
    r = row(ledger, 2)
    assert r.status == "running"
    assert r.end_ts is None
    assert r.duration_s is None


def test_success_false_is_failure_but_missing_success_is_not() -> None:
    ledger = ledger_of(ev("step_start", 0, step_name="a"), ev("step_complete", 1, step_name="a"),
                       ev("workflow_complete", 2, status="success"))
    assert row(ledger, 2).status == "succeeded"


# -- idle timeout -----------------------------------------------------------------------

def test_idle_without_open_step_counts_as_succeeded() -> None:
    ledger = ledger_of(ev("step_start", 0, step_name="a"),
                       ev("step_complete", 10, step_name="a", success=True))
    assert row(ledger, 10 + 29).status == "running"
    late = row(ledger, 10 + 31)
    assert late.status == "succeeded"
    assert late.end_ts == T0 + 10  # the last event's
    assert late.duration_s == pytest.approx(10.0)


def test_idle_with_open_step_stays_running() -> None:
    ledger = ledger_of(ev("step_start", 0, step_name="a"),
                       ev("step_complete", 1, step_name="a", success=True),
                       ev("step_start", 2, step_name="b"))
    assert row(ledger, 10_000).status == "running"


def test_idle_timeout_is_configurable() -> None:
    ledger = ledger_of(ev("workflow_start", 0), idle_timeout=5.0)
    assert row(ledger, 4).status == "running"
    assert row(ledger, 6).status == "succeeded"


def test_idle_counts_in_ledger_counts() -> None:
    ledger = ledger_of(ev("workflow_start", 0, "a"), ev("workflow_start", 50, "b"),
                       ev("step_start", 51, "c", step_name="x"),
                       ev("workflow_complete", 52, "d", status="failure"))
    # at +60: a idle 60 s -> succeeded, b idle 10 s -> running, c open step -> running
    assert ledger.counts(T0 + 60) == {"total": 4, "running": 2, "succeeded": 1, "failed": 1}


# -- duration ---------------------------------------------------------------------------

def test_duration_from_workflow_complete_duration_ms() -> None:
    ledger = ledger_of(ev("workflow_start", 0), ev("workflow_complete", 5, status="success",
                                                   duration_ms=4200))
    assert row(ledger, 5).duration_s == pytest.approx(4.2)


def test_duration_ms_of_wrong_type_falls_back_to_timestamps() -> None:
    ledger = ledger_of(ev("workflow_start", 1), ev("workflow_complete", 5, status="success",
                                                   duration_ms="4200"))
    assert row(ledger, 5).duration_s == pytest.approx(4.0)


# -- tokens and cost ---------------------------------------------------------------------

def test_tokens_and_cost_are_summed_over_steps() -> None:
    ledger = ledger_of(
        ev("step_start", 0, step_name="classify", step_type="llm"),
        ev("step_complete", 1, step_name="classify", model="m1", input_tokens=100,
           output_tokens=20, cost_usd=0.01, success=True),
        ev("step_start", 1, step_name="answer", step_type="llm"),
        ev("step_complete", 2, step_name="answer", model="m2", input_tokens=50,
           output_tokens=5, cost_usd=0.002, success=True),
        ev("step_start", 2, step_name="lookup", step_type="tool"),
        ev("step_complete", 3, step_name="lookup", success=True),
    )
    r = row(ledger, 3)
    assert r.input_tokens == 150
    assert r.output_tokens == 25
    assert r.cost_usd == pytest.approx(0.012)
    shown = build_detail(ledger.executions["e1"], T0 + 3, 30.0)
    assert [s.model for s in shown.steps] == ["m1", "m2", None]
    assert [s.input_tokens for s in shown.steps] == [100, 50, None]


@pytest.mark.parametrize("fields", [
    {"output_tokens": 7},
    {"output_tokens": 7, "model": "m"},
])
def test_output_tokens_alone_are_summed(fields: dict[str, Any]) -> None:
    """A step_complete that reports only output_tokens still adds them up."""
    ledger = ledger_of(ev("step_start", 0, step_name="gen"),
                       ev("step_complete", 1, step_name="gen", success=True, **fields))
    assert row(ledger, 1).output_tokens == 7


def test_tokens_on_a_failed_step_count() -> None:
    ledger = ledger_of(ev("step_start", 0, step_name="gen"),
                       ev("step_complete", 1, step_name="gen", success=False,
                          input_tokens=30, output_tokens=3, cost_usd=0.5))
    r = row(ledger, 1)
    assert (r.input_tokens, r.output_tokens, r.cost_usd) == (30, 3, 0.5)


# -- across sources ---------------------------------------------------------------------

def test_events_from_two_sources_merge_by_execution_id_in_time_order() -> None:
    ledger = Ledger()
    # worker B's file is read first but holds the later and the earlier events
    ledger.ingest_lines("worker-b.log", 1, [
        ev("step_start", 2, step_name="search"),
        ev("step_complete", 4, step_name="search", success=True, duration_ms=2000),
    ], read_time=READ_TIME)
    ledger.ingest_lines("worker-a.log", 1, [
        ev("workflow_start", 0, workflow_name="support"),
        ev("step_start", 0.5, step_name="classify"),
        ev("step_complete", 1.5, step_name="classify", success=True),
        ev("workflow_complete", 5, status="success"),
    ], read_time=READ_TIME)
    assert list(ledger.executions) == ["e1"]
    r = row(ledger, 5)
    assert r.status == "succeeded"
    assert r.start_ts == T0
    assert r.end_ts == T0 + 5
    assert r.duration_s == pytest.approx(5.0)
    assert r.steps == 2
    assert r.workflow_name == "support"
    shown = build_detail(ledger.executions["e1"], T0 + 5, 30.0)
    assert [s.name for s in shown.steps] == ["classify", "search"]
    assert shown.steps[0].duration_s == pytest.approx(1.0)
    assert shown.steps[1].duration_s == pytest.approx(2.0)
    assert [i.kind for i in shown.items] == ["workflow_start", "workflow_complete"]


def test_ties_in_time_keep_read_order() -> None:
    ledger = ledger_of(ev("step_start", 1, step_name="a"), ev("step_complete", 1, step_name="a"),
                       ev("step_start", 1, step_name="b"), ev("step_complete", 1, step_name="b"))
    shown = build_detail(ledger.executions["e1"], T0 + 1, 30.0)
    assert [s.name for s in shown.steps] == ["a", "b"]
    assert all(s.complete_event is not None for s in shown.steps)


def test_separate_ids_are_separate_executions_in_first_seen_order() -> None:
    ledger = ledger_of(ev("workflow_start", 5, "x"), ev("workflow_start", 1, "y"),
                       ev("step_start", 6, "x", step_name="s"))
    assert list(ledger.executions) == ["x", "y"]
    assert row(ledger, 6, "x").steps == 1
    assert row(ledger, 6, "y").steps == 0


def test_step_pairs_by_timestamp_even_when_its_completion_is_read_first() -> None:
    """docs/log-format.md orders an execution's events by timestamp across sources: a step whose
    step_complete (t=2, from the file read first) precedes its step_start (t=0, read
    later) in read order is still one closed step, so the execution is idle, not stuck
    running on an open step, and the step took 2 s."""
    ledger = Ledger()
    ledger.ingest_lines("worker-b.log", 1, [ev("step_complete", 2, step_name="s",
                                               success=True)], read_time=READ_TIME)
    ledger.ingest_lines("worker-a.log", 1, [ev("step_start", 0, step_name="s")],
                        read_time=READ_TIME)
    assert row(ledger, 100).status == "succeeded"
    shown = build_detail(ledger.executions["e1"], T0 + 100, 30.0)
    assert [(s.name, s.duration_s) for s in shown.steps] == [("s", 2.0)]
    stats = log_figures(ledger, None, T0 + 100, T0 + 100).step_latency_s["s"]
    assert stats["count"] == 1
    assert stats["p50"] == pytest.approx(2.0)


def test_a_completion_before_a_later_start_does_not_close_the_new_step() -> None:
    """A log read from its middle (--from-end, a rotated file) begins with a completion
    whose start was never read. A step of the same name that starts later (t=10) is a
    new step: "the next step_complete" after it has not come yet, so it is open and
    the execution is running, not idle-succeeded."""
    ledger = ledger_of(ev("step_complete", 5, step_name="s", success=True, duration_ms=1500),
                       ev("step_start", 10, step_name="s"))
    assert row(ledger, 100).status == "running"
    shown = build_detail(ledger.executions["e1"], T0 + 100, 30.0)
    assert [s.status for s in shown.steps] == ["ok", "running"]
    # once it completes, both steps are counted, each with its own duration
    ledger.ingest_lines("app.log", 3, [ev("step_complete", 13, step_name="s", success=True)],
                        read_time=READ_TIME)
    stats = log_figures(ledger, None, T0 + 100, T0 + 100).step_latency_s["s"]
    assert stats["count"] == 2
    assert sorted([stats["p50"], stats["p99"]]) == pytest.approx([2.25, 2.985])  # of 1.5, 3


def test_queue_depth_with_an_existing_execution_id_does_not_change_it() -> None:
    """queue_depth is the log's gauge, not an event of a workflow (the same reading that
    keeps it from making up executions): it must not stretch an execution's end."""
    ledger = ledger_of(ev("step_start", 0, step_name="s"),
                       ev("step_complete", 2, step_name="s", success=True),
                       ev("queue_depth", 20, value=4))
    assert ledger.queue_depth == 4
    r = row(ledger, 100)
    assert r.status == "succeeded"
    assert r.end_ts == T0 + 2
    assert r.duration_s == pytest.approx(2.0)
