"""`wftui COMMAND ...` run in a fork of this test process instead of a fresh interpreter.

Why: a fresh `python -m wftui` spends 0.15-0.2 s of CPU starting Python and importing
wftui before it reads a byte, and the suite runs ~200 of them (a tenth of its CPU on a
two-core machine). A fork of this process has all of that imported already.

What stays real: the command runs in its own process, through the same
`wftui.cli.main` the console script calls, with its own environment, working directory,
standard input, output and error on pipes, Python's start-up signal dispositions and
warning filters, and its exit code as the process's own; output is read and the exit
awaited as `subprocess.run` does, with the same timeout. What a fork cannot show, what a
fresh start imports and costs, is tested with real starts (test_import_hygiene), as are
the tests that watch a running command (signals, pipes closed under it).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import selectors
import signal
import subprocess
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from wftui.cli import main

Entry = Callable[[list[str]], int]


def run_wftui(args: Sequence[str], *, env: Mapping[str, str] | None = None,
              cwd: str | Path | None = None, input: str | None = None,
              timeout: float = 60.0, entry: Entry = main) -> subprocess.CompletedProcess[str]:
    """Like ``subprocess.run([python, "-m", "wftui", *args], capture_output=True,
    text=True, ...)``; standard input is `input`, or empty (as /dev/null is). `entry`:
    another command's main(argv) (the demo's replay command)."""
    in_read, in_write = os.pipe()
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    pid = _start(list(args), env, cwd, (in_read, out_write, err_write),
                 (in_write, out_read, err_read), entry)
    try:
        out, err = _communicate(in_write, out_read, err_read, (input or "").encode(),
                                timeout, list(args))
    except BaseException:
        _kill(pid)
        raise
    _, status = os.waitpid(pid, 0)
    return subprocess.CompletedProcess(["wftui", *args], os.waitstatus_to_exitcode(status),
                                       out.decode("utf-8", "replace"),
                                       err.decode("utf-8", "replace"))


class ForkedProcess:
    """Like ``subprocess.Popen([python, "-m", "wftui", *args], stdout=PIPE, stderr=PIPE)``
    (binary pipes; ``stdin=subprocess.PIPE`` gives a writable `stdin`, else it is the
    test process's own, as Popen's default is): the parts of Popen the tests use."""

    def __init__(self, args: Sequence[str], *, env: Mapping[str, str] | None = None,
                 cwd: str | Path | None = None, stdin: int | None = None) -> None:
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        if stdin == subprocess.PIPE:
            in_read, in_write = os.pipe()
        else:
            in_read, in_write = os.dup(0), -1
        self.args = ["wftui", *args]
        self.pid = _start(list(args), env, cwd, (in_read, out_write, err_write),
                          (in_write, out_read, err_read))
        self.stdin = open(in_write, "wb") if in_write >= 0 else None  # noqa: SIM115
        self.stdout = open(out_read, "rb")  # noqa: SIM115 - closed by the test, as Popen's
        self.stderr = open(err_read, "rb")  # noqa: SIM115
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.001
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
        return code

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _start(args: list[str], env: Mapping[str, str] | None, cwd: str | Path | None,
           child_ends: tuple[int, int, int], parent_ends: tuple[int, int, int],
           entry: Entry = main) -> int:
    """Fork; in the child, `child_ends` become its standard input, output and error and
    the command runs; the parent closes them and gets the child's pid."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:  # the child would inherit a running loop it cannot use: asyncio.run refuses
        raise RuntimeError("tests.forked forks: call it from a test without an event loop")
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; its outcome is its exit code
        code = 1
        try:
            for target, fd in enumerate(child_ends):
                os.dup2(fd, target)
            for fd in {*child_ends, *parent_ends} - {-1}:
                os.close(fd)
            code = _child(args, env, cwd, entry)
        finally:
            os._exit(code)
    for fd in child_ends:
        os.close(fd)
    return pid


def _child(args: list[str], env: Mapping[str, str] | None, cwd: str | Path | None,
           entry: Entry) -> int:
    """In the forked child: look like a fresh `python -m wftui ARGS`, run it, flush."""
    # A fresh interpreter's dispositions (pytest and our own tests install handlers).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD, signal.SIGALRM):
        signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    warnings.resetwarnings()  # pytest makes warnings errors; Python's defaults:
    for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning,
                     ResourceWarning):
        warnings.simplefilter("ignore", category)
    if env is not None:
        os.environ.clear()
        os.environ.update(env)
    if cwd is not None:
        os.chdir(cwd)
    # Standard streams as Python opens them on pipes.
    sys.stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)),
                                 encoding="utf-8")
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False)),
                                  encoding="utf-8")
    sys.stderr = io.TextIOWrapper(io.BufferedWriter(io.FileIO(2, "w", closefd=False)),
                                  encoding="utf-8", errors="backslashreplace",
                                  line_buffering=True)
    # What `python -m` puts there: the run module's file (wftui's: its __main__.py).
    source = Path(entry.__code__.co_filename)
    sys.argv = [str(source.with_name("__main__.py") if entry is main else source), *args]
    try:
        code = entry(args)
    except SystemExit as done:  # argparse's usage errors, and exit() anywhere
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        if done.code is not None and not isinstance(done.code, int):
            print(done.code, file=sys.stderr)
    except BaseException:  # what the interpreter would print for an escaped error
        traceback.print_exc()
        code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe, or closed by it
            stream.flush()
    return code


def _communicate(in_write: int, out_read: int, err_read: int, data: bytes,
                 timeout: float, args: list[str]) -> tuple[bytes, bytes]:
    """Feed `data`, then close standard input; read both outputs to their end."""
    deadline = time.monotonic() + timeout
    chunks: dict[int, list[bytes]] = {out_read: [], err_read: []}
    with selectors.DefaultSelector() as selector:
        for fd in chunks:
            selector.register(fd, selectors.EVENT_READ)
        if data:
            os.set_blocking(in_write, False)
            selector.register(in_write, selectors.EVENT_WRITE)
        else:
            os.close(in_write)
        try:
            while selector.get_map():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise subprocess.TimeoutExpired(["wftui", *args], timeout)
                for key, _ in selector.select(left):
                    fd = key.fd
                    if fd == in_write:
                        try:
                            data = data[os.write(fd, data[:65536]):]
                        except BrokenPipeError:
                            data = b""
                        if not data:
                            selector.unregister(fd)
                            os.close(fd)
                        continue
                    chunk = os.read(fd, 65536)
                    if chunk:
                        chunks[fd].append(chunk)
                    else:
                        selector.unregister(fd)
        finally:
            for fd in (out_read, err_read):
                os.close(fd)
            if data:
                os.close(in_write)
    return b"".join(chunks[out_read]), b"".join(chunks[err_read])


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
