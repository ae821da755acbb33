"""`wftui check` as a real subprocess (docs/figures.md).

The fixture `tests/fixtures/logs/support_check.log` (30 lines, times after 12:00:00 on
2026-01-01) holds, worked out by hand:

- exec-001 succeeded: ends 12:00:04, duration_ms 4000; classify 1.0 s (done at :02),
  respond 2.0 s (done at :04), a tool_call inside respond.
- exec-002 failed: classify fails (2.0 s, done at :13), an error event, then
  workflow_complete failure at :16 with duration_ms 6000.
- line 8 is empty (not counted); line 14 is not JSON (malformed).
- exec-003 succeeded: ends 12:00:50, duration_ms 10000; classify 0.5 s (done at :41.5),
  respond 8.5 s (done at :50). queue_depth 3 at :45, then 12 at 12:01:00.
- exec-004 running: classify 1.0 s (done at 12:01:22), respond opened at 12:01:25.
- line 28 has no execution_id (malformed).
- exec-005 running: a prefixed line at 12:01:28, an unknown event at 12:01:30 (the newest
  event, so the window ends at 12:01:30 and exec-005 has been idle 0 s).

So: 29 non-empty lines, 27 events, 2 malformed; executions 5 = 2 running, 2 succeeded,
1 failed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.check_cli import check_env
from tests.forked import run_wftui
from wftui.core.timestamps import parse_timestamp

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "logs" / "support_check.log"
CONTRACT_KEYS = {"window_s", "window_end", "sources", "executions", "error_rate", "latency_s",
                 "step_latency_s", "throughput_per_min", "active_workflows", "queue_depth",
                 "thresholds"}
# Keys the contract and issues add beside the example's.
OPTIONAL_KEYS = {"logs", "metrics", "folded_executions", "approximate", "warnings", "basis"}
SOURCE_KEYS = {"kind", "name", "lines", "events", "malformed", "status", "error"}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return check_env(tmp_path)


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_wftui(["check", *args], cwd=REPO, env=env, timeout=120)


def run_json(env: dict[str, str], *args: str) -> tuple[int, dict[str, Any]]:
    done = run(env, *args)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


def quantiles(values: list[float]) -> dict[str, float]:
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {"p50": float(p50), "p95": float(p95), "p99": float(p99)}


def assert_close(got: dict[str, Any], expected: dict[str, float]) -> None:
    assert set(got) >= set(expected)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=1e-6), key


def assert_one_line_error(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stdout == ""


# -- the JSON object ------------------------------------------------------------------------

def test_window_all_figures_and_shape(env: dict[str, str]) -> None:
    code, out = run_json(env, str(FIXTURE), "--window", "all")
    assert set(out) >= CONTRACT_KEYS
    assert set(out) - CONTRACT_KEYS <= OPTIONAL_KEYS
    assert out["window_s"] is None
    assert out["window_end"] == "2026-01-01T12:01:30Z"
    (source,) = out["sources"]
    assert set(source) >= SOURCE_KEYS
    assert source["kind"] == "file"
    assert source["name"] in (str(FIXTURE), FIXTURE.name)
    assert (source["lines"], source["events"], source["malformed"]) == (29, 27, 2)
    assert source["status"] == "ok"
    assert source["error"] is None
    assert out["executions"] == {"total": 5, "running": 2, "succeeded": 2, "failed": 1}
    assert out["basis"] == {"error_rate": "logs", "latency_s": "logs",
                            "throughput_per_min": "logs"}  # a log: every execution whole
    # ended: exec-001 (4 s), exec-002 (6 s, failed), exec-003 (10 s)
    assert out["error_rate"] == pytest.approx(1 / 3, abs=1e-6)
    assert_close(out["latency_s"], quantiles([4.0, 6.0, 10.0]))
    assert set(out["step_latency_s"]) == {"classify", "respond"}
    assert_close(out["step_latency_s"]["classify"], quantiles([1.0, 2.0, 0.5, 1.0]))
    assert out["step_latency_s"]["classify"]["count"] == 4
    assert_close(out["step_latency_s"]["respond"], quantiles([2.0, 8.5]))
    assert out["step_latency_s"]["respond"]["count"] == 2
    # 3 ended over the 90 s from the first event to the window end: 2 per minute
    assert out["throughput_per_min"] == pytest.approx(2.0)
    assert out["active_workflows"] == 2
    assert out["queue_depth"] == 12
    states = {t["name"]: t for t in out["thresholds"]}
    assert set(states) == {"error_rate", "latency_p95_s", "active_workflows", "queue_depth"}
    for threshold in out["thresholds"]:
        assert set(threshold) == {"name", "value", "threshold", "state", "action"}
    assert states["error_rate"] == {
        "name": "error_rate", "value": pytest.approx(1 / 3, abs=1e-6), "threshold": 0.05,
        "state": "firing", "action": "Page on-call, investigate root cause"}
    assert states["latency_p95_s"]["value"] == pytest.approx(9.6)
    assert states["latency_p95_s"]["state"] == "ok"
    assert states["active_workflows"]["state"] == "ok"
    assert states["queue_depth"]["value"] == 12
    assert states["queue_depth"]["state"] == "ok"
    assert code == 1  # error_rate is firing


def test_one_minute_window_ends_at_the_newest_event(env: dict[str, str]) -> None:
    code, out = run_json(env, str(FIXTURE), "--window", "1m")
    assert out["window_s"] == 60
    assert out["window_end"] == "2026-01-01T12:01:30Z"
    # (12:00:30, 12:01:30]: only exec-003 ended (10 s, succeeded)
    assert out["executions"] == {"total": 5, "running": 2, "succeeded": 2, "failed": 1}
    assert out["error_rate"] == 0
    assert_close(out["latency_s"], {"p50": 10.0, "p95": 10.0, "p99": 10.0})
    assert_close(out["step_latency_s"]["classify"], quantiles([0.5, 1.0]))
    assert out["step_latency_s"]["classify"]["count"] == 2
    assert out["step_latency_s"]["respond"]["count"] == 1
    assert out["throughput_per_min"] == pytest.approx(1.0)
    assert out["active_workflows"] == 2
    assert out["queue_depth"] == 12
    assert all(t["state"] == "ok" for t in out["thresholds"])
    assert code == 0


def test_default_window_is_five_minutes(env: dict[str, str]) -> None:
    _, out = run_json(env, str(FIXTURE))
    assert out["window_s"] == 300
    # The log spans 90 s, less than the window: 3 ended over the 1.5 minutes with data
    # (the 3.5 minutes before the first event are no data, not zero executions).
    assert out["throughput_per_min"] == pytest.approx(3 / 1.5)


def test_whole_numbers_are_integers_in_the_json(env: dict[str, str]) -> None:
    # docs/figures.md: "whole numbers are integers" (the example: "window_s": 300); a
    # float 300.0 or 60.0 reads as a different type to a strict consumer (jq, Go, JSON
    # schema "integer").
    done = run(env, str(FIXTURE), "--window", "5m")
    assert '"window_s": 300,' in done.stdout, done.stdout[:200]
    out = json.loads(done.stdout)
    for threshold in out["thresholds"]:
        value = threshold["threshold"]
        assert not (isinstance(value, float) and value.is_integer()), threshold


def test_no_data_is_null_and_exit_zero(env: dict[str, str], tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_text("\n\n")
    code, out = run_json(env, str(empty))
    assert code == 0
    assert out["executions"] == {"total": 0, "running": 0, "succeeded": 0, "failed": 0}
    for key in ("error_rate", "throughput_per_min", "active_workflows", "queue_depth"):
        assert out[key] is None, key
    assert out["latency_s"] == {"p50": None, "p95": None, "p99": None}
    assert {t["state"] for t in out["thresholds"]} == {"no_data"}
    assert out["sources"][0]["lines"] == 0
    # not an error (a quiet service), but never a silent all-clear either
    assert out["warnings"] == [f"{empty}: empty: no lines, so no figure and no threshold "
                               "is judged"]


def test_config_file_changes_thresholds(env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "wftui.toml"
    config.write_text('[thresholds.error_rate]\nthreshold = 0.5\n')
    code, out = run_json(env, str(FIXTURE), "--window", "all", "--config", str(config))
    states = {t["name"]: t for t in out["thresholds"]}
    assert states["error_rate"]["threshold"] == 0.5
    assert states["error_rate"]["state"] == "ok"
    assert code == 0


@pytest.mark.parametrize(("name", "limit", "value"), [
    ("latency_p95_s", 5, 10),  # window 1m: only exec-003 (10 s) ended
    ("active_workflows", 1, 2),  # exec-004 and exec-005
    ("queue_depth", 10, 12),  # the latest queue_depth event
])
def test_every_threshold_can_fire(env: dict[str, str], tmp_path: Path, name: str,
                                  limit: float, value: float) -> None:
    config = tmp_path / "wftui.toml"
    config.write_text(f"[thresholds.{name}]\nthreshold = {limit}\n")
    # window 1m: error_rate is 0 there, so only the threshold under test can fire
    code, out = run_json(env, str(FIXTURE), "--window", "1m", "--config", str(config))
    states = {t["name"]: t for t in out["thresholds"]}
    assert states[name]["threshold"] == limit
    assert states[name]["state"] == "firing"
    assert [t["name"] for t in out["thresholds"] if t["state"] == "firing"] == [name]
    assert states[name]["value"] == pytest.approx(value)
    assert code == 1


def test_disabled_threshold_does_not_fire(env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "wftui.toml"
    config.write_text("[thresholds.error_rate]\nenabled = false\n")
    code, out = run_json(env, str(FIXTURE), "--window", "all", "--config", str(config))
    assert all(t["state"] != "firing" for t in out["thresholds"])
    assert out["error_rate"] == pytest.approx(1 / 3, abs=1e-6)  # the figure is still there
    assert code == 0


def test_xdg_config_is_read(env: dict[str, str]) -> None:
    path = Path(env["XDG_CONFIG_HOME"]) / "wftui" / "config.toml"
    path.parent.mkdir()
    path.write_text('window = "all"\n')
    _, out = run_json(env, str(FIXTURE))
    assert out["window_s"] is None


def test_missing_file_beside_a_good_one_is_reported_not_fatal(env: dict[str, str],
                                                              tmp_path: Path) -> None:
    missing = tmp_path / "gone.log"
    code, out = run_json(env, str(FIXTURE), str(missing), "--window", "all")
    assert code == 1
    by_name = {Path(s["name"]).name: s for s in out["sources"]}
    assert by_name["support_check.log"]["status"] == "ok"
    assert by_name["gone.log"]["status"] != "ok"
    assert by_name["gone.log"]["error"]


def test_retention_folds_and_says_so(env: dict[str, str], tmp_path: Path) -> None:
    log = tmp_path / "many.log"
    base = 1767268800.0
    with log.open("w") as handle:
        for i in range(1000):
            start = base + 2 * i
            status = "failure" if i % 10 == 0 else "success"
            handle.write(json.dumps({"event": "workflow_start", "execution_id": f"x{i}",
                                     "timestamp": start}) + "\n")
            handle.write(json.dumps({"event": "workflow_complete", "execution_id": f"x{i}",
                                     "status": status, "duration_ms": 1000 + i,
                                     "timestamp": start + 1}) + "\n")
    code, out = run_json(env, str(log), "--window", "all", "--retention", "100")
    assert out["folded_executions"] == 900
    assert out["executions"] == {"total": 1000, "running": 0, "succeeded": 900, "failed": 100}
    assert out["error_rate"] == pytest.approx(0.1)
    assert_close(out["latency_s"], quantiles([(1000 + i) / 1000 for i in range(1000)]))
    assert code == 1


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
                                   "0001-01-01T00:00:00", 7_258_118_400])
def test_far_past_and_future_timestamps_do_not_crash(env: dict[str, str], tmp_path: Path,
                                                     stamp: object) -> None:
    """docs/reliability.md: far past and future times are used or ignored, never a traceback."""
    log = tmp_path / "far.log"
    log.write_text(json.dumps({"event": "workflow_start", "execution_id": "a",
                               "timestamp": stamp}) + "\n")
    for window in ("all", "5m"):
        code, out = run_json(env, str(log), "--window", window)
        assert out["executions"]["total"] == 1
        assert isinstance(out["window_end"], str)


def test_standard_input(env: dict[str, str]) -> None:
    done = run_wftui(["check", "-", "--window", "all"], cwd=REPO, env=env,
                     input=FIXTURE.read_text(), timeout=120)
    assert "Traceback" not in done.stderr
    assert done.returncode == 1
    out = json.loads(done.stdout)
    assert out["executions"] == {"total": 5, "running": 2, "succeeded": 2, "failed": 1}
    (source,) = out["sources"]
    assert (source["events"], source["malformed"]) == (27, 2)


def test_idle_timeout_option(env: dict[str, str], tmp_path: Path) -> None:
    """quiet: no workflow_complete, last event 10 s before the newest one (busy's)."""
    log = tmp_path / "idle.log"
    base = 1767268800.0
    log.write_text("\n".join(json.dumps(r) for r in [
        {"event": "step_start", "execution_id": "quiet", "step_name": "s", "timestamp": base},
        {"event": "step_complete", "execution_id": "quiet", "step_name": "s",
         "timestamp": base + 2},
        {"event": "workflow_start", "execution_id": "busy", "timestamp": base + 12},
    ]) + "\n")
    _, out = run_json(env, str(log))
    assert out["executions"] == {"total": 2, "running": 2, "succeeded": 0, "failed": 0}
    _, out = run_json(env, str(log), "--idle-timeout", "5s")
    assert out["executions"] == {"total": 2, "running": 1, "succeeded": 1, "failed": 0}
    assert out["latency_s"]["p50"] == pytest.approx(2.0)


# -- text format ------------------------------------------------------------------------------

def test_text_format(env: dict[str, str]) -> None:
    done = run(env, str(FIXTURE), "--window", "all", "--format", "text")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stdout.strip()
    with pytest.raises(json.JSONDecodeError):
        json.loads(done.stdout)
    assert "support_check.log" in done.stdout
    assert "error_rate" in done.stdout
    assert "firing" in done.stdout.lower()
    quiet = run(env, str(FIXTURE), "--window", "1m", "--format", "text")
    assert quiet.returncode == 0
    assert "firing" not in quiet.stdout.lower()


def test_text_format_says_no_traffic_never_zero(env: dict[str, str], tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_text("\n")
    done = run(env, str(empty), "--format", "text")
    assert done.returncode == 0
    assert "no traffic" in done.stdout  # docs/figures.md: null error_rate is "no traffic"
    assert "0.00%" not in done.stdout
    real_zero = run(env, str(FIXTURE), "--window", "1m", "--format", "text")
    assert "no traffic" not in real_zero.stdout  # one execution ended: a real 0%


# -- usage errors: exit 2, one line, no traceback ----------------------------------------------

def test_hostile_text_is_made_visible(env: dict[str, str], tmp_path: Path) -> None:
    """docs/reliability.md: log text reaching the terminal carries no control characters."""
    hostile = "\x1b]0;owned\x07\x1b[2J\rstep\u202e\x9b"
    log = tmp_path / "hostile.log"
    log.write_text("\n".join(json.dumps(record) for record in [
        {"event": "step_start", "execution_id": "h", "step_name": hostile, "timestamp": 1.7e9},
        {"event": "step_complete", "execution_id": "h", "step_name": hostile,
         "timestamp": 1.7e9 + 1}]) + "\n")
    done = run(env, str(log), "--format", "text")
    assert "Traceback" not in done.stderr
    assert done.returncode == 0
    for bad in ("\x1b", "\x07", "\r", "\u202e", "\x9b"):
        assert bad not in done.stdout, repr(bad)


def test_no_sources(env: dict[str, str]) -> None:
    assert_one_line_error(run(env))


@pytest.mark.parametrize("args", [
    ["--window", "forever"],
    ["--window", "-5m"],
    ["--format", "xml"],
    ["--retention", "lots"],
    ["--retention", "0"],
    ["--idle-timeout", "never"],
    ["--no-such-option"],
])
def test_bad_arguments(env: dict[str, str], args: list[str]) -> None:
    assert_one_line_error(run(env, str(FIXTURE), *args))


def test_bad_config_names_the_key(env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[thresholds.error_rate]\nthreshold = "high"\n')
    done = run(env, str(FIXTURE), "--config", str(config))
    assert_one_line_error(done)
    assert "threshold" in done.stderr


def test_bad_environment_value(env: dict[str, str]) -> None:
    done = run(dict(env, WFTUI_WINDOW="someday"), str(FIXTURE))
    assert_one_line_error(done)
    assert "WFTUI_WINDOW" in done.stderr


def test_bad_xdg_config(env: dict[str, str]) -> None:
    path = Path(env["XDG_CONFIG_HOME"]) / "wftui" / "config.toml"
    path.parent.mkdir()
    path.write_text("colour = 'blue'\n")
    done = run(env, str(FIXTURE))
    assert_one_line_error(done)
    assert "colour" in done.stderr


def test_invalid_toml_config(env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "broken.toml"
    config.write_text("window = [\n")
    assert_one_line_error(run(env, str(FIXTURE), "--config", str(config)))


def test_config_not_utf8(env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "latin1.toml"
    config.write_bytes(b'window = "5m"\n# caf\xe9\n')
    assert_one_line_error(run(env, str(FIXTURE), "--config", str(config)))


def test_missing_config_file(env: dict[str, str], tmp_path: Path) -> None:
    assert_one_line_error(run(env, str(FIXTURE), "--config", str(tmp_path / "none.toml")))


def test_missing_only_source(env: dict[str, str], tmp_path: Path) -> None:
    done = run(env, str(tmp_path / "nothing-here.log"))
    assert_one_line_error(done)
    assert "nothing-here.log" in done.stderr


def test_unreachable_metrics_as_only_source(env: dict[str, str]) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = run(env, "--metrics", f"http://127.0.0.1:{port}/metrics", "--interval", "0.2s")
    assert_one_line_error(done)


def test_bad_metrics_url(env: dict[str, str]) -> None:
    assert_one_line_error(run(env, "--metrics", "not a url"))


def test_directory_as_only_source(env: dict[str, str], tmp_path: Path) -> None:
    assert_one_line_error(run(env, str(tmp_path)))


def test_unreadable_only_source(env: dict[str, str], tmp_path: Path) -> None:
    locked = tmp_path / "locked.log"
    locked.write_text(FIXTURE.read_text())
    locked.chmod(0)
    command = [sys.executable, "-m", "wftui", "check", str(locked)]
    if os.geteuid() == 0:
        # Root reads any file; without the capabilities that let it (setpriv, util-linux)
        # it is refused like anyone else, so the case is tested as root too (CI runs so).
        setpriv = shutil.which("setpriv")
        assert setpriv is not None, "setpriv (util-linux) is needed to drop root's DAC powers"
        caps = "-dac_override,-dac_read_search"
        command = [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}", *command]
    try:
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=120)
    finally:
        locked.chmod(0o600)
    assert_one_line_error(done)
    assert "locked.log" in done.stderr


def _spike_log(path: Path) -> Path:
    """3 minutes of successes, then 30 s in which every execution fails (one a second)."""
    lines = []
    for second in range(210):
        failed = second >= 180
        stamp = f"2026-01-01T12:{second // 60:02d}:{second % 60:02d}"
        lines.append(json.dumps({"event": "workflow_complete", "execution_id": f"e{second}",
                                 "status": "failure" if failed else "success",
                                 "duration_ms": 100, "timestamp": stamp}))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(("hold", "state", "exit_code"), [
    ("20s", "firing", 1),   # the breach has held 30 s (>= 20 s): it fires
    ("2m", "pending", 0),   # it has not held 2 minutes yet
])
def test_for_is_judged_along_the_log(env: dict[str, str], tmp_path: Path, hold: str,
                                     state: str, exit_code: int) -> None:
    """A one-shot check has no past of its own: `for` is judged along the log's time.
    Error rate over a 1m window: at the end 30 of 60 failed (50%); it first exceeded 5%
    about 4 s after the spike began, i.e. ~26 s before the end."""
    config = tmp_path / "c.toml"
    config.write_text(f'[thresholds.error_rate]\nfor = "{hold}"\n')
    code, out = run_json(env, str(_spike_log(tmp_path / "spike.log")), "--window", "1m",
                         "--config", str(config))
    states = {t["name"]: t["state"] for t in out["thresholds"]}
    assert out["error_rate"] == pytest.approx(30 / 60)
    assert states["error_rate"] == state
    assert code == exit_code


def _children(pid: int) -> list[int]:
    """The live children of a process (Linux /proc)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def _alive(pid: int) -> bool:
    """Running (not a zombie, not gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_to_check_reading_in_parts_stops_its_readers(tmp_path: Path,
                                                              signum: int) -> None:
    """A file big enough to be read in parts (two 16 MiB parts at least, one per core):
    ended by a signal while a reader child runs, check leaves no child behind."""
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("reading in parts needs two usable cores")
    log = tmp_path / "big.log"
    line = json.dumps({"event": "step_start", "execution_id": "e" * 20, "step_name": "s",
                       "timestamp": "2026-01-01T00:00:00Z", "pad": "x" * 60}).encode() + b"\n"
    with log.open("wb") as out:
        chunk = line * (1 << 14)
        while out.tell() < (120 << 20):
            out.write(chunk)
    env = {**os.environ, "PYTHONPATH": str(REPO), "XDG_CONFIG_HOME": str(tmp_path / "x")}
    proc = subprocess.Popen([sys.executable, "-m", "wftui", "check", str(log)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    readers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while not readers and proc.poll() is None and time.monotonic() < deadline:
            readers = _children(proc.pid)
            time.sleep(0.01)  # polling /proc: there is no event to wait for
        assert readers, "check never started a reader child"
        # Stopped, a reader can neither finish its part nor notice a closed pipe: only
        # being killed ends it, so check cannot exit by waiting it out.
        for pid in readers:
            os.kill(pid, signal.SIGSTOP)
        proc.send_signal(signum)
        assert proc.wait(30) == 128 + signum
        # Its children are reaped by it before it exits (killed, not left reading).
        leftover = [pid for pid in readers if _alive(pid)]
        assert leftover == [], f"reader children still running: {leftover}"
        assert b"Traceback" not in proc.stderr.read()  # type: ignore[union-attr]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
        for pid in readers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        proc.stderr.close()  # type: ignore[union-attr]


def _completed(path: Path, first: float, count: int) -> None:
    """`count` executions of 1 s, one every 6 s from `first` (epoch seconds)."""
    with path.open("w") as out:
        for i in range(count):
            start = first + 6 * i
            out.write(json.dumps({"event": "workflow_start", "execution_id": f"E{i}",
                                  "timestamp": start}) + "\n")
            out.write(json.dumps({"event": "workflow_complete", "execution_id": f"E{i}",
                                  "status": "success", "timestamp": start + 1}) + "\n")


def test_an_old_log_is_said_to_be_history_and_a_live_one_is_not(
        env: dict[str, str], tmp_path: Path) -> None:
    old, live = tmp_path / "old.log", tmp_path / "live.log"
    two_days = 2 * 86400
    _completed(old, time.time() - two_days - 60, 10)  # ends ~2 days ago
    _completed(live, time.time() - 60, 5)  # ends ~30 s ago: within the 5m window
    told = json.loads(run(env, str(old)).stdout)
    assert [w for w in told.get("warnings", []) if w.startswith("history:")] == [
        w for w in told["warnings"] if "2 days ago" in w and "as of its end" in w]
    assert any(w.startswith("history: the log ends") for w in told["warnings"])
    quiet = json.loads(run(env, str(live)).stdout)
    assert not any(w.startswith("history:") for w in quiet.get("warnings", []))


def test_queue_depth_and_active_workflows_are_judged_along_the_log_too(
        env: dict[str, str], tmp_path: Path) -> None:
    """The log's past gives active workflows and queue depth at any moment, as `--at`
    and the monitor judge them: a plain check of a log whose queue has read 500 for
    the last 3 minutes (threshold 100 for 2m), with 20 executions open for the last
    90 s (threshold 10 for 1m), fires both, as `check --at` its end does (it left them
    pending, as if only known as they are now)."""
    lines = []
    for second in range(0, 301, 10):  # 12:00:00 .. 12:05:00
        stamp = f"2026-01-01T12:{second // 60:02d}:{second % 60:02d}Z"
        lines.append({"event": "queue_depth", "value": 500 if second >= 120 else 5,
                      "timestamp": stamp})
        lines.append({"event": "workflow_start", "execution_id": f"done{second}",
                      "timestamp": stamp})
        lines.append({"event": "workflow_complete", "execution_id": f"done{second}",
                      "status": "success", "timestamp": stamp})
    for n in range(20):  # begun at 12:03:30, a step open at the end
        for event in ("workflow_start", "step_start"):
            lines.append({"event": event, "execution_id": f"open{n}", "step_name": "s",
                          "timestamp": "2026-01-01T12:03:30Z"})
    lines.sort(key=lambda line: line["timestamp"])
    log = tmp_path / "q.log"
    log.write_text("".join(json.dumps(line) + "\n" for line in lines))
    config = tmp_path / "c.toml"
    config.write_text('[thresholds.queue_depth]\nthreshold = 100\nfor = "2m"\n'
                      '[thresholds.active_workflows]\nthreshold = 10\nfor = "1m"\n')
    code, out = run_json(env, str(log), "--config", str(config))
    states = {t["name"]: t["state"] for t in out["thresholds"]}
    assert out["queue_depth"] == 500 and out["active_workflows"] == 20
    assert states["queue_depth"] == "firing" and states["active_workflows"] == "firing"
    assert code == 1
    _, at_end = run_json(env, str(log), "--config", str(config), "--at", "12:05")
    assert {t["name"]: t["state"] for t in at_end["thresholds"]} == states


def test_alerts_lists_when_each_alert_fired_and_cleared_along_the_log(
        env: dict[str, str], tmp_path: Path) -> None:
    """A post-mortem: the log ends all clear, but its error rate was above 40% for ten
    seconds in the middle. `--alerts` says when, judged along the log's time."""
    def at(second: int) -> str:
        return f"2026-01-01T12:{second // 60:02d}:{second % 60:02d}Z"

    lines = []
    # e1 ok at 10 s, e2 failed at 30 s (1 of 2: 50% > 40%), e3..e6 ok at 40..70 s
    # (1 of 3 at 40 s: 33%, back under), e7 ok at 300 s: the log's end
    for name, end, status in [("e1", 10, "success"), ("e2", 30, "failure"),
                              ("e3", 40, "success"), ("e4", 50, "success"),
                              ("e5", 60, "success"), ("e6", 70, "success"),
                              ("e7", 300, "success")]:
        lines.append({"event": "workflow_start", "execution_id": name,
                      "timestamp": at(end - 5)})
        lines.append({"event": "workflow_complete", "execution_id": name,
                      "status": status, "timestamp": at(end)})
    lines.sort(key=lambda line: line["timestamp"])
    log = tmp_path / "incident.log"
    log.write_text("".join(json.dumps(line) + "\n" for line in lines))
    config = tmp_path / "c.toml"
    config.write_text('window = "1m"\n[thresholds.error_rate]\nthreshold = 0.4\n')
    code, out = run_json(env, str(log), "--config", str(config), "--alerts")
    assert code == 0  # all clear at the end
    [alert] = out["alerts"]
    fired, cleared = (parse_timestamp(alert[key]) for key in ("fired_at", "cleared_at"))
    start = parse_timestamp(at(0))
    # judged at moments 1 s apart from the log's first event (5 s .. 300 s), so
    # within a second past each crossing: as exact as a time of day, no step given
    assert alert["judged_every_s"] is None
    assert 30 <= fired - start < 31 and 40 <= cleared - start < 41
    assert (alert["name"], alert["peak"]) == ("error_rate", 0.5)
    # the same, up to a moment inside the incident: still firing then
    _, then = run_json(env, str(log), "--config", str(config), "--alerts", "--at", "12:00:35")
    [alert] = then["alerts"]
    assert alert["fired_at"] == out["alerts"][0]["fired_at"] and alert["cleared_at"] is None
    # text: one line an alert; without --alerts, no list
    done = run(env, str(log), "--config", str(config), "--alerts", "--format", "text")
    [line] = [row for row in done.stdout.splitlines() if row.startswith("alert ")]
    assert line.startswith("alert       error_rate fired 2026-01-01T12:00:3")
    assert "· cleared 2026-01-01T12:00:4" in line and line.endswith("· peak 50.00%")
    assert "alerts" not in run_json(env, str(log), "--config", str(config))[1]
