"""`wftui` (the monitor) and `wftui demo` refuse bad input with one line and exit 2."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from tests import forked

REPO = Path(__file__).resolve().parents[2]


def run_wftui(*args: str) -> subprocess.CompletedProcess[str]:
    return forked.run_wftui(args, cwd=REPO)


@pytest.mark.parametrize(("args", "says"), [
    ((), "nothing to watch"),
    (("app.log", "--window", "forever"), "--window"),
    (("app.log", "--metrics", "ftp://example/metrics"),
     "--metrics: expected an http:// or https:// URL"),
    (("app.log", "--config", "/nonexistent/wftui.toml"), "no such config file"),
    (("app.log", "--interval", "soon"), "--interval"),
    (("demo", "--incident", "meteor"), "invalid choice"),
    (("demo", "--rate", "0"), "--rate"),
    # the service refuses these; said here, before the terminal and the service
    (("demo", "--rate", "inf"), "--rate: must be a finite number above 0"),
    (("demo", "--speed", "1e999"), "--speed: must be a finite number above 0"),
])
def test_bad_arguments_are_one_line_and_exit_2(args: tuple[str, ...], says: str) -> None:
    result = run_wftui(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("wftui") and says in lines[0]
    assert "Traceback" not in result.stderr


def test_bad_config_file_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[thresholds.error_rate]\nthreshold = 'lots'\n")
    result = run_wftui(str(tmp_path / "app.log"), "--config", str(config))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "thresholds.error_rate.threshold" in result.stderr


def test_unexpected_error_in_the_app_is_one_line(tmp_path: Path) -> None:
    """A crash in the refresh path (here: building the dashboard) ends the app with one
    line naming a file with the details."""
    script = (
        "import sys\n"
        "import wftui.ui.refresh_cycle\n"
        "from wftui.commands.monitor import run_app\n"
        "from wftui.config import Settings\n"
        "from wftui.live import LiveMonitor\n"
        "from wftui.ui.app import make_app\n"
        "class Boom(Exception): pass\n"
        "def explode(*args, **kwargs):\n"
        "    raise Boom('kaboom')\n"
        "wftui.ui.refresh_cycle.dashboard = explode\n"
        "def make():\n"
        "    return make_app(Settings(), LiveMonitor(Settings(), []))\n"
        "sys.exit(run_app(make))\n"
    )
    returncode, stderr = _in_a_terminal([sys.executable, "-c", script],
                                        {"PATH": "/usr/bin:/bin", "TERM": "xterm",
                                         "PYTHONPATH": str(REPO)})
    assert returncode == 1
    assert "Traceback" not in stderr
    # (Textual draws on the terminal; the message follows the screen's reset sequences)
    match = re.search(r"wftui: unexpected error: Boom: kaboom \(details in ([^)]+)\)\s*$",
                      stderr)
    assert match is not None, stderr[-300:]
    details = Path(match.group(1))
    assert 'in explode\nBoom: kaboom' in details.read_text()
    details.unlink()


def _in_a_terminal(command: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run `command` with stdout and stderr on a new 80x24 pseudo-terminal (keys from
    nowhere); its exit status and all it wrote there."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    process = subprocess.Popen(command, cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                               stdout=slave, stderr=slave)
    os.close(slave)
    written = bytearray()
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                written += chunk
            elif process.poll() is not None:
                break
        return process.wait(timeout=10), written.decode(errors="replace")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)


def test_without_a_terminal_the_monitor_says_so_at_once(tmp_path: Path) -> None:
    """Textual draws on stderr; without a terminal there the monitor spun at 100% CPU
    resizing between two guessed sizes. Now: one line pointing at watch and check."""
    log = tmp_path / "app.log"
    log.write_text('{"event": "workflow_start", "execution_id": "a"}\n')
    started = time.monotonic()
    result = run_wftui(str(log))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "wftui: the monitor draws on a terminal, and standard error is not one; run it "
        "in a terminal, or use `wftui watch` (a stream of snapshots) or `wftui check` "
        "(one)")
    assert time.monotonic() - started < 30
    demo = run_wftui("demo")  # before its service starts: nothing left running
    assert demo.returncode == 2
    assert demo.stderr.startswith("wftui: the monitor draws on a terminal")
    assert "starting the example service" not in demo.stdout


def test_demo_settings_point_replay_at_the_service_and_add_a_for(tmp_path: Path) -> None:
    from wftui.commands.demo import DEMO_FOR_S, demo_settings
    from wftui.config import Settings, load_settings

    plain = demo_settings(Settings(), "http://127.0.0.1:9/replay")  # no config file
    assert plain.section("replay") == {"url": "http://127.0.0.1:9/replay"}
    assert {t.for_s for t in plain.thresholds} == {DEMO_FOR_S}
    config = tmp_path / "wftui.toml"
    config.write_text('[thresholds.error_rate]\nfor = "3s"\n')
    configured = demo_settings(load_settings(str(config)), "http://127.0.0.1:9/replay")
    assert [t.for_s for t in configured.thresholds] == [3.0, 0.0, 0.0, 0.0]


def test_replay_flags_win_over_the_config_and_are_checked_at_start(tmp_path: Path) -> None:
    """--replay-cmd replaces the config's [replay] (keeping its timeout); a template with
    an embedded placeholder is refused before the UI starts (exit 2, one line)."""
    import argparse

    from wftui.commands.monitor import with_replay_flags
    from wftui.config import load_settings
    from wftui.replay.plan import hook_from

    config = tmp_path / "c.toml"
    config.write_text('[replay]\nurl = "http://127.0.0.1:9/replay"\ntimeout = "7s"\n')
    settings = load_settings(str(config))
    flags = argparse.Namespace(replay_cmd="myapp replay {execution_id}", replay_url=None)
    hook = hook_from(with_replay_flags(settings, flags))
    assert hook is not None and hook.command == ("myapp", "replay", "{execution_id}")
    assert hook.url is None and hook.timeout_s == 7.0
    done = forked.run_wftui([str(tmp_path / "x.log"), "--replay-cmd", "myapp --id={execution_id}"],
                            cwd=REPO)
    assert done.returncode == 2
    assert "whole argument" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_command_after_options_is_told_to_come_first(tmp_path: Path) -> None:
    # `wftui --config x.toml check app.log --at 10:20`: argparse would call "check" a log
    # file and fail on "--at"; the one line says what to type instead.
    config = tmp_path / "x.toml"
    config.write_text("")
    done = run_wftui("--config", str(config), "check", "app.log", "--at", "10:20")
    assert done.returncode == 2
    assert done.stderr == (f"wftui: the command comes first, then its options: wftui check "
                           f"--config {config} app.log --at 10:20\n")
