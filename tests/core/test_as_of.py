"""The executions table, the step tree and the queue depth at a past moment of an old
log (`wftui.core.travel`, `wftui.core.queue_history`), worked out by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from wftui.core.history import LogHistory
from wftui.core.ledger import Ledger
from wftui.core.ledger_merge import export_pieces, merge_part, part_ledger
from wftui.core.queue_history import QueueHistory
from wftui.core.thresholds import ThresholdEngine
from wftui.core.travel import detail_at, snapshot_at

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
BASE = T0.timestamp()
END = BASE + 450


def event(kind: str, second: float, execution: str | None = None, **fields: Any) -> bytes:
    record: dict[str, Any] = {"event": kind,
                              "timestamp": (T0 + timedelta(seconds=second)).isoformat()}
    if execution is not None:
        record["execution_id"] = execution
    record.update(fields)
    return json.dumps(record).encode()


def old_log_lines() -> list[bytes]:
    """alpha 0-180 ok (plan 10-40, write 50-170); bravo 60-260, an error at 250 and a
    failed completion at 260; charlie 130-160 ok; delta 400- open at the end (450).
    Queue depth 4 at 30 s, 7 at 90, 12 at 150, 3 at 290, 5 at 420."""
    return [
        event("workflow_start", 0, "alpha", workflow_name="report"),
        event("step_start", 10, "alpha", step_name="plan"),
        event("queue_depth", 30, value=4),
        event("step_complete", 40, "alpha", step_name="plan", success=True,
              input_tokens=100, output_tokens=20, cost_usd=0.01),
        event("step_start", 50, "alpha", step_name="write"),
        event("workflow_start", 60, "bravo", workflow_name="ingest"),
        event("step_start", 70, "bravo", step_name="fetch"),
        event("queue_depth", 90, value=7),
        event("step_complete", 100, "bravo", step_name="fetch", success=True),
        event("workflow_start", 130, "charlie", workflow_name="report"),
        event("step_start", 140, "charlie", step_name="plan"),
        event("queue_depth", 150, value=12),
        event("step_complete", 150, "charlie", step_name="plan", success=True),
        event("workflow_complete", 160, "charlie", status="success"),
        event("step_complete", 170, "alpha", step_name="write", success=True,
              input_tokens=300, output_tokens=50, cost_usd=0.03),
        event("workflow_complete", 180, "alpha", status="success", duration_ms=180000),
        event("error", 250, "bravo", error="timeout"),
        event("workflow_complete", 260, "bravo", status="failure"),
        event("queue_depth", 290, value=3),
        event("workflow_start", 400, "delta", workflow_name="ingest"),
        event("queue_depth", 420, value=5),
        event("step_start", 450, "delta", step_name="fetch"),
    ]


def old_ledger() -> Ledger:
    ledger = Ledger(idle_timeout=30.0)
    ledger.ingest_lines("old.log", 1, old_log_lines(), BASE + 86_400)
    return ledger


def table_at(ledger: Ledger, second: float) -> dict[str, tuple[Any, ...]]:
    snapshot = snapshot_at(ledger, ThresholdEngine(()), BASE + second, 300.0,
                           log_now=END, with_rows=True)
    return {row.execution_id: (row.status, row.running_for_s, row.duration_s, row.steps,
                               row.errors, row.input_tokens + row.output_tokens,
                               None if row.cost_usd is None else round(row.cost_usd, 4))
            for row in snapshot.rows}


def test_the_table_at_a_past_moment_shows_executions_as_they_stood_then() -> None:
    ledger = old_ledger()
    # 09:02:00: alpha running 120 s (plan done, write open: 2 steps, 120 tokens, $0.01);
    # bravo running 60 s (fetch done); charlie and delta not begun yet
    assert table_at(ledger, 120) == {
        "alpha": ("running", 120.0, None, 2, 0, 120, 0.01),
        "bravo": ("running", 60.0, None, 1, 0, 0, None),
    }
    # 09:03:20: alpha done in 180 s (its duration_ms), charlie done in 30 s
    assert table_at(ledger, 200) == {
        "alpha": ("succeeded", None, 180.0, 2, 0, 470, 0.04),
        "bravo": ("running", 140.0, None, 1, 0, 0, None),
        "charlie": ("succeeded", None, 30.0, 1, 0, 0, None),
    }
    # 09:04:15: bravo logged its error at 250 but ends (failed) only at 260: running,
    # one error so far, as the panels count it (not yet failed)
    assert table_at(ledger, 255)["bravo"] == ("running", 195.0, None, 1, 1, 0, None)
    assert table_at(ledger, 300)["bravo"] == ("failed", None, 200.0, 1, 1, 0, None)


def test_the_counts_of_a_past_moment_agree_with_its_rows() -> None:
    ledger = old_ledger()
    snapshot = snapshot_at(ledger, ThresholdEngine(()), BASE + 200, 300.0, log_now=END,
                           with_rows=True)
    assert snapshot.executions == {"total": 3, "running": 1, "succeeded": 2, "failed": 0}
    assert sorted(row.status for row in snapshot.rows) == ["running", "succeeded",
                                                           "succeeded"]


def test_the_step_tree_at_a_past_moment_holds_what_was_logged_by_then() -> None:
    ledger = old_ledger()
    alpha = ledger.executions["alpha"]
    then = detail_at(alpha, BASE + 120, END, ledger.idle_timeout)
    assert then is not None
    assert then.status == "running" and then.end_ts is None and then.as_of == BASE + 120
    assert [(step.name, step.status) for step in then.steps] == [("plan", "ok"),
                                                                  ("write", "running")]
    assert then.input_tokens == 100 and then.running_for(then.start_ts) == 120.0
    whole = detail_at(alpha, BASE + 200, END, ledger.idle_timeout)
    assert whole is not None and whole.status == "succeeded"
    assert [step.status for step in whole.steps] == ["ok", "ok"]
    assert detail_at(ledger.executions["delta"], BASE + 200, END, 30.0) is None


@pytest.mark.parametrize(("second", "depth"), [
    (30, 4), (89, 4), (90, 7), (120, 7), (200, 12), (300, 3), (449, 5), (450, 5)])
def test_queue_depth_at_a_past_moment_is_the_last_reading_by_then(second: float,
                                                                   depth: float) -> None:
    history = LogHistory(old_ledger(), END)
    assert history.figures_at(BASE + second, 300.0).queue_depth == depth


def test_before_the_first_reading_the_queue_depth_has_no_history() -> None:
    ledger = old_ledger()
    snapshot = snapshot_at(ledger, ThresholdEngine(()), BASE + 20, 300.0, log_now=END)
    assert snapshot.logs is not None and snapshot.logs.queue_depth is None  # not 0
    assert ("no history for queue depth at 2026-03-01T09:00:20Z: the log's first reading "
            "is at 2026-03-01T09:00:30Z") in snapshot.warnings


def test_metrics_alone_give_the_queue_depth_no_past() -> None:
    ledger = Ledger()
    ledger.ingest_lines("old.log", 1, [event("workflow_start", 0, "a"),
                                       event("workflow_complete", 60, "a",
                                             status="success")], BASE)
    snapshot = snapshot_at(ledger, ThresholdEngine(()), BASE + 30, 300.0,
                           log_now=BASE + 60, queue_now=40.0)
    assert snapshot.logs is not None and snapshot.logs.queue_depth is None
    assert any(w.startswith("no history for queue depth: the log reports none")
               for w in snapshot.warnings)
    quiet = snapshot_at(ledger, ThresholdEngine(()), BASE + 30, 300.0, log_now=BASE + 60)
    assert not any("queue" in w for w in quiet.warnings)  # none now either: nothing to say


def test_a_log_read_in_parts_keeps_the_whole_queue_history() -> None:
    lines = old_log_lines()
    first = Ledger(idle_timeout=30.0, keep_raw=False)
    first.ingest_lines("old.log", 1, lines[:9], BASE)
    later = part_ledger(first)
    later.ingest_lines("old.log", 10, lines[9:], BASE)
    merge_part(first, export_pieces(later), 9)
    history = LogHistory(first, END)
    assert [history.figures_at(BASE + s, 300.0).queue_depth for s in (40, 100, 200, 300)] \
        == [4, 7, 12, 3]


def test_queue_readings_thin_to_bounded_memory_keeping_each_slots_latest() -> None:
    queue = QueueHistory(cap=4)
    for second, value in [(0, 1), (0.5, 2), (1, 3), (2, 4), (3, 5), (4, 6)]:
        queue.add(second, value)
    # one reading per 1 s slot: (0.5, 2), (1, 3), (2, 4), (3, 5), (4, 6) is 5 > 4, so
    # slots widen to 2 s: [0, 2) keeps (1, 3), [2, 4) keeps (3, 5), [4, 6) keeps (4, 6)
    assert queue.readings() == [(1, 3), (3, 5), (4, 6)]
    assert queue.at(0.9) is None and queue.at(2.5) == 3 and queue.at(10) == 6
    queue.add(3.5, 9)  # read late (another file), the latest of its 2 s slot: it stands
    assert queue.readings() == [(1, 3), (3.5, 9), (4, 6)]
    assert queue.at(3.2) == 3 and queue.at(3.6) == 9
    queue.add(0.2, 8)  # older than its slot's reading: that one stands
    assert queue.readings() == [(1, 3), (3.5, 9), (4, 6)]


def test_a_step_whose_id_is_past_64_bits_stands_at_a_past_moment() -> None:
    """A whole step (one line, `start_timestamp`) whose step_id is a 128-bit number: the
    line is read whole (every digit), and the tree at a moment inside the step is rebuilt
    with a `step_start` written back, which orjson cannot write (a TypeError)."""
    big = 2**127 + 3
    ledger = Ledger(idle_timeout=30.0)
    ledger.ingest_lines("old.log", 1, [
        event("workflow_start", 0, "echo", workflow_name="report"),
        event("step_complete", 40, "echo", step_name="plan", step_id=big, success=True,
              start_timestamp=(T0 + timedelta(seconds=10)).isoformat()),
        event("workflow_complete", 50, "echo", status="success"),
    ], BASE + 86_400)
    then = detail_at(ledger.executions["echo"], BASE + 20, BASE + 50, ledger.idle_timeout)
    assert then is not None
    assert [(step.name, step.status) for step in then.steps] == [("plan", "running")]
