"""FileTailer.follow on real files: live appends, rotation, stdin, the poll, and a race."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

from wftui.sources.filefollow import follow
from wftui.sources.files import Batch, FileTailer

WAIT_S = 20.0  # generous: the machine may be loaded; we poll for conditions, never sleep


class Collector:
    """Records what follow() delivers."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, int, bytes]] = []

    def __call__(self, batch: Batch) -> None:
        for i, line in enumerate(batch.lines):
            self.rows.append((batch.source, batch.first_lineno + i, line))

    def lines(self) -> list[bytes]:
        return [line for _, _, line in self.rows]


async def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


class Following:
    """Runs tailer.follow() in a task for the duration of a `with` block."""

    def __init__(self, tailer: FileTailer) -> None:
        self.tailer = tailer
        self.got = Collector()
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Following:
        self.task = asyncio.create_task(follow(self.tailer, self.got, self.stop))
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop.set()
        assert self.task is not None
        await asyncio.wait_for(self.task, WAIT_S)
        self.tailer.close()


def append(path: Path, data: bytes) -> None:
    with open(path, "ab") as f:
        f.write(data)


async def test_follow_delivers_appended_lines_and_holds_partial_ones(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(b"old\n")
    async with Following(FileTailer([str(log)])) as run:
        await wait_until(lambda: run.got.lines() == [b"old"], "the existing line")
        append(log, b"new-1\nhal")
        await wait_until(lambda: len(run.got.rows) == 2, "the appended line")
        append(log, b"f\n")
        await wait_until(lambda: len(run.got.rows) == 3, "the completed line")
    assert run.got.rows == [(str(log), 1, b"old"), (str(log), 2, b"new-1"), (str(log), 3, b"half")]


async def test_follow_survives_rotation_and_truncation(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(b"a1\n")
    tailer = FileTailer([str(log)])
    async with Following(tailer) as run:
        await wait_until(lambda: len(run.got.rows) == 1, "a1")
        append(log, b"a2\n")
        log.rename(tmp_path / "app.log.1")
        log.write_bytes(b"b1\n")
        await wait_until(lambda: len(run.got.rows) == 3, "rotation")
        shutil.copyfile(log, tmp_path / "app.log.2")
        os.truncate(log, 0)
        append(log, b"c1\n")
        await wait_until(lambda: len(run.got.rows) == 4, "after truncation")
    assert run.got.rows == [
        (str(log), 1, b"a1"), (str(log), 2, b"a2"), (str(log), 1, b"b1"), (str(log), 1, b"c1"),
    ]
    status = tailer.statuses[0]
    assert (status.rotations, status.truncations) == (1, 1)


async def test_poll_finds_a_file_in_a_directory_created_later(tmp_path: Path) -> None:
    # A directory that does not exist cannot be watched: only the stat poll can see it.
    log = tmp_path / "later" / "app.log"
    tailer = FileTailer([str(log)], poll_interval=0.05)
    async with Following(tailer) as run:
        assert tailer.statuses[0].status == "waiting"
        log.parent.mkdir()
        log.write_bytes(b"found\n")
        await wait_until(lambda: run.got.lines() == [b"found"], "the late file")
        append(log, b"more\n")
        await wait_until(lambda: len(run.got.rows) == 2, "an append to the late file")
    assert run.got.lines() == [b"found", b"more"]


async def test_follow_reads_stdin_until_eof_and_keeps_following_files(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    log = tmp_path / "app.log"
    log.write_bytes(b"f1\n")
    tailer = FileTailer(["-", str(log)], stdin_fd=read_end)
    async with Following(tailer) as run:
        os.write(write_end, b"s1\ns")
        await wait_until(lambda: ("-", 1, b"s1") in run.got.rows, "stdin line")
        os.write(write_end, b"2\n")
        os.close(write_end)
        await wait_until(lambda: tailer.statuses[0].status == "ended", "end of stdin")
        append(log, b"f2\n")
        await wait_until(lambda: (str(log), 2, b"f2") in run.got.rows, "file after stdin ended")
    assert [r for r in run.got.rows if r[0] == "-"] == [("-", 1, b"s1"), ("-", 2, b"s2")]
    assert any("stream ended" in n for n in tailer.statuses[0].notices)
    os.close(read_end)


def _line(seq: int) -> bytes:
    return b"%07d %s %07d\n" % (seq, b"x" * (seq % 41), seq)


def _check_line(line: bytes) -> int:
    head, middle, tail = line.split(b" ")
    assert head == tail and len(middle) == int(head) % 41, line
    return int(head)


async def test_concurrent_writer_with_rotations_loses_and_repeats_nothing(tmp_path: Path) -> None:
    """A writer appends numbered lines while rotating (rename, copytruncate, delete).

    The invariant is exact because the writer only does what a tail -F reader can
    survive: before copytruncate it waits until the reader has everything (lines written
    between logrotate's copy and its truncate are lost for every reader), and before a
    rename or delete it waits until the reader has opened the current file (a file
    rotated away before anyone opened it cannot be seen). Rotations still land while the
    reader is mid-file, lines are written in two pieces, and refills race the reader.
    """
    total = 12_000
    log = tmp_path / "app.log"
    delivered: list[int] = []
    error: list[BaseException] = []
    rng = random.Random(7)

    def wait_for(condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + WAIT_S
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("reader never caught up")
            time.sleep(0.001)

    def writer() -> None:
        try:
            out = open(log, "ab", buffering=0)  # noqa: SIM115 - reopened on rotation
            generation_first = 0
            quiet_until = 0  # after a copytruncate, refill fast to race the reader
            for seq in range(total):
                data = _line(seq)
                cut = rng.randrange(1, len(data)) if seq % 3 == 0 else len(data)
                out.write(data[:cut])
                if cut < len(data):
                    out.write(data[cut:])
                if seq % 50 == 0 and seq > quiet_until:
                    time.sleep(0.001)
                if seq % 997 != 996:
                    continue
                kind = (seq // 997) % 3
                first = generation_first
                wait_for(lambda first=first: bool(delivered) and max(delivered) >= first)
                if kind == 0:  # rename rotation
                    out.close()
                    os.rename(log, tmp_path / f"app.log.{seq}")
                    out = open(log, "ab", buffering=0)  # noqa: SIM115
                    generation_first = seq + 1
                elif kind == 1:  # copytruncate, once the reader has everything
                    wait_for(lambda seq=seq: len(delivered) == seq + 1)
                    shutil.copyfile(log, tmp_path / f"app.log.copy{seq}")
                    os.truncate(log, 0)
                    generation_first = seq + 1
                    quiet_until = seq + 1200
                else:  # delete, then a new file
                    out.close()
                    os.unlink(log)
                    out = open(log, "ab", buffering=0)  # noqa: SIM115
                    generation_first = seq + 1
            out.close()
        except BaseException as exc:  # handed to the test thread, which fails with it
            error.append(exc)

    def on_batch(batch: Batch) -> None:
        delivered.extend(_check_line(line) for line in batch.lines)

    log.write_bytes(b"")
    tailer = FileTailer([str(log)], poll_interval=0.1)
    stop = asyncio.Event()
    task = asyncio.create_task(follow(tailer, on_batch, stop))
    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        await wait_until(lambda: bool(error) or not thread.is_alive(), "the writer")
        assert not error, error
        await wait_until(lambda: len(delivered) >= total, "every line")
        await asyncio.sleep(0.2)  # a duplicate arriving late would show here
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT_S)
        tailer.close()
    assert len(delivered) == total, "duplicates or losses"
    assert sorted(delivered) == list(range(total))
    status = tailer.statuses[0]
    assert status.lines == total
    assert status.rotations + status.truncations >= 4


async def test_cancelling_follow_ends_it_cleanly(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(b"x\n")
    tailer = FileTailer([str(log)])
    got = Collector()
    task = asyncio.create_task(follow(tailer, got, asyncio.Event()))
    await wait_until(lambda: got.lines() == [b"x"], "the first line")
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=WAIT_S)
    assert task in done and task.cancelled()
    tailer.close()


async def test_many_files_in_several_directories_are_all_followed(tmp_path: Path) -> None:
    paths = [tmp_path / f"dir{d}" / f"app{i}.log" for d in range(4) for i in range(10)]
    for path in paths:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"")
    tailer = FileTailer([str(p) for p in paths], poll_interval=0.2)
    rng = random.Random(3)
    expected: dict[str, list[bytes]] = {str(p): [] for p in paths}
    async with Following(tailer) as run:
        for seq in range(400):
            path = rng.choice(paths)
            line = b"%d" % seq
            append(path, line + b"\n")
            expected[str(path)].append(line)
            if seq % 40 == 0:
                await asyncio.sleep(0.01)
        await wait_until(lambda: len(run.got.rows) >= 400, "every line")
        await asyncio.sleep(0.1)  # anything extra would show here
    got: dict[str, list[bytes]] = {str(p): [] for p in paths}
    for source, _, line in run.got.rows:
        got[source].append(line)
    assert got == expected
    assert [s.lines for s in tailer.statuses] == [len(expected[str(p)]) for p in paths]


async def test_a_named_fifo_waits_for_its_writer(tmp_path: Path) -> None:
    """`mkfifo p; wftui p` and the app opens `p` later: the FIFO has no writer yet, which
    is not its end (the writer would then block forever in open(), with nobody reading)."""
    fifo = tmp_path / "app.fifo"
    os.mkfifo(fifo)
    tailer = FileTailer([str(fifo)])
    async with Following(tailer) as run:
        await asyncio.sleep(0.3)  # the reader thread has looked at the writerless FIFO
        assert tailer.statuses[0].status != "ended"
        fd = await asyncio.to_thread(os.open, fifo, os.O_WRONLY)  # blocks with no reader
        os.write(fd, b"late\n")
        os.close(fd)
        await wait_until(lambda: tailer.statuses[0].status == "ended", "the writer's end")
    assert run.got.lines() == [b"late"]
