"""Reading one file in parts, one forked process per part (`wftui.sources.split`).

Real files, real forks: the parts' ledgers merged must tell what one reading tells,
with the file's own line numbers, its over-long lines and its unterminated last line;
a part whose process dies is read again by the parent, nothing lost.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from wftui.cli import main
from wftui.core.ledger import Ledger
from wftui.core.snapshot import take_snapshot
from wftui.core.thresholds import ThresholdEngine
from wftui.sources import split

T0 = datetime(2026, 1, 1, 12)


def event(kind: str, execution: str, second: float, **fields: Any) -> bytes:
    stamp = (T0 + timedelta(seconds=second)).isoformat()
    record = {"event": kind, "execution_id": execution, "timestamp": stamp}
    record.update(fields)
    return json.dumps(record).encode()


def write_log(path: Path, executions: int = 300, *, long_line_at: int | None = None,
              tail_without_newline: bool = True) -> int:
    """Interleaved executions (5 at a time), a malformed line every 97, an optional
    2 MiB line; returns the number of lines."""
    lines: list[bytes] = []
    clock = 0.0
    for start in range(0, executions, 5):
        batch = [f"e{n}" for n in range(start, min(start + 5, executions))]
        for step in ("fetch", "classify"):
            for name in batch:
                clock += 0.05
                lines.append(event("step_start", name, clock, step_name=step))
            for name in batch:
                clock += 0.05
                failed = step == "classify" and name.endswith("7")
                lines.append(event("step_complete", name, clock, step_name=step,
                                   success=not failed, **({} if step == "fetch"
                                                          else {"duration_ms": 120.5})))
        if len(lines) % 97 < 20:
            lines.append(b"INFO something that is not an event")
    if long_line_at is not None:
        lines.insert(long_line_at, b'{"event": "' + b"x" * (2 << 20) + b'"}')
    body = b"\n".join(lines) + (b"" if tail_without_newline else b"\n")
    path.write_bytes(body)
    return len(lines)


def reading(paths: list[str]) -> tuple[dict[str, Any], list[dict[str, Any]], list[Any]]:
    ledger, statuses = split.read_once(paths, lambda: Ledger(keep_raw=False))
    told = take_snapshot(ledger, ThresholdEngine(), window_s=None).to_check_dict()
    malformed = [(m.lineno, m.reason) for m in ledger.malformed]
    return told, statuses, malformed


@pytest.fixture
def one_core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(split, "usable_cpus", lambda: 1)


def in_parts(monkeypatch: pytest.MonkeyPatch, cpus: int, part_bytes: int = 4096) -> None:
    monkeypatch.setattr(split, "usable_cpus", lambda: cpus)
    monkeypatch.setattr(split, "MIN_PART_BYTES", part_bytes)


def read_in_one_go_then_split(log: Path, monkeypatch: pytest.MonkeyPatch, cpus: int) -> Any:
    """What one reading of a fresh `write_log` tells; later readings go in parts."""
    write_log(log)
    monkeypatch.setattr(split, "usable_cpus", lambda: 1)
    expected = reading([str(log)])
    in_parts(monkeypatch, cpus)
    return expected


def plan(path: Path, cpus: int, min_part_bytes: int = 1024) -> Any:
    """`plan_parts` for a path, as `read_once` calls it (None where it would not open)."""
    fd = split._open_regular(str(path))
    if fd is None:
        return None
    try:
        return split.plan_parts(fd, cpus, min_part_bytes)
    finally:
        os.close(fd)


def test_parts_are_cut_just_after_newlines(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write_log(log)
    data = log.read_bytes()
    for cpus in (2, 3, 4):
        parts = plan(log, cpus)
        assert parts is not None and len(parts) == cpus
        assert parts[0][0] == 0 and parts[-1][1] == len(data)
        for index in range(1, cpus):
            stop, start = parts[index - 1][1], parts[index][0]
            assert stop == start and data[start - 1:start] == b"\n"
            share = len(data) * index // cpus  # equal parts, cut at the next newline
            assert share < start and b"\n" not in data[share:start - 1]


def test_what_is_read_in_one_go(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write_log(log)
    small = tmp_path / "small.log"
    small.write_bytes(b'{"event": "step_start"}\n' * 10)
    packed = tmp_path / "app.log.gz"
    packed.write_bytes(gzip.compress(log.read_bytes()))
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert plan(log, 1) is None  # one core
    assert plan(small, 4) is None  # too small
    assert plan(packed, 4) is None  # gzip
    assert split._open_regular(str(fifo)) is None  # not a file (and not opened)
    assert split._open_regular(str(tmp_path / "missing.log")) is None
    one_line = tmp_path / "one.log"
    one_line.write_bytes(b"x" * 10_000)  # no newline to cut at
    assert plan(one_line, 4) is None
    huge_middle = tmp_path / "huge.log"
    huge_middle.write_bytes(b"a\n" * 2000 + b"x" * 20_000 + b"\n" + b"b\n" * 2000)
    # the 20 kB line swallows the middle cut: two parts, not a one-line third
    assert len(plan(huge_middle, 3)) == 2


@pytest.mark.parametrize("cpus", [2, 3])
def test_parts_tell_what_one_reading_tells(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           cpus: int) -> None:
    log = tmp_path / "app.log"
    total = write_log(log, long_line_at=700)
    monkeypatch.setattr(split, "usable_cpus", lambda: 1)
    expected = reading([str(log)])
    in_parts(monkeypatch, cpus)
    assert plan(log, cpus, 4096) is not None
    got = reading([str(log)])
    assert got == expected
    told, statuses, malformed = got
    # worked out from write_log: every line but the 2 MiB one is counted once
    assert statuses[0]["skipped_long_lines"] == 1
    assert told["executions"]["total"] == 300
    assert malformed and all(1 <= lineno <= total for lineno, _ in malformed)


def test_a_part_whose_process_dies_is_read_here(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "app.log"
    expected = read_in_one_go_then_split(log, monkeypatch, 3)
    real_child = split._child

    def dies_on_the_last_part(path: str, fd: int, part: tuple[int, int], ledger: Ledger,
                              writable: int) -> None:
        if part[1] == log.stat().st_size:
            os._exit(3)  # as if killed: nothing written
        real_child(path, fd, part, ledger, writable)

    monkeypatch.setattr(split, "_child", dies_on_the_last_part)
    assert reading([str(log)]) == expected


def test_check_prints_the_same_read_in_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "app.log"
    write_log(log)
    monkeypatch.setattr(split, "usable_cpus", lambda: 1)
    code = main(["check", "--window", "all", str(log)])
    expected = json.loads(capsys.readouterr().out)
    in_parts(monkeypatch, 2)
    assert main(["check", "--window", "all", str(log)]) == code
    assert json.loads(capsys.readouterr().out) == expected
    # one file read in parts is still one source, with every line counted
    assert [source["name"] for source in expected["sources"]] == [str(log)]
    assert expected["executions"]["total"] == 300


def test_a_reader_that_dies_while_handing_over_costs_a_second_reading(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Half a part merged cannot be taken back: the whole file is read again in one go."""
    log = tmp_path / "app.log"
    expected = read_in_one_go_then_split(log, monkeypatch, 2)
    real_pieces = split.export_pieces

    def head_then_die(ledger: Ledger, size: int = 20_000) -> Any:
        for piece in real_pieces(ledger, 10):
            yield piece
            if piece[0] == "executions":
                os._exit(3)  # killed mid-hand-over

    monkeypatch.setattr(split, "export_pieces", head_then_die)
    assert reading([str(log)]) == expected


