"""The log file tailer: reads JSON-lines logs like `tail -F`, without losing or repeating lines.

What is guaranteed is in docs/reliability.md ("Log files"): missing files, rotation by
rename (every file that came to the path is read to its end), copytruncate,
truncate-and-refill, deletion, partial last lines, over-long lines, gzip files (by magic
bytes), symlinks, many files read fairly, stdin, and files that cannot be read.
`read_available()` is the synchronous core (used by `wftui check`);
`wftui.sources.filefollow.follow` adds file-change notifications, a stat poll, an opener
thread and a thread per stream, through the public methods below.
"""

from __future__ import annotations

import os
import time
import zlib
from collections import deque
from collections.abc import Sequence

from wftui.core import format as fmt
from wftui.sources.fileopen import Opener, given_sources
from wftui.sources.filereader import (
    CHUNK_BYTES,
    MAX_LINE_BYTES,
    STREAM_CHUNK_BYTES,
    Handle,
    LongLine,
    NoWriter,
    gzip_error_text,
    open_handle,
    seek_to_end,
)
from wftui.sources.filestatus import Batch, FileSource, FileStatus, human_bytes

__all__ = ["Batch", "FileStatus", "FileTailer"]

#: A rotated file read to its end stays open this long after it last grew, for lines its
#: writer adds before reopening the path (Filebeat's close_inactive, much shorter).
RETIRE_AFTER_S = 5.0
#: At most this many rotated files per path are held open (a storm of rotations).
MAX_RETIRED = 256


