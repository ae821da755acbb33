"""Opening a big log (a benchmark, not a test): the wftui TUI against lnav, side by side.

Generates a seed-format log (default 1M lines, ~190 MB; reused with --keep), then, in
turns (TUI, lnav, TUI, lnav, ...), measures as a user would:

- the TUI: `wftui FILE` in a real terminal (tmux, 160x50), from start until the screen
  first shows the monitor (first screen), and until the source line reads
  `following 1,000,000 lines` (caught up: the whole file read, every figure and the
  table of it on screen; the table's rows below the screen are built as they are
  first drawn, all of them at the next refresh, and the retained executions' lines for
  their step trees are read again right after that screen is drawn, ~0.3 s, and a tree
  opened meanwhile waits);
  memory: the largest sum of the proportional set sizes (PSS) of the app and its
  forked readers (pages shared after a fork count once), sampled every ~0.1 s until
  caught up and after, until the app is idle (its step trees' lines kept and the
  thresholds judged along the log); the screen is polled every 20 ms through one
  tmux control-mode client;
- lnav: `lnav -n -c ';SELECT count(*) FROM wf_log' FILE` with a JSON format for the
  log (in a scratch HOME): load, index and count every line; its peak memory
  (wait4's ru_maxrss of lnav, which runs alone);
- `wftui check --window all FILE` for reference (its peak memory is per process).

Prints each figure as median (min-max) over --repeat runs, and the ratios TUI caught
up / lnav load (goal <= 1.0) and TUI memory / lnav memory (goal <= 1.0). The machine
is shared: pairs run in turns so drift hits both.

With --gzip, all three read the log gzipped (`app.log.1.gz`, a post-mortem's usual
file): the TUI and check decompress it into a temporary file first, then read it in
parts; lnav reads the gzip file itself.

    python bench/tui_catchup.py [--lines 1000000] [--repeat 3] [--keep DIR] [--gzip]
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from seedlog import generate  # noqa: E402

LNAV_FORMAT = {
    "$schema": "https://lnav.org/schemas/format-v1.schema.json",
    "wf_log": {
        "title": "Workflow JSON-lines log",
        "description": "One JSON object per line, stamped in its timestamp field.",
        "json": True,
        "file-pattern": ".*",
        "timestamp-field": "timestamp",
        "body-field": "event",
        "value": {
            "event": {"kind": "string", "identifier": True},
            "execution_id": {"kind": "string", "identifier": True},
            "step_name": {"kind": "string", "identifier": True},
        },
    },
}


def tree_pss(pid: int) -> float:
    """Proportional set size (MB) of a process and its descendants now: pages shared
    after a fork count once in all, not once per process as resident sizes would."""
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as rollup:
                for row in rollup:
                    if row.startswith("Pss:"):
                        total += int(row.split()[1]) / 1024.0
                        break
            with open(f"/proc/{current}/task/{current}/children") as children:
                pending += [int(child) for child in children.read().split()]
        except (OSError, ValueError):
            continue  # ended meanwhile
    return total


# A tmux server of our own: a session started on a shared one runs with that server's
# environment (PYTHONPATH included, so another checkout's wftui), and other users'
# sessions come and go on it.
TMUX_SOCKET = f"wftui-catchup-{os.getpid()}"


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", "-L", TMUX_SOCKET, *args], capture_output=True,
                          text=True, check=False).stdout


def end_tmux() -> None:
    """Our server ended, and its socket removed (kill-server leaves the file behind)."""
    socket = tmux("display", "-p", "#{socket_path}").strip()
    tmux("kill-server")
    if socket.endswith(TMUX_SOCKET):
        with contextlib.suppress(OSError):
            os.unlink(socket)


class PaneReader:
    """Reads the session's screen through one tmux control-mode client: a poll is one
    line written to it, not a tmux process started (which every 20 ms took a sixth
    of a core, from the TUI measured beside it; lnav runs alone)."""

    def __init__(self, session: str) -> None:
        self.session = session
        # ignore-size: it does not resize the session; no-output: the pane's output is
        # not copied to it as notifications (only the commands' answers are).
        self.client = subprocess.Popen(
            ["tmux", "-L", TMUX_SOCKET, "-C", "attach-session", "-f",
             "ignore-size,no-output", "-t", session],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self._answer()  # the attach's own (empty) answer

    def _answer(self) -> list[str]:
        assert self.client.stdout is not None
        rows: list[str] = []
        inside = False
        for line in self.client.stdout:
            line = line.rstrip("\n")
            if not inside:
                inside = line.startswith("%begin ")
            elif line.startswith(("%end ", "%error ")):
                return rows
            else:
                rows.append(line)
        raise SystemExit("the tmux control client ended")

    def screen(self) -> str:
        assert self.client.stdin is not None
        self.client.stdin.write(f"capture-pane -p -t {self.session}\n")
        self.client.stdin.flush()
        return "\n".join(self._answer())

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            assert self.client.stdin is not None
            self.client.stdin.close()
        try:
            self.client.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.client.kill()


# Memory moves by megabytes per tenth of a second: sampled every 5th screen poll (each
# sample walks every mapping of the app and its readers).
PSS_EVERY = 5
# After catching up, memory is sampled until the app has used no CPU for 0.5 s (its
# second read and the judging along the log done), at most this long.
SETTLE_MAX_S = 60.0


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) the process has used so far (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tui_run(path: Path, lines: int, timeout: float) -> tuple[float, float, float]:
    """(first screen s, caught up s, peak MB of the app and its readers together)."""
    session = f"wftui-catchup-{os.getpid()}"
    # A gzip log is read once, not followed: its source line ends "stream ended".
    done_text = (f"stream ended  {lines:,} lines" if path.suffix == ".gz"
                 else f"following {lines:,} lines")
    done = re.compile(done_text.replace(" ", r"\s+"))
    # The wftui this process imports (PYTHONPATH: a checkout), not the installed one.
    python_path = os.environ.get("PYTHONPATH")
    env = f"env PYTHONPATH={shlex.quote(python_path)} " if python_path else ""
    command = f"exec {env}{sys.executable} -m wftui {shlex.quote(str(path))}"
    started = time.perf_counter()
    tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "50", command)
    first = caught = None
    peak = 0.0
    pane = PaneReader(session)
    try:
        pid = int(tmux("display", "-p", "-t", session, "#{pane_pid}").strip() or 0)
        polls = 0
        while time.perf_counter() - started < timeout:
            if pid and polls % PSS_EVERY == 0:
                peak = max(peak, tree_pss(pid))
            polls += 1
            screen = pane.screen()
            now = time.perf_counter() - started
            if first is None and "window" in screen and " wftui " in screen:
                first = now
            source_line = next((row for row in screen.splitlines() if path.name in row), "")
            if done.search(source_line) and "reading" not in source_line:
                caught = now
                break
            time.sleep(0.02)
        if pid:  # once caught up: what the app keeps (history included), not the peak
            # The step trees' lines are then kept and the thresholds judged along the
            # log's time (seconds on a 5M-line log): sampled until the app goes idle.
            cpu, idle_since = cpu_seconds(pid), time.perf_counter()
            settle_end = time.perf_counter() + SETTLE_MAX_S
            while time.perf_counter() < settle_end:
                time.sleep(0.1)
                peak = max(peak, tree_pss(pid))
                now_cpu = cpu_seconds(pid)
                if now_cpu - cpu > 0.02:
                    cpu, idle_since = now_cpu, time.perf_counter()
                elif time.perf_counter() - idle_since >= 0.5:
                    break
            kept = tree_pss(pid)
            print(f"  TUI after catching up: {kept:.0f} MB (PSS)", flush=True)
    finally:
        pane.close()
        tmux("kill-session", "-t", session)
    if first is None or caught is None:
        raise SystemExit(f"the TUI did not show {done_text!r} within {timeout:.0f} s")
    return first, caught, peak


def lnav_run(path: Path, home: Path, lines: int) -> float:
    """Seconds for lnav to load, index and count the file."""
    started = time.perf_counter()
    done = subprocess.run(["lnav", "-n", "-c", ";SELECT count(*) FROM wf_log", str(path)],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "HOME": str(home)})
    elapsed = time.perf_counter() - started
    if str(lines) not in done.stdout:
        raise SystemExit(f"lnav did not count {lines} lines: {done.stdout} {done.stderr}")
    return elapsed


def check_run(path: Path) -> float:
    """Seconds of `wftui check --window all` on the file."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "wftui", "check", "--window", "all", str(path)],
                   stdout=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def peak_of(argv: list[str], env: dict[str, str] | None = None) -> float:
    """Peak resident MB of one run of argv, by itself (a fresh measuring process)."""
    probe = ("import resource,subprocess,sys;"
             "subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL);"
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True,
                         text=True, env=env, check=True).stdout
    return int(out.strip()) / 1024.0


