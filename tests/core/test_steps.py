"""The step tree (docs/log-format.md): pairing, and where tool calls, branch decisions and
errors belong. Offsets are seconds after T0; expected trees are written out by hand.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from wftui.core.ledger import Ledger
from wftui.core.steps import ExecutionDetail, build_detail

T0 = 1767268800.0


def ev(event: str, offset: float, **fields: Any) -> bytes:
    record = {"event": event, "execution_id": "e1", "timestamp": T0 + offset}
    record.update(fields)
    return json.dumps(record).encode()


def tree(*lines: bytes) -> ExecutionDetail:
    ledger = Ledger()
    ledger.ingest_lines("app.log", 1, list(lines), read_time=T0 + 1000)
    return build_detail(ledger.executions["e1"], T0 + 100, 30.0)


def kinds(items: list[Any]) -> list[str]:
    return [item.kind for item in items]


def test_start_and_next_complete_of_the_same_name_make_a_step() -> None:
    shown = tree(
        ev("workflow_start", 0, workflow_name="w", context={"q": "hi"}),
        ev("step_start", 1, step_name="classify", step_type="llm", context_keys=["q"]),
        ev("step_complete", 3, step_name="classify", success=True),
        ev("step_start", 3, step_name="classify", step_type="llm"),
        ev("step_complete", 8, step_name="classify", success=True, duration_ms=4500),
        ev("workflow_complete", 9, status="success"),
    )
    assert [s.name for s in shown.steps] == ["classify", "classify"]
    first, second = shown.steps
    assert (first.start_ts, first.end_ts) == (T0 + 1, T0 + 3)
    assert first.duration_s == pytest.approx(2.0)  # from timestamps
    assert first.step_type == "llm"
    assert first.context_keys == ["q"]
    assert (second.start_ts, second.end_ts) == (T0 + 3, T0 + 8)
    assert second.duration_s == pytest.approx(4.5)  # duration_ms wins
    assert shown.context == {"q": "hi"}
    assert [s.status for s in shown.steps] == ["ok", "ok"]


def test_interleaved_steps_pair_by_name() -> None:
    shown = tree(
        ev("step_start", 0, step_name="a"),
        ev("step_start", 1, step_name="b"),
        ev("step_complete", 2, step_name="a", success=True),
        ev("step_complete", 5, step_name="b", success=False, error="timeout"),
    )
    by_name = {s.name: s for s in shown.steps}
    assert by_name["a"].duration_s == pytest.approx(2.0)
    assert by_name["b"].duration_s == pytest.approx(4.0)
    assert by_name["b"].status == "failed"
    assert by_name["b"].error == "timeout"
    assert shown.status == "failed"


def test_open_step_is_running() -> None:
    shown = tree(ev("step_start", 0, step_name="a"))
    assert shown.steps[0].status == "running"
    assert shown.steps[0].end_ts is None


def test_a_step_open_for_a_minute_is_slower_than_one_that_took_300_ms() -> None:
    # fetch took 0.3 s; classify has been open since 40 s, 60 s at the tree's now (100 s)
    shown = tree(ev("workflow_start", 0),
                 ev("step_start", 39.7, step_name="fetch"),
                 ev("step_complete", 40.0, step_name="fetch", duration_ms=300, success=True),
                 ev("step_start", 40.0, step_name="classify"))
    assert [(s.name, s.slowest) for s in shown.steps] == [("fetch", False),
                                                          ("classify", True)]
    # once it has ended quickly, the finished one is the slowest again
    done = tree(ev("workflow_start", 0),
                ev("step_start", 39.7, step_name="fetch"),
                ev("step_complete", 40.0, step_name="fetch", duration_ms=300, success=True),
                ev("step_start", 40.0, step_name="classify"),
                ev("step_complete", 40.1, step_name="classify", duration_ms=100,
                   success=True))
    assert [(s.name, s.slowest) for s in done.steps] == [("fetch", True), ("classify", False)]


def test_a_step_left_open_by_an_ended_execution_ran_until_that_end() -> None:
    # classify never logged its completion; the execution succeeded at 1 s. Seen at 100 s
    # it has not been running for 99.4 s (nor is it the slowest step): it ran at most to
    # its execution's end, 0.4 s, while fetch took 0.6 s.
    shown = tree(ev("workflow_start", 0),
                 ev("step_start", 0, step_name="fetch"),
                 ev("step_complete", 0.6, step_name="fetch", duration_ms=600, success=True),
                 ev("step_start", 0.6, step_name="classify"),
                 ev("workflow_complete", 1.0, status="success"))
    assert shown.status == "succeeded" and shown.end_ts == T0 + 1.0
    classify = shown.steps[1]
    assert classify.status == "running" and classify.end_ts is None  # never completed
    assert shown.running_for(classify.start_ts) == pytest.approx(0.4)
    assert [(s.name, s.slowest) for s in shown.steps] == [("fetch", True), ("classify", False)]


def test_tool_call_belongs_to_the_latest_open_step() -> None:
    # The article's tool_call has no step_name: it goes to the step that is open.
    shown = tree(
        ev("step_start", 0, step_name="research"),
        ev("tool_call", 1, tool_name="search", arguments={"q": "x"}, duration_ms=300),
        ev("tool_call", 2, tool_name="fetch"),
        ev("step_complete", 3, step_name="research", success=True),
    )
    assert kinds(shown.steps[0].items) == ["tool_call", "tool_call"]
    assert [i.event["tool_name"] for i in shown.steps[0].items] == ["search", "fetch"]
    assert shown.steps[0].items[0].ts == T0 + 1
    assert shown.items == []


def test_event_with_step_name_goes_to_that_open_step() -> None:
    shown = tree(
        ev("step_start", 0, step_name="plan"),
        ev("step_start", 1, step_name="search"),
        ev("tool_call", 2, step_name="plan", tool_name="calculator"),
        ev("branch_decision", 2.5, step_name="plan", branch_name="route", path_taken="b"),
        ev("error", 3, step_name="plan", error="bad plan"),
        ev("step_complete", 4, step_name="search", success=True),
        ev("step_complete", 5, step_name="plan", success=True),
    )
    plan, search = shown.steps
    assert plan.name == "plan"
    assert kinds(plan.items) == ["tool_call", "branch_decision", "error"]
    assert plan.error == "bad plan"
    assert plan.status == "failed"
    assert search.items == []


def test_step_name_not_open_falls_back_to_latest_open_step() -> None:
    shown = tree(
        ev("step_start", 0, step_name="plan"),
        ev("tool_call", 1, step_name="gone", tool_name="t"),
        ev("step_complete", 2, step_name="plan", success=True),
    )
    assert kinds(shown.steps[0].items) == ["tool_call"]


def test_tool_name_equal_to_an_outer_step_does_not_steal_the_call() -> None:
    """No step_name: the latest open step ("search"), whatever the tool is called."""
    shown = tree(
        ev("step_start", 0, step_name="plan"),
        ev("step_start", 1, step_name="search"),
        ev("tool_call", 2, tool_name="plan"),
        ev("branch_decision", 2.5, branch_name="plan", path_taken="x"),
        ev("step_complete", 3, step_name="search", success=True),
        ev("step_complete", 4, step_name="plan", success=True),
    )
    plan, search = shown.steps
    assert kinds(search.items) == ["tool_call", "branch_decision"]
    assert plan.items == []


def test_events_with_no_open_step_belong_to_the_execution() -> None:
    shown = tree(
        ev("workflow_start", 0),
        ev("tool_call", 1, tool_name="early"),
        ev("step_start", 2, step_name="a"),
        ev("step_complete", 3, step_name="a", success=True),
        ev("branch_decision", 4, branch_name="route", path_taken="left"),
        ev("error", 5, error="after all steps"),
        ev("mystery", 6, note="kept"),
        ev("workflow_complete", 7, status="failure"),
    )
    assert kinds(shown.items) == ["workflow_start", "tool_call", "error", "mystery",
                                  "workflow_complete"]
    assert shown.steps[0].items == []
    # A branch decision between steps is a node of the step sequence, where it happened.
    assert [(s.name, s.step_type) for s in shown.steps] == [("a", None), ("route", "branch")]
    assert kinds(shown.steps[1].items) == ["branch_decision"]
    assert shown.steps[1].start_ts == T0 + 4
    assert shown.status == "failed"
    assert shown.end_ts == T0 + 7


def test_items_are_in_time_order_even_when_logged_out_of_order() -> None:
    shown = tree(
        ev("step_start", 0, step_name="a"),
        ev("tool_call", 2, tool_name="second"),
        ev("tool_call", 1, tool_name="first"),
        ev("step_complete", 3, step_name="a", success=True),
    )
    assert [i.event["tool_name"] for i in shown.steps[0].items] == ["first", "second"]


def test_detail_summary_matches_the_execution() -> None:
    shown = tree(
        ev("workflow_start", 0, workflow_name="support", replay_of="e0"),
        ev("step_start", 1, step_name="a"),
        ev("step_complete", 2, step_name="a", success=True, input_tokens=10,
           output_tokens=2, cost_usd=0.25),
        ev("workflow_complete", 3, status="success", duration_ms=2900),
    )
    assert shown.execution_id == "e1"
    assert shown.workflow_name == "support"
    assert shown.status == "succeeded"
    assert shown.start_ts == T0
    assert shown.end_ts == T0 + 3
    assert shown.duration_s == pytest.approx(2.9)
    assert (shown.input_tokens, shown.output_tokens) == (10, 2)
    assert shown.cost_usd == pytest.approx(0.25)
    assert shown.replay_of == "e0"
    exported = json.loads(json.dumps(shown.as_dict()))
    assert exported["steps"][0]["name"] == "a"
    assert exported["status"] == "succeeded"


def test_a_line_with_a_number_past_a_double_is_in_the_tree_too() -> None:
    """The ledger reads a line whose unread field holds 1e999 (valid JSON, though orjson
    refuses it): the step tree must show that step as well."""
    shown = tree(
        ev("step_start", 1, step_name="fetch"),
        ev("step_complete", 2, step_name="fetch", success=True)[:-1] + b', "x": 1e999}',
    )
    assert [(s.name, s.status) for s in shown.steps] == [("fetch", "ok")]


def test_an_execution_logged_and_traced_shows_its_start_and_end_once() -> None:
    # The log's workflow_start/complete and the root span's (0.2 s apart: two clocks)
    # are one start and one end; the logged context is kept.
    shown = tree(
        ev("workflow_start", 0, workflow_name="w", context={"q": "hi"}),
        ev("workflow_start", 0.2, workflow_name="w", step_id="ab12", trace_id="ff"),
        ev("step_start", 1, step_name="classify"),
        ev("step_complete", 2, step_name="classify", success=True),
        ev("workflow_complete", 3, status="success", duration_ms=3000),
        ev("workflow_complete", 3.1, status="success", step_id="ab12"),
        # a second run's start under the same id, a minute on, is its own event
        ev("workflow_start", 60, workflow_name="w"),
    )
    assert kinds(shown.items) == ["workflow_start", "workflow_complete", "workflow_start"]
    assert shown.context == {"q": "hi"}
