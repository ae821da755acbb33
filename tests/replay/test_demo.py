"""End to end: `wftui replay` against the demo service's real replay hook (by command and
by URL), the new execution in the log with replay_of, and `wftui diff` on the pair.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from demo.process import DemoProcess, start_demo_process
from tests.forked import run_wftui
from tests.helpers import wait_for
from wftui.commands.check import read_files
from wftui.config import Settings
from wftui.core.compare import compare
from wftui.core.steps import build_detail

REPO_ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 45.0  # generous: a loaded two-core machine


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoProcess]:
    service = start_demo_process(tmp_path / "demo.log", speed=20, rate=40, workers=8, seed=7)
    yield service
    service.stop()


def events(path: Path) -> list[dict[str, Any]]:
    data = path.read_bytes()
    return [orjson.loads(line) for line in data[: data.rfind(b"\n") + 1].splitlines()]


def finished(path: Path, execution_id: str) -> dict[str, Any] | None:
    """The workflow_start of an execution once its workflow_complete is in the log."""
    run = [e for e in events(path) if e.get("execution_id") == execution_id]
    return run[0] if run and run[-1]["event"] == "workflow_complete" else None


def wftui(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "XDG_STATE_HOME": str(tmp_path / "st"),
           "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    return run_wftui(args, env=env, cwd=REPO_ROOT, timeout=120)


def demo_command(demo: DemoProcess, *extra: str) -> str:
    return f"{sys.executable} -m demo.replay {{execution_id}} --url {demo.base_url} " + \
        " ".join(extra)


def test_replay_by_command_then_by_url_then_diff(demo: DemoProcess, tmp_path: Path) -> None:
    log = demo.log_path
    original = wait_for(lambda: finished(log, "EXEC-000003"), "EXEC-000003 to end")

    by_command = wftui(tmp_path, "replay", "EXEC-000003", str(log), "--yes", "--replay-cmd",
                       demo_command(demo, "--context-file", "{context_file}"))
    assert by_command.returncode == 0, by_command.stderr
    assert by_command.stdout == "EXEC-000003-replay\n"
    assert "[3] EXEC-000003" in by_command.stderr  # the argv was shown, one per line
    assert "following EXEC-000003-replay (from the hook's answer)" in by_command.stderr

    by_url = wftui(tmp_path, "replay", "EXEC-000003", str(log), "--yes", "--replay-url",
                   demo.replay_url)
    assert by_url.returncode == 0, by_url.stderr
    assert by_url.stdout == "EXEC-000003-replay-2\n"
    assert "HTTP 202" in by_url.stderr

    for new_id in ("EXEC-000003-replay", "EXEC-000003-replay-2"):
        start = wait_for(lambda i=new_id: finished(log, i), f"{new_id} to end")
        assert start["replay_of"] == "EXEC-000003"
        assert start["context"] == original["context"]  # the logged context, replayed

    ledger, _ = read_files([str(log)], Settings(), keep_raw=True)
    assert ledger.get("EXEC-000003").replays == ["EXEC-000003-replay",
                                                        "EXEC-000003-replay-2"]
    now = time.time()
    left = build_detail(ledger.get("EXEC-000003"), now, 30.0)
    right = build_detail(ledger.get("EXEC-000003-replay"), now, 30.0)
    comparison = compare(left, right)
    assert (comparison.left_label, comparison.right_label) == ("the original", "the replay")
    assert comparison.rows[0].name == "fetch_ticket"
    assert not comparison.running

    diff = wftui(tmp_path, "diff", "EXEC-000003", "EXEC-000003-replay", str(log),
                 "--format", "json")
    assert diff.returncode in (0, 1), diff.stderr
    data = json.loads(diff.stdout)
    assert data["left"]["execution_id"] == "EXEC-000003"
    assert data["right"]["replay_of"] == "EXEC-000003"
    assert data["verdict"] == comparison.verdict
    assert [row["step"] for row in data["rows"]] == [row.name for row in comparison.rows]

    audit = (tmp_path / "st" / "wftui" / "replays.jsonl").read_text().splitlines()
    records = [r for r in map(json.loads, audit) if r["phase"] == "end"]
    assert [r["new_id"] for r in records] == ["EXEC-000003-replay", "EXEC-000003-replay-2"]
    assert [r["hook"]["kind"] for r in records] == ["command", "http"]


def test_a_silent_hook_is_followed_through_replay_of(demo: DemoProcess, tmp_path: Path) -> None:
    log = demo.log_path
    wait_for(lambda: finished(log, "EXEC-000004"), "EXEC-000004 to end")
    first = wftui(tmp_path, "replay", "EXEC-000004", str(log), "--yes", "--replay-url",
                  demo.replay_url)
    assert first.stdout == "EXEC-000004-replay\n", first.stderr
    # A hook that starts the replay but prints nothing: the id must come from the log
    # (the convention would wrongly say EXEC-000004-replay).
    silent = (f"{sys.executable} -c 'import subprocess, sys; subprocess.run([sys.executable,"
              f" \"-m\", \"demo.replay\", sys.argv[1], \"--url\", sys.argv[2]], check=True,"
              f" stdout=subprocess.DEVNULL)' {{execution_id}} {demo.base_url}")
    second = wftui(tmp_path, "replay", "EXEC-000004", str(log), "--yes", "--replay-cmd",
                   silent)
    assert second.returncode == 0, second.stderr
    assert second.stdout == "EXEC-000004-replay-2\n"
    assert "from the log (replay_of)" in second.stderr


def test_refusals_run_nothing(demo: DemoProcess, tmp_path: Path) -> None:
    log = demo.log_path
    wait_for(lambda: finished(log, "EXEC-000002"), "EXEC-000002 to end")
    marker = tmp_path / "MARKER"
    for hostile in (f"$(touch {marker})", f"EXEC-000002;touch {marker}", "-rf",
                    f"`touch {marker}`", "EXEC 2", "EXEC-2\nx"):
        # after "--" so that argparse hands even "-rf" to wftui's own id check
        done = wftui(tmp_path, "replay", "--yes", "--replay-url", demo.replay_url, "--",
                     hostile, str(log))
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr.startswith("wftui: refusing execution id"), done.stderr
        assert len(done.stderr.splitlines()) == 1
    no_tty = wftui(tmp_path, "replay", "EXEC-000002", str(log), "--replay-url",
                   demo.replay_url)
    assert no_tty.returncode == 2
    assert "standard input is not a terminal" in no_tty.stderr
    dry = wftui(tmp_path, "replay", "EXEC-000002", str(log), "--dry-run", "--replay-url",
                demo.replay_url)
    assert dry.returncode == 0 and dry.stdout.splitlines()[-1] == "nothing was run"
    assert f"POST {demo.replay_url}" in dry.stdout
    # A replay, had one been asked for, logs its workflow_start within moments.
    time.sleep(0.5)
    assert not marker.exists()
    assert not any("replay_of" in e for e in events(log)), "nothing may have been replayed"
    assert not (tmp_path / "st" / "wftui" / "replays.jsonl").exists()
