"""End to end in a real terminal: `wftui FILE` and `wftui demo` inside tmux.

tmux gives a real pty of a known size; send-keys types, capture-pane reads the screen.
Skipped when tmux is missing, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.ui.conftest import append, execution

REPO = Path(__file__).resolve().parents[2]
WAIT_S = 60.0

if shutil.which("tmux") is None:
    if os.environ.get("CI") == "true":
        pytest.fail("tmux is required for the terminal tests under CI", pytrace=False)
    pytest.skip("tmux is not installed", allow_module_level=True)


class Terminal:
    """One tmux server (its own socket) running one command in a 160x45 window."""

    def __init__(self, command: str) -> None:
        self.socket = f"wftui-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.session = "wftui"
        self._tmux("new-session", "-d", "-s", self.session, "-x", "160", "-y", "45", command)

    def _tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True,
                              text=True, check=check, timeout=30)

    def screen(self) -> str:
        result = self._tmux("capture-pane", "-p", "-t", self.session, check=False)
        return result.stdout

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", self.session, *keys)

    def alive(self) -> bool:
        return self._tmux("has-session", "-t", self.session, check=False).returncode == 0

    def pane_pid(self) -> int:
        out = self._tmux("list-panes", "-t", self.session, "-F", "#{pane_pid}").stdout
        return int(out.split()[0])

    def wait(self, condition: Callable[[str], bool], what: str) -> str:
        deadline = time.monotonic() + WAIT_S
        while True:
            text = self.screen()
            if condition(text):
                return text
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}; the screen was:\n{text}")
            time.sleep(0.2)

    def close(self) -> None:
        self._tmux("kill-server", check=False)


@pytest.fixture
def terminal() -> Iterator[Callable[[str], Terminal]]:
    opened: list[Terminal] = []

    def open_terminal(command: str) -> Terminal:
        opened.append(Terminal(command))
        return opened[-1]

    yield open_terminal
    for term in opened:
        term.close()


def _command(*args: str) -> str:
    # `exec` so the pane's process is wftui itself (the demo test signals it).
    return f"cd {shlex.quote(str(REPO))} && exec {shlex.quote(sys.executable)} -m wftui " \
           + " ".join(shlex.quote(a) for a in args)


def test_monitor_follows_a_growing_file_and_opens_an_execution(
        terminal, tmp_path: Path) -> None:
    log = tmp_path / "live.log"
    append(log, execution("warm-up-1", time.time() - 20))
    term = terminal(_command(str(log)))
    term.wait(lambda s: "warm-up-1" in s, "the first execution")
    steps = [("lookup_customer", "tool", 0.2), ("draft_reply", "llm", 0.4),
             ("pick_channel", "branch", 0.01)]
    append(log, execution("e2e-fresh-2", time.time() - 1, steps=steps))
    term.wait(lambda s: "e2e-fresh-2" in s, "the appended execution")
    # newest first: the cursor row is the new execution
    term.keys("Enter")
    screen = term.wait(lambda s: "Execution e2e-fresh-2" in s and "pick_channel" in s,
                       "the execution view")
    for name, kind in (("lookup_customer", "tool"), ("draft_reply", "llm"),
                       ("pick_channel", "branch")):
        assert any(name in line and kind in line for line in screen.splitlines())
    term.keys("Escape")
    term.wait(lambda s: "Executions" in s, "the dashboard again")
    term.keys("q")
    deadline = time.monotonic() + WAIT_S
    while term.alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not term.alive(), "q did not quit"


def test_monitor_reads_a_piped_log_and_still_takes_keys(terminal, tmp_path: Path) -> None:
    log = tmp_path / "piped.log"
    append(log, execution("piped-1", time.time() - 5,
                          steps=[("only_step", "tool", 0.1)]))
    term = terminal(f"cd {shlex.quote(str(REPO))} && cat {shlex.quote(str(log))} | "
                    f"{shlex.quote(sys.executable)} -m wftui -")
    term.wait(lambda s: "standard input  stream ended" in s and "piped-1" in s,
              "the piped log read to its end")
    term.keys("Enter")  # keys come from the terminal, not from the pipe
    term.wait(lambda s: "Execution piped-1" in s and "only_step" in s, "the execution view")
    term.keys("q")
    deadline = time.monotonic() + WAIT_S
    while term.alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not term.alive(), "q did not quit"


def _processes_with(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if text.encode() in cmdline:
                found.append(int(entry.name))
    return found


@pytest.mark.parametrize("ending", ["q", "ctrl+c", "SIGTERM"])
def test_demo_runs_and_stops_its_service(terminal, tmp_path: Path, ending: str) -> None:
    log = tmp_path / "demo-events.log"
    service = f"--log {log} --port"  # the service's command line, not wftui's
    config = tmp_path / "wftui.toml"  # a short `for`, so pending and firing come quickly
    config.write_text('[thresholds.error_rate]\nthreshold = 0.05\nfor = "2s"\n')
    term = terminal(_command("demo", "--speed", "10", "--log", str(log),
                             "--config", str(config)))
    term.wait(lambda s: "EXEC-" in s and "/metrics  up" in s, "the demo's executions")
    assert _processes_with(service), "the demo service is not running"
    if ending == "q":
        term.keys("i")
        term.wait(lambda s: "error-spike" in s, "the incident picker")
        # switch the incident on live and watch the error-rate threshold fire
        term.keys("Down")
        term.keys("Enter")
        term.wait(lambda s: "incident now error-spike" in s, "the switch")
        # a 2 s `for`: pending first, then firing
        term.wait(lambda s: "PENDING" in s, "the threshold pending")
        term.wait(lambda s: "FIRING" in s and "Page on-call" in s, "the threshold firing")
        # wait for the picker to go: an ESC followed at once by q reads as alt+q
        term.wait(lambda s: "(esc to cancel)" not in s, "the picker to close")
    if ending == "q":
        term.keys("q")
    elif ending == "ctrl+c":
        term.keys("C-c")
    else:
        os.kill(term.pane_pid(), signal.SIGTERM)
    deadline = time.monotonic() + WAIT_S
    while (term.alive() or _processes_with(service)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not term.alive(), "wftui demo did not exit"
    assert not _processes_with(service), "the demo service outlived wftui"


def test_after_a_suspend_and_fg_the_whole_screen_is_drawn_again(
        terminal, tmp_path: Path) -> None:
    """SIGTSTP (ctrl+z in a shell's job control) then `fg`: Textual gives the terminal
    back and takes it again, but only what changed was drawn: the title and the source
    lines, which had not changed, stayed blank."""
    log = tmp_path / "quiet.log"
    append(log, execution("before-stop-1", time.time() - 20))
    term = terminal("bash --norc --noprofile -i")
    term.keys(f"PS1='$ '; {_command(str(log)).replace('exec ', '')}", "Enter")
    term.wait(lambda s: "before-stop-1" in s and "quiet.log  following" in s,
              "the monitor")
    pids = _processes_with(f"-m wftui {log}")
    assert len(pids) == 1
    os.kill(pids[0], signal.SIGTSTP)
    term.wait(lambda s: "Stopped" in s, "the shell to have the terminal back")
    term.keys("fg", "Enter")
    term.wait(lambda s: "quiet.log  following" in s and "before-stop-1" in s
              and "Error rate" in s, "the whole screen drawn again")
    term.keys("q")
    term.wait(lambda s: s.rstrip().endswith("$"), "the shell after quitting")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_monitor_ended_by_a_signal_exits_with_the_signal_s_status(
        terminal, tmp_path: Path, signum: signal.Signals) -> None:
    """A supervisor or a shell told 0 would think the monitor quit by itself: ended by
    SIGTERM or SIGHUP, it exits 128 + the signal, as before its screen is up."""
    log = tmp_path / "signalled.log"
    append(log, execution("signalled-1", time.time() - 20))
    status = tmp_path / "status"
    term = terminal(f"{_command(str(log)).replace('exec ', '')}; echo $? > {status}; "
                    "sleep 60")
    term.wait(lambda s: "signalled-1" in s, "the monitor")
    # the wftui process itself, not the shell or the tmux server naming it
    pids = _processes_with(f"{sys.executable} -m wftui {log}")
    pids = [pid for pid in pids
            if Path(f"/proc/{pid}/cmdline").read_bytes().startswith(sys.executable.encode())]
    assert len(pids) == 1
    os.kill(pids[0], signum)
    deadline = time.monotonic() + WAIT_S
    while not status.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert status.read_text().strip() == str(128 + signum)
