"""The terminal dies under a running monitor: the process must be gone soon after.

Textual's shutdown could wait forever on its terminal writer once the terminal was
gone, and then ignored SIGTERM too. Real tmux (its own socket), a busy log so the
screen is being redrawn when the server is killed. Skipped without tmux, except
under CI=true.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.conftest import append, execution
from wftui.ui.exit_guard import EXIT_GRACE_S, SIGNAL_GRACE_S, ExitGuard

REPO = Path(__file__).resolve().parents[2]
GONE_S = SIGNAL_GRACE_S + 6.0  # the guard's grace, and room for a loaded machine


def _running(pid: int) -> bool:
    """Alive and not a zombie (a killed tmux leaves its child to a parent that may
    never reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def busy_log(tmp_path: Path) -> Iterator[Path]:
    """A log that grows all the time, so the app is drawing when the terminal dies."""
    log = tmp_path / "busy.log"
    append(log, execution("busy-0", time.time() - 2))
    stop = threading.Event()

    def grow() -> None:
        n = 1
        while not stop.wait(0.005):
            append(log, execution(f"busy-{n}", time.time() - 1))
            n += 1

    writer = threading.Thread(target=grow, daemon=True)
    writer.start()
    yield log
    stop.set()
    writer.join()


class Tmux:
    def __init__(self, command: str) -> None:
        self.socket = f"wftui-dies-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.run("new-session", "-d", "-s", "w", "-x", "160", "-y", "45", command)
        self.pid = int(self.run("list-panes", "-t", "w", "-F", "#{pane_pid}").stdout.split()[0])

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True,
                              text=True, check=check, timeout=30)

    def wait_for_redraws(self) -> None:
        """Wait until the monitor has shown a few hundred new executions: it is busy
        redrawing (a dying terminal then finds writes queued)."""
        deadline = time.monotonic() + 60
        first: int | None = None
        while True:
            screen = self.run("capture-pane", "-p", "-t", "w", check=False).stdout
            shown = [int(n) for n in re.findall(r"busy-(\d+)", screen)]
            if shown:
                first = max(shown) if first is None else first
                if max(shown) >= first + 300:
                    return
            if time.monotonic() > deadline:
                pytest.fail(f"the monitor did not keep up with the log; it shows:\n{screen}")
            time.sleep(0.2)


@pytest.fixture
def tmux_monitor(busy_log: Path) -> Iterator[Tmux]:
    if shutil.which("tmux") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("tmux is required for the terminal tests under CI", pytrace=False)
        pytest.skip("tmux is not installed")
    # `exec`: the pane's process is wftui itself
    term = Tmux(f"cd {shlex.quote(str(REPO))} && exec {shlex.quote(sys.executable)} "
                f"-m wftui {shlex.quote(str(busy_log))}")
    try:
        term.wait_for_redraws()
        yield term
    finally:
        term.run("kill-server", check=False)
        if _running(term.pid):
            os.kill(term.pid, signal.SIGKILL)


# Repeated: the death can land anywhere in a redraw. Two and one attempts here (the
# exit guard's own tests below cover its timing without a terminal).
@pytest.mark.parametrize("attempt", range(2))
def test_killing_the_terminal_ends_the_monitor(tmux_monitor: Tmux, attempt: int) -> None:
    tmux_monitor.run("kill-server")
    assert _gone_within(tmux_monitor.pid, GONE_S), \
        f"wftui still running {GONE_S:.0f} s after its terminal died"


@pytest.mark.parametrize("attempt", range(1))
def test_sigterm_ends_the_monitor_after_its_terminal_died(tmux_monitor: Tmux,
                                                           attempt: int) -> None:
    # the terminal dies, and whoever supervises wftui asks it to stop at once
    tmux_monitor.run("kill-server")
    if _running(tmux_monitor.pid):
        os.kill(tmux_monitor.pid, signal.SIGTERM)
    assert _gone_within(tmux_monitor.pid, GONE_S), \
        f"wftui ignored SIGTERM for {GONE_S:.0f} s after its terminal died"


# -- the guard itself (os._exit replaced by a recorder: the test process must live) --

def _guard() -> tuple[ExitGuard, list[int], threading.Event]:
    ended: list[int] = []
    done = threading.Event()

    def end(code: int) -> None:
        ended.append(code)
        done.set()

    return ExitGuard(end=end), ended, done


def test_a_guard_ends_the_process_when_leaving_outlasts_the_grace() -> None:
    guard, ended, done = _guard()
    guard.arm(0.2, code=3)
    assert done.wait(5), "the guard never fired"
    assert ended == [3]


