"""`wftui check` on input that never ends, is no log at all, or is all garbage: a clear
refusal or a clear limit, never a hang, a traceback, or memory growing with the input."""

from __future__ import annotations

import contextlib
import json
import os
import random
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from wftui.sources.files import FileTailer

REPO = Path(__file__).resolve().parents[1]
ENDLESS = ["/dev/zero", "/dev/urandom"]


def run_check(*args: str, stdin: int | None = None, timeout: float = 60
              ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wftui", "check", *args], cwd=REPO,
                          stdin=stdin if stdin is not None else subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("device", [d for d in ENDLESS if os.path.exists(d)])
def test_a_device_given_as_a_log_is_refused_at_once(device: str) -> None:
    done = run_check(device, timeout=30)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert f"{device}: not a log file but a character device" in done.stderr
    assert done.stderr.count(device) == 1  # named once, not "path: path: ..."


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
def test_an_endless_stdin_stops_at_the_stream_limit() -> None:
    with open("/dev/zero", "rb") as zero:
        done = run_check("-", stdin=zero.fileno(), timeout=120)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "stream still going after 1 GiB" in done.stderr


def test_the_stream_limit_cuts_a_stream_and_says_so() -> None:
    read_end, write_end = os.pipe()
    payload = b"".join(b'{"event": "x", "n": %d}\n' % i for i in range(20_000))  # ~460 KB

    def write() -> None:
        with contextlib.suppress(BrokenPipeError):  # the reader stops at the limit
            os.write(write_end, payload)  # and the writer stays open: no end of stream

    writer = threading.Thread(target=write)
    writer.start()
    tailer = FileTailer(["-"], stdin_fd=read_end, stream_limit=100 << 10)
    lines = [line for batch in tailer.read_available() for line in batch.lines]
    status = tailer.statuses[0]
    assert status.status == "error"
    assert "stream still going after 100 KiB" in (status.error or "")
    assert 0 < len(lines) < 20_000
    assert lines == payload.split(b"\n")[: len(lines)]
    tailer.close()
    os.close(read_end)
    writer.join()
    os.close(write_end)


def test_garbage_lines_do_not_grow_check_memory(tmp_path: Path) -> None:
    # Each malformed line used to leave a reference cycle, and `check` reads with the
    # cyclic collector off: 500k garbage lines took 707 MB. 100k lines here (3 MB):
    # they used to take ~170 MB; a bare `check` of a tiny file takes ~35 MB.
    # 24 random printable bytes per line (random bytes mapped onto 33..126 in one go:
    # drawing them one by one took a second of the suite's CPU).
    printable = bytes(33 + b % 94 for b in range(256))
    noise = random.Random(7).randbytes(24 * 100_000).translate(printable)
    log = tmp_path / "garbage.log"
    log.write_bytes(b"".join(b"garbage %d %s\n" % (i, noise[24 * i:24 * i + 24])
                             for i in range(100_000)))
    # A fresh parent, so that its children's peak is this check's own.
    measure = ("import resource, subprocess, sys; "
               "done = subprocess.run(sys.argv[1:], capture_output=True); "
               "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    done = subprocess.run([sys.executable, "-c", measure, sys.executable, "-m", "wftui",
                           "check", "--window", "all", str(log)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    code, peak_kib = map(int, done.stdout.split())
    assert code in (0, 1, 2)
    assert peak_kib < 90 * 1024, f"peak RSS {peak_kib // 1024} MB"


# -- a FIFO given by name (`mkfifo p; wftui check p`) ------------------------------------

FIFO_LINES = [
    b'{"event": "workflow_start", "execution_id": "f1", "timestamp": "2026-01-01T12:00:00Z"}',
    b'{"event": "workflow_complete", "execution_id": "f1", "status": "failure",'
    b' "timestamp": "2026-01-01T12:00:05Z"}',
]


def _write_fifo_later(fifo: Path, delay_s: float) -> threading.Thread:
    def write() -> None:
        threading.Event().wait(delay_s)
        fd = os.open(fifo, os.O_WRONLY)  # blocks until `check` has it open to read
        try:
            os.write(fd, b"\n".join(FIFO_LINES) + b"\n")
        finally:
            os.close(fd)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    return writer


def test_check_waits_for_the_writer_of_a_fifo(tmp_path: Path) -> None:
    """`check` began before the app opened the FIFO: the read said "end" at once (no
    writer yet) and check printed an empty all-clear, exit 0. It waits for the writer
    and judges what it wrote (one failed execution: firing)."""
    fifo = tmp_path / "app.fifo"
    os.mkfifo(fifo)
    writer = _write_fifo_later(fifo, 1.0)
    done = run_check(str(fifo), "--window", "all")
    if writer.is_alive():  # check left without reading: release the writer's open()
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
    writer.join(10)
    assert done.returncode == 1, done.stderr
    out = json.loads(done.stdout)
    assert out["sources"][0]["lines"] == 2 and out["executions"]["failed"] == 1


def test_check_on_a_fifo_no_one_writes_to_says_so(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """No writer ever: not an empty all-clear (exit 0), not a hang: exit 2, one line."""
    from tests.forked import run_wftui
    from wftui.sources import split

    monkeypatch.setattr(split, "FIFO_WRITER_WAIT_S", 0.5)  # the forked check's wait
    fifo = tmp_path / "app.fifo"
    os.mkfifo(fifo)
    done = run_wftui(["check", str(fifo)], cwd=REPO, timeout=30)
    assert done.returncode == 2
    assert done.stderr == (f"wftui: no source could be read ({fifo}: no writer opened "
                           "this FIFO within 500ms: nothing was read)\n")
