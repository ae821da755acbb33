"""Explain: breakdowns on a log built so the answer is known (tests/alerts/explain_log.py).

Every expected number below is worked out by hand from the log's description, not
read back from the code.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.alerts import explain_log
from wftui.core.error_text import error_group
from wftui.core.explain import explain, queue_growth
from wftui.core.ledger import Ledger
from wftui.core.thresholds import DEFAULT_THRESHOLDS, Threshold

END = explain_log.BASE.timestamp() + 600  # 12:10:00, the newest event
THRESHOLDS = tuple(t if t.name != "queue_depth" else Threshold("queue_depth", 1000.0, "x")
                   for t in DEFAULT_THRESHOLDS)


def ledger(keep_raw: bool = True) -> Ledger:
    book = Ledger(keep_raw=keep_raw)
    book.ingest_lines("built.log", 1, explain_log.lines())
    return book


@pytest.fixture(scope="module")
def explained() -> dict[str, Any]:
    return explain(ledger(), window_s=300.0, end=END, now=END, thresholds=THRESHOLDS)


def pick(rows: list[dict[str, Any]], key: str) -> list[tuple[Any, ...]]:
    return [(r[key], r["count"], r["share"], r["previous"], r["change"]) for r in rows]


def test_error_rate_totals(explained: dict[str, Any]) -> None:
    errors = explained["error_rate"]
    assert (errors["failed"], errors["ended"]) == (4, 10)
    assert (errors["previous_failed"], errors["previous_ended"]) == (1, 5)
    assert errors["executions"] == ["cur-04", "cur-03", "cur-02", "cur-01"]  # newest first


def test_error_rate_by_step(explained: dict[str, Any]) -> None:
    assert pick(explained["error_rate"]["by_step"], "step_name") == [
        ("charge", 3, 0.75, 0, 3), ("classify", 1, 0.25, 1, 0)]


def test_error_rate_by_error_masks_ids_keeps_numbers(explained: dict[str, Any]) -> None:
    assert pick(explained["error_rate"]["by_error"], "error") == [
        ("timeout calling <id> after 30s", 2, 0.5, 0, 2),
        ("HTTP 503 from <uuid>", 1, 0.25, 1, 0),  # a different UUID before: same group
        ("card <hex> declined", 1, 0.25, 0, 1),
    ]


def test_error_rate_by_workflow_model_tool(explained: dict[str, Any]) -> None:
    errors = explained["error_rate"]
    assert pick(errors["by_workflow"], "workflow_name") == [
        ("billing", 3, 0.75, 0, 3), ("support", 1, 0.25, 1, 0)]
    assert pick(errors["by_model"], "model") == [
        ("gpt-4o", 2, 0.5, 0, 2), ("claude", 1, 0.25, 1, 0)]
    assert pick(errors["by_tool"], "tool_name") == [("stripe", 3, 0.75, 0, 3)]


def shares(rows: list[dict[str, Any]], key: str) -> list[tuple[Any, ...]]:
    return [(r[key], r["share"], r["previous_share"]) for r in rows]


def test_every_group_has_its_share_in_the_previous_window(explained: dict[str, Any]
                                                          ) -> None:
    """Previous window: one failure (prev-1: classify, support, claude, HTTP 503, no
    tool) of five; a group's previous share is over that one failure."""
    errors = explained["error_rate"]
    assert shares(errors["by_step"], "step_name") == [
        ("charge", 0.75, 0.0), ("classify", 0.25, 1.0)]
    assert shares(errors["by_workflow"], "workflow_name") == [
        ("billing", 0.75, 0.0), ("support", 0.25, 1.0)]
    assert shares(errors["by_error"], "error") == [
        ("timeout calling <id> after 30s", 0.5, 0.0), ("HTTP 503 from <uuid>", 0.25, 1.0),
        ("card <hex> declined", 0.25, 0.0)]
    assert shares(errors["by_model"], "model") == [("gpt-4o", 0.5, 0.0), ("claude", 0.25, 1.0)]
    assert shares(errors["by_tool"], "tool_name") == [("stripe", 0.75, 0.0)]