def median_text(values: list[float], unit: str = "s", digits: int = 2) -> str:
    return (f"{statistics.median(values):.{digits}f} {unit} "
            f"(min {min(values):.{digits}f}, max {max(values):.{digits}f}, n={len(values)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--keep", help="folder to keep (and reuse) the generated log in")
    parser.add_argument("--gzip", action="store_true",
                        help="the log gzipped (as logrotate leaves yesterday's), for all three")
    options = parser.parse_args()
    for tool in ("tmux", "lnav"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed: it is needed for this comparison")
    folder = Path(options.keep or tempfile.mkdtemp(prefix="wftui-catchup-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"seed-{options.lines}.jsonl"
    if not path.exists():
        print(f"generating {options.lines:,} lines in {path} ...", flush=True)
        generate(str(path), options.lines)
    if options.gzip:
        packed = path.with_name(path.name + ".gz")
        if not packed.exists():
            print(f"compressing it into {packed} ...", flush=True)
            subprocess.run(["gzip", "-k", "-6", str(path)], check=True)
        path = packed
    home = folder / "lnav-home"
    formats = home / ".lnav" / "formats" / "installed"
    formats.mkdir(parents=True, exist_ok=True)
    (formats / "wf_log.json").write_text(json.dumps(LNAV_FORMAT, indent=2))
    size_mb = path.stat().st_size / 1e6
    print(f"{options.lines:,} lines, {size_mb:.0f} MB; {os.cpu_count()} cores; "
          f"load {os.getloadavg()[0]:.1f}", flush=True)

    # The server stays up between runs (its start is not the TUI's).
    tmux("start-server", ";", "set-option", "-g", "exit-empty", "off")
    atexit.register(end_tmux)  # however the runs end
    first, caught, tui_mb, lnav_s, ratios, check_s = [], [], [], [], [], []
    for run in range(options.repeat):
        shown, done, memory = tui_run(path, options.lines, options.timeout)
        loaded = lnav_run(path, home, options.lines)
        checked = check_run(path)
        first.append(shown)
        caught.append(done)
        tui_mb.append(memory)
        lnav_s.append(loaded)
        check_s.append(checked)
        ratios.append(done / loaded)
        print(f"run {run + 1}: TUI first screen {shown:.2f} s, caught up {done:.2f} s, "
              f"{memory:.0f} MB; lnav {loaded:.2f} s; check {checked:.2f} s", flush=True)
    lnav_env = {**os.environ, "HOME": str(home)}
    lnav_mb = peak_of(["lnav", "-n", "-c", ";SELECT count(*) FROM wf_log", str(path)],
                      lnav_env)
    check_mb = peak_of([sys.executable, "-m", "wftui", "check", "--window", "all",
                        str(path)])
    print()
    print(f"TUI first screen:        {median_text(first)}")
    print(f"TUI caught up:           {median_text(caught)}")
    print(f"lnav load and count:     {median_text(lnav_s)}")
    print(f"wftui check (reference): {median_text(check_s)}")
    print(f"TUI caught up / lnav load, pair by pair: {median_text(ratios, '', 2)}"
          "  (goal <= 1.0)")
    print(f"TUI memory (PSS of app + readers, sampled peak): "
          f"{median_text(tui_mb, 'MB', 0)}")
    print(f"lnav peak memory: {lnav_mb:.0f} MB; check peak (largest process): "
          f"{check_mb:.0f} MB")
    print(f"TUI memory / lnav memory: {statistics.median(tui_mb) / lnav_mb:.2f}"
          "  (goal <= 1.0)")
    if not options.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
