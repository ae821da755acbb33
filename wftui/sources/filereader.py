"""Low-level pieces of the log file tailer: splitting bytes into lines, and open handles.

Kept apart from `files.py` (which decides *when* to read, rotate, truncate) so that the
hot path, turning megabytes into lines, stays small and easy to measure. Splitting is one
`bytes.split` per chunk; Python only loops per line when a chunk holds a `\\r` or a line
longer than the cap, and even then only once.
"""

from __future__ import annotations

import errno
import gzip
import os
import select
import stat
import zlib
from dataclasses import dataclass, field

from wftui.sources.gzip_stream import GzipStream

#: Bytes read per chunk from a regular file. Big enough that syscalls and per-chunk
#: overhead vanish next to the split; small enough to stay in the CPU cache, keep a round
#: fair and the event loop lively. Measured on a 184 MB, 1M-line log: 64 KiB-256 KiB
#: chunks split about 4.6M lines/s, 1-4 MiB chunks about 4.1-4.4M lines/s.
CHUNK_BYTES = 1 << 18
#: Lines longer than this are skipped with a notice (docs/reliability.md: a 1 MiB cap).
MAX_LINE_BYTES = 1 << 20
#: An OpenTelemetry Collector's file exporter writes one OTLP request a line: a batch of
#: up to thousands of spans, often past 1 MiB. A stream whose first line is such a
#: request has lines up to this (the OTLP receiver's default body limit) instead.
OTLP_MAX_LINE_BYTES = 16 << 20
#: What says a first line is an OTLP JSON request (`looks_like_otlp`), in its first bytes.
OTLP_KEYS = (b'"resourceSpans"', b'"resourceLogs"')
OTLP_SNIFF_BYTES = 256
#: How many of a file's first non-blank lines tell an OTLP JSON file from a log: a
#: Collector's file may start with a line torn when it was killed mid-write, or a banner.
OTLP_SNIFF_LINES = 5
#: Bytes of a file's start looked at for those lines.
OTLP_SNIFF_HEAD_BYTES = 64 * 1024
#: Bytes read per chunk from a pipe or terminal (they rarely hold more at once).
STREAM_CHUNK_BYTES = 1 << 16
#: Length of the fingerprint: the first bytes of a file, remembered to recognise it after
#: a truncate-and-refill that leaves the size above our offset (Vector's approach).
FINGERPRINT_BYTES = 1024
#: Bytes just before our position, remembered too: a refill that starts like the old
#: file (a header) but differs where we stopped is caught there, not read from mid-line.
TAIL_BYTES = 1024
GZIP_MAGIC = b"\x1f\x8b"
#: Above this size a file started "from the end" is not scanned to number its lines.
COUNT_LINES_LIMIT = 256 << 20


class LongLine(int):
    """The number of a line skipped as too long (it compares as that number), with its
    length in bytes (``size``, without the newline) for the notice that names it."""

    size: int

    def __new__(cls, lineno: int, size: int = 0) -> LongLine:
        line = super().__new__(cls, lineno)
        line.size = size
        return line

    def __getnewargs__(self) -> tuple[int, int]:  # type: ignore[override]
        return int(self), self.size


def looks_like_otlp(line: bytes) -> bool:
    """Whether a file's first line is an OTLP JSON request (its start is enough): the
    file router and the line cap tell it alike. Here, not beside the OTLP reader: that
    loads orjson, which a log-only run need not."""
    head = line.lstrip()[:OTLP_SNIFF_BYTES]
    return head.startswith(b"{") and any(key in head for key in OTLP_KEYS)


def otlp_line_kind(line: bytes) -> bool | None:
    """True for a line that looks like an OTLP JSON request, False for another JSON
    object (a log line), None for what is neither (a torn line's end, a banner)."""
    head = line.lstrip()[:OTLP_SNIFF_BYTES]
    if not head.startswith(b"{"):
        return None
    return any(key in head for key in OTLP_KEYS)


def otlp_verdict(kinds: list[bool | None]) -> bool:
    """Whether a file is OTLP JSON, from its first non-blank lines (`otlp_line_kind`):
    when more of them are requests than log lines; a line that is neither (torn by a
    killed exporter, a banner) does not make it a log. On a tie, the first JSON line
    says, as it always did."""
    requests, logs = kinds.count(True), kinds.count(False)
    if requests != logs:
        return requests > logs
    return next((kind for kind in kinds if kind is not None), False)


def otlp_line_starts(head: bytes, *, whole: bool) -> list[bool | None]:
    """`otlp_line_kind` of the first `OTLP_SNIFF_LINES` non-blank lines begun in ``head``
    (a file's first bytes; ``whole``: all of it). A line still unfinished at the end of
    ``head`` counts once its first bytes are there."""
    lines = head.split(b"\n")
    last = lines.pop()
    if whole or len(last.lstrip()) >= OTLP_SNIFF_BYTES:
        lines.append(last)
    kinds = []
    for line in lines:
        if line.strip():
            kinds.append(otlp_line_kind(line))
            if len(kinds) == OTLP_SNIFF_LINES:
                break
    return kinds