def test_a_group_gone_since_the_previous_window_is_listed_with_zero() -> None:
    """A 1-minute window ending 12:07:40 holds cur-05..10 (ending 12:06:50..12:07:40,
    none failed); the one before (12:05:40-12:06:40] holds cur-01..04 (charge, charge,
    classify, charge): both steps are listed at 0, largest previous first."""
    end = explain_log.BASE.timestamp() + 460
    out = explain(ledger(), window_s=60.0, end=end, now=end, thresholds=THRESHOLDS)
    errors = out["error_rate"]
    assert (errors["failed"], errors["previous_failed"]) == (0, 4)
    assert [(r["step_name"], r["count"], r["share"], r["previous"], r["previous_share"],
             r["change"]) for r in errors["by_step"]] == [
        ("charge", 0, None, 3, 0.75, -3), ("classify", 0, None, 1, 0.25, -1)]


def test_latency_steps_against_the_previous_windows_slow_executions(
        explained: dict[str, Any]) -> None:
    """Previous window: five of 2 s, p95 2 s, so all five are slow (10 s in all):
    prev-1's classify step (1 s) and prev-2's fetch (2 s)."""
    latency = explained["latency_p95_s"]
    assert latency["previous_slow_count"] == 5
    assert [(r["step_name"], r["count"], r["share"], r["previous"], r["previous_share"],
             r["change"]) for r in latency["by_step"]] == [
        ("fetch", 1, 0.6, 1, 0.2, 0), ("summarize", 1, 0.3, 0, 0.0, 1)]


def test_running_against_the_start_of_the_window(explained: dict[str, Any]) -> None:
    """At 12:05:00 nothing was running (the previous window's executions had ended by
    12:02:40, cur-01 starts 12:06:09): every running workflow is new."""
    active = explained["active_workflows"]
    assert active["previous_running"] == 0
    assert [(r["workflow_name"], r["previous"], r["change"], r["previous_share"])
            for r in active["by_workflow"]] == [("billing", 0, 2, None),
                                                ("support", 0, 1, None)]
    # From 12:10, a 3-minute window starts at 12:07:00, when run-a (12:07:00) had begun.
    later = explain(ledger(), window_s=180.0, end=END, now=END, thresholds=THRESHOLDS)
    assert [(r["workflow_name"], r["count"], r["previous"], r["previous_share"])
            for r in later["active_workflows"]["by_workflow"]] == [
        ("billing", 2, 1, 1.0), ("support", 1, 0, 0.0)]


def test_latency_slow_executions_and_step_shares(explained: dict[str, Any]) -> None:
    latency = explained["latency_p95_s"]
    # durations 1..10 s: rank 0.95 * 9 = 8.55, so 9 + 0.55 * (10 - 9)
    assert latency["p95_s"] == pytest.approx(9.55)
    assert latency["previous_p95_s"] == pytest.approx(2.0)
    assert latency["slow_count"] == 1
    assert [s["execution_id"] for s in latency["slow"]] == ["cur-10"]
    steps = [(r["step_name"], r["share"], r["p95_s"], r["previous_p95_s"])
             for r in latency["by_step"]]
    assert steps == [("fetch", 0.6, 6.0, 2.0), ("summarize", 0.3, 3.0, None)]
    calls = [(c["kind"], c["name"], c["step_name"], c["duration_s"])
             for c in latency["slowest_calls"]]
    assert calls == [("tool", "web", "fetch", 5.0), ("llm", "gpt-4o", "summarize", 3.0)]


