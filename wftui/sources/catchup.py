"""The live monitor's first read of a big log: in parts, one process per core.

`wftui check` reads a big file in parts (`wftui.sources.split`) and keeps no raw lines;
the monitor keeps them for the step trees of the newest `retention` executions. Moving
those lines between processes costs more than reading them (pickling 400k lines and
their summaries took longer than reading half the file), so the read goes in two steps:

1. The parts are read as `check` reads them, summaries only, every one by a forked
   reader (this process, whose interpreter lock the screen shares, only merges their
   summaries, in file order: `wftui.core.ledger_merge`). Each part notes where (to
   the chunk) every execution it saw began.
2. The ledger then knows which executions it retains; the file is read again from
   where the oldest of them began, and their lines, only theirs, are kept. That is
   the newest part of the file, and a read that decodes of each line no more than
   whose it is (`wftui.sources.catchup_lines`); a big one is cut in two, a forked
   helper saying whose each line of the newer half is. Only step trees need those
   lines, not one figure: the second read is handed back (`LinesToKeep`) to be done
   once the whole log is on screen (a third of a second on a 1M-line log, which the
   first whole screen no longer waits for); what reads the lines waits for it.

The read stops at the last newline present when it began (a line being written is left
to the tailer); the tailer then carries on from there, numbering lines on. Progress
(bytes and lines read of the total, readers included) is counted in a shared page the
readers write into. If a reader dies half-way, or the file is truncated or rewritten
meanwhile, the catch-up gives up and the caller starts again from a fresh ledger with
the plain tailer (slower, never wrong).
"""

from __future__ import annotations

import contextlib
import gc
import mmap
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wftui.core.ledger import Ledger
from wftui.core.ledger_merge import PartMerge
from wftui.sources.catchup_lines import forget_lines, keep_lines
from wftui.sources.catchup_readers import (
    CatchUpLost,
    Child,
    FirstSeen,
    next_piece,
    read_part,
    start_reader,
)
from wftui.sources.filereader import (
    CHUNK_BYTES,
    FINGERPRINT_BYTES,
    LineSplitter,
    head_looks_like_otlp,
)
from wftui.sources.files import FileTailer
from wftui.sources.filestatus import FileSource, FileStatus
from wftui.sources.otlp.files import SNIFF_BYTES
from wftui.sources.progress import Progress
from wftui.sources.split import (
    PartRead,
    collector_paused,
    give_back_freed_memory,
    plan_parts,
    usable_cpus,
)
from wftui.sources.unpack import Unpacking, worth_unpacking

__all__ = ["CatchUpLost", "CatchUpPlan", "LinesToKeep", "Progress", "backlog_bytes",
           "catch_up", "end_early", "keep_lines", "plan_catch_up", "read_backlog",
           "start_early"]

# The smallest part worth a process (None: `split`'s, as for `check`).
MIN_PART_BYTES: int | None = None
# The biggest part: a reader holds its part's summaries until the monitor has merged
# every part before it, so a big file is cut in more parts than there are cores, and
# no more readers than cores read at once (a 5M-line log: 40 parts, 2 at a time).
# Small parts keep every core busy: the next reader starts as soon as one has read its
# part, while this process merges it, and only the last part's merge waits at the end
# (a 1M-line log in 3 parts left one core idle for a third of the read).
MAX_PART_BYTES = 24 << 20


@dataclass
class CatchUpPlan:
    """What the catch-up reads: the tailer's one file, bytes 0..stop in parts, by at
    most `readers` processes at once."""

    name: str
    fd: int
    stop: int
    parts: list[tuple[int, int]]
    readers: int = 2
    # The first parts' readers when started ahead of the catch-up (`start_early`),
    # and the page they count their progress into.
    early: list[Child] = field(default_factory=list)
    shared: mmap.mmap | None = None
    # A gzip log: decompressed first into a temporary file (`sources.unpack`), whose
    # descriptor `fd` is then (the plan's own, closed by `close`), its parts planned
    # once it is there. `log_bytes`: the log's size (the file may have a newline more).
    unpacking: Unpacking | None = None
    log_bytes: int | None = None

    def close(self) -> None:
        """A gzip log's unpacked copy is let go (readers and `LinesToKeep` hold
        descriptors of their own)."""
        if self.unpacking is not None:
            self.unpacking.cancel()
            if self.fd >= 0:
                os.close(self.fd)
                self.fd = -1


# Readers started early give way to the first screen's drawing (one core's worth).
EARLY_NICE = 10


