"""Replay end to end: over HTTP and through the replay command."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from tests.forked import run_wftui
from tests.helpers import wait_for

from .conftest import REPO_ROOT, by_execution, completed, read_events


def _finished_run(path: Path, execution_id: str) -> list[dict[str, Any]] | None:
    run = by_execution(read_events(path)).get(execution_id)
    return run if run and run[-1]["event"] == "workflow_complete" else None


def test_replay_reruns_with_the_original_context_and_logs_replay_of(start_demo, http) -> None:
    demo = start_demo()
    original = wait_for(lambda: _finished_run(demo.log_path, "EXEC-000005"), "EXEC-000005")
    original_context = original[0]["context"]

    body = {"execution_id": "EXEC-000005", "workflow_name": "support_ticket"}
    first = http.post(demo.replay_url, json=body)
    assert first.status_code == 202
    assert first.json() == {"execution_id": "EXEC-000005-replay"}
    second = http.post(demo.replay_url, json=body)
    assert second.json() == {"execution_id": "EXEC-000005-replay-2"}

    for new_id in ("EXEC-000005-replay", "EXEC-000005-replay-2"):
        run = wait_for(lambda i=new_id: _finished_run(demo.log_path, i), f"{new_id} to end")
        start = run[0]
        assert start["event"] == "workflow_start"
        assert start["replay_of"] == "EXEC-000005"
        assert start["context"] == original_context
        fetch = next(e for e in run if e["event"] == "tool_call")
        assert fetch["arguments"] == {"ticket_id": original_context["ticket_id"]}


def test_replay_with_a_posted_context_uses_it(start_demo, http) -> None:
    demo = start_demo()
    context = {
        "ticket_id": "TKT-4242",
        "customer_id": "CUST-1",
        "priority": "high",
        "channel": "chat",
        "subject": "Parcel stuck in transit",
        "body": "Where is it?",
    }
    answer = http.post(demo.replay_url, json={"execution_id": "EXEC-OLD-1", "context": context})
    assert answer.status_code == 202 and answer.json() == {"execution_id": "EXEC-OLD-1-replay"}
    run = wait_for(lambda: _finished_run(demo.log_path, "EXEC-OLD-1-replay"), "the replay")
    assert run[0]["context"] == context and run[0]["replay_of"] == "EXEC-OLD-1"
    decision = next((e for e in run if e["event"] == "branch_decision"), None)
    if run[-1]["status"] == "success":  # a transient failure may end it before the branch
        assert decision is not None and decision["path_taken"] == "escalate"


def test_replay_refuses_bad_ids_and_unknown_executions(start_demo, http) -> None:
    demo = start_demo()
    for bad in ("-rf", "", "EXEC 1", "EXEC/../1", 42, None, "x" * 200):
        answer = http.post(demo.replay_url, json={"execution_id": bad})
        assert answer.status_code == 400, bad
    unknown = http.post(demo.replay_url, json={"execution_id": "EXEC-999999"})
    assert unknown.status_code == 404 and "EXEC-999999" in unknown.json()["error"]
    wrong = http.post(
        demo.replay_url, json={"execution_id": "EXEC-000001", "workflow_name": "billing"}
    )
    assert wrong.status_code == 400
    events = read_events(demo.log_path)
    assert not any("replay_of" in e for e in events), "a refused replay must not run"


def _replay_command(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m demo.replay ARGS`, in its own (forked) process: tests/forked.py."""
    from demo.replay import main

    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return run_wftui(args, env=env, cwd=REPO_ROOT, entry=main)


def test_replay_command_prints_the_new_execution_id(start_demo, tmp_path: Path) -> None:
    demo = start_demo()
    wait_for(lambda: "EXEC-000003" in completed(read_events(demo.log_path)), "EXEC-000003")
    done = _replay_command("EXEC-000003", "--url", demo.base_url)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"execution_id": "EXEC-000003-replay"}
    run = wait_for(lambda: _finished_run(demo.log_path, "EXEC-000003-replay"), "the replay")
    assert run[0]["replay_of"] == "EXEC-000003"

    context = {
        "ticket_id": "TKT-7",
        "priority": "low",
        "channel": "web",
        "subject": "Tracking link broken",
        "body": "It 404s.",
    }
    context_file = tmp_path / "context.json"
    context_file.write_text(json.dumps(context), encoding="utf-8")
    done = _replay_command(
        "EXEC-000003", "--url", demo.base_url, "--context-file", str(context_file)
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"execution_id": "EXEC-000003-replay-2"}
    run = wait_for(lambda: _finished_run(demo.log_path, "EXEC-000003-replay-2"), "replay 2")
    assert run[0]["context"] == context


def test_replay_command_fails_with_one_clear_line(start_demo, tmp_path: Path) -> None:
    demo = start_demo()
    cases = [
        ("EXEC-999999", "--url", demo.base_url),  # unknown to the service: 404
        ("EXEC-1", "--url", "http://127.0.0.1:9"),  # nothing listens there
        ("EXEC-1", "--url", demo.base_url, "--context-file", str(tmp_path / "missing.json")),
    ]
    for args in cases:
        done = _replay_command(*args)
        assert done.returncode == 1, args
        assert done.stdout == ""
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("replay: "), done.stderr
        assert "Traceback" not in done.stderr
