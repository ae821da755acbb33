"""How far the monitor's first read of its files has got: bytes and lines read of the
total (forked readers count into a shared page), the rate and the time left."""

from __future__ import annotations

import contextlib
import mmap
import os
import signal
import time
from typing import Any

from wftui.sources.catchup_readers import COUNTER


class Progress:
    """How far the first read of the files has got (written by the reader, read by all).

    `total_bytes` is what there was to read when the monitor started; figures computed
    before `done` are partial.
    """

    def __init__(self, total_bytes: int) -> None:
        self.total_bytes = total_bytes
        self.started = time.monotonic()
        self.finished: float | None = None
        self._own = [0, 0]  # bytes, lines read by this process
        # The forked readers at work: a stop ends them at once (else the monitor's
        # reading thread, and so the app's exit, would wait for them to finish).
        self.readers: set[int] = set()
        self._shared: mmap.mmap | None = None
        self._slots = 0

    @property
    def done(self) -> bool:
        """The whole backlog has been read."""
        return self.finished is not None

    def add(self, read_bytes: int, lines: int) -> None:
        self._own[0] += read_bytes
        self._own[1] += lines

    def share(self, slots: int) -> mmap.mmap:
        """A page the forked readers count into (one slot each)."""
        self._shared = mmap.mmap(-1, max(COUNTER.size * slots, 1))
        self._slots = slots
        return self._shared

    def read(self) -> tuple[int, int]:
        """(bytes, lines) read so far, by every reader."""
        read_bytes, lines = self._own
        shared = self._shared
        if shared is not None:
            for slot in range(self._slots):
                more_bytes, more_lines = COUNTER.unpack_from(shared, slot * COUNTER.size)
                read_bytes += more_bytes
                lines += more_lines
        return min(read_bytes, self.total_bytes), lines

    def set_own(self, read_bytes: int, lines: int) -> None:
        self._own = [read_bytes, lines]

    def restart(self) -> None:
        """Reading starts again from the beginning (a read in parts was given up)."""
        self._own = [0, 0]
        self._shared = None

    def end_readers(self) -> None:
        """Stop the forked readers now (the monitor is stopping)."""
        for pid in list(self.readers):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    def finish(self) -> None:
        self.finished = time.monotonic()
        self._own = [self.total_bytes, self.read()[1]]
        self._shared = None

    def as_dict(self) -> dict[str, Any]:
        """Read bytes and lines, the estimated total of lines, rate and time left."""
        read_bytes, lines = self.read()
        total = self.total_bytes
        elapsed = (self.finished or time.monotonic()) - self.started
        fraction = read_bytes / total if total else 1.0
        if self.done:
            fraction = 1.0
        estimate = round(lines / fraction) if fraction > 0 and lines else None
        rate = lines / elapsed if elapsed > 0 else None
        left = None
        if not self.done and fraction > 0.02 and elapsed > 0:
            left = elapsed * (1.0 - fraction) / fraction
        return {"read_bytes": read_bytes, "total_bytes": total, "fraction": fraction,
                "lines": lines, "lines_estimate": estimate, "lines_per_s": rate,
                "seconds_left": left, "done": self.done, "elapsed_s": elapsed}