def start_early(plan: CatchUpPlan, ledger: Ledger, progress: Progress) -> None:
    """Fork the first parts' readers now, before the catch-up itself starts (`catch_up`
    takes them on): the TUI does so before it draws its first screen, which keeps
    one core busy and leaves the other idle (a fifth of a second)."""
    if plan.unpacking is not None:  # a gzip log: its parts come once it is unpacked
        plan.unpacking.start()
        return
    plan.shared = progress.share(len(plan.parts))
    for index in range(min(plan.readers, len(plan.parts))):
        child = start_reader(plan.name, plan.fd, plan.parts[index], ledger, plan.shared,
                             index, plan.early, EARLY_NICE)
        plan.early.append(child)
        if child[0] is not None:
            progress.readers.add(child[0])


def end_early(plan: CatchUpPlan, progress: Progress) -> None:
    """Readers started early that no catch-up took on (it never began): ended."""
    early, plan.early = plan.early, []
    _end_readers(early, progress)
    plan.close()


def _end_readers(children: list[Child], progress: Progress) -> None:
    """Readers still there (stopped early, or never taken on): their pipes closed,
    killed and reaped; reaped readers (pid None) are left as they are."""
    for pid, readable in children:
        if readable >= 0:
            os.close(readable)
        if pid is not None:
            with contextlib.suppress(OSError):  # gone already: waitpid still reaps
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            progress.readers.discard(pid)  # reaped: its pid may be another's soon


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
    if handle is None or handle.offset != 0:
        return None
    cpus = usable_cpus()
    if handle.kind == "gzip" and cpus > 1:
        expected = worth_unpacking(handle.fd)
        if expected is None:
            return None
        return CatchUpPlan(source.status.name, -1, 0, [], max(cpus, 2),
                           unpacking=Unpacking(handle.fd, expected))
    if handle.kind != "file":
        return None
    if _is_otlp(handle.fd):
        return None  # OTLP requests, one a line: read by the request reader, in one go
    stop = _after_last_newline(handle.fd, handle.size())
    parts = _parts(handle.fd, stop, cpus)
    if parts is None:
        return None
    return CatchUpPlan(source.status.name, handle.fd, stop, parts, max(cpus, 2))


