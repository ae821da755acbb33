"""`wftui watch` as a process: files followed through rotations, signals, pipes, exit codes.

Each test runs `wftui watch` as a child process (forked from the test process with wftui
already imported, `tests.forked`; or, where the process itself is not the point,
`wftui.cli.main` in-process) against real files and real HTTP
servers on 127.0.0.1. Expected counts are the lines the test itself wrote.
"""

from __future__ import annotations

import gzip
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, Counter, start_http_server

from tests.forked import ForkedProcess, run_wftui
from tests.helpers import wait_for
from wftui.cli import main

REPO_ROOT = Path(__file__).resolve().parents[1]
WAIT_S = 45.0  # generous: the suite must hold on a loaded two-core machine
PY = sys.executable


def iso_now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def execution(execution_id: str, *, ok: bool = True) -> list[str]:
    """The four lines of one finished execution, stamped now."""
    ts = iso_now()
    return [json.dumps(line) for line in (
        {"event": "workflow_start", "execution_id": execution_id, "workflow_name": "ticket",
         "timestamp": ts},
        {"event": "step_start", "execution_id": execution_id, "step_name": "classify",
         "step_type": "llm", "timestamp": ts},
        {"event": "step_complete", "execution_id": execution_id, "step_name": "classify",
         "duration_ms": 800, "success": ok, "timestamp": ts},
        {"event": "workflow_complete", "execution_id": execution_id,
         "status": "success" if ok else "failure", "duration_ms": 1200, "timestamp": ts},
    )]


def append(path: Path, lines: list[str]) -> int:
    """Append the lines in one write (a reader sees all or none); returns how many."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, "".join(line + "\n" for line in lines).encode())
    finally:
        os.close(fd)
    return len(lines)


def executions(prefix: str, count: int, *, ok: bool = True) -> list[str]:
    return [line for n in range(count) for line in execution(f"{prefix}{n}", ok=ok)]


def child_env(tmp_path: Path) -> dict[str, str]:
    """The repo on the path, no user config, no WFTUI_* settings from outside."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WFTUI_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH"))
                                        if p)
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    return env


