"""`wftui check` on logs in other shapes (a real subprocess, a real config file).

The same events in our shape and in the mapped shape must print the same figures;
a log of which no line is an event is exit 2 with one line naming what the lines have.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.check_cli import check, check_env
from tests.core.test_mapping import ISSUE_CONFIG, issue_shape, ours
from tests.forked import run_wftui

REPO = Path(__file__).resolve().parents[1]
FIGURES = ("executions", "error_rate", "latency_s", "step_latency_s", "throughput_per_min",
           "queue_depth", "window_end")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return check_env(tmp_path)


def toml(logs: dict[str, Any]) -> str:
    lines = []
    for table, values in logs.items():
        lines.append(f"[logs.{table}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def write(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_a_mapped_log_checks_as_our_shape(tmp_path: Path, env: dict[str, str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text(toml(ISSUE_CONFIG))
    theirs = check(env, "--config", str(config), str(write(tmp_path / "theirs.log",
                                                             issue_shape())))
    plain = check(env, str(write(tmp_path / "ours.log", ours())))
    # 20% failed: the error-rate threshold fires (exit 1) for both
    assert plain.returncode == theirs.returncode == 1, theirs.stderr
    mapped, expected = json.loads(theirs.stdout), json.loads(plain.stdout)
    assert expected["executions"] == {"total": 60, "running": 0, "succeeded": 48,
                                      "failed": 12}
    for key in FIGURES:
        assert mapped[key] == expected[key], key
    assert mapped["sources"][0]["events"] == expected["sources"][0]["events"]


def test_a_bad_logs_table_is_one_line_and_exit_2(tmp_path: Path, env: dict[str, str]
                                                 ) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[logs.fields]\nexecution = "run"\n')
    result = check(env, "--config", str(config), str(write(tmp_path / "a.log", ours())))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        result.stderr.strip()] and "logs.fields.execution: unknown field" in result.stderr
    assert "Traceback" not in result.stderr


# -- never a silent all-clear -------------------------------------------------------------

def other_teams_log() -> list[bytes]:
    """A JSON log with ts/level/msg/trace_id: every line JSON, none an event of ours."""
    return [json.dumps({"ts": 1_767_268_800 + n, "level": "info", "msg": "step done",
                        "trace_id": f"t{n % 7}"}).encode() for n in range(40)]


def test_a_log_of_no_events_is_exit_2_naming_its_fields(tmp_path: Path,
                                                        env: dict[str, str]) -> None:
    result = check(env, str(write(tmp_path / "other.log", other_teams_log())))
    assert result.returncode == 2
    message = result.stderr.strip()
    assert "\n" not in message and "Traceback" not in message
    assert "other.log: none of its 40 lines is an event" in message
    for field in ("ts (40)", "level (40)", "msg (40)", "trace_id (40)", "[logs.fields]"):
        assert field in message
    # the presets are named by the value to write, not only by the key
    assert "[logs] format ('structlog' or 'python-json-logger')" in message
    assert result.stdout == ""


def test_text_that_is_not_json_is_exit_2_too(tmp_path: Path, env: dict[str, str]) -> None:
    log = tmp_path / "plain.log"
    log.write_text("GET / 200\nGET /a 404\n")
    result = check(env, str(log))
    assert result.returncode == 2
    assert "plain.log: none of its 2 lines is a JSON event (line 1: not JSON" in result.stderr


def test_an_empty_file_is_no_data_not_an_error(tmp_path: Path, env: dict[str, str]) -> None:
    log = tmp_path / "empty.log"
    log.write_bytes(b"")
    result = check(env, str(log))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["error_rate"] is None


def test_partly_understood_input_gives_warnings_with_counts(tmp_path: Path,
                                                            env: dict[str, str]) -> None:
    lines = ours() + other_teams_log()[:3] + [
        json.dumps({"event": "workflow_complete", "execution_id": "x", "status": "pending",
                    "timestamp": "2026-01-01T12:10:00Z"}).encode(),
        json.dumps({"event": "workflow_complete", "execution_id": "y", "status": "pending",
                    "timestamp": "2026-01-01T12:10:00Z"}).encode(),
        json.dumps({"event": "heartbeat", "execution_id": "y",
                    "timestamp": "2026-01-01T12:10:00Z"}).encode(),
    ]
    result = check(env, str(write(tmp_path / "mixed.log", lines)))
    assert result.returncode in (0, 1), result.stderr
    warnings = json.loads(result.stdout)["warnings"]
    assert any("mixed.log: 3 of " in w for w in warnings), warnings
    assert any("pending (2)" in w and "[logs.statuses]" in w for w in warnings), warnings
    assert any("heartbeat (1)" in w for w in warnings), warnings


def test_watch_on_a_log_of_no_events_ends_with_exit_2(tmp_path: Path,
                                                      env: dict[str, str]) -> None:
    log = write(tmp_path / "other.log", other_teams_log())
    result = run_wftui(["watch", str(log), "--every", "0.2s", "--duration", "0.5s"], cwd=REPO,
                       env=env, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("wftui: ")
    assert "other.log: none of its 40 lines is an event" in result.stderr
    assert "Traceback" not in result.stderr
    snapshot = json.loads(result.stdout.strip().splitlines()[-1])
    source = snapshot["sources"][0]
    assert "none of its 40 lines" in source["error"]  # what the TUI's source line shows


def test_times_not_understood_are_a_warning_not_silently_now(tmp_path: Path,
                                                              env: dict[str, str]) -> None:
    # python-json-logger with datefmt="%d/%m/%Y %H:%M:%S": a time wftui cannot read. A
    # month-old log of such lines is placed at the moment it is read: "now", no history
    # warning. The operator must be told the times were not understood, not shown a
    # month-old incident as live with nothing said.
    lines = []
    for i in range(4):
        eid = f"job-{i}"
        lines += [json.dumps({"message": "workflow_start", "execution_id": eid,
                              "asctime": f"07/11/2026 08:00:0{i}"}).encode(),
                  json.dumps({"message": "workflow_complete", "execution_id": eid,
                              "status": "success", "duration_ms": 1000,
                              "asctime": f"07/11/2026 08:00:1{i}"}).encode()]
    config = tmp_path / "config.toml"
    config.write_text('[logs]\nformat = "python-json-logger"\n')
    result = check(env, "--config", str(config), str(write(tmp_path / "app.log", lines)))
    assert result.returncode == 0, result.stderr
    warnings = json.loads(result.stdout)["warnings"]
    assert any("app.log: 8 of 8 events have no time wftui can read" in w
               and "'07/11/2026 08:00:00'" in w and "timestamp|asctime" in w
               for w in warnings), warnings
    # A log whose times are read says nothing of them.
    plain = check(env, str(write(tmp_path / "ours.log", ours())))
    assert not any("no time wftui can read" in w
                   for w in json.loads(plain.stdout).get("warnings", [])), plain.stdout


def test_fields_of_another_type_are_a_warning_not_silently_absent(
        tmp_path: Path, env: dict[str, str]) -> None:
    # A log writing booleans and numbers as text ("ok": "false", "elapsed_ms": "5000"):
    # wftui reads them as absent, so half the steps failed and the error rate read
    # 0.00% with nothing said. The figures stay as documented; the operator is told.
    lines = []
    for i in range(10):
        base = 1772355600 + i * 10
        lines += [json.dumps({"kind": "run.begin", "run": f"r{i}", "ts": base}).encode(),
                  json.dumps({"kind": "task.end", "run": f"r{i}", "ts": base + 5,
                              "step_name": "s", "data": {"elapsed_ms": "5000",
                                                         "ok": "false" if i % 2 else True}}
                             ).encode()]
    config = tmp_path / "config.toml"
    config.write_text(toml({
        "fields": {"event": "kind", "execution_id": "run", "timestamp": "ts",
                   "duration_ms": "data.elapsed_ms", "success": "data.ok"},
        "events": {"workflow_start": "run.begin", "step_complete": "task.end"}}))
    result = check(env, "--config", str(config), str(write(tmp_path / "app.log", lines)))
    assert result.returncode == 0, result.stderr
    warnings = json.loads(result.stdout)["warnings"]
    assert any("read as absent" in w and "success (data.ok) holds text (5)" in w
               and "duration_ms (data.elapsed_ms) holds text (10)" in w
               for w in warnings), warnings
    # The same in our own shape, unmapped, says it too.
    ours_lines = [json.dumps({"event": "step_complete", "execution_id": "a", "success": "no",
                              "timestamp": "2026-01-01T12:00:00Z"}).encode()]
    plain = check(env, str(write(tmp_path / "ours.log", ours_lines)))
    assert any("success holds text (1)" in w
               for w in json.loads(plain.stdout)["warnings"]), plain.stdout


def test_execution_ids_written_as_numbers_are_named_as_the_cause(
        tmp_path: Path, env: dict[str, str]) -> None:
    # Every line has `event` and `execution_id` (or the mapped `run`), but the ids are
    # numbers. The message said to map fields that were there, and a mapping exactly
    # like the one in use: the operator could not tell what was wrong.
    lines = [json.dumps({"event": "workflow_start", "execution_id": i,
                         "timestamp": 1772355600 + i}).encode() for i in range(4)]
    result = check(env, str(write(tmp_path / "ours.log", lines)))
    assert result.returncode == 2
    assert ('none of its 4 lines is an event: its execution ids ("execution_id", in 4 '
            'lines) are numbers, and wftui reads an execution id as text') in result.stderr
    config = tmp_path / "config.toml"
    config.write_text(toml({"fields": {"event": "kind", "execution_id": "run"}}))
    mapped = [json.dumps({"kind": "workflow_start", "run": i}).encode() for i in range(3)]
    result = check(env, "--config", str(config), str(write(tmp_path / "theirs.log", mapped)))
    assert result.returncode == 2
    assert ('none of its 3 lines is an event: its execution ids ("run", in 3 lines) are '
            'numbers') in result.stderr
    assert "perhaps" not in result.stderr


def test_a_status_or_value_of_an_event_that_does_not_read_it_is_no_warning(
        tmp_path: Path, env: dict[str, str]) -> None:
    # `status` is read from workflow_complete only, `value` from queue_depth only,
    # `success` from step_complete only: a step's own HTTP status (200) or result
    # ("ok"), a run's "success": "yes" beside its status, is no figure gone without,
    # and must not be reported as one. A workflow_complete's numeric status still is.
    stamp = "2026-01-01T12:00:0{}Z"
    lines = [json.dumps(line).encode() for line in (
        {"event": "workflow_start", "execution_id": "e1", "timestamp": stamp.format(0)},
        {"event": "step_complete", "execution_id": "e1", "step_name": "http",
         "status": 200, "value": "ok", "duration_ms": 5, "timestamp": stamp.format(1)},
        {"event": "workflow_complete", "execution_id": "e1", "status": "success",
         "success": "yes", "duration_ms": 1000, "timestamp": stamp.format(2)})]
    result = check(env, str(write(tmp_path / "app.log", lines)))
    assert result.returncode == 0, result.stderr
    warnings = json.loads(result.stdout)["warnings"]
    assert not any("read as absent" in w for w in warnings), warnings
    lines[2] = json.dumps({"event": "workflow_complete", "execution_id": "e1", "status": 0,
                           "timestamp": stamp.format(2)}).encode()
    result = check(env, str(write(tmp_path / "app.log", lines)))
    warnings = json.loads(result.stdout)["warnings"]
    assert any("read as absent" in w and "status holds a number (1)" in w
               and "value holds" not in w for w in warnings), warnings
