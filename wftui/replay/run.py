"""Running a replay plan: the command or the HTTP request, bounded in time and output.

Blocking by design (subprocess and httpx's sync client): the TUI calls `run_plan` in a
thread worker, `wftui replay` directly. A hook that hangs is stopped at the plan's
timeout (the whole process group is killed); one that fails or prints garbage ends in
an outcome with a one-line message, never an exception.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from wftui.core.format import visible
from wftui.replay.audit import append_audit, audit_record
from wftui.replay.plan import ID_RE, ReplayPlan, follow_id
from wftui.sources.http import REQUEST_ERRORS, innermost

TAIL_BYTES = 8192  # of stdout and of stderr kept for the outcome (the end matters most)
MAX_HTTP_BODY = 1 << 20
# After the hook exits, how long a background child may keep its output pipes open.
PIPE_GRACE_S = 1.0


@dataclass(frozen=True)
class ReplayOutcome:
    """What happened when the hook ran: shown to the operator and audited."""

    ok: bool
    message: str  # one line, visible
    elapsed_s: float
    exit_code: int | None = None
    http_status: int | None = None
    stdout_tail: str = ""  # decoded with replacement, control characters made visible
    stderr_tail: str = ""
    timed_out: bool = False
    answered_id: str | None = None  # the hook's {"execution_id": ...}, if valid
    notes: tuple[str, ...] = field(default=())
    argv: tuple[str, ...] | None = None  # as run (with the real context file path)

    def as_dict(self) -> dict[str, Any]:
        """For the audit log and `--format json`."""
        return {"ok": self.ok, "message": self.message, "elapsed_s": round(self.elapsed_s, 3),
                "exit_code": self.exit_code, "http_status": self.http_status,
                "timed_out": self.timed_out, "answered_id": self.answered_id,
                "notes": list(self.notes), "stdout_tail": self.stdout_tail[-2000:],
                "stderr_tail": self.stderr_tail[-2000:]}


class _Tail:
    """The last `limit` bytes of a stream, and how many bytes there were in all."""

    def __init__(self, limit: int = TAIL_BYTES) -> None:
        self.data = bytearray()
        self.total = 0
        self.limit = limit

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        self.data += chunk
        if len(self.data) > self.limit:
            del self.data[: len(self.data) - self.limit]

    def text(self) -> str:
        out = visible(self.data.decode("utf-8", "replace"))
        # A trailing newline is layout, not content; the rest is made visible.
        return out.removesuffix("\u240a")


def _garbage(raw: bytes) -> bool:
    """Output no person or program meant to print: NUL bytes or mostly not UTF-8."""
    if b"\0" in raw:
        return True
    decoded = raw.decode("utf-8", "replace")
    return decoded.count("\ufffd") > max(4, len(decoded) // 20)


def answered_id(raw: bytes | str) -> tuple[str | None, str | None]:
    """The execution id in the hook's answer: the LAST line that is a JSON object.

    Returns (id, note): the id if present and valid, else a note saying what was wrong.
    """
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    for line in reversed(text.splitlines()):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError):  # RecursionError: nested too deep to be an answer
            continue
        if not isinstance(obj, dict):
            continue
        return _id_in(obj)
    return None, None


def _id_in(obj: Any) -> tuple[str | None, str | None]:
    new_id = obj.get("execution_id") if isinstance(obj, dict) else None
    if new_id is None:
        return None, "the hook's answer has no execution_id"
    if isinstance(new_id, str) and ID_RE.fullmatch(new_id):
        return new_id, None
    shown = visible(repr(new_id))[:80]
    return None, f"the hook answered an execution id that is not a safe id: {shown}"


def run_plan(plan: ReplayPlan, cancel: threading.Event | None = None) -> ReplayOutcome:
    """Run the plan's hook once and report; never raises for the hook's own failures."""
    if plan.argv is not None:
        return _run_command(plan, cancel)
    return _post(plan, cancel)


def _write_context(plan: ReplayPlan) -> str:
    handle, path = tempfile.mkstemp(prefix="wftui-context-", suffix=".json")
    with os.fdopen(handle, "wb") as out:
        out.write(orjson.dumps(plan.context))
    return path


def _run_command(plan: ReplayPlan, cancel: threading.Event | None) -> ReplayOutcome:
    argv = list(plan.argv or ())
    try:
        context_path = _write_context(plan) if plan.context_file_args else None
    except OSError as error:
        return ReplayOutcome(False, "cannot write the temporary context file: "
                             f"{visible(error.strerror or str(error))}", 0.0)
    for index in plan.context_file_args:
        argv[index] = context_path or ""
    started = time.monotonic()
    try:
        return _exec(argv, plan.hook.timeout_s, started, cancel)
    finally:
        if context_path is not None:
            with contextlib.suppress(OSError):
                os.unlink(context_path)


def _exec(argv: list[str], timeout: float, started: float,
          cancel: threading.Event | None) -> ReplayOutcome:
    shown = tuple(argv)
    program = visible(argv[0])
    try:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, start_new_session=True,
                                   close_fds=True)
    except FileNotFoundError:
        return ReplayOutcome(False, f"cannot run the hook: no such program {program}",
                             time.monotonic() - started, argv=shown)
    except PermissionError:
        return ReplayOutcome(False, f"cannot run the hook: {program} is not executable",
                             time.monotonic() - started, argv=shown)
    except OSError as error:
        return ReplayOutcome(False, f"cannot run the hook {program}: "
                             f"{visible(error.strerror or str(error))}",
                             time.monotonic() - started, argv=shown)
    try:
        out, err, stopped = _collect(process, started + timeout, cancel)
        if stopped:
            _kill_group(process)
        exit_code = process.wait()
    except BaseException:
        # Ctrl-C (KeyboardInterrupt), a cancelled worker, anything: the hook has its own
        # session, so nothing else would stop it or its children; and its context file
        # is about to be deleted under it.
        _kill_group(process)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(1.0)  # reap it: SIGKILL takes effect at once
        raise
    elapsed = time.monotonic() - started
    common = {"elapsed_s": elapsed, "exit_code": None if stopped else exit_code,
              "stdout_tail": out.text(), "stderr_tail": err.text(), "argv": shown}
    if stopped == "timeout":
        return ReplayOutcome(False, f"the hook did not finish within {timeout:g} s and was "
                             "stopped (its process group was killed)", timed_out=True,
                             **common)
    if stopped == "cancel":
        return ReplayOutcome(False, "cancelled: the hook was stopped (its process group was "
                             "killed)", **common)
    if exit_code != 0:
        last = _last_line(err.text()) or _last_line(out.text())
        how = (f"was killed by signal {-exit_code}" if exit_code < 0
               else f"failed with exit code {exit_code}")
        return ReplayOutcome(False, f"the hook {how}" + (f": {last}" if last else ""),
                             **common)
    return _success(bytes(out.data), out.total > out.limit, common)


def _success(raw: bytes, clipped: bool, common: dict[str, Any]) -> ReplayOutcome:
    notes: list[str] = []
    if _garbage(raw):
        notes.append("the hook printed unreadable output (binary or not UTF-8)")
    new_id, note = answered_id(raw)
    if note:
        notes.append(note)
    elif new_id is None:
        notes.append('the hook exited 0 without printing {"execution_id": ...}'
                     + (" (its output was longer than what is kept)" if clipped else ""))
    message = (f"the hook succeeded; new execution {new_id}" if new_id
               else "the hook succeeded but did not say which execution it started")
    return ReplayOutcome(True, message, answered_id=new_id, notes=tuple(notes), **common)


def _last_line(text: str) -> str:
    for line in reversed(text.split("\u240a")):
        if line.strip():
            return line.strip()[:200]
    return ""


def _collect(process: subprocess.Popen[bytes], deadline: float,
             cancel: threading.Event | None) -> tuple[_Tail, _Tail, str | None]:
    """Read both pipes until they close, the deadline passes, or cancel is set."""
    tails = {"out": _Tail(), "err": _Tail()}
    selector = selectors.DefaultSelector()
    assert process.stdout is not None and process.stderr is not None
    for name, stream in (("out", process.stdout), ("err", process.stderr)):
        os.set_blocking(stream.fileno(), False)
        selector.register(stream, selectors.EVENT_READ, name)
    exited_at: float | None = None
    stopped: str | None = None
    try:
        while selector.get_map():
            now = time.monotonic()
            if now >= deadline:
                stopped = "timeout"
                break
            if cancel is not None and cancel.is_set():
                stopped = "cancel"
                break
            if exited_at is None and process.poll() is not None:
                exited_at = now
            if exited_at is not None and now - exited_at > PIPE_GRACE_S:
                break  # a background child holds the pipes; the hook itself is done
            for key, _ in selector.select(min(0.1, deadline - now)):
                try:
                    chunk = os.read(key.fd, 65536)
                except BlockingIOError:
                    continue
                if chunk:
                    tails[key.data].add(chunk)
                else:
                    selector.unregister(key.fileobj)
        if stopped is None and process.poll() is None:
            # Pipes closed but the process lives on (it closed them itself): wait for it.
            remaining = deadline - time.monotonic()
            try:
                process.wait(max(remaining, 0.0))
            except subprocess.TimeoutExpired:
                stopped = "timeout"
    finally:
        selector.close()
        for stream in (process.stdout, process.stderr):
            stream.close()
    return tails["out"], tails["err"], stopped


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the hook's whole process group (it has its own session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        process.kill()


def _post(plan: ReplayPlan, cancel: threading.Event | None) -> ReplayOutcome:
    url = plan.hook.url or ""
    timeout = plan.hook.timeout_s
    started = time.monotonic()
    deadline = started + timeout
    shown_url = visible(url)
    body = bytearray()
    try:
        # trust_env=False: no proxy from the environment between us and the operator's
        # fixed URL; follow_redirects=False: a redirect is reported, never followed.
        with httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False,
                          trust_env=False) as client, client.stream(
                "POST", url, json=plan.body) as response:
            # httpx's timeouts are per phase: a trickling server needs a deadline too.
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_HTTP_BODY:
                    return _http_fail(f"{shown_url} answered more than "
                                      f"{MAX_HTTP_BODY // 1024} KiB; stopped reading",
                                      started, response.status_code, body)
                if time.monotonic() > deadline:
                    return _http_fail(f"{shown_url} did not finish answering within "
                                      f"{timeout:g} s", started, response.status_code, body,
                                      timed_out=True)
                if cancel is not None and cancel.is_set():
                    return _http_fail("cancelled while reading the answer", started,
                                      response.status_code, body)
            status = response.status_code
            location = response.headers.get("location")
            reason = response.reason_phrase
    except httpx.TimeoutException:
        return _http_fail(f"{shown_url} did not answer within {timeout:g} s", started,
                          timed_out=True)
    except REQUEST_ERRORS as error:
        cause = innermost(error)
        return _http_fail(f"cannot reach {shown_url}: "
                          f"{visible(str(cause) or type(cause).__name__)}", started)
    return _http_result(shown_url, status, reason, location, bytes(body), started)


def _http_fail(message: str, started: float, status: int | None = None,
               body: bytes | bytearray = b"", timed_out: bool = False) -> ReplayOutcome:
    tail = _Tail()
    tail.add(bytes(body))
    return ReplayOutcome(False, message, time.monotonic() - started, http_status=status,
                         stdout_tail=tail.text(), timed_out=timed_out)


def _http_result(url: str, status: int, reason: str, location: str | None, raw: bytes,
                 started: float) -> ReplayOutcome:
    tail = _Tail()
    tail.add(raw)
    common = {"elapsed_s": time.monotonic() - started, "http_status": status,
              "stdout_tail": tail.text()}
    try:
        answer = json.loads(raw) if raw.strip() else None
    except (ValueError, RecursionError):  # RecursionError: nested too deep to be an answer
        answer = None
    if 300 <= status < 400:
        where = f" to {visible(location)[:200]}" if location else ""
        return ReplayOutcome(False, f"{url} answered {status} (a redirect{where}); "
                             "redirects are not followed: configure the final URL", **common)
    if not 200 <= status < 300:
        detail = answer.get("error") if isinstance(answer, dict) else None
        if not isinstance(detail, str):
            detail = _last_line(tail.text()) or reason
        return ReplayOutcome(False, f"{url} answered {status}: {visible(detail)[:200]}",
                             **common)
    notes: list[str] = []
    new_id: str | None = None
    if isinstance(answer, dict):
        new_id, note = _id_in(answer)
        if note:
            notes.append(note)
    else:
        notes.append("the answer is not a JSON object"
                     + (" (unreadable output)" if _garbage(raw) else ""))
    message = (f"{url} answered {status}; new execution {new_id}" if new_id
               else f"{url} answered {status} but did not say which execution it started")
    return ReplayOutcome(True, message, answered_id=new_id, notes=tuple(notes), **common)


@dataclass(frozen=True)
class ReplayResult:
    """A replay that ran: the hook's outcome, the execution to follow, the audit."""

    outcome: ReplayOutcome
    new_id: str | None
    id_source: str
    audit_error: str | None = None