def test_active_by_workflow_and_oldest_first(explained: dict[str, Any]) -> None:
    active = explained["active_workflows"]
    assert active["running"] == 3
    assert [(r["workflow_name"], r["count"], r["share"]) for r in active["by_workflow"]] == [
        ("billing", 2, 0.6667), ("support", 1, 0.3333)]
    assert [(r["execution_id"], r["running_for_s"]) for r in active["oldest"]] == [
        ("run-a", 180.0), ("run-b", 120.0), ("run-c", 30.0)]


def test_queue_growth_and_time_left(explained: dict[str, Any]) -> None:
    queue = explained["queue_depth"]
    # 100, 200, 300, 400 a minute apart (the 5000 before the window is not in it)
    assert queue["readings"] == 4
    assert queue["growth_per_min"] == pytest.approx(100.0)
    assert queue["depth"] == 400
    assert queue["time_to_threshold_s"] == pytest.approx(360.0)  # 600 more at 100/min


def test_window_all_has_no_previous() -> None:
    out = explain(ledger(), window_s=None, end=END, now=END, thresholds=THRESHOLDS)
    errors = out["error_rate"]
    assert (errors["failed"], errors["ended"]) == (5, 15)
    assert errors["previous_failed"] is None
    assert all(row["change"] is None for row in errors["by_step"])
    assert errors["by_step"][0] == {"step_name": "charge", "count": 3, "share": 0.6,
                                   "previous": None, "previous_share": None, "change": None}
    assert out["active_workflows"]["previous_running"] is None


def test_without_lines_models_and_tools_are_said_missing() -> None:
    out = explain(ledger(keep_raw=False), window_s=300.0, end=END, now=END)
    errors = out["error_rate"]
    assert errors["by_model"] is None and errors["by_tool"] is None
    assert "not kept" in errors["note"]
    # what the summaries hold is still there
    assert [r["step_name"] for r in errors["by_step"]] == ["charge", "classify"]
    assert out["latency_p95_s"]["by_step"] is None


def test_empty_ledger_is_no_data_not_zero() -> None:
    out = explain(Ledger(), window_s=300.0, end=END, now=END)
    assert out["error_rate"]["failed"] == 0 and out["error_rate"]["by_step"] == []
    assert out["latency_p95_s"]["p95_s"] is None
    assert out["queue_depth"]["growth_per_min"] is None
    assert out["queue_depth"]["depth"] is None


@pytest.mark.parametrize(("points", "threshold", "growth", "left"), [
    ([(0, 10), (60, 20)], 100, 10.0, 480.0),  # 80 more at 10/min
    ([(0, 50), (60, 40)], 100, -10.0, None),  # shrinking: never
    ([(0, 150), (60, 160)], 100, 10.0, 0),  # already above
    ([(0, 10)], 100, None, None),  # one reading: no rate
    # least squares: mean t 45, v 25; sum dt*dv 2700 / sum dt^2 4500 = 0.6/s
    ([(0, 0), (30, 20), (60, 20), (90, 60)], None, 36.0, None),
])
def test_queue_growth(points: list[tuple[float, float]], threshold: float | None,
                      growth: float | None, left: float | None) -> None:
    out = queue_growth(points, None, 1000.0, threshold)
    assert out["growth_per_min"] == (pytest.approx(growth) if growth is not None else None)
    assert out["time_to_threshold_s"] == (pytest.approx(left) if left is not None else None)


@pytest.mark.parametrize(("text", "group"), [
    ("timeout calling order-55421 after 30s", "timeout calling <id> after 30s"),
    ("HTTP 503 from api", "HTTP 503 from api"),
    ("req_8f3a2b failed", "<id> failed"),
    ("gpt-4o rate limited, retry in 250ms", "gpt-4o rate limited, retry in 250ms"),
    ("row 550e8400-e29b-41d4-a716-446655440000 gone", "row <uuid> gone"),
    ("bad pointer 0x7ffee4b2", "bad pointer <hex>"),
    ("digest a3f9c2d1e4 mismatch", "digest <hex> mismatch"),
    ("user42871 not found", "<id> not found"),
    ("retry 3 of 5 in 1.5s", "retry 3 of 5 in 1.5s"),
    ("accepted deadbeef", "accepted deadbeef"),  # words made of hex letters stay
    ("line one\n   line two", "line one line two"),
])
def test_error_group(text: str, group: str) -> None:
    assert error_group(text) == group


