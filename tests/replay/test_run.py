"""Running hooks for real: processes that hang, fail or print garbage; HTTP endpoints
that redirect, fail, trickle or answer nonsense (a real server on 127.0.0.1); the audit.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from wftui.replay.audit import audit_path, read_audit
from wftui.replay.outcome import TAIL_BYTES, ReplayOutcome
from wftui.replay.plan import ReplayHook, build_plan, split_command
from wftui.replay.run import replay, run_plan

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def run_script(tmp_path: Path, code: str, timeout: float = 20.0,
               execution_id: str = "EXEC-1") -> ReplayOutcome:
    script = tmp_path / "hook.py"
    script.write_text(code, encoding="utf-8")
    hook = ReplayHook(command=split_command(f"{sys.executable} {script} {{execution_id}}",
                                            "test"), timeout_s=timeout)
    return run_plan(build_plan(hook, execution_id, "wf", None))


def _gone(pid: int) -> bool:
    """The process no longer runs (gone, or a zombie nobody reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def test_a_hook_that_hangs_is_killed_with_its_children(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    code = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "print('asking the service...', flush=True)\n"
        "time.sleep(120)\n"
    )
    outcome = run_script(tmp_path, code, timeout=1.5)
    assert not outcome.ok and outcome.timed_out
    assert outcome.exit_code is None
    assert "did not finish within 1.5 s" in outcome.message
    assert outcome.stdout_tail == "asking the service..."
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 20
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(child), "the hook's child must die with its process group"


def test_a_hook_that_fails_shows_exit_code_and_stderr(tmp_path: Path) -> None:
    code = ("import sys\nprint('starting')\n"
            "print('replay: EXEC-1 is unknown to the service', file=sys.stderr)\nsys.exit(3)\n")
    outcome = run_script(tmp_path, code)
    assert not outcome.ok and not outcome.timed_out
    assert outcome.exit_code == 3
    assert outcome.message == ("the hook failed with exit code 3: "
                               "replay: EXEC-1 is unknown to the service")
    assert outcome.stderr_tail == "replay: EXEC-1 is unknown to the service"
    assert outcome.stdout_tail == "starting"


def test_a_hook_killed_by_a_signal_says_so(tmp_path: Path) -> None:
    outcome = run_script(tmp_path, "import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n")
    assert not outcome.ok and outcome.exit_code == -15
    assert outcome.message == "the hook was killed by signal 15"


def test_a_hook_that_prints_garbage_gets_a_clear_message(tmp_path: Path) -> None:
    code = ("import sys\n"
            "sys.stdout.buffer.write(b'\\x00\\xff\\xfe\\x1b]52;c;cHduZWQ=\\x07\\x1b[2J' * 50)\n")
    outcome = run_script(tmp_path, code)
    assert outcome.ok and outcome.exit_code == 0
    assert outcome.answered_id is None
    assert outcome.message == "the hook succeeded but did not say which execution it started"
    assert "the hook printed unreadable output (binary or not UTF-8)" in outcome.notes
    assert "\x1b" not in outcome.stdout_tail and "\x00" not in outcome.stdout_tail
    assert "\u241b" in outcome.stdout_tail  # ESC shown as the visible symbol


def test_the_last_json_line_is_the_answer_and_must_be_a_safe_id(tmp_path: Path) -> None:
    code = ("import json\nprint('log line {not json')\n"
            "print(json.dumps({'execution_id': 'OLD'}))\nprint('more text')\n"
            "print(json.dumps({'execution_id': 'EXEC-1-replay-3', 'extra': 1}))\n")
    assert run_script(tmp_path, code).answered_id == "EXEC-1-replay-3"
    hostile = "import json\nprint(json.dumps({'execution_id': '$(touch x); -rf'}))\n"
    outcome = run_script(tmp_path, hostile)
    assert outcome.ok and outcome.answered_id is None
    assert any("not a safe id" in note for note in outcome.notes)
    silent = run_script(tmp_path, "print('done')\n")
    assert silent.ok and silent.answered_id is None
    assert silent.notes == ('the hook exited 0 without printing {"execution_id": ...}',)


def test_huge_output_is_bounded_and_the_answer_still_found(tmp_path: Path) -> None:
    code = ("import sys, json\nsys.stdout.write('x' * 5_000_000 + '\\n')\n"
            "sys.stderr.write('e' * 3_000_000)\n"
            "print(json.dumps({'execution_id': 'BIG-1'}))\n")
    outcome = run_script(tmp_path, code)
    assert outcome.ok and outcome.answered_id == "BIG-1"
    assert len(outcome.stdout_tail.encode()) <= TAIL_BYTES * 3  # visible() may widen
    assert len(outcome.stderr_tail) == TAIL_BYTES


def test_a_program_that_does_not_exist(tmp_path: Path) -> None:
    hook = ReplayHook(command=(str(tmp_path / "no-such-program"), "{execution_id}"))
    outcome = run_plan(build_plan(hook, "EXEC-1", None, None))
    assert not outcome.ok and outcome.message.startswith("cannot run the hook: no such program")


def test_cancel_stops_a_running_hook(tmp_path: Path) -> None:
    script = tmp_path / "hook.py"
    script.write_text("import time\ntime.sleep(120)\n", encoding="utf-8")
    hook = ReplayHook(command=(sys.executable, str(script), "{execution_id}"), timeout_s=60)
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    outcome = run_plan(build_plan(hook, "EXEC-1", None, None), cancel)
    assert not outcome.ok and outcome.message.startswith("cancelled")


# -- HTTP ------------------------------------------------------------------------------

class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return

    def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length))
        self.server.seen.append((self.path, body))  # type: ignore[attr-defined]
        if self.path == "/ok":
            self._answer(202, json.dumps({"execution_id": body["execution_id"] + "-r"}).encode())
        elif self.path == "/redirect":
            self._answer(307, b"", {"Location": "/ok"})
        elif self.path == "/error":
            self._answer(500, json.dumps({"error": "replay queue \x1b[31mfull"}).encode())
        elif self.path == "/deep":
            self._answer(202, b'{"execution_id": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
        elif self.path == "/html500":
            self._answer(500, b"<!DOCTYPE html>\n<html>\n<head><title>Bad\n Gateway</title></head>"
                              b"\n<body><h1>oops</h1></body>\n</html>\n",
                         {"Content-Type": "text/html"})
        elif self.path == "/html500-untitled":
            self._answer(503, b"<html><body><p>down</p></body></html>\n")
        elif self.path == "/garbage":
            self._answer(200, b"\x00\x1b[2J<html>oops</html>\xff")
        elif self.path == "/slow":
            time.sleep(3)
            self._answer(202, b'{"execution_id": "late"}')
        elif self.path == "/trickle":
            self.send_response(202)
            self.send_header("Content-Length", "100")
            self.end_headers()
            for _ in range(100):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.1)


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # the client hung up on /slow and /trickle on purpose


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def post(server: ThreadingHTTPServer, path: str, timeout: float = 10.0,
         workflow_name: str | None = "support_ticket") -> ReplayOutcome:
    url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    hook = ReplayHook(url=url, timeout_s=timeout)
    return run_plan(build_plan(hook, "EXEC-4", workflow_name, {"ticket_id": "TKT-4"}))


