"""Comparing two executions: hand-written JSON lines, ingested by the Ledger, built with
build_detail, compared. Every expected row, ratio and verdict is worked out by hand from
the events below (durations are the logged duration_ms, so ratios are exact fractions).
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest

from wftui.core.compare import compare
from wftui.core.ledger import Ledger
from wftui.core.steps import ExecutionDetail, build_detail

T0 = 1767268800.0  # 2026-01-01T12:00:00Z


def step(name: str, ms: float, *, kind: str = "tool", ok: bool = True, error: str | None = None,
         path: str | None = None, tokens: tuple[int, int] | None = None,
         cost: float | None = None, done: bool = True) -> dict[str, Any]:
    return {"name": name, "ms": ms, "kind": kind, "ok": ok, "error": error, "path": path,
            "tokens": tokens, "cost": cost, "done": done}


def run(execution_id: str, steps: list[dict[str, Any]], *, replay_of: str | None = None,
        end: str | None = "auto", total_ms: float | None = None, at: float = 0.0
        ) -> list[bytes]:
    """The JSON lines of one execution; steps run back to back from T0 + at + 0.1 s."""
    def line(event: str, t: float, **fields: Any) -> bytes:
        record = {"event": event, "execution_id": execution_id, "timestamp": T0 + at + t}
        record.update({k: v for k, v in fields.items() if v is not None})
        return json.dumps(record).encode()

    start = {"workflow_name": "support_ticket", "context": {"ticket_id": "TKT-1"}}
    lines = [line("workflow_start", 0.0, replay_of=replay_of, **start)]
    t = 0.1
    failed = False
    for s in steps:
        lines.append(line("step_start", t, step_name=s["name"], step_type=s["kind"]))
        if s["path"] is not None:
            lines.append(line("branch_decision", t, branch_name=s["name"],
                              path_taken=s["path"]))
        if not s["done"]:
            break
        t += s["ms"] / 1000
        if s["error"] is not None:
            lines.append(line("error", t, step_name=s["name"], error=s["error"]))
        fields: dict[str, Any] = {"cost_usd": s["cost"]}
        if s["tokens"] is not None:
            fields.update(input_tokens=s["tokens"][0], output_tokens=s["tokens"][1])
        lines.append(line("step_complete", t, step_name=s["name"], duration_ms=s["ms"],
                          success=s["ok"], error=s["error"], **fields))
        failed = failed or not s["ok"]
    if end == "auto" and steps and steps[-1]["done"]:
        lines.append(line("workflow_complete", t, status="failure" if failed else "success",
                          duration_ms=total_ms))
    return lines


def details(*runs: list[bytes], now: float | None = None) -> list[ExecutionDetail]:
    ledger = Ledger()
    for lines in runs:
        ledger.ingest_lines("app.log", 1, lines)
    now = T0 + 5 if now is None else now
    return [build_detail(execution, now, 30.0) for execution in ledger.executions.values()]


FETCH_FAILS = [step("fetch_ticket", 2000, ok=False, error="TimeoutError: ticket API")]
ALL_OK = [
    step("fetch_ticket", 500),
    step("classify", 800, kind="llm", tokens=(300, 40), cost=0.0003),
    step("route_ticket", 2, kind="branch", path="auto_reply"),
    step("auto_reply", 1200, kind="llm", tokens=(1100, 200), cost=0.005),
]


def rows(comparison: Any) -> list[tuple[str, bool, bool, tuple[str, ...]]]:
    return [(r.name, r.left is not None, r.right is not None, r.differences)
            for r in comparison.rows]


def test_replay_that_succeeds_where_the_original_failed() -> None:
    original, replay = details(run("EXEC-1", FETCH_FAILS),
                               run("EXEC-1-replay", ALL_OK, replay_of="EXEC-1"))
    result = compare(original, replay)
    assert result.verdict == "the replay succeeded where the original failed at fetch_ticket"
    assert (result.left_label, result.right_label) == ("the original", "the replay")
    assert rows(result) == [
        # 500 ms / 2000 ms = 0.25: faster; ok vs failed; the error only on the left
        ("fetch_ticket", True, True, ("status", "error", "faster")),
        ("classify", False, True, ("added",)),
        ("route_ticket", False, True, ("added",)),
        ("auto_reply", False, True, ("added",)),
    ]
    assert result.rows[0].duration_ratio == pytest.approx(0.25)
    assert result.rows[0].left.error == "TimeoutError: ticket API"
    assert result.left.failed_step == "fetch_ticket"
    assert result.left.error == "TimeoutError: ticket API"
    assert (result.left.status, result.right.status) == ("failed", "succeeded")
    # tokens and cost are the sums of the LLM steps: 300+1100, 40+200, 0.0003+0.005
    assert (result.right.input_tokens, result.right.output_tokens) == (1400, 240)
    assert result.right.cost_usd == pytest.approx(0.0053)
    assert result.differs and not result.running


def test_swapped_sides_keep_the_roles_and_flip_the_sentence() -> None:
    original, replay = details(run("EXEC-1", FETCH_FAILS),
                               run("EXEC-1-replay", ALL_OK, replay_of="EXEC-1"))
    result = compare(replay, original)
    assert (result.left_label, result.right_label) == ("the replay", "the original")
    assert result.verdict == "the original failed at fetch_ticket where the replay succeeded"
    assert rows(result)[1] == ("classify", True, False, ("missing",))


def test_unrelated_executions_are_named_by_id() -> None:
    a, b = details(run("A-1", FETCH_FAILS), run("B-2", ALL_OK, at=10))
    assert compare(a, b).verdict == "B-2 succeeded where A-1 failed at fetch_ticket"


def test_a_different_branch_path_is_the_verdict_and_aligns_the_rest() -> None:
    escalated = [*ALL_OK[:2], step("route_ticket", 2, kind="branch", path="escalate"),
                 step("escalate", 300)]
    original, replay = details(run("EXEC-7", ALL_OK),
                               run("EXEC-7-replay", escalated, replay_of="EXEC-7"))
    result = compare(original, replay)
    assert result.verdict == ("both succeeded; the replay took a different path at "
                              "route_ticket (escalate instead of auto_reply)")
    assert rows(result) == [
        ("fetch_ticket", True, True, ()),
        ("classify", True, True, ()),
        ("route_ticket", True, True, ("branch",)),
        ("auto_reply", True, False, ("missing",)),
        ("escalate", False, True, ("added",)),
    ]
    route = result.rows[2]
    assert (route.left.path_taken, route.right.path_taken) == ("auto_reply", "escalate")


@pytest.mark.parametrize(("second_error", "second_step", "verdict"), [
    ("RateLimitError: 429", "classify", "both failed at classify with the same error"),
    ("APIError: 503", "classify", "both failed at classify, with different errors"),
    ("TimeoutError: ticket API", "fetch_ticket",
     "both failed: the original at classify, the replay at fetch_ticket"),
])
def test_both_failed(second_error: str, second_step: str, verdict: str) -> None:
    first = [step("fetch_ticket", 100),
             step("classify", 100, ok=False, error="RateLimitError: 429")]
    if second_step == "classify":
        second = [step("fetch_ticket", 100), step("classify", 100, ok=False, error=second_error)]
    else:
        second = [step("fetch_ticket", 100, ok=False, error=second_error)]
    a, b = details(run("E", first), run("E-replay", second, replay_of="E"))
    result = compare(a, b)
    assert result.verdict == verdict
    classify = next(r for r in result.rows if r.name == "classify")
    if second_step == "classify":
        expected = () if second_error == "RateLimitError: 429" else ("error",)
        assert classify.differences == expected
    else:
        assert classify.differences == ("missing",)


def test_tokens_cost_and_duration_ratio_marks() -> None:
    a_steps = [step("classify", 1000, kind="llm", tokens=(100, 20), cost=0.001)]
    b_steps = [step("classify", 1500, kind="llm", tokens=(100, 25), cost=0.002)]
    a, b = details(run("E", a_steps, total_ms=4000), run("E-replay", b_steps, replay_of="E",
                                                         total_ms=1000))
    result = compare(a, b)
    # 1500/1000 = 1.5 reaches the mark; (100,20) vs (100,25); 0.001 vs 0.002
    assert result.rows[0].differences == ("slower", "tokens", "cost")
    assert result.rows[0].duration_ratio == pytest.approx(1.5)
    assert result.duration_ratio == pytest.approx(0.25)  # 1000 ms / 4000 ms
    assert result.verdict == ("both succeeded along the same steps; the replay took 0.25x "
                              "as long, the replay used 125 tokens (vs 120), "
                              "cost $0.0020 (vs $0.0010)")


def test_identical_runs_differ_in_nothing() -> None:
    a, b = details(run("E", ALL_OK), run("F", ALL_OK, at=20))
    result = compare(a, b)
    assert [r.differences for r in result.rows] == [()] * 4
    assert not result.differs
    assert result.verdict == "both succeeded along the same steps, with no notable difference"


def test_a_retried_step_is_aligned_by_name_and_order() -> None:
    # The left retried fetch_ticket: the attempt that led on to classify pairs with the
    # right's only fetch_ticket (the longest run in common), the extra one is missing.
    a_steps = [step("fetch_ticket", 100), step("fetch_ticket", 300), step("classify", 100)]
    b_steps = [step("fetch_ticket", 300), step("classify", 100)]
    a, b = details(run("E", a_steps), run("F", b_steps, at=20))
    result = compare(a, b)
    assert rows(result) == [
        ("fetch_ticket", True, False, ("missing",)),
        ("fetch_ticket", True, True, ()),
        ("classify", True, True, ()),
    ]
    assert result.rows[1].duration_ratio == pytest.approx(1.0)  # 300 ms both: the retry
    assert result.verdict == "both succeeded, but their steps differ (fetch_ticket missing)"


def test_a_replay_still_running_is_compared_so_far() -> None:
    running = [step("fetch_ticket", 500), step("classify", 0, kind="llm", done=False)]
    original, replay = details(run("EXEC-1", FETCH_FAILS),
                               run("EXEC-1-replay", running, replay_of="EXEC-1", at=100),
                               now=T0 + 101)
    result = compare(original, replay)
    assert replay.status == "running"
    assert result.running
    assert result.verdict == ("the replay is still running, now at classify; it has passed "
                              "fetch_ticket, where the original failed")
    assert rows(result) == [("fetch_ticket", True, True, ("status", "error", "faster")),
                            ("classify", False, True, ("added",))]

    succeeded, replay = details(run("EXEC-2", ALL_OK),
                                run("EXEC-2-replay", running, replay_of="EXEC-2", at=100),
                                now=T0 + 101)
    result = compare(succeeded, replay)
    assert result.verdict == "the replay is still running, now at classify"
    # classify is running on the right: not a status difference; the rest not reached yet
    assert rows(result) == [
        ("fetch_ticket", True, True, ()),
        ("classify", True, True, ()),
        ("route_ticket", True, False, ("not yet",)),
        ("auto_reply", True, False, ("not yet",)),
    ]


def test_as_dict_is_json_and_names_the_differences() -> None:
    original, replay = details(run("EXEC-1", FETCH_FAILS),
                               run("EXEC-1-replay", ALL_OK, replay_of="EXEC-1"))
    data = orjson.loads(orjson.dumps(compare(original, replay).as_dict()))
    assert data["verdict"].startswith("the replay succeeded")
    assert data["left"]["execution_id"] == "EXEC-1"
    assert data["rows"][0]["step"] == "fetch_ticket"
    assert data["rows"][0]["differences"] == ["status", "error", "faster"]
    assert data["rows"][1]["left"] is None
    assert data["differs"] is True


def test_the_steps_figure_counts_the_top_level_as_the_table_does() -> None:
    # A plan step holding two tool calls (nested by parent_step_id, as spans nest), then
    # a reply: the executions table says 2 steps, and so must the comparison's headers.
    def nested(execution_id: str, at: float, replay_of: str | None = None) -> list[bytes]:
        def line(event: str, t: float, **fields: Any) -> bytes:
            return json.dumps({"event": event, "execution_id": execution_id,
                               "timestamp": T0 + at + t, **fields}).encode()
        start = {"workflow_name": "agent"} | ({"replay_of": replay_of} if replay_of else {})
        return [line("workflow_start", 0, **start),
                line("step_start", 0.1, step_name="plan", step_id="p"),
                line("step_start", 0.2, step_name="search", step_id="s1", parent_step_id="p"),
                line("step_complete", 0.3, step_name="search", step_id="s1", success=True),
                line("step_start", 0.3, step_name="search", step_id="s2", parent_step_id="p"),
                line("step_complete", 0.4, step_name="search", step_id="s2", success=True),
                line("step_complete", 0.5, step_name="plan", step_id="p", success=True),
                line("step_start", 0.5, step_name="reply", step_id="r"),
                line("step_complete", 0.9, step_name="reply", step_id="r", success=True),
                line("workflow_complete", 0.9, status="success")]

    ledger = Ledger()
    ledger.ingest_lines("app.log", 1, nested("EXEC-1", 0) + nested("EXEC-1-replay", 10,
                                                                    "EXEC-1"))
    table = {e.execution_id: e.row(T0 + 20, 30.0).steps for e in ledger.executions.values()}
    assert table == {"EXEC-1": 2, "EXEC-1-replay": 2}
    original, replay = (build_detail(e, T0 + 20, 30.0) for e in ledger.executions.values())
    result = compare(original, replay)
    assert (result.left.steps, result.right.steps) == (2, 2)
    # the step rows still pair every node, nested ones included
    assert [r.name for r in result.rows] == ["plan", "search", "search", "reply"]


def failed_outside_steps(execution_id: str, word: str, error: str, *, at: float = 0.0,
                         replay_of: str | None = None) -> list[bytes]:
    """One step that succeeds, then a workflow_complete with failure word `word` and
    `error`: the execution fails outside any step, and only that line says why."""
    lines = run(execution_id, [step("fetch_ticket", 100)], end=None, at=at,
                replay_of=replay_of)
    lines.append(json.dumps({"event": "workflow_complete", "execution_id": execution_id,
                             "timestamp": T0 + at + 0.2, "status": word, "error": error,
                             "duration_ms": 200}).encode())
    return lines


@pytest.mark.parametrize("word", ["failure", "timeout", "error", "failed"])
def test_the_error_of_a_workflow_complete_is_read_for_every_failure_word(word: str) -> None:
    # "timeout", "error" and "failed" are failure words as much as "failure" is (the
    # ledger counts all four as failed): each says the execution's error.
    a, b = details(failed_outside_steps("E", word, "deadline exceeded after 30s"),
                   failed_outside_steps("E-replay", word, "out of memory", at=20,
                                        replay_of="E"))
    result = compare(a, b)
    assert (result.left.status, result.right.status) == ("failed", "failed")
    assert result.left.error == "deadline exceeded after 30s"
    assert result.right.error == "out of memory"
    assert result.verdict == "both failed (outside any step), with different errors"


def test_two_failures_with_different_errors_differ() -> None:
    # Same steps, both failed outside any step, for different reasons: what the verdict
    # says ("with different errors") is a difference, so `wftui diff` exits 1, not 0.
    a, b = details(failed_outside_steps("E", "failure", "deadline exceeded after 30s"),
                   failed_outside_steps("E-replay", "failure", "out of memory", at=20,
                                        replay_of="E"))
    result = compare(a, b)
    assert [r.differences for r in result.rows] == [()]
    assert result.verdict == "both failed (outside any step), with different errors"
    assert result.differs
    assert result.as_dict()["differs"] is True
    same = compare(a, a)
    assert same.verdict == "both failed (outside any step) with the same error"
    assert not same.differs
