"""`wftui check --at TIME`: the figures, thresholds and alerts of a past moment of the
log, headless (a real process on a real file; values worked out by hand)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.core.test_history import hand_log_lines
from tests.forked import run_wftui


def check(path: Path, *args: str) -> tuple[int, dict[str, Any] | None, str]:
    done = run_wftui(["check", str(path), *args])
    body = json.loads(done.stdout) if done.stdout.startswith("{") else None
    return done.returncode, body, done.stderr


def test_check_at_a_moment_judges_it_as_it_stood_then(tmp_path: Path) -> None:
    path = tmp_path / "old.log"
    path.write_bytes(b"\n".join(hand_log_lines()) + b"\n")
    # 09:01:35: a ended ok (60 s), b failed at 90 s: 50% > the default 5%: firing
    code, body, _ = check(path, "--at", "09:01:35")
    assert code == 1 and body is not None
    assert body["at"] == "2026-03-01T09:01:35Z" and body["window_end"] == body["at"]
    assert body["error_rate"] == 0.5 and body["latency_s"]["p50"] == 60
    assert body["executions"] == {"total": 2, "running": 0, "succeeded": 1, "failed": 1}
    assert {t["name"]: t["state"] for t in body["thresholds"]}["error_rate"] == "firing"
    # 09:00:50: nothing has ended yet; two running; nothing fires
    code, body, _ = check(path, "--at=-160s")
    assert code == 0 and body is not None
    assert body["at"] == "2026-03-01T09:00:50Z"
    assert body["error_rate"] is None and body["active_workflows"] == 2


def test_check_at_a_moment_outside_the_log_says_so(tmp_path: Path) -> None:
    path = tmp_path / "old.log"
    path.write_bytes(b"\n".join(hand_log_lines()) + b"\n")
    code, body, error = check(path, "--at", "2026-03-02T00:00:00Z")
    assert code == 2 and body is None
    assert error.strip() == ("wftui: --at: 2026-03-02T00:00:00Z is outside the log, which "
                             "runs from 2026-03-01T09:00:00Z to 2026-03-01T09:03:30Z")
    code, _, error = check(path, "--at", "soon")
    assert code == 2 and "is not a moment" in error and "Traceback" not in error


def test_check_at_in_text_says_the_moment(tmp_path: Path) -> None:
    path = tmp_path / "old.log"
    path.write_bytes(b"\n".join(hand_log_lines()) + b"\n")
    done = run_wftui(["check", str(path), "--at", "09:01:35", "--format", "text"])
    assert done.returncode == 1
    assert done.stdout.splitlines()[0] == ("window      5m ending 2026-03-01T09:01:35Z "
                                           "(as it stood then: --at)")
    assert "error rate  50.00%" in done.stdout


def test_check_at_gives_the_queue_depth_of_that_moment(tmp_path: Path) -> None:
    from tests.core.test_as_of import old_log_lines

    path = tmp_path / "old.log"
    path.write_bytes(b"\n".join(old_log_lines()) + b"\n")
    # readings: 4 at 09:00:30, 7 at 09:01:30, 12 at 09:02:30, 3 at 09:04:50, 5 at 09:07
    _, body, _ = check(path, "--at", "09:02:00")
    assert body is not None and body["queue_depth"] == 7
    [told] = [w for w in body["warnings"] if w.startswith("history: the log ends")]
    assert told.endswith("figures and alerts are as of the moment asked (--at), not now")
    _, body, _ = check(path, "--at", "09:05:00")
    assert body is not None and body["queue_depth"] == 3
    _, body, _ = check(path, "--at", "09:00:20")  # before the first reading: no data
    assert body is not None and body["queue_depth"] is None
    assert ("no history for queue depth at 2026-03-01T09:00:20Z: the log's first reading "
            "is at 2026-03-01T09:00:30Z") in body["warnings"]


def test_check_at_the_first_seconds_of_a_log_says_throughput_is_too_short_to_rate(
        tmp_path: Path) -> None:
    from tests.core.test_as_of import event

    # x runs 0-2 s, y 1-3 s; the log goes on to 120 s. At 5 s two executions have
    # ended over 5 s of log: too short for a rate, and said so, as `check` of a log
    # that short says it (not a bare null beside two ended executions).
    lines = [event("workflow_start", 0, "x"), event("workflow_start", 1, "y"),
             event("workflow_complete", 2, "x", status="success"),
             event("workflow_complete", 3, "y", status="success"),
             event("workflow_start", 120, "z")]
    path = tmp_path / "old.log"
    path.write_bytes(b"\n".join(lines) + b"\n")
    code, body, _ = check(path, "--at", "09:00:05")
    assert code == 0 and body is not None
    assert body["throughput_per_min"] is None and body["error_rate"] == 0
    assert ("throughput: too short to rate (2 executions over 5 s of log; a rate needs "
            "10 s)") in body["warnings"]


def test_check_at_explains_that_moment(tmp_path: Path) -> None:
    # --explain with --at: the breakdowns of the moment's window, not nothing (it was
    # dropped) and not the log's end. At 09:00:50 a (begun at 0 s) and b (30 s) run;
    # they end at 60 and 90 s.
    path = tmp_path / "old.log"
    path.write_bytes(b"\n".join(hand_log_lines()) + b"\n")
    code, body, _ = check(path, "--at=-160s", "--explain")
    assert code == 0 and body is not None and body["at"] == "2026-03-01T09:00:50Z"
    explained = body["explain"]
    assert explained["active_workflows"]["running"] == 2
    assert [row["running_for_s"] for row in explained["active_workflows"]["oldest"]] == [50, 20]
    assert (explained["error_rate"]["failed"], explained["error_rate"]["ended"]) == (0, 0)
    # 09:01:35: b's failure is in the window
    code, body, _ = check(path, "--at", "09:01:35", "--explain")
    assert body is not None
    assert (body["explain"]["error_rate"]["failed"], body["explain"]["error_rate"]["ended"]) \
        == (1, 2)


def test_check_at_counts_the_traces_that_ended_by_then(tmp_path: Path) -> None:
    """Traces that do not say how they were sampled (an OTLP JSON file): at a moment,
    the executions they ended were counted neither as succeeded nor as failed ('3
    total: 0 running, 0 succeeded, 0 failed' beside an error rate of 50%). Three
    traces: 09:00:00-09:00:02 ok, 09:01:00-09:01:03 failed, 09:02:00-09:02:04 ok."""
    def trace(index: int, failed: bool) -> str:
        start = 1_772_355_600 + 60 * index  # 2026-03-01T09:00:00Z + index minutes
        span = {"traceId": f"{index + 1:032x}", "spanId": f"{index + 1:016x}", "name": "wf",
                "startTimeUnixNano": str(start * 10**9),
                "endTimeUnixNano": str((start + 2 + index) * 10**9),
                "status": {"code": 2 if failed else 1}}
        return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]})

    path = tmp_path / "spans.jsonl"
    path.write_text("\n".join(trace(n, n == 1) for n in range(3)) + "\n")
    _, whole, _ = check(path, "--window", "all")
    assert whole is not None
    assert whole["executions"] == {"total": 3, "running": 0, "succeeded": 2, "failed": 1}
    _, end, _ = check(path, "--window", "all", "--at", "09:02:04")
    assert end is not None and end["executions"] == whole["executions"]
    # 09:01:30: the first ended ok, the second (failed at 09:01:03) too, the third unbegun
    code, then, _ = check(path, "--window", "all", "--at", "09:01:30")
    assert then is not None and then["error_rate"] == 0.5
    assert then["executions"] == {"total": 2, "running": 0, "succeeded": 1, "failed": 1}
    assert code == 1
    # 09:01:01: the second is running
    _, running, _ = check(path, "--window", "all", "--at", "09:01:01")
    assert running is not None
    assert running["executions"] == {"total": 2, "running": 1, "succeeded": 1, "failed": 0}
