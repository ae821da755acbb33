"""Rotation under load, as a model: writers and a rotator work on real files while the
tailer reads; every line on disk (in the live file and every rotated one) is delivered
exactly once, and every rotation is counted."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from wftui.sources.filefollow import follow
from wftui.sources.files import Batch, FileTailer

from .test_files_follow import wait_until


def lines_on_disk(folder: Path) -> Counter[bytes]:
    """Every complete line in every file of the folder (the live file and rotated ones)."""
    found: Counter[bytes] = Counter()
    for path in folder.iterdir():
        data = path.read_bytes()
        assert data == b"" or data.endswith(b"\n"), f"{path.name} ends mid-line"
        found.update(line for line in data.split(b"\n")[:-1])
    return found


def test_rotations_while_far_behind_lose_no_file(tmp_path: Path) -> None:
    # A 600k-line backlog; three rename rotations, each new file 1,000 lines, while the
    # reader has read only a slice of the backlog: all 603,000 lines, rotations 3.
    log = tmp_path / "app.log"
    log.write_bytes(b"".join(b"backlog-%d\n" % i for i in range(600_000)))
    tailer = FileTailer([str(log)])
    got: Counter[bytes] = Counter()

    def take(batches: list[Batch]) -> None:
        for batch in batches:
            got.update(batch.lines)

    take(tailer.read_available())
    for rotation in range(1, 4):
        log.rename(tmp_path / f"app.log.{rotation}")
        log.write_bytes(b"".join(b"rot%d-%d\n" % (rotation, i) for i in range(1000)))
        take(tailer.read_available())  # still far behind
    while batches := tailer.read_available():
        take(batches)
    assert_read_once(got, lines_on_disk(tmp_path))
    assert sum(got.values()) == 603_000
    assert tailer.statuses[0].rotations == 3
    tailer.close()


def assert_read_once(got: Counter[bytes], expected: Counter[bytes]) -> None:
    """Every expected line delivered exactly once, nothing else (a short message).
    Every line written is unique, so this is multiset equality, done with set
    operations (Counter arithmetic on 600k lines takes seconds)."""
    assert max(expected.values(), default=1) == 1, "the writers wrote a line twice"
    missing = len(expected.keys() - got.keys())
    assert not missing, f"{missing} of {len(expected)} lines never read"
    twice = sum(1 for count in got.values() if count > 1)
    assert not twice, f"{twice} lines delivered more than once"
    assert not got.keys() - expected.keys(), "lines delivered that are not on disk"


class Storm:
    """Four writers appending numbered lines; a rotator renaming the file away and
    creating a new one every ``period`` seconds; writers reopen the path after each
    rotation (as a logger told by logrotate's postrotate does), so some lines land in
    the renamed file after it was moved."""

    def __init__(self, log: Path, period: float, seconds: float) -> None:
        self.log = log
        self.period = period
        self.seconds = seconds
        self.generation = 0
        self.rotations = 0
        self.done = threading.Event()
        self.threads = [threading.Thread(target=self.write, args=(n,)) for n in range(4)]
        self.threads.append(threading.Thread(target=self.rotate))

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        for thread in self.threads:
            thread.join()

    def write(self, writer: int) -> None:
        seq = 0
        seen = -1
        fd = -1
        while not self.done.is_set():
            if seen != self.generation:
                if fd >= 0:
                    os.close(fd)
                seen = self.generation
                fd = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            burst = b"".join(b"w%d-%d\n" % (writer, seq + i) for i in range(1 + seq % 7))
            os.write(fd, burst)
            seq += 1 + seq % 7
            time.sleep(0.0005)  # paces the load; the rotator's clock is what matters
        os.close(fd)

    def rotate(self) -> None:
        ends = time.monotonic() + self.seconds
        while time.monotonic() < ends:
            time.sleep(self.period)
            self.rotations += 1
            self.log.rename(self.log.with_name(f"app.log.{self.rotations}"))
            os.close(os.open(self.log, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            self.generation += 1
        self.done.set()


@pytest.mark.parametrize("consumer_delay", [0.0, 0.02])
async def test_rotation_storm_every_line_on_disk_is_read_once(
    tmp_path: Path, consumer_delay: float
) -> None:
    # consumer_delay: the time each batch takes to ingest (a busy reader falls behind
    # and blocks its event loop, as a real ingest does).
    folder = tmp_path / "logs"
    folder.mkdir()
    log = folder / "app.log"
    log.write_bytes(b"")
    tailer = FileTailer([str(log)], poll_interval=0.2)
    got: Counter[bytes] = Counter()
    stop = asyncio.Event()

    def on_batch(batch: Batch) -> None:
        got.update(line for line in batch.lines if line)
        if consumer_delay:
            time.sleep(consumer_delay)

    task = asyncio.create_task(follow(tailer, on_batch, stop))
    storm = Storm(log, period=0.05, seconds=2.5)
    storm.start()
    await asyncio.get_running_loop().run_in_executor(None, storm.join)
    expected = lines_on_disk(folder)
    status = tailer.statuses[0]
    with contextlib.suppress(AssertionError):  # the asserts below say what is missing
        await wait_until(lambda: got.keys() == expected.keys()
                         and status.rotations >= storm.rotations,
                         "the reader to catch up")
    stop.set()
    await task
    tailer.close()
    assert_read_once(got, expected)
    assert status.rotations == storm.rotations