def head_looks_like_otlp(head: bytes, *, whole: bool) -> bool:
    """Whether a file whose first bytes are ``head`` is an OTLP JSON file."""
    return otlp_verdict(otlp_line_starts(head, whole=whole))


class LineSplitter:
    """Turns a byte stream into numbered complete lines.

    Holds the unterminated tail (the "carry") until its newline arrives, strips one
    trailing ``\\r``, and skips lines longer than ``max_line_bytes`` while keeping memory
    at most about ``max_line_bytes`` plus one chunk: once the carry passes the cap it is
    dropped and the rest of that line is discarded as it arrives (only its length is
    counted, for the notice).
    """

    __slots__ = ("carry", "lineno", "skipping", "skipped_bytes", "max_line_bytes",
                 "sniffing", "sniffed")

    def __init__(self, max_line_bytes: int, lineno: int = 0) -> None:
        self.carry = b""
        self.lineno = lineno  # number of the last line completed (delivered or skipped)
        self.skipping = False  # inside an over-long line, discarding until its newline
        self.skipped_bytes = 0  # bytes of the over-long line discarded so far
        self.max_line_bytes = max_line_bytes
        # From a stream's start: whether its first line, an OTLP request, is still to be
        # told from a log line (`_sniff`); a part that starts mid-file never is one.
        self.sniffing = lineno == 0 and max_line_bytes < OTLP_MAX_LINE_BYTES
        self.sniffed = b""  # the stream's first bytes, while sniffing

    def _sniff(self, data: bytes) -> None:
        """A stream that is OTLP JSON requests (`otlp_verdict` of its first lines) gets a
        request's line cap (OTLP_MAX_LINE_BYTES): skipped as a long log line, a
        Collector's batch of spans was lost whole. Told as soon as its lines say so."""
        head = self.sniffed = self.sniffed + data[:OTLP_SNIFF_HEAD_BYTES - len(self.sniffed)]
        starts = otlp_line_starts(head, whole=False)
        if otlp_verdict(starts):
            self.max_line_bytes = OTLP_MAX_LINE_BYTES
        elif len(starts) < OTLP_SNIFF_LINES and len(head) < OTLP_SNIFF_HEAD_BYTES:
            return  # more lines may yet say so
        self.sniffing = False
        self.sniffed = b""

    def feed(self, data: bytes) -> tuple[list[tuple[int, list[bytes]]], list[LongLine]]:
        """Split ``data``; return runs of ``(first_lineno, lines)`` and the skipped lines
        (their numbers, with their sizes)."""
        if self.sniffing and not self.skipping:
            self._sniff(data)
        runs: list[tuple[int, list[bytes]]] = []
        skipped: list[LongLine] = []
        if self.skipping:
            cut = data.find(b"\n")
            if cut < 0:
                self.skipped_bytes += len(data)
                return runs, skipped
            self.lineno += 1
            skipped.append(self._skipped_line(cut - (data[cut - 1 : cut] == b"\r")))
            data = data[cut + 1 :]
        parts = data.split(b"\n")
        tail = parts.pop()
        cap = self.max_line_bytes
        if not parts:
            tail = self.carry + tail if self.carry else tail
            self._set_carry(tail)
            return runs, skipped
        joined = len(data) + len(self.carry)
        if self.carry:
            parts[0] = self.carry + parts[0]
        self._set_carry(tail)
        if b"\r" in data or parts[0][-1:] == b"\r":
            parts = [p[:-1] if p[-1:] == b"\r" else p for p in parts]
        if joined > cap and max(map(len, parts)) > cap:
            self._split_around_long(parts, runs, skipped)
        else:
            runs.append((self.lineno + 1, parts))
            self.lineno += len(parts)
        return runs, skipped

    def _set_carry(self, tail: bytes) -> None:
        # +1: the tail may end with the \r of a line that is exactly at the cap.
        if len(tail) > self.max_line_bytes + 1:
            self.carry = b""
            self.skipping = True
            self.skipped_bytes = len(tail)
        else:
            self.carry = tail

    def _skipped_line(self, rest: int) -> LongLine:
        """The over-long line being discarded ends after `rest` more bytes (its size is
        that of the line without its newline and, as a delivered line, without a
        trailing \\r in the same chunk as the newline)."""
        size = self.skipped_bytes + rest
        self.skipping = False
        self.skipped_bytes = 0
        return LongLine(self.lineno, size)

    def _split_around_long(
        self, parts: list[bytes], runs: list[tuple[int, list[bytes]]],
        skipped: list[LongLine]
    ) -> None:
        cap = self.max_line_bytes
        run: list[bytes] = []
        first = self.lineno + 1
        for line in parts:
            self.lineno += 1
            if len(line) > cap:
                if run:
                    runs.append((first, run))
                    run = []
                skipped.append(LongLine(self.lineno, len(line)))
                first = self.lineno + 1
            else:
                run.append(line)
        if run:
            runs.append((first, run))

    def finish(self) -> tuple[int | None, bytes | None]:
        """End of the stream: return ``(lineno, line)`` for the held tail, or a skip.

        Returns ``(n, line)`` for an unterminated last line, ``(n, None)`` when that last
        line was too long and is skipped (``n`` is then a `LongLine`, with its size), and
        ``(None, None)`` when nothing is held.
        """
        if self.skipping:
            self.lineno += 1
            return self._skipped_line(0), None
        if not self.carry:
            return None, None
        line = self.carry
        self.carry = b""
        if line[-1:] == b"\r":
            line = line[:-1]
        self.lineno += 1
        if len(line) > self.max_line_bytes:
            return LongLine(self.lineno, len(line)), None
        return self.lineno, line