def test_error_group_masks_the_executions_own_id() -> None:
    assert error_group("job x7 of run abc failed", "abc") == "job x7 of run <id> failed"


def test_known_workflows_only_when_one(explained: dict[str, Any]) -> None:
    from wftui.alerts.desk import known_workflows

    # failures: billing and support (two: unknown); the one slow execution: support
    # (cur-10 is logged as "support"); running: billing and support (unknown)
    assert known_workflows(explained) == {"latency_p95_s": "support"}
    assert known_workflows({"error_rate": {"by_workflow": [{"workflow_name": "(no "
                                                            "workflow_name)"}]}}) == {}
    # a workflow there only in the previous window (count 0 now) is not behind it
    assert known_workflows({"error_rate": {"by_workflow": [
        {"workflow_name": "billing", "count": 2}, {"workflow_name": "support", "count": 0}]}}
    ) == {"error_rate": "billing"}
    # metrics only: their workflow_name label says it
    assert known_workflows({"error_rate": {"by_workflow": []}, "metrics": {"error_rate": {
        "by_workflow": [{"workflow_name": "support_ticket", "count": 5}]}}}) == {
        "error_rate": "support_ticket"}


def test_a_previous_window_before_the_log_is_no_data_not_zero() -> None:
    """A 10-minute window ending 12:10 starts at 12:00:00; the log's first execution
    starts at 12:01:58, so there is nothing to compare with: no "+4 vs 0"."""
    out = explain(ledger(), window_s=600.0, end=END, now=END, thresholds=THRESHOLDS)
    errors = out["error_rate"]
    assert (errors["failed"], errors["ended"]) == (5, 15)  # both windows' executions
    assert errors["previous_failed"] is None
    assert all(row["change"] is None for row in errors["by_step"])
    assert out["latency_p95_s"]["previous_p95_s"] is None
    assert out["previous_note"] == "no previous window: the log starts inside this one"
    # An 8-minute window starts at 12:02:00, after the first start (12:01:58): compared.
    reached = explain(ledger(), window_s=480.0, end=END, now=END, thresholds=THRESHOLDS)
    assert reached["error_rate"]["previous_failed"] is not None
    assert "previous_note" not in reached


def _traceback_of(error: BaseException) -> str:
    import traceback

    try:
        raise error
    except BaseException:  # noqa: BLE001 - formatted, as a logger formats it
        return traceback.format_exc()


def test_a_traceback_s_error_is_its_exception_line_even_when_its_message_has_lines(
) -> None:
    """An exception whose message has several lines (pydantic's ValidationError, a
    prompt quoted in the message) ends its traceback with the message's last line: the
    error is the exception's line ("Type: first line"), as the traceback writes it."""
    from wftui.core.error_text import traceback_error

    several = _traceback_of(ValueError("model output is not JSON\n  got: 'Sure! {'\n"
                                       "    For more information visit the docs"))
    assert several.rstrip().endswith("For more information visit the docs")
    assert traceback_error(several) == "ValueError: model output is not JSON"
    assert traceback_error(_traceback_of(TimeoutError("upstream 503"))) == (
        "TimeoutError: upstream 503")
    try:
        try:
            raise KeyError("a")
        except KeyError as cause:
            raise RuntimeError("step failed\nretry 3 of 3") from cause
    except RuntimeError as chained:
        assert traceback_error(_traceback_of(chained)) == "RuntimeError: step failed"
    # Not a Python traceback: its last line, as before.
    assert traceback_error("panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n") == (
        "main.main()")
    assert traceback_error("  \n") is None and traceback_error(None) is None