def test_http_hook_posts_the_body_and_reads_the_new_id(server: ThreadingHTTPServer) -> None:
    outcome = post(server, "/ok")
    assert outcome.ok and outcome.http_status == 202
    assert outcome.answered_id == "EXEC-4-r"
    assert server.seen == [("/ok", {"execution_id": "EXEC-4", "workflow_name": "support_ticket",
                                    "context": {"ticket_id": "TKT-4"}})]


def test_http_hook_passes_a_hostile_workflow_name_inert_in_json(
        server: ThreadingHTTPServer) -> None:
    name = "wf; $(touch /tmp/x) `id`\n-rf"
    outcome = post(server, "/ok", workflow_name=name)
    assert outcome.ok
    assert server.seen[0][1]["workflow_name"] == name


def test_http_hook_posts_the_body_it_showed(server: ThreadingHTTPServer) -> None:
    """A context holding a number JSON cannot hold (1e999, read as an infinity) and an
    integer past 64 bits: the confirmation showed the body with null, but httpx refused
    to encode the infinity and the replay failed as 'cannot reach URL: Out of range float
    values are not JSON compliant', though nothing had been sent. The body shown is
    the one posted."""
    big = 2**127 + 3
    url = f"http://127.0.0.1:{server.server_address[1]}/ok"
    plan = build_plan(ReplayHook(url=url, timeout_s=10.0), "EXEC-4", "wf",
                      {"ratio": float("inf"), "uuid": big})
    shown = "\n".join(plan.describe())
    assert f'JSON body: {{"context":{{"ratio":null,"uuid":{big}}}' in shown
    outcome = run_plan(plan)
    assert outcome.ok and outcome.answered_id == "EXEC-4-r", outcome.message
    assert server.seen == [("/ok", {"execution_id": "EXEC-4", "workflow_name": "wf",
                                    "context": {"ratio": None, "uuid": big}})]