class NoWriter(Exception):
    """A FIFO that no writer opened while we waited for one."""


@dataclass(eq=False)
class Handle:
    """One open file (or stream) being read, with our position in it.

    ``kind`` is ``"file"`` (regular file, read with ``pread`` at ``offset``), ``"gzip"``
    (decompressed, read once) or ``"stream"`` (stdin, a pipe or a terminal: read once,
    in order, until EOF).
    """

    fd: int
    dev: int
    ino: int
    kind: str
    splitter: LineSplitter
    offset: int = 0
    fingerprint: bytes = b""
    idle_since: float = 0.0  # when a retired file last grew (time.monotonic)
    tail: bytes = b""  # the last bytes read, just before `offset`
    seen_size: int = 0  # the largest size seen: a file that got shorter was truncated
    gz: GzipStream | None = field(default=None, repr=False)

    @property
    def key(self) -> tuple[int, int]:
        """Identity of the file: device and inode."""
        return (self.dev, self.ino)

    def read(self, size: int = CHUNK_BYTES) -> bytes:
        """Read the next chunk; ``b""`` means end of file (for now, for a regular file)."""
        if self.kind == "file":
            data = os.pread(self.fd, size, self.offset)
            have = len(self.fingerprint)
            if have < FINGERPRINT_BYTES and self.offset <= have < self.offset + len(data):
                self.fingerprint += data[have - self.offset : FINGERPRINT_BYTES - self.offset]
            if data:
                self.tail = (
                    data[-TAIL_BYTES:] if len(data) >= TAIL_BYTES
                    else (self.tail + data)[-TAIL_BYTES:]
                )
        elif self.kind == "gzip":
            assert self.gz is not None
            data = self.gz.read(size)
        else:
            data = os.read(self.fd, size)
        self.offset += len(data)
        return data

    def read_after_writer(self, size: int, wait_s: float) -> bytes:
        """The first read of a FIFO opened by name, once a writer has come (up to
        `wait_s`; raises NoWriter when none came). Linux reports neither data nor
        hang-up on a FIFO that has never had a writer, and a read there says "end" at
        once: `wftui check` started before the app printed an empty all-clear."""
        if stat.S_ISFIFO(os.fstat(self.fd).st_mode):
            waiter = select.poll()
            waiter.register(self.fd, select.POLLIN)
            if not waiter.poll(wait_s * 1000):
                # Nothing yet. A writer holding it open, silent so far, makes a
                # non-blocking read say "try again" (then it is read as any pipe, until
                # it ends); no writer at all makes it say "end".
                os.set_blocking(self.fd, False)
                try:
                    data = os.read(self.fd, size)
                except BlockingIOError:
                    data = None
                finally:
                    os.set_blocking(self.fd, True)
                if data == b"":
                    raise NoWriter
                if data is not None:
                    self.offset += len(data)
                    return data
        return self.read(size)

    def size(self) -> int:
        """Current size of the open file (not the path: it may have moved)."""
        return os.fstat(self.fd).st_size

    def truncated(self) -> bool:
        """True when the file is no longer the one we read up to `offset`: it got
        shorter (than our position, or than it was), or it no longer holds the bytes
        we remembered from its start or from just before our position."""
        size = self.size()
        if size < self.offset or size < self.seen_size:
            return True
        self.seen_size = size
        if self.fingerprint and (
                os.pread(self.fd, len(self.fingerprint), 0) != self.fingerprint):
            return True
        tail = self.tail
        return bool(tail) and os.pread(self.fd, len(tail), self.offset - len(tail)) != tail

    def unread_bytes(self) -> int:
        """Bytes we saw in the file but never delivered (the rest of what it held, and
        an unfinished last line): what a truncation now costs."""
        return max(0, self.seen_size - self.offset) + len(self.splitter.carry)

    def move_to(self, offset: int) -> None:
        """Read on from ``offset`` (remembering the bytes just before it)."""
        self.offset = offset
        self.tail = os.pread(self.fd, min(offset, TAIL_BYTES), offset - min(offset, TAIL_BYTES))
        self.seen_size = max(self.seen_size, offset)

    def restart(self, max_line_bytes: int) -> None:
        """Read again from byte 0, line 1 (after a truncation)."""
        self.offset = 0
        self.fingerprint = self.tail = b""
        self.seen_size = 0
        self.splitter = LineSplitter(max_line_bytes)

    def close(self) -> None:
        """Release the descriptor (and the decompressor)."""
        if self.gz is not None:
            self.gz.close()
            self.gz = None
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def open_handle(path: str | None, fd: int | None, max_line_bytes: int) -> Handle:
    """Open ``path`` (or wrap an already-open ``fd``) for reading.

    Raises ``IsADirectoryError`` for a directory and ``OSError`` for anything that
    cannot be opened. Regular files starting with the gzip magic bytes are read through
    a streaming decompressor; pipes, terminals and other non-regular files are streams.
    """
    if fd is None:
        assert path is not None
        # Refused before opening: opening a device can act (a tape rewinds, a watchdog
        # starts), and /dev/zero or /dev/urandom never end.
        refuse_device(os.stat(path).st_mode)
        # O_NONBLOCK so that opening a FIFO without a writer cannot hang the reader.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(21, "is a directory")
        if path is not None:
            refuse_device(st.st_mode)
        splitter = LineSplitter(max_line_bytes)
        if not stat.S_ISREG(st.st_mode):
            os.set_blocking(fd, True)
            return Handle(fd, st.st_dev, st.st_ino, "stream", splitter)
        if os.pread(fd, 2, 0) == GZIP_MAGIC:
            # (`GzipStream`: the lines before any damage are read, not dropped with it)
            return Handle(fd, st.st_dev, st.st_ino, "gzip", splitter, gz=GzipStream(fd))
        return Handle(fd, st.st_dev, st.st_ino, "file", splitter)
    except BaseException:
        os.close(fd)
        raise