def replay(plan: ReplayPlan, *, replays: Callable[[], Sequence[str]] | None = None,
           cancel: threading.Event | None = None, wait_s: float = 3.0,
           audit: bool = True) -> ReplayResult:
    """Run the hook, find the new execution id (`follow_id`), append to the audit log.

    `replays` returns the original's replays as the log shows them now (ids of
    executions whose `replay_of` is the original); when the hook does not say which
    execution it started, it is polled for up to `wait_s` seconds for a new one.
    """
    before = list(replays()) if replays is not None else []
    outcome = run_plan(plan, cancel)
    now_seen = before
    if outcome.ok and outcome.answered_id is None and replays is not None:
        deadline = time.monotonic() + wait_s
        while True:
            now_seen = list(replays())
            if [r for r in now_seen if r not in before] or time.monotonic() >= deadline:
                break
            if cancel is not None:
                if cancel.wait(0.1):
                    break
            else:
                time.sleep(0.1)
    new_id, source = (follow_id(plan.execution_id, outcome.answered_id, before, now_seen)
                      if outcome.ok else (None, "the hook failed"))
    audit_error = None
    if audit:
        record = audit_record(plan.execution_id, plan.workflow_name, plan.hook_record(),
                              outcome.as_dict(), new_id, source)
        audit_error = append_audit(record)
    return ReplayResult(outcome, new_id, source, audit_error)