def test_http_redirect_is_reported_not_followed(server: ThreadingHTTPServer) -> None:
    outcome = post(server, "/redirect")
    assert not outcome.ok and outcome.http_status == 307
    assert "redirects are not followed" in outcome.message and "to /ok" in outcome.message
    assert [path for path, _ in server.seen] == ["/redirect"]


def test_http_error_shows_status_and_the_error_text_made_visible(
        server: ThreadingHTTPServer) -> None:
    outcome = post(server, "/error")
    assert not outcome.ok and outcome.http_status == 500
    assert outcome.message.endswith("answered 500: replay queue \u241b[31mfull")


def test_http_error_as_an_html_page_names_its_title_not_its_last_tag(
        server: ThreadingHTTPServer) -> None:
    # A proxy's or framework's error page ends in </html>: that is no reason to show.
    outcome = post(server, "/html500")
    assert not outcome.ok and outcome.http_status == 500
    assert outcome.message.endswith("answered 500: an HTML page: Bad Gateway")
    untitled = post(server, "/html500-untitled")
    assert untitled.message.endswith("answered 503: an HTML page: Service Unavailable")


def test_http_garbage_answer_gets_a_clear_message(server: ThreadingHTTPServer) -> None:
    outcome = post(server, "/garbage")
    assert outcome.ok and outcome.answered_id is None
    assert outcome.notes == ("the answer is not a JSON object (unreadable output)",)
    assert "\x1b" not in outcome.stdout_tail


def test_http_slow_and_trickling_answers_hit_the_deadline(server: ThreadingHTTPServer) -> None:
    slow = post(server, "/slow", timeout=0.5)
    assert not slow.ok and slow.timed_out and "did not answer within 0.5 s" in slow.message
    trickle = post(server, "/trickle", timeout=1.0)
    assert not trickle.ok and trickle.timed_out
    assert "did not finish answering within 1 s" in trickle.message


def test_http_nothing_listening() -> None:
    hook = ReplayHook(url="http://127.0.0.1:9/replay", timeout_s=5)
    outcome = run_plan(build_plan(hook, "EXEC-1", None, None))
    assert not outcome.ok and outcome.message.startswith("cannot reach http://127.0.0.1:9/")


# -- replay(): follow and audit --------------------------------------------------------

def test_replay_audits_and_follows_the_log_when_the_hook_is_silent(
        server: ThreadingHTTPServer, tmp_path: Path) -> None:
    script = tmp_path / "silent.py"
    script.write_text("print('ok')\n", encoding="utf-8")
    hook = ReplayHook(command=(sys.executable, str(script), "{execution_id}"))
    plan = build_plan(hook, "EXEC-2", "support_ticket", None)
    seen = [["EXEC-2-replay"], ["EXEC-2-replay"], ["EXEC-2-replay", "EXEC-2-replay-2"]]
    result = replay(plan, replays=lambda: seen.pop(0) if len(seen) > 1 else seen[0])
    assert result.new_id == "EXEC-2-replay-2" and result.id_source == "the log (replay_of)"

    url = f"http://127.0.0.1:{server.server_address[1]}/error"
    failed = replay(build_plan(ReplayHook(url=url), "EXEC-3", None, None))
    assert failed.new_id is None and failed.audit_error is None

    assert audit_path() == tmp_path / "state" / "wftui" / "replays.jsonl"
    records = [json.loads(line) for line in audit_path().read_text().splitlines()]
    # Each attempt: a start record before the hook runs, an end record after it.
    assert [(r["original_id"], r["phase"]) for r in records] == [
        ("EXEC-2", "start"), ("EXEC-2", "end"), ("EXEC-3", "start"), ("EXEC-3", "end")]
    assert records[0]["attempt"] == records[1]["attempt"] != records[2]["attempt"]
    assert records[0]["outcome"] is None and records[0]["new_id"] is None
    first, second = records[1], records[3]
    assert first["hook"] == {"kind": "command",
                             "argv": [sys.executable, str(script), "EXEC-2"]}
    assert first["new_id"] == "EXEC-2-replay-2" and first["outcome"]["ok"] is True
    assert first["user"] and first["time"].endswith("Z")
    assert second["hook"] == {"kind": "http", "url": url}
    assert second["outcome"]["http_status"] == 500 and second["new_id"] is None
    assert oct(audit_path().stat().st_mode & 0o777) == "0o600"

    with audit_path().open("ab") as out:
        out.write(b"not json \x1b[2J\n")
    entries, note = read_audit()
    assert note is None
    assert [(e.original_id, e.ok, e.new_id) for e in entries] == [
        ("EXEC-2", True, "EXEC-2-replay-2"), ("EXEC-3", False, ""), ("", None, "")]
    assert entries[2].message == "not a record" and entries[2].lineno == 5
    assert entries[1].hook == f"POST {url}"