def file_identity(given: str) -> object:
    """What makes two given paths the same source: stdin, the inode, or the path."""
    if given == "-":
        return ("stdin",)
    try:
        st = os.stat(given)
    except OSError:
        return ("path", os.path.realpath(given))
    return ("inode", st.st_dev, st.st_ino)


def refuse_device(mode: int) -> None:
    """Raise for what is not a log: a device or a socket (FIFOs and files are logs;
    stdin, given as ``-``, is read whatever it is: the user means it)."""
    for test, what in ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            raise OSError(errno.EINVAL, f"not a log file but {what}: not read "
                          "(give a file, a pipe, or - for stdin)")


def gzip_error_text(exc: BaseException) -> str:
    """One line describing a damaged compressed file."""
    if isinstance(exc, EOFError):
        return "compressed file ends early (truncated?)"
    if isinstance(exc, gzip.BadGzipFile | zlib.error):
        return f"compressed data is damaged: {exc}"
    return str(exc)


def seek_to_end(handle: Handle) -> bool:
    """Start reading a regular file at its end; False when lines are not numbered from 1.

    Starts just after the last newline, so a line being written is read whole. Line
    numbers count the newlines skipped, unless the file is too big to scan quickly.
    """
    size = handle.size()
    start = _start_of_last_line(handle.fd, size)
    handle.fingerprint = os.pread(handle.fd, min(size, FINGERPRINT_BYTES), 0)
    handle.move_to(start)
    if start > COUNT_LINES_LIMIT:
        return False
    handle.splitter.lineno = _count_newlines(handle.fd, start)
    return True


def _start_of_last_line(fd: int, size: int) -> int:
    """Offset just after the last newline before ``size`` (0 if there is none).

    Used to start "from the end" without beginning in the middle of a line that is
    being written.
    """
    pos = size
    block = 1 << 16
    while pos > 0:
        start = max(0, pos - block)
        data = os.pread(fd, pos - start, start)
        cut = data.rfind(b"\n")
        if cut >= 0:
            return start + cut + 1
        pos = start
    return 0


def _count_newlines(fd: int, end: int) -> int:
    """Number of newlines in the first ``end`` bytes (line numbers for a start at ``end``)."""
    total = 0
    pos = 0
    while pos < end:
        data = os.pread(fd, min(4 * CHUNK_BYTES, end - pos), pos)
        if not data:
            break
        total += data.count(b"\n")
        pos += len(data)
    return total
