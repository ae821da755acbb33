"""A step in one line: a `step_complete` with its `start_timestamp` (how spans are
written, docs/log-format.md) is a whole step, counted, timed and nested without a
`step_start`, and never closes another step's open start.

Offsets are seconds after T0; expected values are worked out from the lines by hand.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from wftui.core.ledger import Ledger
from wftui.core.mapping import build_mapping
from wftui.core.steps import build_detail
from wftui.core.travel import detail_at, rows_at

T0 = 1767268800.0  # 2026-01-01T12:00:00Z
READ_TIME = T0 + 3600


def ev(event: str, offset: float, **fields: Any) -> bytes:
    record = {"event": event, "execution_id": "e1", "timestamp": T0 + offset}
    record.update(fields)
    return json.dumps(record).encode()


def whole(name: str, began: float, ended: float, step_id: str, parent: str | None = None,
          **fields: Any) -> bytes:
    return ev("step_complete", ended, step_name=name, start_timestamp=T0 + began,
              duration_ms=(ended - began) * 1000, step_id=step_id, parent_step_id=parent,
              span_status="ok", **fields)


def ledger_of(*lines: bytes) -> Ledger:
    ledger = Ledger(idle_timeout=30.0)
    ledger.ingest_lines("app.log", 1, list(lines), read_time=READ_TIME)
    return ledger


def test_a_whole_step_is_counted_timed_and_nested_without_a_start() -> None:
    ledger = ledger_of(
        ev("workflow_start", 0),
        # A child ends (and is written) before its parent, as spans are exported.
        whole("search", 1.25, 1.75, "bb", parent="aa"),
        whole("answer", 1.0, 3.0, "aa"),
        ev("workflow_complete", 4, status="success"),
    )
    execution = ledger.executions["e1"]
    assert execution.steps == 1  # "search" is inside "answer": one step at the top
    assert not execution.open_steps and not execution.early_completes
    assert list(ledger.step_samples["answer"].values) == [2.0]
    assert list(ledger.step_samples["search"].values) == [0.5]
    tree = build_detail(execution, READ_TIME, 30.0)
    assert [(s.name, s.depth, s.start_ts, s.duration_s) for s in tree.steps] == [
        ("answer", 0, T0 + 1.0, 2.0), ("search", 1, T0 + 1.25, 0.5)]


def test_a_whole_step_leaves_an_open_logged_step_of_its_name_open() -> None:
    ledger = ledger_of(
        ev("workflow_start", 0),
        ev("step_start", 1, step_name="fetch"),
        whole("fetch", 2, 2.5, "cc"),  # another step of the same name, whole
    )
    execution = ledger.executions["e1"]
    assert execution.steps == 2
    assert list(execution.open_steps) == ["fetch"]  # the logged one is still running
    assert execution.open_steps["fetch"] == pytest.approx(T0 + 1)


def test_a_span_record_read_before_its_span_shows_in_the_spans_node() -> None:
    # An OTLP log record comes at its own time, inside the span; the span's one line
    # comes at the span's end: the record still belongs to that span's node.
    ledger = ledger_of(
        ev("workflow_start", 0),
        ev("step_start", 0.5, step_name="logged"),  # open: a name-less record's fallback
        ev("span_log", 1.5, step_id="dd", body="retrying", marks_error=False),
        whole("lookup", 1, 2, "dd"),
    )
    tree = build_detail(ledger.executions["e1"], READ_TIME, 30.0)
    by_name = {s.name: s for s in tree.steps}
    assert [i.event.get("body") for i in by_name["lookup"].items] == ["retrying"]
    assert by_name["logged"].items == []


def test_a_span_record_of_the_root_span_keeps_its_place_among_the_executions_events() -> None:
    # The record names the root span ("rr"), which is the execution, not a step: it is
    # the execution's, shown in time order (after the start, before the end).
    ledger = ledger_of(
        ev("workflow_start", 0),
        ev("span_log", 0.5, step_id="rr", body="starting", marks_error=False),
        whole("lookup", 1, 2, "dd", parent="rr"),
        ev("workflow_complete", 4, status="success"),
    )
    tree = build_detail(ledger.executions["e1"], READ_TIME, 30.0)
    assert [(i.kind, i.ts) for i in tree.items] == [
        ("workflow_start", T0), ("span_log", T0 + 0.5), ("workflow_complete", T0 + 4)]
    assert tree.steps[0].items == []


def test_events_logged_under_a_whole_steps_name_while_it_ran_land_in_it() -> None:
    # The step is only a span (one line at its end, 3 s); the application logged an
    # error and a tool call naming it at 2 s and 2.5 s, while it ran: they are its, as
    # they would be of a step opened by a `step_start` at 1 s.
    ledger = ledger_of(
        ev("workflow_start", 0),
        ev("error", 2, step_name="call", error="boom"),
        ev("tool_call", 2.5, tool_name="search"),  # no name: the latest open step's
        whole("call", 1, 3, "cc"),
        ev("workflow_complete", 4, status="success"),
    )
    tree = build_detail(ledger.executions["e1"], READ_TIME, 30.0)
    (step,) = tree.steps
    assert (step.name, step.start_ts, step.duration_s) == ("call", T0 + 1, 2.0)
    assert [(i.kind, i.ts) for i in step.items] == [("error", T0 + 2), ("tool_call", T0 + 2.5)]
    assert (step.status, step.error) == ("failed", "boom")
    assert [i.kind for i in tree.items] == ["workflow_start", "workflow_complete"]


def test_a_whole_step_without_an_id_is_closed_by_its_own_line_only() -> None:
    # "fetch" runs whole from 1 s to 5 s (no step_id); a logged "fetch" starts at 2 s and
    # completes at 3 s: that completion closes the logged start, not the whole step.
    ledger = ledger_of(
        ev("workflow_start", 0),
        ev("step_start", 2, step_name="fetch"),
        ev("step_complete", 3, step_name="fetch"),
        ev("step_complete", 5, step_name="fetch", start_timestamp=T0 + 1),
    )
    execution = ledger.executions["e1"]
    assert execution.steps == 2
    assert list(ledger.step_samples["fetch"].values) == [1.0, 4.0]
    tree = build_detail(execution, READ_TIME, 30.0)
    assert [(s.start_ts, s.end_ts) for s in tree.steps] == [(T0 + 1, T0 + 5), (T0 + 2, T0 + 3)]


@pytest.mark.parametrize("began", [
    (T0 + 1) * 1000,  # epoch milliseconds, as a log may write its times
    (T0 + 1) * 1_000_000,  # epoch microseconds
    "2026-01-01T12:00:01Z",  # T0 + 1 as RFC 3339 text
])
def test_a_logged_whole_steps_start_reads_as_its_timestamp_would(began: Any) -> None:
    # No duration_ms: the step lasts from its start (T0 + 1) to its line (T0 + 5).
    ledger = ledger_of(
        ev("workflow_start", 0),
        ev("step_complete", 5, step_name="s", start_timestamp=began),
    )
    execution = ledger.executions["e1"]
    assert execution.steps == 1
    assert list(ledger.step_samples["s"].values) == [pytest.approx(4.0)]
    (step,) = build_detail(execution, READ_TIME, 30.0).steps
    assert (step.start_ts, step.duration_s) == (pytest.approx(T0 + 1), pytest.approx(4.0))


def test_a_logged_whole_step_and_its_span_count_once_when_the_span_comes_second() -> None:
    # Logged first (a whole step from 1 s to 10 s), then sent as a span of 1 s to 3 s:
    # the logged one started inside the span, so they are twins, one step. The marks
    # of the lines read before the first span come from the raw lines (`twins_from`),
    # which must read the logged line's start as the ledger does: 1 s, not its 10 s end.
    ledger = ledger_of(
        ev("workflow_start", 0),
        ev("step_complete", 10, step_name="x", start_timestamp=T0 + 1),
        whole("x", 1, 3, "aa"),
    )
    execution = ledger.executions["e1"]
    assert execution.steps == 1
    assert list(ledger.step_samples["x"].values) == [9.0]
    assert len(build_detail(execution, READ_TIME, 30.0).steps) == 1


def test_at_a_past_moment_a_whole_step_running_then_is_a_running_step() -> None:
    # Spans as the receiver writes them: children end (and are written) first. At 6 s
    # "slow" (3 s..8 s) was running, "inner" (4 s..5 s, inside "slow") done, "plan"
    # (1 s..2 s) done: two steps at the top ("plan", "slow"), "inner" inside "slow".
    ledger = ledger_of(
        ev("workflow_start", 0),
        whole("plan", 1, 2, "p1", parent="root"),
        whole("inner", 4, 5, "i1", parent="s1"),
        whole("slow", 3, 8, "s1", parent="root"),
        ev("workflow_complete", 10, status="success"),
    )
    at, log_now = T0 + 6, T0 + 10
    (row,) = rows_at(ledger, at, log_now)
    assert (row.status, row.steps) == ("running", 2)
    tree = detail_at(ledger.executions["e1"], at, log_now, 30.0)
    assert tree is not None
    assert [(s.name, s.depth, s.status, s.start_ts) for s in tree.steps] == [
        ("plan", 0, "ok", T0 + 1), ("slow", 0, "running", T0 + 3),
        ("inner", 1, "ok", T0 + 4)]


def test_at_a_past_moment_a_mapped_logs_whole_step_running_then_is_running() -> None:
    mapping = build_mapping({"fields": {"event": "msg", "timestamp": "at.time",
                                        "step_name": "step"},
                             "events": {"step_start": "began", "step_complete": "done"}})
    lines = [json.dumps(line).encode() for line in (
        {"msg": "workflow_start", "execution_id": "e1", "at": {"time": T0}},
        {"msg": "done", "execution_id": "e1", "at": {"time": T0 + 8}, "step": "slow",
         "start_timestamp": T0 + 3},
    )]
    ledger = Ledger(idle_timeout=30.0, mapping=mapping)
    ledger.ingest_lines("app.log", 1, lines, read_time=READ_TIME)
    at, log_now = T0 + 6, T0 + 8
    (row,) = rows_at(ledger, at, log_now)
    assert (row.status, row.steps) == ("running", 1)
    tree = detail_at(ledger.executions["e1"], at, log_now, 30.0, mapping)
    assert tree is not None
    assert [(s.name, s.status, s.start_ts) for s in tree.steps] == [("slow", "running", T0 + 3)]


@pytest.mark.parametrize("logged_first", [True, False])
def test_a_step_logged_with_its_spans_id_is_closed_by_its_own_completion(
        logged_first: bool) -> None:
    # The application logs "x" (1 s..2 s) under the id of the span it also sends: the
    # logged completion closes the logged start (not the span's step, which holds the
    # same id), and the two are one step, ended, whichever was read first.
    logged = [ev("step_start", 1, step_name="x", step_id="aa"),
              ev("step_complete", 2, step_name="x", step_id="aa")]
    span = [whole("x", 1, 2, "aa")]
    ledger = ledger_of(ev("workflow_start", 0),
                       *(logged + span if logged_first else span + logged))
    execution = ledger.executions["e1"]
    assert execution.steps == 1
    tree = build_detail(execution, READ_TIME, 30.0)
    assert [(s.name, s.status, s.start_ts, s.end_ts) for s in tree.steps] == [
        ("x", "ok", T0 + 1, T0 + 2)]


def test_an_execution_of_whole_steps_only_began_when_its_first_step_began() -> None:
    """Spans of a trace whose root never came (0-1 s and 1-2 s, the first ending
    last): the execution ran from 0 s, not from the first line's end (1 s, or 2 s read
    in this order), and once idle it took 2 s (it read 1.00 s)."""
    ledger = ledger_of(whole("b", 1.0, 2.0, "s2"), whole("a", 0.0, 1.0, "s1"))
    [execution] = ledger.executions.values()
    assert execution.first_ts == T0
    row = execution.row(T0 + 60, 30.0)
    assert (row.status, row.start_ts, row.duration_s) == ("succeeded", T0, 2.0)