def test_an_unwritable_audit_log_refuses_the_replay_without_a_crash(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A replay that would leave no trace is refused: the hook never runs."""
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    marker = tmp_path / "ran"
    script = tmp_path / "ok.py"
    script.write_text(f"open({str(marker)!r}, 'w').close()\n"
                      "print('{\"execution_id\": \"N-1\"}')\n", encoding="utf-8")
    hook = ReplayHook(command=(sys.executable, str(script), "{execution_id}"))
    result = replay(build_plan(hook, "EXEC-1", None, None))
    assert result.refused and result.new_id is None and not result.outcome.ok
    assert result.outcome.message.startswith("refusing to replay: cannot write the audit log")
    assert not marker.exists()
    assert result.audit_error and result.audit_error.startswith("cannot write the audit log")
    entries, note = read_audit()
    assert entries == [] and note is not None and note.startswith("cannot read")
    assert os.path.isfile(blocker)


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_an_audit_log_that_is_no_regular_file_refuses_at_once(
        tmp_path: Path, kind: str) -> None:
    """A FIFO at the audit path blocked the open for writing until some reader came:
    the replay hung before its hook ran (ctrl+c then claimed an audit it never wrote)."""
    path = audit_path()
    path.parent.mkdir(parents=True)
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()
    marker = tmp_path / "ran"
    script = tmp_path / "ok.py"
    script.write_text(f"open({str(marker)!r}, 'w').close()\n", encoding="utf-8")
    hook = ReplayHook(command=(sys.executable, str(script), "{execution_id}"))
    results: list[Any] = []
    worker = threading.Thread(target=lambda: results.append(
        replay(build_plan(hook, "EXEC-1", None, None))), daemon=True)
    worker.start()
    worker.join(5.0)
    if worker.is_alive():  # let the stuck open return, so the test ends
        with contextlib.suppress(OSError):
            os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
        worker.join(5.0)
        pytest.fail("the replay blocked on the audit log")
    result = results[0]
    assert result.refused and not marker.exists()
    assert result.outcome.message.startswith("refusing to replay: cannot write the audit log")
    # The audit viewer (in the UI thread) must not block on it either.
    entries, problem = read_audit()
    assert entries == [] and problem is not None and problem.startswith("cannot read")
    assert kind == "directory" or result.outcome.message.endswith(
        "it is not a regular file (a FIFO, a device or a socket) (a replay must leave a record)")


def test_a_background_child_holding_the_pipes_does_not_stall_the_outcome(
        tmp_path: Path) -> None:
    # The hook starts a long-lived helper that inherits stdout/stderr, then exits 0.
    code = (
        "import json, subprocess, sys\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])\n"
        "print(json.dumps({'execution_id': 'BG-1'}), flush=True)\n"
    )
    outcome = run_script(tmp_path, code, timeout=25)
    assert outcome.ok and outcome.answered_id == "BG-1" and outcome.exit_code == 0
    assert not outcome.timed_out  # not held until the helper's 30 s are over


def _wait(condition: Any, what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)
    return value


def test_ctrl_c_during_replay_kills_the_hook_and_its_children(tmp_path: Path) -> None:
    pids = tmp_path / "pids.txt"
    sleeper = tmp_path / "sleeper.py"
    sleeper.write_text(
        "import os, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        f"open({str(pids)!r} + '.tmp', 'w').write(f'{{os.getpid()}} {{child.pid}}')\n"
        f"os.replace({str(pids)!r} + '.tmp', {str(pids)!r})\n"
        "time.sleep(120)\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "XDG_STATE_HOME": str(tmp_path / "st"),
           "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    wftui = subprocess.Popen(
        [sys.executable, "-m", "wftui", "replay", "EXEC-1", "--yes",
         "--replay-cmd", f"{sys.executable} {sleeper} {{execution_id}}"],
        cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    hook_pids: list[int] = []
    try:
        hook_pids = [int(p) for p in _wait(
            lambda: pids.exists() and pids.read_text().split(), "the hook to start")]
        wftui.send_signal(signal.SIGINT)
        _out, err = wftui.communicate(timeout=30)
        assert wftui.returncode == 130
        assert "Traceback" not in err
        for pid in hook_pids:  # the hook and its child
            _wait(lambda pid=pid: _gone(pid), f"process {pid} to be killed", timeout=10)
    finally:
        if wftui.poll() is None:
            wftui.kill()
            wftui.communicate()
        for pid in hook_pids:  # do not leave sleepers behind when the test fails
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_an_answer_nested_too_deep_for_json_is_not_an_answer(tmp_path: Path) -> None:
    # json.loads raises RecursionError, not ValueError, for nesting this deep (the line
    # fits in the kept tail, so it is read as the answer).
    outcome = run_script(tmp_path, "print('{\"execution_id\": ' + '[' * 5000)\n")
    assert outcome.ok and outcome.answered_id is None
    assert outcome.message == "the hook succeeded but did not say which execution it started"


def test_http_answer_nested_too_deep_for_json_is_not_an_answer(
        server: ThreadingHTTPServer) -> None:
    outcome = post(server, "/deep")
    assert outcome.ok and outcome.answered_id is None
    assert outcome.http_status == 202
    assert "the answer is not a JSON object" in outcome.notes[0]


class _TrickleHandler(BaseHTTPRequestHandler):
    """Answers 200 with a 10-byte body, one byte every 2.5 s: each byte arrives well
    within any per-read timeout, the whole answer takes 25 s."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", "10")
        self.end_headers()
        stop = self.server.stop  # type: ignore[attr-defined]
        for _ in range(10):
            try:
                self.wfile.write(b" ")
                self.wfile.flush()
            except OSError:  # the client gave up: what the test wants
                return
            if stop.wait(2.5):
                return

    def log_message(self, *args: Any) -> None:
        pass