def test_a_closed_guard_never_fires() -> None:
    guard, ended, done = _guard()
    guard.arm(0.5, code=3)
    guard.close()  # run() returned in time
    assert not done.wait(1.5)
    guard.arm(0.1, code=4)  # too late to arm again: the app has gone
    assert not done.wait(0.5)
    assert ended == []


def test_a_signal_after_q_brings_the_deadline_nearer() -> None:
    guard, ended, done = _guard()
    guard.arm(code=0)  # q: the long grace
    started = time.monotonic()
    guard.arm(0.2, code=143)  # then SIGTERM
    assert done.wait(EXIT_GRACE_S / 2), "the nearer deadline was not kept"
    assert time.monotonic() - started < EXIT_GRACE_S / 2
    assert ended == [143]
    guard.close()


def test_sigterm_twice_ends_at_once() -> None:
    guard, ended, done = _guard()
    asked: list[int] = []
    before = signal.getsignal(signal.SIGTERM)
    guard.install(asked.append)
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGTERM)
        assert done.wait(2)
        assert ended[0] == 128 + signal.SIGTERM
        # the first one asked the app to leave, with the signal's exit status
        assert asked == [128 + signal.SIGTERM]
    finally:
        guard.close()
    assert signal.getsignal(signal.SIGTERM) == before  # given back


def test_a_hangup_twice_is_not_asked_twice() -> None:
    """A dying terminal may send SIGHUP more than once: that is not the operator asking
    again, and ending at once skipped what leaving clears up. The guard's grace still
    bounds it, and what the app gave it to do at the end is done then."""
    guard, ended, done = _guard()
    asked: list[int] = []
    cleared: list[str] = []
    before = signal.getsignal(signal.SIGHUP)
    guard.install(asked.append)
    guard.at_end(lambda: cleared.append("service stopped"))
    try:
        os.kill(os.getpid(), signal.SIGHUP)
        os.kill(os.getpid(), signal.SIGHUP)
        assert not done.wait(1.0), "a second hangup ended the process at once"
        assert asked == [128 + signal.SIGHUP]
        assert done.wait(SIGNAL_GRACE_S + 5), "the grace did not end it"
        assert ended == [128 + signal.SIGHUP] and cleared == ["service stopped"]
    finally:
        guard.close()
    assert signal.getsignal(signal.SIGHUP) == before


def test_a_guard_ending_the_process_is_not_raced_by_the_app_leaving() -> None:
    """The grace ran out just as run() returned: the guard is clearing up (the demo's
    service stopped, its directory removed) and then ends the process. close() must
    not return meanwhile, or the caller's own `finally` does the same clear-up at the
    same time and is cut short by the guard's exit."""
    guard, ended, done = _guard()
    clearing, release = threading.Event(), threading.Event()
    guard.at_end(lambda: (clearing.set(), release.wait(5)))
    guard.arm(0.05, code=128 + signal.SIGHUP)
    assert clearing.wait(5), "the guard never fired"
    closed = threading.Event()
    threading.Thread(target=lambda: (guard.close(), closed.set()), daemon=True).start()
    assert not closed.wait(0.5), "close() returned while the guard was ending the process"
    release.set()
    assert done.wait(5) and ended == [128 + signal.SIGHUP]
    assert closed.wait(5)  # (only a test's `end` returns)


def test_a_signal_during_the_guards_clear_up_does_not_run_it_again() -> None:
    """SIGTERM after SIGHUP ends at once, but while the guard's timer is already
    clearing up, running the clear-up a second time (in the signal handler, at the
    same time) stops the service twice at once: it is done once."""
    guard, ended, done = _guard()
    runs: list[str] = []
    clearing, release = threading.Event(), threading.Event()

    def last() -> None:
        runs.append(threading.current_thread().name)
        clearing.set()
        release.wait(5)

    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)
    guard.install(lambda _code: None)
    guard.at_end(last)
    try:
        os.kill(os.getpid(), signal.SIGHUP)  # the app is asked to leave ...
        guard.arm(0.05, code=128 + signal.SIGHUP)  # ... and its grace runs out
        assert clearing.wait(5), "the guard never fired"
        threading.Timer(0.5, release.set).start()
        os.kill(os.getpid(), signal.SIGTERM)  # asked twice, during the clear-up
        assert done.wait(5)
        time.sleep(0.2)
        assert runs == ["wftui-exit-guard"]
        assert ended[0] == 128 + signal.SIGHUP  # the guard's own end came first
    finally:
        release.set()
        guard.close()
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)) == before
