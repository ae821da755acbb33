"""`wftui diff` between durations both shown as 0ms: "same", not "faster x0.50".

A cache lookup of 0.4 ms and one of 0.2 ms both read 0ms to the operator; saying the
second was twice as fast (and exiting 1, "they differ") is a ratio of rounding noise.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.forked import run_wftui


def _execution(eid: str, minute: int, step_ms: float) -> list[dict[str, object]]:
    start = f"2026-01-01T12:{minute:02d}:00.000000"
    end = f"2026-01-01T12:{minute:02d}:00.{int(step_ms * 1000):06d}"
    return [
        {"event": "workflow_start", "execution_id": eid, "workflow_name": "w",
         "timestamp": start},
        {"event": "step_start", "execution_id": eid, "step_name": "cache",
         "step_type": "tool", "timestamp": start},
        {"event": "step_complete", "execution_id": eid, "step_name": "cache",
         "duration_ms": step_ms, "success": True, "timestamp": end},
        {"event": "workflow_complete", "execution_id": eid, "status": "success",
         "timestamp": end},
    ]


def _log(tmp_path: Path, a_ms: float, b_ms: float) -> str:
    path = tmp_path / "app.log"
    events = _execution("A", 0, a_ms) + _execution("B", 1, b_ms)
    path.write_text("".join(json.dumps(event) + "\n" for event in events))
    return str(path)


def test_two_durations_both_shown_as_0ms_are_the_same(tmp_path: Path) -> None:
    done = run_wftui(["diff", "A", "B", _log(tmp_path, 0.4, 0.2)])
    assert done.returncode == 0, done.stdout  # 0: the two executions do not differ
    assert "faster" not in done.stdout and "0.50" not in done.stdout
    assert "x as long" not in done.stdout
    assert "no notable difference" in done.stdout
    lines = done.stdout.splitlines()
    cache = next(line for line in lines if "cache" in line)
    assert cache.split("|")[1:] == [" ok 0ms ", " ok 0ms ", ""]  # no difference
    ratio = next(line for line in lines if line.startswith("duration ratio"))
    assert ratio == "duration ratio (B / A): same (0ms each)"


def test_durations_shown_apart_still_say_faster(tmp_path: Path) -> None:
    done = run_wftui(["diff", "A", "B", _log(tmp_path, 40, 20)])  # 40ms then 20ms
    assert done.returncode == 1
    assert "faster x0.50" in done.stdout
