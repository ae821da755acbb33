"""The service's look-ups in its own log: the next execution number, a stored context."""

from __future__ import annotations

from pathlib import Path

import orjson

from demo import history
from demo.history import find_context, last_execution_number
from tests.helpers import wait_for

from .conftest import read_events


def _line(event: dict) -> bytes:
    return orjson.dumps(event) + b"\n"


def _start(execution_id: str, context: dict) -> bytes:
    return _line(
        {
            "event": "workflow_start",
            "execution_id": execution_id,
            "workflow_name": "support_ticket",
            "context": context,
        }
    )


def test_find_context_takes_the_newest_well_formed_start(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(
        _start("EXEC-000001", {"ticket_id": "TKT-1", "run": "old"})
        + b"not json at all EXEC-000001 workflow_start\n"
        + _line({"event": "step_start", "execution_id": "EXEC-000001", "context_keys": []})
        + b'2026-01-01 INFO {"event":"workflow_start","execution_id":"EXEC-000001",'
        b'"context":{"ticket_id":"TKT-1","run":"new"}}\n'
        + _start("EXEC-000001-replay", {"ticket_id": "TKT-1", "run": "replay"})
        + _line({"event": "workflow_start", "execution_id": "EXEC-000001", "context": "x"})
        + b'{"event":"workflow_start","execution_id":"EXEC-000001","cont'  # cut off
    )
    assert find_context(log, "EXEC-000001") == {"ticket_id": "TKT-1", "run": "new"}
    assert find_context(log, "EXEC-000001-replay") == {"ticket_id": "TKT-1", "run": "replay"}
    assert find_context(log, "EXEC-000002") is None
    assert find_context(tmp_path / "missing.log", "EXEC-000001") is None


def test_find_context_across_chunk_boundaries(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(history, "CHUNK", 37)  # far shorter than a line
    log = tmp_path / "app.log"
    lines = [_start(f"EXEC-{n:06d}", {"n": n, "pad": "x" * (n % 50)}) for n in range(1, 200)]
    log.write_bytes(b"".join(lines))
    for n in (1, 2, 99, 198, 199):
        assert find_context(log, f"EXEC-{n:06d}") == {"n": n, "pad": "x" * (n % 50)}


def test_last_execution_number(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    assert last_execution_number(log) == 0
    log.write_bytes(
        _start("EXEC-000041", {})
        + _start("EXEC-000007-replay", {})
        + _line({"event": "queue_depth", "value": 3})
        + _start("TASK-900000", {})
    )
    assert last_execution_number(log) == 41


def test_a_restarted_service_continues_numbering_and_replays_old_runs(start_demo, http) -> None:
    first = start_demo()

    def ended(execution_id: str) -> bool:
        return any(
            e.get("execution_id") == execution_id and e["event"] == "workflow_complete"
            for e in read_events(first.log_path)
        )

    wait_for(lambda: ended("EXEC-000010"), "EXEC-000010 to end")
    first.stop()
    old = read_events(first.log_path)
    old_max = max(int(e["execution_id"].split("-")[1]) for e in old if "execution_id" in e)
    context = next(
        e["context"]
        for e in old
        if e["event"] == "workflow_start" and e["execution_id"] == "EXEC-000004"
    )
    old_bytes = first.log_path.read_bytes()

    second = start_demo(log=first.log_path)
    new = lambda: read_events(second.log_path)[len(old) :]  # noqa: E731
    new_start = wait_for(
        lambda: next((e for e in new() if e["event"] == "workflow_start"), None),
        "a new execution",
    )
    assert int(new_start["execution_id"].split("-")[1]) == old_max + 1
    # EXEC-000004 is not in the new process's memory: its context comes from the log.
    answer = http.post(second.replay_url, json={"execution_id": "EXEC-000004"})
    assert answer.status_code == 202
    assert answer.json() == {"execution_id": "EXEC-000004-replay"}
    replay = wait_for(
        lambda: next((e for e in new() if e.get("replay_of") == "EXEC-000004"), None),
        "the replay",
    )
    assert replay["context"] == context
    assert second.log_path.read_bytes().startswith(old_bytes), "the log is appended to"