class WatchProcess:
    """`wftui watch ARGS` (its own process, `tests.forked`) with its output lines collected
    as they come."""

    def __init__(self, args: list[str], tmp_path: Path, **popen: Any) -> None:
        self.proc: ForkedProcess | subprocess.Popen[bytes]
        if "--otlp-grpc" in args:
            # gRPC's core does not work in a fork of a process that has used it (as
            # this one may have): a fresh interpreter.
            self.proc = subprocess.Popen([PY, "-m", "wftui", "watch", *args],
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                         cwd=REPO_ROOT, env=child_env(tmp_path), **popen)
        else:
            self.proc = ForkedProcess(["watch", *args], cwd=REPO_ROOT,
                                      env=child_env(tmp_path), **popen)
        self.lines: list[dict[str, Any]] = []
        self.stderr = b""
        self._readers = [threading.Thread(target=self._read_out, daemon=True),
                         threading.Thread(target=self._read_err, daemon=True)]
        for reader in self._readers:
            reader.start()

    def _read_out(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(json.loads(line))

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr += line

    def snapshots(self) -> list[dict[str, Any]]:
        return [line for line in self.lines if "window_s" in line]

    def transitions(self, alert: str | None = None) -> list[dict[str, Any]]:
        return [line for line in self.lines
                if "alert" in line and alert in (None, line["alert"])]

    def wait_snapshot(self, check: Callable[[dict[str, Any]], bool], what: str
                      ) -> dict[str, Any]:
        """The first snapshot printed from now on that passes `check`."""
        start = len(self.lines)

        def found() -> dict[str, Any] | None:
            return next((line for line in self.lines[start:]
                         if "window_s" in line and check(line)), None)

        return wait_for(found, what)

    def finish(self, signum: int | None = None) -> int:
        """Send `signum` (if any), wait for the exit, and return the exit code."""
        if signum is not None:
            self.proc.send_signal(signum)
        code = self.proc.wait(WAIT_S)
        for reader in self._readers:
            reader.join(WAIT_S)
        return code

    def close(self) -> None:
        """Kill it if it still runs; close the pipes."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(WAIT_S)
        for reader in self._readers:
            reader.join(WAIT_S)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def start_watches(tmp_path: Path) -> Iterator[Callable[..., WatchProcess]]:
    """Yield a starter of watch processes; any still running afterwards is killed."""
    started: list[WatchProcess] = []

    def start(*args: str, **popen: Any) -> WatchProcess:
        process = WatchProcess(list(args), tmp_path, **popen)
        started.append(process)
        return process

    yield start
    for process in started:
        process.close()


@pytest.fixture
def watch(tmp_path: Path) -> Iterator[Callable[..., WatchProcess]]:
    """Start watch processes; each is killed (if still running) at teardown."""
    yield from start_watches(tmp_path)


def file_source(snapshot: dict[str, Any]) -> dict[str, Any]:
    (source,) = [s for s in snapshot["sources"] if s["kind"] == "file"]
    return source


def test_writer_rotates_truncates_and_recreates_while_watch_follows(
        tmp_path: Path, watch: Callable[..., WatchProcess]) -> None:
    log = tmp_path / "app.log"
    log.touch()
    proc = watch(str(log), "--every", "0.2s", "--window", "all")
    proc.wait_snapshot(lambda s: file_source(s)["status"] == "following", "the first snapshot")
    written = malformed = 0

    def caught_up(s: dict[str, Any]) -> bool:
        return file_source(s)["lines"] == written

    # 1. appends: 10 executions and two malformed lines (not JSON; no "event")
    written += append(log, executions("a", 10) + ["not json at all", '{"no_event": 1}'])
    malformed += 2
    proc.wait_snapshot(caught_up, "the first lines")
    # 2. rotation by rename: the old file is finished, the new one read from its start
    os.rename(log, tmp_path / "app.log.1")
    written += append(log, executions("b", 5) + ["[]"])
    malformed += 1
    proc.wait_snapshot(caught_up, "the lines after the rename")
    # 3. copytruncate, done safely: the reader already has everything (waited above);
    #    the refill is shorter than what was there, and comes right after the truncate
    shutil.copyfile(log, tmp_path / "app.log.2")
    os.truncate(log, 0)
    written += append(log, executions("c", 3) + ['{"event": "step_start"}'])
    malformed += 1
    proc.wait_snapshot(caught_up, "the lines after the truncation")
    # 4. deleted, then recreated
    os.unlink(log)
    written += append(log, executions("d", 4) + ["\x1b]0;owned\x07 junk"])
    malformed += 1
    proc.wait_snapshot(caught_up, "the lines after the recreation")

    assert proc.finish(signal.SIGTERM) == 0  # nothing firing: every execution succeeded
    final = proc.lines[-1]
    source = file_source(final)
    assert written == 40 + 2 + 20 + 1 + 12 + 1 + 16 + 1
    assert source["events"] + source["malformed"] == written
    assert source["malformed"] == malformed == 5
    assert source["rotations"] == 2  # the rename and the recreation
    assert source["truncations"] == 1
    assert source["skipped_long_lines"] == 0
    assert source["status"] == "following"
    assert source["offset"] == len(log.read_bytes())  # where the reader is: the end
    assert final["executions"] == {"total": 22, "running": 0, "succeeded": 22, "failed": 0}
    assert final["error_rate"] == 0.0
    assert final["at"].endswith("Z")
    assert proc.stderr == b""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGHUP])
def test_a_stop_signal_ends_with_a_final_snapshot_and_exit_1_while_firing(
        tmp_path: Path, watch: Callable[..., WatchProcess], signum: int) -> None:
    """SIGHUP too (the terminal went away): the final snapshot, not a silent 129."""
    log = tmp_path / "app.log"
    append(log, executions("ok", 3) + executions("bad", 1, ok=False))
    proc = watch(str(log), "--every", "0.2s", "--window", "all")
    proc.wait_snapshot(lambda s: s["executions"]["total"] == 4, "the executions")
    count = len(proc.snapshots())
    assert proc.finish(signum) == 1
    final = proc.lines[-1]
    assert len(proc.snapshots()) > count and "window_s" in final
    error_rate = next(t for t in final["thresholds"] if t["name"] == "error_rate")
    assert error_rate == {"name": "error_rate", "value": 0.25, "threshold": 0.05,
                          "state": "firing", "action": "Page on-call, investigate root cause"}
    assert proc.stderr == b""


def test_duration_ends_the_watch_by_itself(
        tmp_path: Path, watch: Callable[..., WatchProcess]) -> None:
    log = tmp_path / "app.log"
    append(log, executions("ok", 2))
    proc = watch(str(log), "--every", "0.25s", "--duration", "1s", "--window", "all")
    assert proc.finish() == 0
    assert proc.snapshots() and proc.lines[-1]["executions"]["succeeded"] == 2
    assert proc.stderr == b""


def test_stdin_at_its_end_ends_the_watch(
        tmp_path: Path, watch: Callable[..., WatchProcess]) -> None:
    proc = watch("-", "--every", "10s", "--window", "all", stdin=subprocess.PIPE)
    assert proc.proc.stdin is not None
    proc.proc.stdin.write("".join(f"{line}\n" for line in executions("s", 2)).encode())
    proc.proc.stdin.close()
    assert proc.finish() == 0
    source = file_source(proc.lines[-1])
    assert (source["name"], source["status"], source["events"]) == ("-", "ended", 8)


def test_gzip_file_is_read_once_and_ends_the_watch(
        tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process: a gzip file cannot grow, so watch prints its final snapshot and ends."""
    log = tmp_path / "old.log.gz"
    log.write_bytes(gzip.compress("".join(f"{line}\n" for line in
                                          executions("z", 3) + ["junk"]).encode()))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert main(["watch", str(log), "--every", "10s", "--window", "all"]) == 0
    lines = [json.loads(line) for line in capfdbinary.readouterr().out.splitlines()]
    assert len(lines) == 1  # only the final snapshot: it ended before the first --every
    source = file_source(lines[0])
    assert (source["status"], source["events"], source["malformed"]) == ("ended", 12, 1)


def test_a_failing_snapshot_is_one_line_once_and_never_a_traceback(
        tmp_path: Path, capfd: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process, with the one mock here: no real input makes the core raise (that would
    be a bug), but if it ever does, a sidecar must say so in one line, not die."""
    from wftui.live import LiveMonitor

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("boom\nsecond line")

    log = tmp_path / "app.log"
    append(log, executions("x", 1))
    monkeypatch.setattr(LiveMonitor, "snapshot", broken)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert main(["watch", str(log), "--every", "0.2s", "--duration", "0.6s"]) == 2
    out, err = capfd.readouterr()
    assert out == ""
    assert err == "wftui: watch: cannot take a snapshot: RuntimeError: boom second line\n"


def test_from_end_skips_what_is_already_there(
        tmp_path: Path, watch: Callable[..., WatchProcess]) -> None:
    log = tmp_path / "app.log"
    append(log, executions("old", 3, ok=False))
    proc = watch(str(log), "--from-end", "--every", "0.2s", "--window", "all")
    first = proc.wait_snapshot(lambda s: True, "a snapshot")
    assert file_source(first)["events"] == 0
    append(log, executions("new", 2))
    proc.wait_snapshot(lambda s: file_source(s)["events"] == 8, "the new lines")
    assert proc.finish(signal.SIGTERM) == 0  # the old failures were never read
    assert proc.lines[-1]["executions"]["failed"] == 0


def test_missing_file_is_waiting_then_followed(
        tmp_path: Path, watch: Callable[..., WatchProcess]) -> None:
    log = tmp_path / "later.log"
    proc = watch(str(log), "--every", "0.2s", "--window", "all")
    waiting = proc.wait_snapshot(lambda s: True, "a snapshot")
    assert file_source(waiting)["status"] == "waiting"
    append(log, executions("x", 1))
    proc.wait_snapshot(lambda s: file_source(s)["events"] == 4, "the new file's lines")
    assert proc.finish(signal.SIGTERM) == 0


def test_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """`wftui watch ... | head -3`: three lines through, then exit 0 without a word."""
    log = tmp_path / "app.log"
    append(log, executions("ok", 2))
    status = tmp_path / "status"
    q = shlex.quote
    script = (f"{q(PY)} -m wftui watch {q(str(log))} --every 0.1s --window all | head -3 "
              f"> {q(str(tmp_path / 'head.out'))}; echo ${{PIPESTATUS[0]}} > {q(str(status))}")
    done = subprocess.run(["bash", "-c", script], cwd=REPO_ROOT, env=child_env(tmp_path),
                          capture_output=True, timeout=WAIT_S)
    assert done.stderr == b""
    assert status.read_text().strip() == "0"
    lines = (tmp_path / "head.out").read_text().splitlines()
    assert len(lines) == 3
    assert all("window_s" in json.loads(line) for line in lines)


def test_text_format_has_a_time_header_and_alert_lines(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    append(log, executions("bad", 1, ok=False))
    done = run_wftui(["watch", str(log), "--format", "text", "--every", "0.3s",
                      "--duration", "0.5s", "--window", "all"], cwd=REPO_ROOT,
                     env=child_env(tmp_path), timeout=WAIT_S)
    assert done.returncode == 1
    out = done.stdout.splitlines()
    assert out[0].endswith(" alert error_rate: ok -> firing (100.00%, threshold 5.00%) -- "
                           "Page on-call, investigate root cause")
    headers = [line for line in out if line.startswith("--- ")]
    assert len(headers) >= 2 and all(h.endswith("Z ---") for h in headers)
    assert f"source      {log}: following: 4 lines, 4 events, 0 malformed" in out


def test_alert_lines_write_numbers_as_the_snapshots_do(tmp_path: Path) -> None:
    """The snapshot objects say a 60 s threshold as 60 (docs/figures.md: whole numbers
    are integers, 6 decimals at most); the alert line printed beside them said 60.0
    (and so did the hooks, which get the same object)."""
    log = tmp_path / "app.log"
    ts = iso_now()
    append(log, [json.dumps(line) for line in (
        {"event": "workflow_start", "execution_id": "slow", "timestamp": ts},
        {"event": "workflow_complete", "execution_id": "slow", "status": "success",
         "duration_ms": 90_000, "timestamp": ts})])
    done = run_wftui(["watch", str(log), "--every", "0.3s", "--duration", "0.5s",
                      "--window", "all"], cwd=REPO_ROOT, env=child_env(tmp_path),
                     timeout=WAIT_S)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    alert = next(line for line in lines if line.startswith('{"alert":"latency_p95_s"'))
    assert '"value":90,"threshold":60,' in alert
    snapshot = json.loads(next(line for line in lines if '"window_s"' in line))
    entry = next(t for t in snapshot["thresholds"] if t["name"] == "latency_p95_s")
    assert json.dumps(entry["threshold"]) == "60"


@pytest.mark.parametrize(("args", "message"), [
    (["--every", "soon", "x.log"], "wftui: --every: expected a duration"),
    (["--duration", "0", "x.log"], "wftui: --duration: must be a positive duration"),
    ([], "wftui: nothing to watch"),
    (["--notify-url", "ftp://x", "x.log"], "wftui: --notify-url: expected an http://"),
    (["--notify-cmd", "x {alert", "x.log"], "wftui: --notify-cmd: x: program not found"),
    (["--metrics", "localhost:9", "x.log"],
     "wftui: --metrics: expected an http:// or https:// URL, got 'localhost:9'"),
    (["--format", "json", "x.log"], "wftui: argument --format: invalid choice"),
    (["--config", "CONFIG", "x.log"], "wftui: CONFIG: notify.urll: unknown key"),
])
def test_usage_errors_exit_2_with_one_line(
        args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[notify]\nurll = "http://127.0.0.1:9/"\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    with pytest.raises(SystemExit) as exit_:
        main(["watch", *[str(config) if a == "CONFIG" else a for a in args]])
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1
    assert captured.err.startswith(message.replace("CONFIG", str(config))), captured.err


def refused_port() -> int:
    """A 127.0.0.1 port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_metrics_targets_carry_up_last_error_and_age(
        tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process: one live exporter (prometheus_client) and one port that refuses."""
    registry = CollectorRegistry()
    runs = Counter("workflow_executions", "executions", ["workflow_name", "status"],
                   registry=registry)
    runs.labels("ticket", "success").inc(3)
    server, thread = start_http_server(0, addr="127.0.0.1", registry=registry)
    try:
        up_url = f"http://127.0.0.1:{server.server_address[1]}/metrics"
        down_url = f"http://127.0.0.1:{refused_port()}/metrics"
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
        # The scrape deadline is the interval: 1 s, not 0.2 s, so that a busy machine
        # (the suite on two cores) cannot make the live exporter miss it.
        code = main(["watch", "--metrics", up_url, "--metrics", down_url, "--interval",
                     "1s", "--every", "0.5s", "--duration", "2.5s"])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(WAIT_S)
    assert code == 0
    final = json.loads(capfdbinary.readouterr().out.splitlines()[-1])
    targets = {s["name"]: s for s in final["sources"]}
    up, down = targets[up_url], targets[down_url]
    assert (up["kind"], up["status"], up["up"], up["last_error"]) == (
        "metrics", "ok", True, None)
    assert 0.0 <= up["age_s"] < 10.0
    assert (down["status"], down["up"], down["age_s"]) == ("down", False, None)
    assert "ConnectError" in down["last_error"] or "refused" in down["last_error"].lower()


def test_an_old_log_is_said_to_be_history(tmp_path: Path,
                                          capfdbinary: pytest.CaptureFixture[bytes],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process: a log that ended two days ago is watched as of its end, and every
    snapshot says so (as `check` does), in JSON and in text."""
    two_days = datetime.now(UTC).timestamp() - 2 * 86400 - 3600
    stamp = datetime.fromtimestamp(two_days, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    lines = [json.dumps({**json.loads(line), "timestamp": stamp})
             for line in executions("o", 2)]
    log = tmp_path / "old.log.gz"  # cannot grow: the watch ends after its final snapshot
    log.write_bytes(gzip.compress("".join(f"{line}\n" for line in lines).encode()))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert main(["watch", str(log), "--every", "10s"]) == 0
    [snapshot] = [json.loads(line) for line in capfdbinary.readouterr().out.splitlines()]
    assert [w for w in snapshot["warnings"] if w.startswith("history: the log ends ")
            and "2 days ago" in w and "as of its end, not now" in w]
    assert main(["watch", str(log), "--every", "10s", "--format", "text"]) == 0
    assert "history: the log ends " in capfdbinary.readouterr().out.decode()


def test_an_old_backlog_appended_to_an_empty_log_fires_at_its_own_time(
        tmp_path: Path, watch: Callable[..., WatchProcess]) -> None:
    """`watch` started on an empty file, then handed hours-old lines (a shipper's late
    backlog): the alert, 30 s `for` on a breach from 100 s to the log's end (200 s),
    stayed pending at the log's end for ever. Now it fires at 130 s of the log."""
    from tests.test_live_history import _late_backlog

    start = (datetime.now(UTC).timestamp() // 60) * 60 - 5 * 3600
    config = tmp_path / "wftui.toml"
    config.write_text('window = "1m"\n[thresholds.error_rate]\nthreshold = 0.05\nfor = "30s"\n')
    log = tmp_path / "shipped.log"
    log.write_bytes(b"")
    process = watch(str(log), "--config", str(config), "--every", "1s")
    process.wait_snapshot(lambda snapshot: True, "a first snapshot of the empty log")
    append(log, [text.decode() for text in _late_backlog(start)])
    [fired] = wait_for(lambda: [t for t in process.transitions("error_rate")
                                if t["to"] == "firing"], "the alert fired")
    fired_at = datetime.fromisoformat(fired["at"].replace("Z", "+00:00")).timestamp()
    assert start + 130 <= fired_at < start + 131.5  # a judging step after, at most
    assert fired["value"] > 0.05
