"""The live monitor's first read of a big log: in parts, one process per core.

`wftui check` reads a big file in parts (`wftui.sources.split`) and keeps no raw lines;
the monitor keeps them for the step trees of the newest `retention` executions. Moving
those lines between processes costs more than reading them (pickling 400k lines and
their summaries took longer than reading half the file), so the read goes in two steps:

1. The parts are read as `check` reads them, summaries only: the first part straight
   into the monitor's ledger (lines counted, not kept), the later ones by forked
   readers whose summaries are merged in file order (`wftui.core.ledger_merge`). Each
   part notes where (to the chunk) every execution it saw began.
2. The ledger then knows which executions it retains; the file is read again from
   where the oldest of them began, and their lines, only theirs, are kept. That is
   the newest part of the file, and a read with no more per line than finding its
   execution_id.

The read stops at the last newline present when it began (a line being written is left
to the tailer); the tailer then carries on from there, numbering lines on. Progress
(bytes and lines read of the total, readers included) is counted in a shared page the
readers write into. If a reader dies half-way, or the file is truncated or rewritten
meanwhile, the catch-up gives up and the caller starts again from a fresh ledger with
the plain tailer (slower, never wrong).
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import mmap
import os
import pickle
import signal
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice
from typing import Any

from wftui.core.execution import MAX_RAW_LINES, NO_LINES, trim_raw
from wftui.core.ledger import Ledger
from wftui.core.ledger_merge import PartMerge, export_pieces, part_ledger
from wftui.core.parse import LogEvent, check_event, decode_event, event_from, read_line
from wftui.sources.filereader import CHUNK_BYTES, FINGERPRINT_BYTES, MAX_LINE_BYTES, LineSplitter
from wftui.sources.files import FileTailer
from wftui.sources.filestatus import FileSource
from wftui.sources.split import PartRead, plan_parts, usable_cpus

_COUNTER = struct.Struct("<qq")  # bytes read, lines read: one slot per reader
# The smallest part worth a process (None: `split`'s, as for `check`).
MIN_PART_BYTES: int | None = None
# The biggest part: a reader holds its part's summaries until the monitor has merged
# every part before it, so a big file is cut in more parts than there are cores, and
# no more readers than cores run at once (a 5M-line log: 8 parts, 2 at a time).
MAX_PART_BYTES = 128 << 20


@dataclass
class CatchUpPlan:
    """What the catch-up reads: the tailer's one file, bytes 0..stop in parts, by at
    most `readers` processes at once."""

    name: str
    fd: int
    stop: int
    parts: list[tuple[int, int]]
    readers: int = 2


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
        self._shared = mmap.mmap(-1, max(_COUNTER.size * slots, 1))
        self._slots = slots
        return self._shared

    def read(self) -> tuple[int, int]:
        """(bytes, lines) read so far, by every reader."""
        read_bytes, lines = self._own
        shared = self._shared
        if shared is not None:
            for slot in range(self._slots):
                more_bytes, more_lines = _COUNTER.unpack_from(shared, slot * _COUNTER.size)
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


def _sources(tailer: FileTailer) -> list[FileSource]:
    """The tailer's sources. They are its own business; the catch-up reads the one
    file's handle (and hands its position back) before following begins, while no
    other thread touches the tailer."""
    return tailer._sources


def plan_catch_up(tailer: FileTailer) -> CatchUpPlan | None:
    """Parts to read, when the tailer follows one big regular file from its start."""
    sources = _sources(tailer)
    if len(sources) != 1:
        return None
    source = sources[0]
    handle = source.handle
    if handle is None or handle.kind != "file" or handle.offset != 0:
        return None
    stop = _after_last_newline(handle.fd, handle.size())
    cpus = usable_cpus()
    wanted = max(cpus, -(-handle.size() // MAX_PART_BYTES)) if cpus > 1 else cpus
    parts = plan_parts(handle.fd, wanted, MIN_PART_BYTES)
    if parts is None or stop <= 0:
        return None
    parts = [(start, min(end, stop)) for start, end in parts if start < stop]
    if len(parts) < 2:
        return None
    return CatchUpPlan(source.status.name, handle.fd, stop, parts, max(cpus, 2))


def _after_last_newline(fd: int, size: int) -> int:
    position = size
    while position > 0:
        start = max(0, position - CHUNK_BYTES)
        found = os.pread(fd, position - start, start).rfind(b"\n")
        if found >= 0:
            return start + found + 1
        position = start
    return 0


class CatchUpLost(Exception):
    """The file changed while read in parts, or a reader ended half-way: read it again."""


def catch_up(plan: CatchUpPlan, tailer: FileTailer, ledger: Ledger, lock: threading.Lock,
             progress: Progress, stop: threading.Event,
             notify: Callable[[], None] = lambda: None) -> bool:
    """Read the plan's parts into `ledger` (under `lock`, a batch at a time), keep the
    lines of the executions it retains, and move the tailer to where the parts end.
    False when stopped; raises CatchUpLost."""
    fd, name = plan.fd, plan.name
    fingerprint = os.pread(fd, FINGERPRINT_BYTES, 0)
    # Every part is read by a forked reader: this process only merges their summaries,
    # so the screen (which shares this process's one interpreter lock) stays lively.
    shared = progress.share(len(plan.parts))
    children: list[Child] = []
    with lock:
        ledger.keep_raw = False  # step 1 counts lines; step 2 keeps the retained ones'
    firsts = FirstSeen(ledger)
    lines = lines_before = 0
    try:
        def start_reader(index: int) -> None:
            """Start the reader of part `index` (in slot `index`: its progress)."""
            child = _start_reader(name, fd, plan.parts[index], ledger, shared, index,
                                  children)
            children.append(child)
            if child[0] is not None:
                progress.readers.add(child[0])

        for index in range(min(plan.readers, len(plan.parts))):
            start_reader(index)
        if stop.is_set():  # stopped while starting them
            progress.end_readers()

        def ingest(first: int, batch: list[bytes]) -> None:
            with lock:
                ledger.ingest_lines(name, first, batch)
            notify()

        def count(read_bytes: int, lines: int, chunk_start: int) -> None:
            progress.add(read_bytes, lines)
            firsts.note(chunk_start)

        for index, part in enumerate(plan.parts):
            pid, readable = children[index]
            received = None
            if pid is not None:
                try:
                    received = _receive(readable, ledger, lock, lines_before,
                                        firsts.offsets, stop, notify)
                finally:
                    os.close(readable)
                    children[index] = (pid, -1)
                os.waitpid(pid, 0)
                progress.readers.discard(pid)
                children[index] = (None, -1)
            if stop.is_set():
                return False
            if index + plan.readers < len(plan.parts):
                start_reader(index + plan.readers)  # the next wave, a part at a time
            if received is None:  # never started, or died before its first piece
                firsts._seq = ledger._seq
                received = _read_part(fd, part, lines_before, ingest, count, stop)
                if received is None:
                    return False
            lines += received.lines
            lines_before = received.last_lineno
            # Only where retained executions began matters (step 2 starts at the
            # oldest): the others' offsets would cost ~100 bytes per execution of the log.
            with lock:
                retained = ledger.executions
                firsts.offsets = {execution_id: offset for execution_id, offset
                                  in firsts.offsets.items() if execution_id in retained}
    finally:
        for pid, readable in children:
            if readable >= 0:
                os.close(readable)
            if pid is not None:
                with contextlib.suppress(OSError):  # stopped early: its part is not wanted
                    os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                progress.readers.discard(pid)
    offsets = firsts.offsets
    start = min((offsets.get(execution_id, 0) for execution_id in ledger.executions),
                default=plan.stop)
    if not keep_lines(fd, start, plan.stop, ledger, lock, stop):
        return False
    if os.fstat(fd).st_size < plan.stop or os.pread(fd, FINGERPRINT_BYTES, 0) != fingerprint:
        raise CatchUpLost("the file was truncated or rewritten while read")
    _hand_over(tailer, plan, lines, lines_before)
    return True


def _hand_over(tailer: FileTailer, plan: CatchUpPlan, lines: int, last_lineno: int) -> None:
    """The tailer carries on where the parts ended, numbering lines on."""
    source = _sources(tailer)[0]
    handle = source.handle
    assert handle is not None
    handle.offset = plan.stop
    handle.fingerprint = os.pread(plan.fd, min(plan.stop, FINGERPRINT_BYTES), 0)
    handle.splitter = LineSplitter(tailer.max_line_bytes, last_lineno)
    source.status.offset = plan.stop
    source.status.lines += lines


def _read_part(fd: int, part: tuple[int, int], lines_before: int,
               ingest: Callable[[int, list[bytes]], None],
               count: Callable[[int, int, int], None],
               stop: threading.Event | None) -> PartRead | None:
    """Bytes start..stop (ending just after a newline) into `ingest`; None if stopped."""
    splitter = LineSplitter(MAX_LINE_BYTES, lines_before)
    position, end = part
    lines = skipped = 0
    while position < end:
        if stop is not None and stop.is_set():
            return None
        data = os.pread(fd, min(CHUNK_BYTES, end - position), position)
        if not data:
            break  # shrank meanwhile: the caller sees it in the size
        chunk_start = position
        position += len(data)
        runs, long_lines = splitter.feed(data)
        got = 0
        for first, batch in runs:
            ingest(first, batch)
            got += len(batch) - batch.count(b"")
        lines += got
        skipped += len(long_lines)
        count(len(data), got, chunk_start)
    return PartRead(lines, skipped, splitter.lineno, position)


Child = tuple[int | None, int]  # pid (None: not started or reaped), readable pipe end


def _start_reader(name: str, fd: int, part: tuple[int, int], ledger: Ledger,
                  shared: mmap.mmap, slot: int, children: list[Child]) -> Child:
    try:
        readable, writable = os.pipe()
    except OSError:
        return None, -1
    try:
        pid = os.fork()
    except OSError:
        os.close(readable)
        os.close(writable)
        return None, -1
    _widen(readable)
    if pid == 0:  # the reader: never back into the parent's code, whatever happens
        code = 1
        try:
            os.close(readable)
            for _, other in children:
                if other >= 0:
                    os.close(other)
            _reader(name, fd, part, ledger, writable, shared, slot)
            code = 0
        finally:
            os._exit(code)
    os.close(writable)
    return pid, readable


class FirstSeen:
    """Where (the chunk's offset) each execution's first event was read."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.offsets: dict[str, int] = {}
        self._seq = ledger._seq

    def note(self, chunk_start: int) -> None:
        """After a chunk: the executions begun since are at the end of the ledger's."""
        new = self.ledger._seq - self._seq
        if new <= 0:
            return
        self._seq = self.ledger._seq
        offsets = self.offsets
        for execution_id in islice(reversed(self.ledger.executions), new):
            offsets.setdefault(execution_id, chunk_start)


def _reader(name: str, fd: int, part: tuple[int, int], ledger: Ledger, writable: int,
            shared: mmap.mmap, slot: int) -> None:
    # The collector would walk (and so copy, page by page) every object inherited from
    # the monitor; this reader's own objects hold no cycles worth collecting.
    gc.disable()
    gc.freeze()
    mine = part_ledger(ledger)
    firsts = FirstSeen(mine)
    totals = [0, 0]

    def count(read_bytes: int, lines: int, chunk_start: int) -> None:
        totals[0] += read_bytes
        totals[1] += lines
        _COUNTER.pack_into(shared, slot * _COUNTER.size, totals[0], totals[1])
        firsts.note(chunk_start)

    def ingest(first: int, batch: list[bytes]) -> None:
        mine.ingest_lines(name, first, batch)

    read = _read_part(fd, part, 0, ingest, count, None)
    with os.fdopen(writable, "wb", buffering=PIPE_BYTES) as pipe:
        for piece in export_pieces(mine):
            _send(pipe, piece)
        _send(pipe, ("firsts", firsts.offsets))
        _send(pipe, ("read", read))


# Pieces cross the pipe as one length and one pickle each, read in big gulps: a reader
# thread that waits on many small reads of a pipe queues up behind the screen's thread
# for the interpreter lock at every one of them (measured: a 4 s catch-up took 16 s).
PIPE_BYTES = 1 << 20
_LENGTH = struct.Struct("<Q")


def _send(pipe: Any, piece: tuple[str, Any]) -> None:
    data = pickle.dumps(piece, pickle.HIGHEST_PROTOCOL)
    pipe.write(_LENGTH.pack(len(data)))
    pipe.write(data)


def _widen(readable: int) -> None:
    with contextlib.suppress(OSError, AttributeError):  # Linux only, and capped by the
        fcntl.fcntl(readable, fcntl.F_SETPIPE_SZ, PIPE_BYTES)  # system: a nicety


def _next_piece(pipe: int) -> tuple[str, Any]:
    """One piece from the pipe (EOFError when it ends, even half-way)."""
    length = _LENGTH.unpack(_read_exactly(pipe, _LENGTH.size))[0]
    return pickle.loads(_read_exactly(pipe, length))


def _read_exactly(pipe: int, size: int) -> bytearray:
    buffer = bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        count = os.readv(pipe, [view[got:got + PIPE_BYTES]])
        if count == 0:
            raise EOFError("the reader's pipe ended")
        got += count
    return buffer


def _receive(pipe: int, ledger: Ledger, lock: threading.Lock, lines_before: int,
             firsts: dict[str, int], stop: threading.Event,
             notify: Callable[[], None]) -> PartRead | None:
    """Merge a reader's pieces as they arrive; what it read, or None when nothing came.
    Raises CatchUpLost when the pieces stop before the end."""
    merge: PartMerge | None = None
    got_any = False
    while not stop.is_set():
        try:
            kind, value = _next_piece(pipe)
        except Exception as error:  # cut short: EOF or a torn piece
            if got_any:
                raise CatchUpLost(str(error)) from error
            return None
        got_any = True
        if kind == "read":
            read: PartRead = value
            read.last_lineno += lines_before
            return read
        if kind == "firsts":
            for execution_id, offset in value.items():
                firsts.setdefault(execution_id, offset)  # an earlier part saw it first
            continue
        with lock:
            if kind == "head":
                merge = PartMerge(ledger, value, lines_before)
            elif merge is None:
                raise CatchUpLost("a reader's pieces did not start with its head")
            elif kind == "executions":
                merge.executions(value)
            else:
                merge.finish(value)
        notify()
    return None


def keep_lines(fd: int, start: int, stop: int, ledger: Ledger, lock: threading.Lock,
               stop_reading: threading.Event) -> bool:
    """Bytes start..stop read again: the lines of the executions the ledger retains
    are kept for their step trees (from now on the ledger keeps lines as it reads).
    False when stopped."""
    with lock:
        retained = ledger.executions
        for kept in retained.values():
            if kept.raw is NO_LINES:
                kept.raw = []
        ledger.keep_raw = True
    splitter = LineSplitter(MAX_LINE_BYTES)
    decode = decode_event
    position = start
    while position < stop:
        if stop_reading.is_set():
            return False
        data = os.pread(fd, min(CHUNK_BYTES, stop - position), position)
        if not data:
            break
        position += len(data)
        runs, _ = splitter.feed(data)
        with lock:
            for _, lines in runs:
                for raw in lines:
                    event: LogEvent | None
                    try:
                        event = decode(raw)
                        execution_id = event.execution_id
                    except Exception:  # the tolerant path, as the ledger reads it
                        event, execution_id = _read_tolerantly(raw)
                    execution = retained.get(execution_id) if execution_id else None
                    if execution is None:
                        continue
                    raw_lines = execution.raw
                    assert isinstance(raw_lines, list)
                    if event is not None and event.timestamp is None:
                        if execution.read_times is None:
                            execution.read_times = {}
                        execution.read_times[len(raw_lines)] = time.time()
                    raw_lines.append(raw)
                    execution.raw_dropped -= 1  # counted when read without its line
                    if len(raw_lines) > MAX_RAW_LINES:
                        trim_raw(execution)
    return True


def _read_tolerantly(raw: bytes) -> tuple[LogEvent | None, str | None]:
    read, value, _ = read_line(raw)
    if not read:
        return None, None
    if type(value) is not LogEvent:
        if check_event(value) is not None:
            return None, None
        value = event_from(value)
    return value, value.execution_id


def backlog_bytes(tailer: FileTailer) -> int | None:
    """Bytes there are to read now in the tailer's files (None when a stream is read:
    stdin and pipes have no backlog to measure, and reading them waits for their end)."""
    total = 0
    for source in _sources(tailer):
        if source.ended:
            continue
        handle = source.handle
        if source.is_stdin or (handle is not None and handle.kind == "stream"):
            return None
        if handle is not None and handle.kind == "file":
            total += max(handle.size() - handle.offset, 0)
        elif handle is not None and handle.kind == "gzip":
            total += os.fstat(handle.fd).st_size  # compressed bytes: a rough measure
    return total


def read_backlog(tailer: FileTailer, ledger: Ledger, lock: threading.Lock,
                 progress: Progress, stop: threading.Event,
                 ingest: Callable[[Any], None], reset: Callable[[], Ledger],
                 notify: Callable[[], None]) -> None:
    """Read what the files hold now: one big file in parts, else the tailer in one go.

    `ingest` takes the tailer's batches (the one-go read); `reset` swaps in a fresh
    ledger when a read in parts had to be given up; `notify` says something was read.
    """
    plan = plan_catch_up(tailer)
    if plan is not None:
        try:
            if not catch_up(plan, tailer, ledger, lock, progress, stop, notify):
                return
            progress.finish()
            return
        except (CatchUpLost, OSError):
            if stop.is_set():
                return  # its readers were ended by the stop
            reset()  # the tailer has not moved: it reads the file again from its start
            progress.restart()
    while not stop.is_set():
        batches = tailer.read_available()
        if not batches:
            break
        for batch in batches:
            ingest(batch)
        progress.set_own(sum(status.offset for status in tailer.statuses),
                         sum(status.lines for status in tailer.statuses))
    if not stop.is_set():
        progress.finish()