class FileTailer:
    """Reads lines from log files and stdin, surviving rotation, truncation and bad input.

    ``from_end`` starts files that exist now at their end (a file that appears later is
    read from its start). Lines longer than ``max_line_bytes`` are skipped with a notice.
    ``poll_interval`` is the period of the stat poll that backs up change notifications
    while following. ``stdin_fd`` is the descriptor read for the path ``"-"``.
    ``retire_after``: seconds a rotated file stays open after it last grew.
    ``stream_limit``: bytes after which a stream is cut off with an error (None: never).
    ``writer_wait``: seconds `read_available` waits for the writer of a FIFO given by
    name before its first read (None: it does not wait; while following, a thread
    waits for it as long as it takes).
    """

    def __init__(
        self,
        paths: Sequence[str],
        *,
        from_end: bool = False,
        max_line_bytes: int = MAX_LINE_BYTES,
        poll_interval: float = 1.0,
        stdin_fd: int = 0,
        retire_after: float = RETIRE_AFTER_S,
        stream_limit: int | None = None,
        writer_wait: float | None = None,
    ) -> None:
        self.max_line_bytes = max_line_bytes
        self.stream_limit = stream_limit
        self.writer_wait = writer_wait
        self.retire_after = retire_after
        self.poll_interval = poll_interval
        self.stdin_fd = stdin_fd
        #: Notices that concern no single file (e.g. change notifications unavailable).
        self.notices: deque[str] = deque(maxlen=100)
        self._opener = Opener(max_line_bytes)
        # While following, streams are read by a thread, never by read_available().
        self._streams_threaded = False
        # Streams (a FIFO at a followed path) that need a thread since following began.
        self._new_streams: list[tuple[FileSource, Handle]] = []
        self._sources = given_sources(paths, from_end=from_end)
        # Open what exists now: "from the end" means the end at start; a file that
        # appears (or becomes readable) later is read from its start.
        for src in self._sources:
            if not src.ended and not src.is_stdin:
                self._look(src)
            src.start_at_end = False

    @property
    def statuses(self) -> list[FileStatus]:
        """One status per given path, in the order given."""
        return [src.status for src in self._sources]

    # ----- reading -------------------------------------------------------------------

    def read_available(self, max_lines: int = 65536) -> list[Batch]:
        """Read what is available now from every source, fairly; ``[]`` means all caught up.

        Sources take turns one chunk at a time, so a huge file cannot starve the others.
        Reading stops once about ``max_lines`` lines are gathered (a chunk may overshoot).
        Outside `follow()`, stdin is read here until its end (blocking while it is open).
        """
        batches: list[Batch] = []
        for src in self._sources:
            if not src.ended:
                self._check(src, batches)
        readers = [src for src in self._sources if self._readable(src)]
        gathered = 0
        while readers and gathered < max_lines:
            for src in list(readers):
                got = self._read_step(src, batches)
                if got < 0:
                    readers.remove(src)
                else:
                    gathered += got
                if gathered >= max_lines:
                    break
        return batches

    def flush_partial(self) -> list[Batch]:
        """Deliver each file's unterminated last line (for `wftui check`, at the very end).

        While following, a line without its newline is held; a one-shot reader calls this
        once it is done so that a file without a trailing newline keeps its last line.
        """
        batches: list[Batch] = []
        for src in self._sources:
            for handle in (*src.retired, src.handle):
                if handle is not None and handle.kind == "file":
                    self._finish_lines(src, handle, batches)
        return batches

    def close(self) -> None:
        """Close every open file."""
        for src in self._sources:
            for handle in (src.handle, *src.pending, *src.retired, *src.arrived):
                if handle is not None:
                    handle.close()
            src.handle = None
            src.pending.clear()
            src.retired.clear()
            src.arrived.clear()
        self._opener.clear()

    def _readable(self, src: FileSource) -> bool:
        if src.ended or src.handle is None:
            return False
        return not (src.handle.kind == "stream" and self._streams_threaded)

    def _read_step(self, src: FileSource, batches: list[Batch]) -> int:
        """Read one chunk: the number of lines delivered, or -1 when this source is done."""
        handle = src.handle
        assert handle is not None
        size = STREAM_CHUNK_BYTES if handle.kind == "stream" else CHUNK_BYTES
        try:
            if (handle.kind == "stream" and handle.offset == 0 and not src.is_stdin
                    and self.writer_wait is not None):
                data = handle.read_after_writer(size, self.writer_wait)
            else:
                data = handle.read(size)
        except NoWriter:
            self.end_source(src, batches, "no writer")
            src.fail(f"no writer opened this FIFO within {fmt.seconds(self.writer_wait)}: "
                     "nothing was read")
            return -1
        except (OSError, EOFError, ValueError, zlib.error) as exc:
            self._read_failed(src, handle, exc, batches)
            return -1
        if src.read_failed:
            src.read_failed = False
            src.status.status = "following"
            src.status.error = None
        if data:
            got = self.deliver(src, handle, data, batches)
            src.status.offset = handle.offset
            if handle.kind != "file" and self.stream_limit and handle.offset >= self.stream_limit:
                handle.splitter.carry = b""  # cut mid-line: not a line
                self.end_source(src, batches, "stopped: it did not end")
                src.fail(f"stream still going after {human_bytes(self.stream_limit)}; "
                         "stopped there (a stream without end is for `wftui watch`)")
                return -1
            return got
        if handle.kind == "gzip" and not src.is_stdin:
            self.end_source(src, batches, "compressed file read to its end")
            return -1
        if handle.kind == "stream" or src.is_stdin:
            # stdin redirected from a file ends at its end too: it is one stream.
            self.end_source(src, batches, "stream ended")
            return -1
        if not src.pending and not src.gone:
            return -1  # caught up; the file may grow later
        # The old file is drained: move on to the file that replaced it, if any.
        self._retire(src, handle, batches)
        src.handle = src.pending.popleft() if src.pending else None
        if src.handle is None:
            src.status.status = "waiting"
            src.status.note(f"{src.status.name}: waiting for the file to come back")
            return -1
        src.status.path = os.path.realpath(src.given)
        src.status.offset = src.handle.offset
        if not self._became_current(src, src.handle):
            return -1  # a FIFO: its thread reads it, never this loop
        return 0

    def _read_failed(
        self, src: FileSource, handle: Handle, exc: BaseException, batches: list[Batch]
    ) -> None:
        if handle.kind == "gzip":
            src.fail(gzip_error_text(exc))
            self._release(src, handle, batches)
            src.handle = None
            src.ended = True
            return
        # Keep the handle and our place: the next round retries the same read (a
        # transient NFS or disk error must not make us read the file again from 0).
        src.fail(getattr(exc, "strerror", None) or str(exc))
        src.read_failed = True

    def deliver(self, src: FileSource, handle: Handle, data: bytes, batches: list[Batch]) -> int:
        """Split ``data`` into batches for ``src``; return the number of lines delivered."""
        runs, skipped = handle.splitter.feed(data)
        status = src.status
        got = 0
        for first, lines in runs:
            batches.append(Batch(status.name, first, lines))
            got += len(lines)
            status.lines += len(lines) - lines.count(b"")
        for lineno in skipped:
            self._skipped(status, lineno)
        return got

    def _skipped(self, status: FileStatus, lineno: int) -> None:
        size = lineno.size if isinstance(lineno, LongLine) else 0  # the splitter's are
        status.skipped_long(int(lineno), size, self.max_line_bytes)

    def _finish_lines(self, src: FileSource, handle: Handle, batches: list[Batch]) -> None:
        lineno, line = handle.splitter.finish()
        if lineno is None:
            return
        if line is None:
            self._skipped(src.status, lineno)
            return
        batches.append(Batch(src.status.name, lineno, [line]))
        if line:
            src.status.lines += 1

    def end_source(self, src: FileSource, batches: list[Batch], why: str) -> None:
        """A stream or gzip file is finished: deliver its last line and mark it ended."""
        handle = src.handle
        if handle is not None:
            self._release(src, handle, batches)
        src.handle = None
        src.ended = True
        src.status.status = "ended"
        src.status.note(f"{src.status.name}: {why}")

    def _retire(self, src: FileSource, handle: Handle, batches: list[Batch]) -> None:
        """A rotated file read to its end: keep it open a while for late lines."""
        if handle.kind != "file":
            self._release(src, handle, batches)
            return
        handle.idle_since = time.monotonic()
        src.retired.append(handle)
        while len(src.retired) > MAX_RETIRED:
            self._release(src, src.retired.pop(0), batches)

    def _read_retired(self, src: FileSource, batches: list[Batch]) -> None:
        """Lines written to rotated files after we read them (a writer not yet told);
        a file quiet for ``retire_after`` seconds is closed."""
        now = time.monotonic()
        for handle in list(src.retired):
            try:
                while data := handle.read(CHUNK_BYTES):
                    self.deliver(src, handle, data, batches)
                    handle.idle_since = now
            except OSError:
                handle.idle_since = -self.retire_after  # unreadable: let it go
            if now - handle.idle_since >= self.retire_after:
                src.retired.remove(handle)
                self._release(src, handle, batches)

    def _release(self, src: FileSource, handle: Handle, batches: list[Batch]) -> None:
        """Finish and close a handle; remember where it ended for a possible hand-over."""
        self._finish_lines(src, handle, batches)
        self._opener.forget(src, handle)
        handle.close()

    # ----- noticing changes -------------------------------------------------------------

    def _check(self, src: FileSource, batches: list[Batch]) -> None:
        """Open a missing file, take every new file at the path, read late writes to
        rotated files, and notice truncation of the one being read."""
        if src.is_stdin:
            if src.handle is None and not src.ended:
                self._open_stdin(src)
            return
        self._look(src)
        if src.retired:
            self._read_retired(src, batches)
        handle = src.handle
        if handle is None or handle.kind != "file":
            return  # gzip files and streams are read once, never followed
        try:
            truncated = handle.truncated()
        except OSError as exc:
            src.fail(exc.strerror or str(exc))
            return
        if truncated:
            # Bytes written after our last look and cut before the next cannot be known
            # (copytruncate's window); what we had seen but not read yet can.
            src.status.truncated(handle.unread_bytes())
            handle.restart(self.max_line_bytes)

    def _look(self, src: FileSource) -> None:
        """What is at the path now? Missing, an error, the file we read, or a new one."""
        with self._opener.lock:  # the opener thread (while following) must not open it twice
            while src.arrived:
                self._arrive(src, self._opener.adopt(src, src.arrived.popleft()))
            try:
                st = os.stat(src.given)
            except FileNotFoundError:
                src.missing()
                return
            except OSError as exc:
                src.fail(exc.strerror or str(exc))
                return
            key = (st.st_dev, st.st_ino)
            if key == src.seen_key and src.holds(key):
                src.gone = False
                if src.status.status == "error" and not src.read_failed:
                    src.status.status = "following"  # the path is readable again
                    src.status.error = None
                return
            self._arrive(src, self._opener.open(src))

    def look_for_new_files(self) -> bool:
        """Open every file newly at a followed path (thread-safe; see `Opener`)."""
        return self._opener.look_for_new_files(self._sources)

    def _arrive(self, src: FileSource, handle: Handle | None) -> None:
        """A file newly at the path: read it now, or after the ones before it."""
        if handle is None:
            return
        status = src.status
        was = status.status
        status.status = "following"
        status.error = None
        src.gone = False
        if handle.kind == "stream":
            src.follow_after_stream = src.had_file
        if handle.kind == "stream" and handle.key == src.reopened_key:
            status.note(f"{status.name}: waiting for the FIFO's next writer")
        elif src.had_file:
            # Every file that replaced the one before counts, even if the path was
            # missing in between or several came while the reader was behind.
            status.rotations += 1
            status.note(f"{status.name} rotated; finishing the old file, then the new one")
        src.reopened_key = None
        src.had_file = True
        if src.handle is not None or src.pending:
            src.pending.append(handle)
            return
        status.path = os.path.realpath(src.given)
        src.handle = handle
        self._became_current(src, handle)
        if src.start_at_end:
            self._seek_end(src, handle)
        src.start_at_end = False
        status.offset = handle.offset
        if was in ("waiting", "error") and status.notices:
            status.note(f"{status.name}: file is back, reading")

    def _seek_end(self, src: FileSource, handle: Handle) -> None:
        """Start at the end, but at the start of a line still being written."""
        if handle.kind == "gzip":
            self.end_source(src, [], "compressed file; nothing to follow from its end")
        elif handle.kind == "file" and not seek_to_end(handle):
            src.status.note(f"{src.status.name}: line numbers count from where reading began")

    def _open_stdin(self, src: FileSource) -> None:
        try:
            src.handle = open_handle(None, os.dup(self.stdin_fd), self.max_line_bytes)
        except OSError as exc:
            src.fail(exc.strerror or str(exc))
            src.ended = True
            return
        src.status.status = "following"

    # ----- used while following (`filefollow`) -------------------------------------------

    def begin_following(self) -> list[tuple[FileSource, Handle]]:
        """From now on streams are read by threads: open stdin; the streams to read."""
        self._streams_threaded = True
        streams = []
        for src in self._sources:
            if src.is_stdin and not src.ended:
                self._check(src, [])
            if not src.ended and src.handle is not None and src.handle.kind == "stream":
                streams.append((src, src.handle))
        return streams

    def end_following(self) -> None:
        """Streams are read by `read_available()` again (stream chunks now are dropped)."""
        self._streams_threaded = False
        self._new_streams.clear()

    def take_new_streams(self) -> list[tuple[FileSource, Handle]]:
        """Streams that came to a followed path since the last call: each needs a thread."""
        streams, self._new_streams = self._new_streams, []
        return streams

    def stream_given_up(self, src: FileSource, handle: Handle) -> bool:
        """For a stream thread still waiting for a FIFO's first writer: stop waiting?
        Yes once following ended, or another file came to the path (its lines must not
        wait behind a FIFO nobody opened: that FIFO has nothing to tell)."""
        return src.handle is not handle or not self._streams_threaded or bool(src.pending)

    def _became_current(self, src: FileSource, handle: Handle) -> bool:
        """``handle`` is now the one read for ``src``; False when a thread reads it."""
        if handle.kind == "stream" and self._streams_threaded:
            self._new_streams.append((src, handle))
            return False
        return True

    def stream_chunk(self, src: FileSource, handle: Handle, data: bytes,
                     error: str | None = None) -> list[Batch]:
        """A chunk a stream thread read (``b""``: the stream ended, ``error`` says why)."""
        if src.ended or src.handle is not handle or not self._streams_threaded:
            return []  # following has ended, or the stream was closed
        batches: list[Batch] = []
        if error:
            src.status.note(f"{src.status.name}: {error}")
        if data:
            handle.offset += len(data)
            src.status.offset = handle.offset
            self.deliver(src, handle, data, batches)
        elif src.pending or src.follow_after_stream:
            self._stream_done(src, handle, batches)
        else:
            self.end_source(src, batches, "stream ended")
        return batches

    def _stream_done(self, src: FileSource, handle: Handle, batches: list[Batch]) -> None:
        """A FIFO at a followed path lost its writer: the path is still what the operator
        follows, so read what came after it, or look at the path again (the same FIFO is
        reopened for its next writer: a writer would otherwise block with nobody reading)."""
        self._release(src, handle, batches)
        src.status.note(f"{src.status.name}: the FIFO's writer is gone; following the path")
        src.handle = src.pending.popleft() if src.pending else None
        if src.handle is None:
            src.reopened_key = handle.key
            return
        src.status.path = os.path.realpath(src.given)
        src.status.offset = src.handle.offset
        self._became_current(src, src.handle)

    def watched_paths(self) -> list[str]:
        """The given file paths still followed (not stdin, not ended)."""
        return [src.given for src in self._sources if not (src.ended or src.is_stdin)]
