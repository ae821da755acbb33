"""Running a command hook: exec without a shell, bounded in time and output.

The hook runs in its own session (process group), so a hook that hangs, or a replay that
is cancelled or interrupted, ends with the whole group killed; the temporary context
file is removed whatever happens.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import tempfile
import threading
import time
from typing import Any

from wftui.core.format import visible
from wftui.core.json_out import dumps
from wftui.replay.outcome import ReplayOutcome, Tail, answered_id, garbage, last_line
from wftui.replay.plan import ReplayPlan

# After the hook exits, how long a background child may keep its output pipes open.
PIPE_GRACE_S = 1.0


def _write_context(plan: ReplayPlan) -> str:
    body = dumps(plan.context)  # before the file: a failure leaves none behind
    handle, path = tempfile.mkstemp(prefix="wftui-context-", suffix=".json")
    with os.fdopen(handle, "wb") as out:
        out.write(body)
    return path


def run_command(plan: ReplayPlan, cancel: threading.Event | None) -> ReplayOutcome:
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
    common: dict[str, Any] = {"elapsed_s": elapsed, "exit_code": None if stopped else exit_code,
              "stdout_tail": out.text(), "stderr_tail": err.text(), "argv": shown}
    if stopped == "timeout":
        return ReplayOutcome(False, f"the hook did not finish within {timeout:g} s and was "
                             "stopped (its process group was killed)", timed_out=True,
                             **common)
    if stopped == "cancel":
        return ReplayOutcome(False, "cancelled: the hook was stopped (its process group was "
                             "killed)", **common)
    if exit_code != 0:
        last = last_line(err.text()) or last_line(out.text())
        how = (f"was killed by signal {-exit_code}" if exit_code < 0
               else f"failed with exit code {exit_code}")
        return ReplayOutcome(False, f"the hook {how}" + (f": {last}" if last else ""),
                             **common)
    return _success(bytes(out.data), out.total > out.limit, common)


def _success(raw: bytes, clipped: bool, common: dict[str, Any]) -> ReplayOutcome:
    notes: list[str] = []
    if garbage(raw):
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


def _collect(process: subprocess.Popen[bytes], deadline: float,
             cancel: threading.Event | None) -> tuple[Tail, Tail, str | None]:
    """Read both pipes until they close, the deadline passes, or cancel is set."""
    tails = {"out": Tail(), "err": Tail()}
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