def _parts(fd: int, stop: int, cpus: int) -> list[tuple[int, int]] | None:
    """Bytes 0..stop of the file in parts (None: not worth it)."""
    size = os.fstat(fd).st_size
    wanted = max(cpus, -(-size // MAX_PART_BYTES)) if cpus > 1 else cpus
    parts = plan_parts(fd, wanted, MIN_PART_BYTES)
    if parts is None or stop <= 0:
        return None
    parts = [(start, min(end, stop)) for start, end in parts if start < stop]
    return parts if len(parts) >= 2 else None


def _unpacked(plan: CatchUpPlan, progress: Progress, stop: threading.Event) -> None:
    """A gzip log's plan completed once it is unpacked: its descriptor and parts, and
    the progress counted against its size; raises CatchUpLost when it cannot be read
    in parts (the tailer reads the gzip file in one go, and says why if it is bad)."""
    assert plan.unpacking is not None
    unpacked = plan.unpacking.result(stop)
    if unpacked is None:
        raise CatchUpLost("the gzip log could not be unpacked")
    plan.fd, plan.log_bytes = unpacked
    plan.stop = os.fstat(plan.fd).st_size
    parts = None if _is_otlp(plan.fd) else _parts(plan.fd, plan.stop, usable_cpus())
    if parts is None:
        raise CatchUpLost("the gzip log is not one to read in parts")
    plan.parts = parts
    progress.total_bytes = plan.stop


def _is_otlp(fd: int) -> bool:
    """Whether the file's first lines are OTLP JSON requests (the Collector's file
    exporter): the parts' readers read log lines, and would find none in it."""
    head = os.pread(fd, SNIFF_BYTES, 0)
    return head_looks_like_otlp(head, whole=len(head) < SNIFF_BYTES)


def _after_last_newline(fd: int, size: int) -> int:
    position = size
    while position > 0:
        start = max(0, position - CHUNK_BYTES)
        found = os.pread(fd, position - start, start).rfind(b"\n")
        if found >= 0:
            return start + found + 1
        position = start
    return 0


@dataclass
class LinesToKeep:
    """The catch-up's second read, not done yet: the lines of the executions the ledger
    retains are in bytes start..stop of the file (`fd`: a handle of its own, which
    `keep` closes)."""

    fd: int
    start: int
    stop: int
    fingerprint: bytes

    def keep(self, ledger: Ledger, lock: threading.Lock, stop: threading.Event) -> bool:
        """Keep them (from now on the ledger keeps lines as it reads). False when
        stopped. If the file was rewritten meanwhile, what was read is not its lines:
        none are kept (the tailer reads the new file as a new one)."""
        try:
            with collector_paused():  # 400k lines in 50k lists: nothing to collect
                if not keep_lines(self.fd, self.start, self.stop, ledger, lock, stop):
                    return False
            if os.pread(self.fd, FINGERPRINT_BYTES, 0) != self.fingerprint:
                forget_lines(ledger, lock)
        except (CatchUpLost, OSError):
            # The figures stand (the first read is done); only the lines are lost.
            forget_lines(ledger, lock)
            with lock:
                ledger.keep_raw = ledger.kept.keep_raw = True
        finally:
            self.close()
        return True

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def catch_up(plan: CatchUpPlan, tailer: FileTailer, ledger: Ledger, lock: threading.Lock,
             progress: Progress, stop: threading.Event,
             notify: Callable[[], None] = lambda: None) -> LinesToKeep | None:
    """Read the plan's parts into `ledger` (under `lock`, a batch at a time) and move
    the tailer to where the parts end. The lines of the executions the ledger retains
    are left to the caller (`LinesToKeep.keep`). None when stopped; raises
    CatchUpLost."""
    if plan.unpacking is not None and plan.fd < 0:
        _unpacked(plan, progress, stop)
    fd, name = plan.fd, plan.name
    fingerprint = os.pread(fd, FINGERPRINT_BYTES, 0)
    # Every part is read by a forked reader: this process only merges their summaries,
    # so the screen (which shares this process's one interpreter lock) stays lively.
    shared = plan.shared if plan.shared is not None else progress.share(len(plan.parts))
    children, plan.early = plan.early, []  # readers started early are this one's now
    with lock:
        ledger.keep_raw = ledger.kept.keep_raw = False  # step 1 counts lines; 2 keeps some
    firsts = FirstSeen(ledger)
    lines = lines_before = 0
    skipped = PartRead(0, 0, 0, 0)  # the lines skipped as too long, of every part
    try:
        def start_next(index: int) -> None:
            """Start the reader of part `index` (in slot `index`: its progress)."""
            child = start_reader(name, fd, plan.parts[index], ledger, shared, index,
                                  children)
            children.append(child)
            if child[0] is not None:
                progress.readers.add(child[0])

        for index in range(len(children), min(plan.readers, len(plan.parts))):
            start_next(index)
        if stop.is_set():  # stopped while starting them
            progress.end_readers()

        def ingest(first: int, batch: list[bytes]) -> None:
            with lock:
                ledger.ingest_lines(name, first, batch)
            notify()

        def count(read_bytes: int, lines: int, chunk_start: int) -> None:
            progress.add(read_bytes, lines)
            firsts.note(chunk_start)

        started = min(plan.readers, len(plan.parts))

        def start_more() -> None:
            """A reader has read its part (its pieces come): the next one starts now,
            not once they are merged, so the cores read while this process merges."""
            nonlocal started
            if started < len(plan.parts) and not stop.is_set():
                start_next(started)
                started += 1

        for index, part in enumerate(plan.parts):
            pid, readable = children[index]
            received = None
            if pid is not None:
                try:
                    received = _receive(readable, ledger, lock, lines_before,
                                        firsts.offsets, stop, notify, start_more)
                finally:
                    os.close(readable)
                    children[index] = (pid, -1)
                os.waitpid(pid, 0)
                progress.readers.discard(pid)
                children[index] = (None, -1)
            if stop.is_set():
                return None
            while (started < min(index + 1 + plan.readers, len(plan.parts))
                   and not stop.is_set()):
                start_more()  # its reader never started, or died before its pieces
            if received is None:  # never started, or died before its first piece
                firsts._seq = ledger.kept._seq
                received = read_part(fd, part, lines_before, ingest, count, stop)
                if received is None:
                    return None
            lines += received.lines
            skipped.skipped_long_lines += received.skipped_long_lines
            skipped.long_lines += received.long_lines
            lines_before = received.last_lineno
            # Only where retained executions began matters (step 2 starts at the
            # oldest): the others' offsets would cost ~100 bytes per execution of the log,
            # so they are dropped whenever they outnumber the retained ones.
            with lock:
                retained = ledger.executions
                if len(firsts.offsets) > 2 * len(retained):
                    firsts.offsets = {execution_id: offset for execution_id, offset
                                      in firsts.offsets.items() if execution_id in retained}
    finally:
        _end_readers(children, progress)  # stopped early: their parts are not wanted
    offsets = firsts.offsets
    start = min((offsets.get(execution_id, 0) for execution_id in ledger.executions),
                default=plan.stop)
    if os.fstat(fd).st_size < plan.stop or os.pread(fd, FINGERPRINT_BYTES, 0) != fingerprint:
        raise CatchUpLost("the file was truncated or rewritten while read")
    # Its own handle: the tailer may close or replace its own once it follows.
    later = LinesToKeep(os.dup(fd), start, plan.stop, fingerprint)
    _hand_over(tailer, plan, lines, lines_before, skipped)
    return later


def _hand_over(tailer: FileTailer, plan: CatchUpPlan, lines: int, last_lineno: int,
               skipped: PartRead) -> None:
    """The tailer carries on where the parts ended, numbering lines on; its status
    counts (and names) the lines the parts skipped as too long, as its own reading
    would have."""
    source = _sources(tailer)[0]
    handle = source.handle
    assert handle is not None
    if plan.unpacking is not None:  # a gzip log, read whole: it ends, as the tailer's
        status = source.status     # own read of it would have (`FileTailer._read_step`)
        status.offset = plan.log_bytes if plan.log_bytes is not None else plan.stop
        _count(status, lines, skipped, tailer.max_line_bytes)
        tailer.end_source(source, [], "compressed file read to its end")
        return
    handle.offset = plan.stop
    handle.fingerprint = os.pread(plan.fd, min(plan.stop, FINGERPRINT_BYTES), 0)
    handle.splitter = LineSplitter(tailer.max_line_bytes, last_lineno)
    status = source.status
    status.offset = plan.stop
    _count(status, lines, skipped, tailer.max_line_bytes)


def _count(status: FileStatus, lines: int, skipped: PartRead, max_line_bytes: int) -> None:
    status.lines += lines
    for lineno, size in skipped.long_lines:
        status.skipped_long(lineno, size, max_line_bytes)
    status.skipped_long_lines += skipped.skipped_long_lines - len(skipped.long_lines)


def _receive(pipe: int, ledger: Ledger, lock: threading.Lock, lines_before: int,
             firsts: dict[str, int], stop: threading.Event,
             notify: Callable[[], None], read_done: Callable[[], None] = lambda: None
             ) -> PartRead | None:
    """Merge a reader's pieces as they arrive; what it read, or None when nothing came.
    `read_done` is called when the first piece came (the reader has read its part).
    Raises CatchUpLost when the pieces stop before the end."""
    merge: PartMerge | None = None
    got_any = False
    while not stop.is_set():
        try:
            kind, value = next_piece(pipe)
        except Exception as error:  # cut short: EOF or a torn piece
            if got_any:
                raise CatchUpLost(str(error)) from error
            return None
        got_any = True
        if kind == "read":
            read: PartRead = value
            read.shift(lines_before)  # its lines were numbered from 1
            return read
        if kind == "firsts":
            for execution_id, offset in value.items():
                firsts.setdefault(execution_id, offset)  # an earlier part saw it first
            continue
        if kind == "head":
            read_done()
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
        time.sleep(0)  # a turn for the other threads between pieces
    return None


def _to_oldest_generation() -> None:
    """What the catch-up made (the ledger: millions of objects, all young, as the
    collector was paused) goes straight to the collector's oldest generation: else the
    first young pass once it is back walked all of them, holding up `following` (113 ms
    measured on a 1M-line log), and the middle one again later. Freezing moves every
    tracked object to the permanent generation in one step; unfreezing moves them on
    to the oldest, which full collections still walk (nothing is kept for good)."""
    gc.freeze()
    gc.unfreeze()


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
                 notify: Callable[[], None], plan: CatchUpPlan | None = None
                 ) -> LinesToKeep | None:
    """Read what the files hold now: one big file in parts, else the tailer in one go.

    `ingest` takes the tailer's batches (the one-go read); `reset` swaps in a fresh
    ledger when a read in parts had to be given up; `notify` says something was read;
    `plan`: the read in parts planned (and its first readers started) already.
    Returns the second read of a read in parts, for the caller to do (or close).
    """
    if plan is None:
        plan = plan_catch_up(tailer)
    if plan is not None:
        try:
            with collector_paused():
                try:
                    later = catch_up(plan, tailer, ledger, lock, progress, stop, notify)
                finally:
                    plan.close()  # a gzip log's unpacked copy: `later` has its own
                _to_oldest_generation()
            if later is None:
                return None
            if stop.is_set():  # nobody will keep its lines: its handle is closed here
                later.close()
                return None
            progress.finish()
            give_back_freed_memory()  # the merged parts' summaries, mostly
            return later
        except (CatchUpLost, OSError):
            if stop.is_set():
                return None  # its readers were ended by the stop
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
    return None
