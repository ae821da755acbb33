"""A followed log path that a FIFO comes to: it is a rotation like any other.

Some deployments swap the log file for a named pipe (a log shipper's FIFO, `mkfifo`
after `logrotate`). The operator still watches the path: what the FIFO's writers send
is read, and the path is followed on after them.
"""

from __future__ import annotations

import asyncio
import errno
import os
import time
from pathlib import Path

from tests.sources.test_files_follow import WAIT_S, Following, wait_until
from wftui.sources.files import FileTailer


async def _write_fifo(fifo: Path, data: bytes) -> None:
    """Write as the FIFO's writer once a reader (the tailer) has it open."""
    deadline = time.monotonic() + WAIT_S
    while True:
        try:
            # Non-blocking: ENXIO while nobody reads it (a plain open would hang).
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as exc:
            if exc.errno != errno.ENXIO or time.monotonic() > deadline:
                raise AssertionError("the tailer never opened the FIFO") from exc
            await asyncio.sleep(0.01)
    try:
        os.set_blocking(fd, True)
        os.write(fd, data)
    finally:
        os.close(fd)


def _reopened(tailer: FileTailer, times: int) -> bool:
    return sum("waiting for the FIFO's next writer" in text
               for text in tailer.statuses[0].notices) >= times


async def test_a_fifo_replacing_the_followed_file_is_read_and_the_path_followed_on(
        tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(b"file-1\nfile-2\n")
    tailer = FileTailer([str(log)])
    async with Following(tailer) as run:
        await wait_until(lambda: run.got.lines() == [b"file-1", b"file-2"], "the file")
        os.rename(log, tmp_path / "app.log.1")
        os.mkfifo(log)
        await _write_fifo(log, b"fifo-1\nfifo-2\n")
        await wait_until(lambda: b"fifo-2" in run.got.lines(), "the FIFO's lines")
        # Its writer is gone; the path is still the one the operator follows, and the
        # FIFO's next writer is read too (it would block in open() with no reader).
        await wait_until(lambda: _reopened(tailer, 1), "the FIFO opened for a next writer")
        assert tailer.statuses[0].status == "following"
        await _write_fifo(log, b"fifo-3\n")
        await wait_until(lambda: b"fifo-3" in run.got.lines(), "the second writer's line")
        await wait_until(lambda: _reopened(tailer, 2), "the FIFO opened again")
        # A file replaces the FIFO (that nobody writes to now): it is read.
        os.unlink(log)
        log.write_bytes(b"file-3\n")
        await wait_until(lambda: b"file-3" in run.got.lines(), "the file after the FIFO")
        with log.open("ab") as out:
            out.write(b"file-4\n")
        await wait_until(lambda: b"file-4" in run.got.lines(), "the file followed")
        status = tailer.statuses[0]
        assert status.status == "following"
        assert status.rotations == 2  # file -> FIFO -> file; a FIFO's writers are not
    assert run.got.lines() == [b"file-1", b"file-2", b"fifo-1", b"fifo-2", b"fifo-3",
                               b"file-3", b"file-4"]