def test_a_trickling_http_target_cannot_outrun_the_timeout() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TrickleHandler)
    server.stop = threading.Event()  # type: ignore[attr-defined]
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/replay"
        hook = ReplayHook(url=url, timeout_s=3.0)
        started = time.monotonic()
        outcome = run_plan(build_plan(hook, "EXEC-1", None, None))
        took = time.monotonic() - started
    finally:
        server.stop.set()  # type: ignore[attr-defined]
        server.shutdown()
        server.server_close()
    assert not outcome.ok and outcome.timed_out
    assert outcome.http_status == 200
    assert "did not finish answering within 3 s" in outcome.message
    # Per-read timeouts would have let it run to the byte after 3 s (5 s); the deadline
    # over the whole exchange ends it at 3 s (plus scheduling on a busy machine).
    assert 3.0 <= took < 4.5, took


def test_an_interruption_whose_end_cannot_be_audited_does_not_claim_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`wftui replay` said "the audit log says so" after ctrl+c even when the end record
    could not be written. As root (CI) a read-only file still takes writes, so the
    failing write is made by hand; the start record is written for real."""
    import wftui.replay.run as run_module
    from wftui.replay.run import interrupted_message

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    real_append = run_module.append_audit
    calls: list[str] = []

    def append(record: dict[str, Any]) -> str | None:
        calls.append(record["phase"])
        if record["phase"] == "end":
            return "cannot write replays.jsonl: No space left on device"
        return real_append(record)

    def interrupted(*_args: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(run_module, "append_audit", append)
    monkeypatch.setattr(run_module, "_run_and_follow", interrupted)
    hook = ReplayHook(command=split_command(["true", "{execution_id}"], "test"))
    with pytest.raises(KeyboardInterrupt) as caught:
        replay(build_plan(hook, "EXEC-1", None, None))
    assert calls == ["start", "end"]
    message = interrupted_message(caught.value)
    assert message.startswith("interrupted by ctrl+c (SIGINT): the hook was stopped")
    assert message.endswith("its end could not be written to the audit log: cannot "
                            "write replays.jsonl: No space left on device")
    assert "says so" not in message
    # written: the message says the audit log holds it, as before
    assert interrupted_message(KeyboardInterrupt()).endswith("the audit log says so")