def test_a_ledger_that_keeps_lines_reads_in_one_go(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """`wftui diff` needs each execution's lines (step trees): parts hand back none."""
    log = tmp_path / "app.log"
    write_log(log)
    in_parts(monkeypatch, 2)
    monkeypatch.setattr(os, "fork", lambda: pytest.fail("forked for a ledger with lines"))
    ledger, _ = split.read_once([str(log)], lambda: Ledger(keep_raw=True))
    assert all(len(execution.raw) == 4 for execution in ledger.retained())


def test_a_reader_killed_after_handing_everything_over_is_merged_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "app.log"
    expected = read_in_one_go_then_split(log, monkeypatch, 2)
    real_dump = split.pickle.dump

    def dump_then_die(value: Any, *args: Any) -> None:
        real_dump(value, *args)
        if value[0] == "read":
            args[0].flush()
            os._exit(9)  # everything handed over, then killed before a clean exit

    monkeypatch.setattr(split.pickle, "dump", dump_then_die)
    assert reading([str(log)]) == expected


def test_no_process_to_spare_reads_every_part_here(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "app.log"
    expected = read_in_one_go_then_split(log, monkeypatch, 3)
    forks: list[int] = []
    real_fork = os.fork

    def second_fork_fails() -> int:
        forks.append(1)
        if len(forks) == 2:
            raise BlockingIOError(11, "Resource temporarily unavailable")
        return real_fork()

    monkeypatch.setattr(split.os, "fork", second_fork_fails)
    assert reading([str(log)]) == expected
    assert len(forks) == 2


def test_a_file_rotated_while_read_is_read_as_it_was(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The parts read the descriptor opened before the cut: the file moved away and a
    new one in its place changes nothing (the new one is for the next check)."""
    log = tmp_path / "app.log"
    expected = read_in_one_go_then_split(log, monkeypatch, 2)
    real_read_part = split._read_part
    rotated: list[bool] = []
    parent = os.getpid()

    def rotate_first(source: str, fd: int, part: tuple[int, int], lines_before: int,
                     ledger: Ledger) -> Any:
        # The parent, before reading its part (the child already runs). Only the parent:
        # the forked child runs this too, and renaming again there raced the parent's.
        if not rotated and os.getpid() == parent:
            rotated.append(True)
            log.rename(tmp_path / "app.log.1")
            log.write_bytes(event("step_start", "new", 1.0, step_name="fetch") + b"\n")
        return real_read_part(source, fd, part, lines_before, ledger)

    monkeypatch.setattr(split, "_read_part", rotate_first)
    told, statuses, malformed = reading([str(log)])
    assert (told, statuses, malformed) == expected
    assert rotated


def test_a_file_truncated_while_read_is_read_again_in_one_go(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "app.log"
    read_in_one_go_then_split(log, monkeypatch, 2)
    refill = event("step_start", "after", 1.0, step_name="fetch") + b"\n"
    real_read_part = split._read_part

    def truncate_after(source: str, fd: int, part: tuple[int, int], lines_before: int,
                       ledger: Ledger) -> Any:
        read = real_read_part(source, fd, part, lines_before, ledger)
        if part[0] == 0:  # copytruncate, while the other part is being read
            with log.open("r+b") as out:
                out.truncate(0)
                out.write(refill)
        return read

    monkeypatch.setattr(split, "_read_part", truncate_after)
    told, statuses, _ = reading([str(log)])
    # read again in one go: what the file now holds, once
    assert told["executions"]["total"] == 1 and statuses[0]["lines"] == 1


def test_a_fifo_writer_is_not_cut_off(tmp_path: Path) -> None:
    """Deciding whether to cut must not open a FIFO: that would let its writer write to
    nobody (EPIPE) before the tailer opens it."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    lines = b"".join(event("step_start", f"e{n}", n, step_name="s") + b"\n"
                     for n in range(50))
    writer = subprocess.Popen([sys.executable, "-c",
                               "import sys; data = sys.stdin.buffer.read(); print('ready', "
                               "flush=True); f = open(sys.argv[1], 'wb'); f.write(data); "
                               "f.close()", str(fifo)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert writer.stdin is not None and writer.stdout is not None
    writer.stdin.write(lines)
    writer.stdin.close()
    assert writer.stdout.readline() == b"ready\n"
    time.sleep(0.3)  # into open(), waiting for a reader (as a writer started first is)
    told, statuses, _ = reading([str(fifo)])
    assert writer.wait(10) == 0
    writer.stdout.close()
    assert statuses[0]["lines"] == 50 and told["executions"]["total"] == 50


def _children(pid: int) -> set[int]:
    """Living (not zombie) processes whose parent is ``pid``, from /proc."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.add(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists() or split.usable_cpus() < 2,
                    reason="needs /proc and two cores (a file is read in parts)")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_check_stopped_while_reading_in_parts_leaves_no_reader(
    tmp_path: Path, signum: int
) -> None:
    # Parts of ~40 MB each take a reader seconds; stopped, the readers must go with it.
    log = tmp_path / "big.log"
    line = b'{"event": "step_start", "execution_id": "e-%07d", "step_name": "fetch"}\n'
    log.write_bytes(b"".join(line % i for i in range(1_100_000)))
    assert log.stat().st_size > 2 * split.MIN_PART_BYTES
    check = subprocess.Popen([sys.executable, "-m", "wftui", "check", str(log)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not (readers := _children(check.pid)):
            assert check.poll() is None, "check ended before it started its readers"
            assert time.monotonic() < deadline, "no reader was started"
            time.sleep(0.01)
        check.send_signal(signum)
        check.wait(timeout=30)
        deadline = time.monotonic() + 2.0  # a reader left alone reads on for seconds
        while any(_alive(pid) for pid in readers) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not [pid for pid in readers if _alive(pid)], "a reader outlived check"
    finally:
        if check.poll() is None:
            check.kill()
            check.wait()
        assert check.stderr is not None
        told = check.stderr.read()
        check.stderr.close()
    assert b"Traceback" not in told


def _resident_mb() -> int:
    with open(f"/proc/{os.getpid()}/smaps_rollup") as rollup:
        return next(int(row.split()[1]) // 1024 for row in rollup if row.startswith("Rss:"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_memory_freed_after_a_big_read_goes_back_to_the_system() -> None:
    # ~200 MB in blocks the C allocator keeps in its heap once freed (too small for
    # their own mappings), with one block in 50 still alive so the heap cannot shrink
    # from its top by itself.
    blocks = [bytes(4000) + bytes([n % 256]) for n in range(50_000)]
    alive = blocks[::50]
    del blocks
    before = _resident_mb()
    split.give_back_freed_memory()
    assert _resident_mb() < before - 100
    assert len(alive) == 1000


def write_long_lines(path: Path) -> list[dict[str, int]]:
    """Short events around three over-long lines, the last unterminated; returns those
    three as the file's entry names them (line numbers and bytes counted by hand)."""
    cap = split.MAX_LINE_BYTES
    short = [event("step_start", f"e{n}", n * 0.01, step_name="fetch") for n in range(4000)]
    lines = [short[0], b"A" * (cap + 1), *short[1:2001], b"B" * (2 << 20), *short[2001:],
             b"C" * (cap + 100)]
    path.write_bytes(b"\n".join(lines))
    # lines: 1 short, 2 A, 3..2002 shorts, 2003 B, 2004..4002 shorts, 4003 C
    return [{"line": 2, "bytes": cap + 1}, {"line": 2003, "bytes": 2 << 20},
            {"line": 4003, "bytes": cap + 100}]


@pytest.mark.parametrize("cpus", [1, 2, 4])
def test_the_long_lines_skipped_are_named_however_the_file_is_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cpus: int) -> None:
    log = tmp_path / "app.log"
    expected = write_long_lines(log)
    in_parts(monkeypatch, cpus)
    if cpus > 1:  # the parts' readers number their lines from 1: B and C are theirs
        parts = plan(log, cpus, 4096)
        assert parts is not None and len(parts) >= 2
        body = log.read_bytes()
        assert body.index(b"C") >= parts[1][0]
        assert cpus == 2 or body.index(b"B") >= parts[1][0]
    told, [status], malformed = reading([str(log)])
    assert status["skipped_long_lines"] == 3
    assert status["long_lines"] == expected
    assert status["lines"] == 4000 and told["executions"]["total"] == 4000
    assert malformed == []  # skipped lines are not read: not malformed either
