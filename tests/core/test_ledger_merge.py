"""A log read in parts and merged (`wftui.core.ledger_merge`) says what reading it in one
go says: the one-go ledger is the reference, at every cut point of hand-made logs whose
executions, steps, replays and errors straddle the cut, and of random interleaved logs
with folding, dormant and late executions.
"""

from __future__ import annotations

import json
import pickle
import random
from typing import Any

import pytest

from wftui.core.ledger import Ledger
from wftui.core.ledger_merge import export_pieces, merge_part, part_ledger
from wftui.core.snapshot import take_snapshot
from wftui.core.thresholds import ThresholdEngine

READ_TIME = 1767268800.0


def line(event: str, execution_id: str | None, second: float, **fields: Any) -> bytes:
    record: dict[str, Any] = {"event": event, "timestamp": f"2026-01-01T12:00:{second:09.6f}"}
    if execution_id is not None:
        record["execution_id"] = execution_id
    record.update(fields)
    return json.dumps(record).encode()


def read_whole(lines: list[bytes], **settings: Any) -> Ledger:
    ledger = Ledger(keep_raw=False, **settings)
    ledger.ingest_lines("app.log", 1, lines, read_time=READ_TIME)
    return ledger


def read_in_parts(lines: list[bytes], cuts: list[int], **settings: Any) -> Ledger:
    """The first part here, every later one in a part ledger, pickled as the pipe does."""
    bounds = [0, *cuts, len(lines)]
    ledger = Ledger(keep_raw=False, **settings)
    ledger.ingest_lines("app.log", 1, lines[:bounds[1]], read_time=READ_TIME)
    for start, stop in zip(bounds[1:-1], bounds[2:], strict=True):
        part = part_ledger(ledger)  # numbers its lines from 1, as a part's reader does
        part.ingest_lines("app.log", 1, lines[start:stop], read_time=READ_TIME)
        # small pieces: an execution's summary may come in any piece
        pieces = [pickle.loads(pickle.dumps(piece)) for piece in export_pieces(part, 7)]
        merge_part(ledger, pieces, line_offset=start)
    return ledger


def told(ledger: Ledger) -> dict[str, Any]:
    """Everything `wftui check` prints from a ledger, over all time and over 5 minutes,
    and the counters behind it."""
    said = {str(window): take_snapshot(ledger, ThresholdEngine(),
                                       window_s=window).to_check_dict()
            for window in (None, 300.0, 2.0)}
    said["counters"] = (ledger.events_total, ledger.malformed_total, ledger.late_events,
                        ledger.future_events, ledger.unknown_events, ledger.kept.lost_running,
                        ledger.kept.folded_count, len(ledger.dormant), ledger.queue_depth,
                        {name: (c.events, c.malformed) for name, c in ledger.sources.items()})
    said["malformed"] = [(m.lineno, m.reason) for m in ledger.malformed]
    said["rows"] = sorted((e.execution_id, e.steps, e.errors, e.input_tokens, e.cost_usd,
                           e.failed_step, e.first_error, e.workflow_name, tuple(e.replays),
                           e.replay_of, e.raw_dropped)
                          for e in ledger.summaries())
    return said


# Steps, errors, replays, completions and the gauge, around every cut point.
STRADDLING = [
    line("workflow_start", "a", 0.0, workflow_name="triage"),
    line("step_start", "a", 0.1, step_name="fetch"),
    line("queue_depth", None, 0.2, value=7),
    line("step_start", "b", 0.3, step_name="fetch"),
    line("step_complete", "b", 0.4, step_name="classify", success=True),  # before its start
    b"not json at all",
    line("step_complete", "a", 0.9, step_name="fetch", success=True),  # no duration_ms
    line("step_start", "a", 1.0, step_name="classify"),
    line("step_start", "b", 1.1, step_name="classify"),
    line("step_complete", "b", 1.2, step_name="fetch", duration_ms=850.0, success=True),
    line("workflow_start", "r", 1.3, workflow_name="triage", replay_of="a"),
    line("step_complete", "a", 2.0, step_name="classify", duration_ms=990.5, success=False,
         error="model timeout", input_tokens=120, output_tokens=7, cost_usd=0.002),
    line("error", "a", 2.1, step_name="classify", error="model timeout"),
    line("step_start", "r", 2.2, step_name="fetch"),
    line("queue_depth", "a", 2.3, value=3),
    line("workflow_complete", "b", 2.4, status="success", duration_ms=2100),
    line("step_complete", "r", 2.5, step_name="fetch", duration_ms=100, success=True),
    line("workflow_complete", "r", 2.6, status="success"),
    b'{"event": "step_start"}',
    line("workflow_start", "q", 2.7, replay_of="r"),
    line("workflow_complete", "a", 2.8, status="failure"),
]


@pytest.mark.parametrize("cut", range(1, len(STRADDLING)))
def test_any_cut_of_straddling_executions(cut: int) -> None:
    assert told(read_in_parts(STRADDLING, [cut])) == told(read_whole(STRADDLING))


def test_three_parts() -> None:
    for first in range(1, len(STRADDLING) - 1):
        for second in range(first + 1, len(STRADDLING)):
            merged = read_in_parts(STRADDLING, [first, second])
            assert told(merged) == told(read_whole(STRADDLING)), (first, second)


