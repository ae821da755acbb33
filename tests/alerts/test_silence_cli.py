"""Silences end to end: `wftui silence`, then `check` and `watch` as real subprocesses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.alerts.test_notify import Receiver
from tests.forked import run_wftui
from tests.helpers import wait_for
from tests.test_watch import WatchProcess, append, executions, start_watches

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "logs" / "support_check.log"  # error rate 1/3


def wftui(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WFTUI_")}
    env["PYTHONPATH"] = str(REPO)
    return run_wftui(args, cwd=REPO, env=env, timeout=120)


def error_rate_entry(out: dict) -> dict:
    return next(t for t in out["thresholds"] if t["name"] == "error_rate")


def test_silenced_check_exits_0_and_says_so() -> None:
    assert wftui("check", str(FIXTURE)).returncode == 1  # firing: 1 of 3 failed
    added = wftui("silence", "add", "error_rate", "2h", "-m", "known incident", "--by", "ana")
    assert added.returncode == 0, added.stderr
    silence_id = added.stdout.split()[0]
    done = wftui("check", str(FIXTURE))
    assert done.returncode == 0, done.stderr
    entry = error_rate_entry(json.loads(done.stdout))
    assert entry["state"] == "firing"  # still judged and shown
    assert entry["silenced"]["by"] == "ana"
    assert entry["silenced"]["comment"] == "known incident"
    assert entry["silenced"]["id"] == silence_id
    text = wftui("check", str(FIXTURE), "--format", "text").stdout
    assert "error_rate: FIRING · silenced until " in text
    assert " by ana: known incident, value 33.33%" in text
    listed = wftui("silence", "list", "--format", "json")
    assert [s["id"] for s in json.loads(listed.stdout)] == [silence_id]
    assert wftui("silence", "remove", silence_id).returncode == 0
    assert wftui("check", str(FIXTURE)).returncode == 1
    gone = wftui("silence", "remove", silence_id)
    assert gone.returncode == 1 and gone.stderr.startswith("wftui: no silence")


def test_acknowledged_shows_who() -> None:
    assert wftui("silence", "ack", "error_rate", "--by", "bo").returncode == 0
    done = wftui("check", str(FIXTURE))
    assert done.returncode == 1  # an acknowledgement silences nothing
    assert error_rate_entry(json.loads(done.stdout))["acknowledged"]["by"] == "bo"


@pytest.mark.parametrize("args", [
    ["silence", "add", "error_rate"], ["silence", "add", "nope", "1h"],
    ["silence", "add", "error_rate", "soon"], ["silence", "frob"],
])
def test_usage_errors_are_one_line(args: list[str]) -> None:
    done = wftui(*args)
    assert done.returncode == 2
    assert done.stderr.startswith("wftui: ") and done.stderr.count("\n") == 1


def test_broken_silences_file_warns_and_silences_nothing(tmp_path: Path) -> None:
    path = Path(os.environ["XDG_STATE_HOME"]) / "wftui" / "silences.json"
    path.parent.mkdir(parents=True)
    path.write_text("[1, 2")
    done = wftui("check", str(FIXTURE))
    assert done.returncode == 1
    warnings = json.loads(done.stdout)["warnings"]
    assert any("silences" in w and "not valid JSON" in w for w in warnings)


@pytest.fixture
def watch(tmp_path: Path) -> Iterator[Callable[..., WatchProcess]]:
    yield from start_watches(tmp_path)


def test_watch_silenced_alert_notifies_no_one(tmp_path: Path,
                                              watch: Callable[..., WatchProcess]) -> None:
    log = tmp_path / "app.log"
    log.touch()
    assert wftui("silence", "add", "error_rate", "1h", "-m", "deploy", "--by", "ana"
                 ).returncode == 0
    with Receiver() as receiver:
        proc = watch(str(log), "--every", "0.2s", "--window", "all",
                     "--notify-url", receiver.url)
        append(log, executions("s", 10))
        append(log, executions("f", 5, ok=False))  # 5 / 15 failed: fires
        snapshot = proc.wait_snapshot(
            lambda s: error_rate_entry(s)["state"] == "firing", "firing")
        assert error_rate_entry(snapshot)["silenced"]["comment"] == "deploy"
        fired = wait_for(lambda: [t for t in proc.transitions("error_rate")
                                  if t["to"] == "firing"], "the transition")
        assert fired[0]["silenced"]["by"] == "ana"
        assert proc.finish(signal.SIGTERM) == 0  # silenced: not a failing exit
        assert receiver.bodies == []  # the URL hook was never called


@pytest.mark.parametrize("duration", ["99999999999d", "10000000000000000000000"])
def test_a_silence_ending_past_any_date_is_refused(duration: str) -> None:
    # It would end after the year 9999: no date can say when ("silenced until -", and
    # check's "until" was a number of seconds in place of a time).
    done = wftui("silence", "add", "error_rate", duration)
    assert done.returncode == 2
    assert done.stderr.startswith("wftui: a silence must end before the year 10000")
    assert done.stderr.count("\n") == 1
    assert wftui("silence", "list").stdout == "no silences in force\n"


@pytest.mark.parametrize("args", [
    ["error_rate", "-1h"], ["error_rate", "-30m", "-m", "oops"], ["error_rate", "--", "-1h"],
    ["error_rate", "-m", "oops", "-2h"],
])
def test_a_negative_duration_is_said_to_be_one(args: list[str]) -> None:
    # `-1h` was read as an unknown option: "the following arguments are required:
    # duration", about a duration the operator had just typed.
    done = wftui("silence", "add", *args)
    assert done.returncode == 2
    duration = next(arg for arg in args if arg not in ("--", "-m", "oops")
                    and arg.startswith("-"))
    assert done.stderr == f"wftui: duration: must be a positive duration, got {duration!r}\n"
    assert wftui("silence", "list").stdout == "no silences in force\n"


def test_a_comment_starting_with_a_minus_is_still_a_comment() -> None:
    added = wftui("silence", "add", "error_rate", "1h", "-m", "-1h of downtime, planned")
    assert added.returncode == 0, added.stderr
    listed = json.loads(wftui("silence", "list", "--format", "json").stdout)
    assert [s["comment"] for s in listed] == ["-1h of downtime, planned"]
