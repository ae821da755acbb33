"""Read log files once, to their end, into a ledger: `wftui check`'s reading.

A big regular file is read in parts, one process per core. Reading is bound by Python's
work per line, so one core reads at most ~0.6M lines/s; with the file cut at newlines
into one part per core, the first part is read here while forked children read the
others, each into a ledger of its own that folds nothing. Their ledgers come back
through a pipe in pickled pieces and are merged in file order as they arrive
(`wftui.core.ledger_merge`).

Every part is read from one descriptor opened before the cut, so a rotation during the
read changes nothing: the parts read the file as it was when `check` began. A file
truncated or rewritten meanwhile, or a reader that dies half-way through handing its
part over, makes the whole file be read again in one go; a reader that dies (or cannot
be started) before handing anything over costs time, never lines: its part is read
here. A big gzip file is decompressed first into a temporary file and read in parts
from there (`wftui.sources.unpack`: when there is room for it). Small files, several
files, other gzip files, pipes and stdin are read in one go.

Readers never outlive `check`: if it stops half-way (an error, SIGINT, a handler's
SystemExit) the readers still running are killed; if it is killed outright, Linux
kills them too (each asks for SIGKILL when its parent dies: PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import pickle
import signal
import stat
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from wftui.core.ledger import Ledger
from wftui.core.ledger_merge import export_pieces, merge_part, part_ledger
from wftui.core.spans import Prices
from wftui.sources.filereader import (
    CHUNK_BYTES,
    FINGERPRINT_BYTES,
    GZIP_MAGIC,
    MAX_LINE_BYTES,
    LineSplitter,
    LongLine,
)
from wftui.sources.files import FileTailer
from wftui.sources.filestatus import LONG_LINES_KEPT, FileStatus
from wftui.sources.otlp.files import LineRouter, is_otlp_file
from wftui.sources.unpack import unpack, worth_unpacking

# Below this many bytes per part, forking and merging cost more than they save.
MIN_PART_BYTES = 16 << 20
# A stream (stdin, a pipe) read once is cut off here with an error: it may never end.
STREAM_LIMIT_BYTES = 1 << 30
# A FIFO given by name whose writer has not come by then is said to have none (check
# and diff must neither hang on it nor call it empty); the monitor and watch wait on.
FIFO_WRITER_WAIT_S = 10.0


def read_once(paths: list[str], new_ledger: Callable[[], Ledger],
              prices: Prices | None = None) -> tuple[Ledger, list[dict[str, Any]]]:
    """Read every file to its end into a new ledger; the ledger and one status
    (`FileStatus.as_dict`) per file, in the order given. `prices` price the spans of
    OTLP JSON files (`[otlp.prices]`)."""
    ledger = new_ledger()
    # Parts hand back summaries, not lines: a ledger that keeps lines reads in one go.
    # An OTLP file's traces span its lines: it is read in one go, in order.
    if len(paths) == 1 and not ledger.keep_raw and not is_otlp_file(paths[0]):
        opened = _open_regular(paths[0])
        log_bytes = None  # a gzip log's size, unpacked (`sources.unpack`)
        if opened is not None and usable_cpus() > 1 and _is_gzip(opened):
            opened, log_bytes = _unpacked(opened)
        if opened is not None:
            try:
                parts = plan_parts(opened, usable_cpus())
                if parts is not None:
                    status = _read_in_parts(paths[0], opened, parts, ledger)
                    if log_bytes is not None:  # read once, as the tailer says of it
                        status.update(offset=log_bytes, status="ended")
                    return ledger, [status]
            except (PartLost, OSError):
                # Rare: the file changed or could not be read, or a reader died half-way.
                # The tailer reads it again and says what is wrong, if anything.
                ledger = new_ledger()
            finally:
                os.close(opened)
    return ledger, _read(paths, ledger, prices)


def _is_gzip(fd: int) -> bool:
    """Whether the open file starts with the gzip magic bytes."""
    return os.pread(fd, 2, 0) == GZIP_MAGIC


def _unpacked(fd: int) -> tuple[int | None, int | None]:
    """A big gzip log's descriptor swapped for its unpacked copy's, and the log's
    size (`sources.unpack`); as it was (the tailer reads it in one go) otherwise."""
    expected = worth_unpacking(fd)
    unpacked = unpack(fd, expected) if expected is not None else None
    if unpacked is None:
        return fd, None
    os.close(fd)
    return unpacked


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic collector off while parts are merged: merging makes hundreds of
    thousands of containers that hold no cycles, and the collector's passes over them
    (and over the ledger they join) took more than half of unpickling them (measured:
    0.19 s against 0.07 s for 42k summaries). Back to what it was after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def give_back_freed_memory() -> None:
    """Hand the memory freed after a big read back to the system (glibc only). The C
    allocator keeps freed blocks for reuse: after catching up on a 5M-line log the
    monitor held 28 MB it no longer used, and 39 MB more after judging the backlog."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL(None).malloc_trim(0)