def test_the_reference_is_not_trivial() -> None:
    """The one-go reading of STRADDLING, worked out by hand: a failed, b and r succeeded,
    q running; the gauge's newest value is 3; two lines malformed."""
    said = told(read_whole(STRADDLING))
    assert said["None"]["executions"] == {"total": 4, "running": 1, "succeeded": 2,
                                          "failed": 1}
    assert said["None"]["queue_depth"] == 3
    assert [(lineno, reason.split(":")[0]) for lineno, reason in said["malformed"]] == [
        (6, "not JSON"), (19, "step_start")]
    # fetch: a's 0.8 s (0.1 -> 0.9), b's 850 ms, r's 100 ms; classify: b's completion came
    # before its start (0.4 < 1.1: not paired), a's 990.5 ms
    steps = said["None"]["step_latency_s"]
    assert steps["fetch"]["count"] == 3 and steps["classify"]["count"] == 1
    rows = {row[0]: row for row in said["rows"]}
    assert rows["a"][8] == ("r",) and rows["r"][8] == ("q",) and rows["r"][9] == "a"


REPLAYS = [
    line("workflow_start", "r0", 0.0, replay_of="a"),  # a replay logged before its original
    line("workflow_start", "a", 0.5),
    line("step_start", "r2", 1.0, step_name="x"),  # r2 is seen before r1...
    line("workflow_start", "r1", 2.0, replay_of="a"),  # ...but linked after it
    line("workflow_start", "r2", 3.0, replay_of="a"),
    line("workflow_start", "r1", 4.0, replay_of="a"),  # logged twice: listed once
    line("workflow_start", "r0", 5.0, replay_of="a"),
]


def test_replays_are_listed_once_in_the_order_they_were_logged() -> None:
    whole = read_whole(REPLAYS)
    assert whole.executions["a"].replays == ["r0", "r1", "r2"]
    for cut in range(1, len(REPLAYS)):
        assert told(read_in_parts(REPLAYS, [cut])) == told(whole), cut


def random_log(rng: random.Random, executions: int, left_open: float = 0.05) -> list[bytes]:
    """Interleaved executions (at most 12 at once, the oldest advanced half the time):
    steps with and without duration_ms, failures, ones that never complete, steps left
    open (`left_open` of them), junk lines and the gauge."""
    lines: list[bytes] = []
    running: list[tuple[str, list[bytes]]] = []
    clock = 0.0
    started = 0
    while started < executions or running:
        if started < executions and (len(running) < rng.randint(1, 12) or not running):
            started += 1
            name = f"e{started}"
            plan = [line("workflow_start", name, 0, workflow_name="w")] \
                if rng.random() < 0.7 else []
            for step in ("fetch", "classify", "route")[:rng.randint(1, 3)]:
                plan.append(line("step_start", name, 0, step_name=step))
                extra = {"duration_ms": rng.uniform(1, 900)} if rng.random() < 0.6 else {}
                if rng.random() < 0.05:
                    plan.append(line("error", name, 0, step_name=step, error="boom"))
                    extra["success"] = False
                if rng.random() >= left_open:  # now and then a step is left open
                    plan.append(line("step_complete", name, 0, step_name=step, **extra))
            if rng.random() < 0.5:
                plan.append(line("workflow_complete", name, 0,
                                 status=rng.choice(["success", "failure"])))
            running.append((name, plan))
            continue
        index = 0 if rng.random() < 0.5 else rng.randrange(len(running))
        name, plan = running[index]
        clock += rng.uniform(0.001, 0.4)
        record = json.loads(plan.pop(0))
        record["timestamp"] = f"2026-01-01T12:{int(clock // 60) % 60:02d}:{clock % 60:09.6f}"
        lines.append(json.dumps(record).encode())
        if not plan:
            running.pop(index)
        if rng.random() < 0.01:
            lines.append(rng.choice([b"junk", line("queue_depth", None, 0, value=4)]))
    return lines


@pytest.mark.parametrize("seed", range(12))
def test_random_logs_read_in_parts(seed: int) -> None:
    """No folding: steps left open, executions that never end, everything straddling."""
    rng = random.Random(seed)
    lines = random_log(rng, rng.randint(20, 400))
    whole = told(read_whole(lines, retention=100_000))
    cuts = sorted(rng.sample(range(1, len(lines)), rng.randint(1, 3)))
    assert told(read_in_parts(lines, cuts, retention=100_000)) == whole, cuts


@pytest.mark.parametrize("seed", range(12))
def test_random_logs_read_in_parts_with_folding(seed: int) -> None:
    """Retention 40 against at most 12 executions at once: folding on both sides of
    every cut, and the merge folds as reading in one go would (ledger_merge's docstring
    says where the two may differ: executions outliving `retention` newer ones)."""
    rng = random.Random(seed)
    lines = random_log(rng, rng.randint(100, 400), left_open=0.0)
    whole = read_whole(lines, retention=40)
    assert whole.kept.folded_count > 0
    cuts = sorted(rng.sample(range(1, len(lines)), rng.randint(1, 3)))
    assert told(read_in_parts(lines, cuts, retention=40)) == told(whole), cuts
