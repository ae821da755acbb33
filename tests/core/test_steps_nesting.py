"""The step tree nests by step_id / parent_step_id at any depth (logs and spans alike),
and a branch decision between steps sits where it happened. Trees written out by hand."""

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


def shape(detail: ExecutionDetail) -> list[tuple[int, str]]:
    return [(s.depth, s.name) for s in detail.steps]


def test_logged_steps_nest_three_deep_by_parent_step_id() -> None:
    shown = tree(
        ev("step_start", 0, step_name="plan", step_id="p"),
        ev("step_start", 1, step_name="research", step_id="r", parent_step_id="p"),
        ev("step_start", 2, step_name="search", step_id="s", parent_step_id="r"),
        ev("step_complete", 3, step_name="search", step_id="s", success=True),
        ev("step_start", 3, step_name="search", step_id="s2", parent_step_id="r"),
        ev("step_complete", 4, step_name="search", step_id="s2", success=False,
           error="timeout"),
        ev("step_complete", 5, step_name="research", step_id="r", success=True),
        ev("step_complete", 6, step_name="plan", step_id="p", success=True),
        ev("step_start", 6, step_name="answer", step_id="a"),
        ev("step_complete", 8, step_name="answer", step_id="a", success=True),
    )
    assert shape(shown) == [(0, "plan"), (1, "research"), (2, "search"), (2, "search"),
                            (0, "answer")]
    plan, research, first, second, answer = shown.steps
    assert [c.name for c in plan.children] == ["research"]
    assert research.children == [first, second]
    assert (first.start_ts, first.end_ts, first.status) == (T0 + 2, T0 + 3, "ok")
    assert (second.start_ts, second.end_ts, second.status) == (T0 + 3, T0 + 4, "failed")
    assert second.error == "timeout"
    assert plan.duration_s == pytest.approx(6.0)
    assert answer.children == []


def test_completions_pair_by_step_id_not_by_name() -> None:
    # Two parallel steps of one name: each completion closes its own start.
    shown = tree(
        ev("step_start", 0, step_name="fetch", step_id="f1"),
        ev("step_start", 1, step_name="fetch", step_id="f2"),
        ev("step_complete", 2, step_name="fetch", step_id="f2", success=True),
        ev("step_complete", 5, step_name="fetch", step_id="f1", success=True),
    )
    assert [(s.step_id, s.duration_s) for s in shown.steps] == [("f1", 5.0), ("f2", 1.0)]


def test_events_attach_to_the_step_their_step_id_names() -> None:
    shown = tree(
        ev("step_start", 0, step_name="outer", step_id="o"),
        ev("step_start", 1, step_name="inner", step_id="i", parent_step_id="o"),
        ev("tool_call", 2, tool_name="search", step_id="o"),  # not the latest open step
        ev("branch_decision", 3, branch_name="route", path_taken="left", step_id="i"),
        ev("step_complete", 4, step_name="inner", step_id="i", success=True),
        ev("step_complete", 5, step_name="outer", step_id="o", success=True),
    )
    outer, inner = shown.steps
    assert [i.kind for i in outer.items] == ["tool_call"]
    assert [i.kind for i in inner.items] == ["branch_decision"]


def test_a_branch_decision_between_steps_is_a_node_in_the_sequence() -> None:
    shown = tree(
        ev("step_start", 0, step_name="classify"),
        ev("step_complete", 1, step_name="classify", success=True),
        ev("branch_decision", 2, branch_name="route", path_taken="refund"),
        ev("step_start", 3, step_name="refund"),
        ev("step_complete", 4, step_name="refund", success=True),
    )
    assert [(s.name, s.step_type) for s in shown.steps] == [
        ("classify", None), ("route", "branch"), ("refund", None)]
    assert shown.steps[1].items[0].event["path_taken"] == "refund"
    assert shown.items == []


def test_a_completion_without_start_keeps_its_duration_and_its_place() -> None:
    shown = tree(
        ev("step_complete", 5, step_name="late", step_id="l", parent_step_id="p",
           duration_ms=1500),
        ev("step_start", 0, step_name="parent", step_id="p"),
        ev("step_complete", 6, step_name="parent", step_id="p", success=True),
    )
    assert shape(shown) == [(0, "parent"), (1, "late")]
    late = shown.steps[1]
    assert late.duration_s == pytest.approx(1.5)
    assert late.start_ts == pytest.approx(T0 + 3.5)


def test_a_parent_cycle_in_hostile_ids_still_shows_every_step() -> None:
    shown = tree(
        ev("step_complete", 1, step_name="a", step_id="x", parent_step_id="y"),
        ev("step_complete", 2, step_name="b", step_id="y", parent_step_id="x"),
    )
    assert sorted(s.name for s in shown.steps) == ["a", "b"]


def _steps_counted(lines: list[bytes]) -> int:
    ledger = Ledger()
    ledger.ingest_lines("app.log", 1, lines, read_time=T0 + 1000)
    return ledger.executions["e1"].row(T0 + 100, 30.0).steps


# plan > research > (search, search); write (top level); a step naming a parent no step
# has (an id from elsewhere) is at the top: 3 at the top of 6.
NESTED = [
    ev("step_start", 0, step_name="plan", step_id="p"),
    ev("step_start", 1, step_name="research", step_id="r", parent_step_id="p"),
    ev("step_start", 2, step_name="search", step_id="s", parent_step_id="r"),
    ev("step_complete", 3, step_name="search", step_id="s", success=True),
    ev("step_start", 3, step_name="search", step_id="s2", parent_step_id="r"),
    ev("step_complete", 4, step_name="search", step_id="s2", success=True),
    ev("step_complete", 5, step_name="research", step_id="r", success=True),
    ev("step_complete", 6, step_name="plan", step_id="p", success=True),
    ev("step_start", 7, step_name="write", step_id="w"),
    ev("step_complete", 8, step_name="write", step_id="w", success=True),
    ev("step_start", 9, step_name="notify", step_id="n", parent_step_id="elsewhere"),
    ev("step_complete", 10, step_name="notify", step_id="n", success=True),
]


def test_the_steps_column_counts_the_steps_at_the_trees_top() -> None:
    assert _steps_counted(NESTED) == 3
    assert [name for depth, name in shape(tree(*NESTED)) if depth == 0] == [
        "plan", "write", "notify"]


def test_children_read_before_their_parents_still_count_inside_them() -> None:
    """Spans end, and are exported, children first; two files interleave: the order
    read must not change the count."""
    reversed_starts = sorted(NESTED, key=lambda line: -json.loads(line)["timestamp"])
    assert _steps_counted(reversed_starts) == 3


def test_steps_without_ids_each_count() -> None:
    lines = [ev("step_start", 0, step_name="a"), ev("step_complete", 1, step_name="a"),
             ev("step_start", 1, step_name="b"), ev("step_complete", 2, step_name="b")]
    assert _steps_counted(lines) == 2