# Blocks this big or bigger are mapped apart and unmapped when freed (glibc). By default
# the threshold moves up to the size of the biggest block freed, so the history's
# arrays (5 MB each on a 5M-line log), sorted into new ones while the old are freed, came
# from the heap and stayed there: the monitor peaked 14 MB higher while judging.
BIG_BLOCK_BYTES = 1 << 20
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)


def keep_big_blocks_apart() -> None:
    """Give big blocks back to the system as soon as they are freed (glibc only)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, BIG_BLOCK_BYTES)


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _open_regular(path: str) -> int | None:
    """A descriptor on `path` if it is a regular file (else None: the tailer reads it)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None  # never open a FIFO here: that would release its writer
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None  # the tailer says why
    if stat.S_ISREG(os.fstat(fd).st_mode):
        return fd
    os.close(fd)
    return None


def plan_parts(fd: int, cpus: int, min_part_bytes: int | None = None
               ) -> list[tuple[int, int]] | None:
    """Byte ranges (start, stop) of the open regular file, equal but cut just after
    newlines, or None to read it in one go."""
    min_bytes = MIN_PART_BYTES if min_part_bytes is None else min_part_bytes
    if cpus < 2 or not hasattr(os, "fork"):
        return None
    size = os.fstat(fd).st_size
    count = min(cpus, size // max(min_bytes, 1))
    if count < 2 or _is_gzip(fd):
        return None
    # Equal parts: the first one's process merges the others, but it merges each
    # piece while that part's process pickles the next (measured: best at 1:1).
    cuts = [0]
    for index in range(1, count):
        cut = line_start_after(fd, size * index // count, size)
        if cut is None or cut >= size:
            break
        if cut - cuts[-1] >= min_bytes // 2:  # a huge line can swallow a whole part
            cuts.append(cut)
    if len(cuts) < 2:
        return None
    return list(zip(cuts, [*cuts[1:], size], strict=True))


def line_start_after(fd: int, pos: int, size: int) -> int | None:
    """The offset just after the first newline at or after ``pos`` (None: there is none)."""
    while pos < size:
        data = os.pread(fd, CHUNK_BYTES, pos)
        if not data:
            return None
        found = data.find(b"\n")
        if found >= 0:
            return pos + found + 1
        pos += len(data)
    return None


def _read(paths: list[str], ledger: Ledger, prices: Prices | None = None
          ) -> list[dict[str, Any]]:
    tailer = FileTailer(paths, stream_limit=STREAM_LIMIT_BYTES,
                        writer_wait=FIFO_WRITER_WAIT_S)
    router = LineRouter(ledger, prices)  # OTLP JSON files are read as requests
    try:
        while batches := tailer.read_available():
            for batch in batches:
                router.ingest(batch.source, batch.first_lineno, batch.lines)
        for batch in tailer.flush_partial():
            router.ingest(batch.source, batch.first_lineno, batch.lines)
        router.finish()
        return [status.as_dict() for status in tailer.statuses]
    finally:
        tailer.close()


@dataclass
class PartRead:
    """What reading one part found: lines read (non-empty), over-long lines skipped,
    the number of its last line, and where reading stopped; and the first over-long
    lines skipped, (line number, bytes) each, to name them."""

    lines: int
    skipped_long_lines: int
    last_lineno: int
    offset: int
    long_lines: list[tuple[int, int]] = field(default_factory=list)

    def skipped(self, lines: list[LongLine]) -> None:
        """Count lines skipped as too long, naming the first `LONG_LINES_KEPT`."""
        self.skipped_long_lines += len(lines)
        room = LONG_LINES_KEPT - len(self.long_lines)
        self.long_lines += [(int(line), line.size) for line in lines[:max(room, 0)]]

    def shift(self, lines_before: int) -> None:
        """A reader numbered its lines from 1: number them as lines of the file."""
        self.last_lineno += lines_before
        self.long_lines = [(lineno + lines_before, size) for lineno, size in self.long_lines]


def _read_part(source: str, fd: int, part: tuple[int, int], lines_before: int,
               ledger: Ledger) -> PartRead:
    """Bytes start..stop of the open file into the ledger, as the tailer splits them
    (a part ends just after a newline, or at the end of the file)."""
    splitter = LineSplitter(MAX_LINE_BYTES, lines_before)
    position, stop = part
    read = PartRead(0, 0, 0, 0)
    lines = 0
    while position < stop:
        data = os.pread(fd, min(CHUNK_BYTES, stop - position), position)
        if not data:
            break  # shrank meanwhile: the caller sees it in the size
        position += len(data)
        runs, long_lines = splitter.feed(data)
        for first, batch in runs:
            ledger.ingest_lines(source, first, batch)
            lines += len(batch) - batch.count(b"")
        if long_lines:
            read.skipped(long_lines)
    lineno, last = splitter.finish()  # the file's unterminated last line
    if isinstance(lineno, LongLine):  # too long: skipped
        read.skipped([lineno])
    elif lineno is not None and last is not None:
        ledger.ingest_lines(source, lineno, [last])
        lines += 1 if last else 0
    read.lines, read.last_lineno, read.offset = lines, splitter.lineno, position
    return read


class PartLost(Exception):
    """The file changed while read in parts, or a reader ended half-way through its
    hand-over (the ledger holds half a part): read it all again, in one go."""


Child = tuple[int | None, int, tuple[int, int]]  # pid (None: not started), pipe, part


def _read_in_parts(path: str, fd: int, parts: list[tuple[int, int]], ledger: Ledger
                   ) -> dict[str, Any]:
    fingerprint = os.pread(fd, FINGERPRINT_BYTES, 0)
    size = parts[-1][1]
    children: list[Child] = []
    try:
        for part in parts[1:]:
            _start_child(path, fd, part, ledger, children)
        first = _read_part(path, fd, parts[0], 0, ledger)
        lines, skipped, lines_before = first.lines, first.skipped_long_lines, \
            first.last_lineno
        long_lines = first.long_lines
        while children:
            pid, readable, part = children[0]
            received = None
            if pid is not None:
                with os.fdopen(readable, "rb") as pipe:
                    children[0] = (pid, -1, part)  # closed by the `with`
                    received = _receive(pipe, ledger, lines_before)
                os.waitpid(pid, 0)
            children.pop(0)
            if received is None:  # never started, or died before its first piece
                read = _read_part(path, fd, part, lines_before, ledger)
            else:  # all of it merged: how the process ended no longer matters
                read = received
            lines += read.lines
            skipped += read.skipped_long_lines
            long_lines += read.long_lines
            lines_before = read.last_lineno
    finally:
        # Only after a failure or an interruption: the readers left are of no use.
        for pid, readable, _ in children:
            if readable >= 0:
                os.close(readable)
            if pid is not None:
                _kill(pid)
                os.waitpid(pid, 0)
    if os.fstat(fd).st_size < size or os.pread(fd, FINGERPRINT_BYTES, 0) != fingerprint:
        raise PartLost("the file was truncated or rewritten while read")
    status = FileStatus(name=path, path=os.path.realpath(path), lines=lines,
                        skipped_long_lines=skipped, long_lines=long_lines[:LONG_LINES_KEPT],
                        offset=size, status="following")
    return status.as_dict()


#: Signals held back while forking: delivered in the middle of os.fork's own
#: after-fork hooks, SystemExit (from `commands.signals`) is printed and swallowed there
#: ("Exception ignored in _releaseLock") instead of ending the command.
_HELD_DURING_FORK = {signal.SIGTERM, signal.SIGHUP, signal.SIGINT}


def fork_reader(started: Callable[[int], object] | None = None) -> int:
    """os.fork() with the ending signals held until it has returned (in both processes);
    a signal sent meanwhile is delivered right after, in plain Python code.

    `started(pid)` runs in the parent before the signals are let through: a reader the
    parent has not yet written down when the signal ends it would be left behind (seen
    when the reader was stopped before it could ask to die with its parent)."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD_DURING_FORK)
    try:
        pid = os.fork()
        if pid and started is not None:
            started(pid)
        return pid
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _start_child(path: str, fd: int, part: tuple[int, int], ledger: Ledger,
                 children: list[Child]) -> None:
    """Fork a reader for `part` and add it to `children`; (None, -1, part) when no
    process can be started (the part is then read here)."""
    try:
        readable, writable = os.pipe()
    except OSError:  # no descriptors left: this one reads the part itself
        children.append((None, -1, part))
        return
    parent = os.getpid()
    earlier = list(children)
    try:
        pid = fork_reader(lambda pid: children.append((pid, readable, part)))
    except OSError:  # no processes left: likewise
        os.close(readable)
        os.close(writable)
        children.append((None, -1, part))
        return
    if pid == 0:  # the child: read its part, hand it back, and leave at once
        try:
            _die_with(parent)
            os.close(readable)
            for _, other, _ in earlier:
                if other >= 0:
                    os.close(other)  # else the parent's reads of earlier pipes wait
            _child(path, fd, part, ledger, writable)
        finally:
            os._exit(1)  # never back into the parent's code, whatever happened
    os.close(writable)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # gone already (waitpid still reaps)
        os.kill(pid, signal.SIGKILL)


#: prctl(2) option: the signal this process gets when its parent dies (Linux).
_PR_SET_PDEATHSIG = 1


def _die_with(parent: int) -> None:
    """In a reader: be killed when `check` dies, even by SIGKILL (Linux only; elsewhere
    the parent's `finally` is all there is)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


def _receive(pipe: Any, ledger: Ledger, lines_before: int) -> PartRead | None:
    """Merge a part's pieces as they arrive; what its reader read, or None when nothing
    came. Raises PartLost when the pieces stop before the end."""
    received: dict[str, Any] = {}

    def pieces() -> Iterator[tuple[str, Any]]:
        while True:
            try:
                kind, value = pickle.load(pipe)
            except Exception as error:  # cut short: EOF or a torn piece
                if received:
                    raise PartLost(str(error)) from error
                return
            received["any"] = True
            if kind == "read":
                received["read"] = value
                return
            yield kind, value

    merge_part(ledger, pieces(), line_offset=lines_before)
    read: PartRead | None = received.get("read")
    if read is not None:  # its lines were numbered from 1
        read.shift(lines_before)
    return read


def _child(path: str, fd: int, part: tuple[int, int], ledger: Ledger,
           writable: int) -> None:
    code = 1
    try:
        mine = part_ledger(ledger)
        # Lines numbered from 1: the parent knows how many come before once it has
        # read them, and shifts them when merging (no counting pass here).
        read = _read_part(path, fd, part, 0, mine)
        with os.fdopen(writable, "wb") as pipe:
            for piece in export_pieces(mine):
                pickle.dump(piece, pipe, pickle.HIGHEST_PROTOCOL)
            pickle.dump(("read", read), pipe, pickle.HIGHEST_PROTOCOL)
        code = 0
    finally:
        os._exit(code)  # never back into the parent's code (no atexit, no flushes)
