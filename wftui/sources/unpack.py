"""A big gzip log decompressed once into a temporary file, so that it is read in parts.

A gzip stream can only be read from its start, by one process: a rotated log
compressed overnight (`app.log.1.gz`, the usual post-mortem) was read at one core's
speed, half the speed of the same log uncompressed. Decompressing costs a tenth of
reading (zlib, ~0.3 s for 200 MB, without holding the interpreter lock): done first,
into an unlinked temporary file (gone when closed, whatever happens to the process),
the log is then read in parts, one process per core, like a plain file (`wftui check`:
`sources.split`; the monitor: `sources.catchup`).

The temporary file takes as much room as the log uncompressed, as the page cache holds
a plain log. It is made in TMPDIR when that is set; else in /tmp, or in /var/tmp when
/tmp is held in memory (tmpfs: there the copy would take RAM) and /var/tmp is not. It
is used only when the gzip trailer's size says the log is worth it and the directory
has that room with `SPARE_BYTES` to spare (and, in memory, when it takes no more than
a quarter of the memory available). Anything else (no room, a multi-gigabyte log whose
size the trailer cannot state, a read or decompression error) gives None, and the log
is read in one go as before, which says what is wrong with it, if anything.
"""

from __future__ import annotations

import contextlib
import os
import re
import struct
import tempfile
import threading
import zlib

from wftui.sources.gzip_stream import GzipStream

# Smaller logs are read in one go: parts would not pay for the forks.
MIN_UNPACKED_BYTES = 32 << 20
# Left free in the temporary directory, whatever the log's size.
SPARE_BYTES = 1 << 30
# A directory held in memory takes at most this share of the memory available.
MEMORY_SHARE = 0.25
MEMORY_FILESYSTEMS = frozenset({"tmpfs", "ramfs"})
DISK_TEMP = "/var/tmp"
UNPACK_CHUNK_BYTES = 1 << 20
_TRAILER = struct.Struct("<I")


def unpacked_size(fd: int) -> int | None:
    """The uncompressed size a gzip file's trailer states, when it can be trusted:
    ISIZE is the last member's size modulo 4 GiB, so a size below the compressed one
    (a log past 4 GiB, or several members) says nothing."""
    size = os.fstat(fd).st_size
    if size < 18:  # header and trailer alone
        return None
    (stated,) = _TRAILER.unpack(os.pread(fd, 4, size - 4))
    return stated if stated >= size else None


def worth_unpacking(fd: int) -> int | None:
    """The uncompressed size, if the gzip file at `fd` is big enough to be read in
    parts and the temporary directory has room for it (else None)."""
    stated = unpacked_size(fd)
    if stated is None or stated < MIN_UNPACKED_BYTES:
        return None
    folder = unpack_dir()
    try:
        room = os.statvfs(folder)
    except OSError:
        return None
    if room.f_bavail * room.f_frsize < stated + SPARE_BYTES:
        return None
    if in_memory(folder):
        available = memory_available()
        if available is None or stated > available * MEMORY_SHARE:
            return None
    return stated


def unpack_dir() -> str:
    """Where the unpacked copy goes: TMPDIR when set (the operator's choice); else the
    usual temporary directory, unless it is held in memory and /var/tmp is not."""
    folder = tempfile.gettempdir()
    if (not os.environ.get("TMPDIR") and in_memory(folder) and os.path.isdir(DISK_TEMP)
            and os.access(DISK_TEMP, os.W_OK) and not in_memory(DISK_TEMP)):
        return DISK_TEMP
    return folder


def in_memory(folder: str) -> bool:
    """Whether `folder` is on a filesystem held in memory (tmpfs, ramfs), as the
    mount table says (the mount point nearest above it)."""
    target = os.path.realpath(folder)
    best, kind = "", ""
    for point, fstype in _mounts():
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fstype
    return kind in MEMORY_FILESYSTEMS


def _mounts() -> list[tuple[str, str]]:
    """(mount point, filesystem type) of each mount (none when unreadable)."""
    try:
        with open("/proc/self/mounts", encoding="utf-8", errors="replace") as table:
            rows = [line.split() for line in table]
    except OSError:
        return []
    # Spaces and tabs in a mount point are written as octal escapes (\040).
    return [(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), row[1]), row[2])
            for row in rows if len(row) >= 3]


def memory_available() -> int | None:
    """MemAvailable, in bytes (None when it cannot be read)."""
    try:
        with open("/proc/meminfo", encoding="ascii", errors="replace") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def unpack(fd: int, expected: int, stop: threading.Event | None = None
           ) -> tuple[int, int] | None:
    """A descriptor on an unlinked temporary file holding the gzip file's
    decompressed bytes, ending with a newline (one is added if the log's last line
    had none: it is a whole line, the file being complete), and the log's own size
    (without that newline); None when stopped, or
    when it cannot be done (then nothing is left behind). Stops past `expected` +
    1/8 (the trailer misled: another member, a bigger log)."""
    out = -1
    try:
        with tempfile.TemporaryFile(dir=unpack_dir()) as made:
            out = os.dup(made.fileno())
        written = 0
        last = b"\n"
        limit = expected + expected // 8
        stream = GzipStream(fd)  # its own position: the tailer's is not moved
        while data := stream.read(UNPACK_CHUNK_BYTES):
            if stop is not None and stop.is_set():
                raise _Stopped
            written += len(data)
            if written > limit:
                raise _Stopped
            view = memoryview(data)
            while view:
                view = view[os.write(out, view):]
            last = data[-1:]
        if last != b"\n":
            os.write(out, b"\n")
        result, out = out, -1
        return result, written
    except (_Stopped, OSError, EOFError, zlib.error):
        return None
    finally:
        if out >= 0:
            os.close(out)


class _Stopped(Exception):
    """Unpacking was stopped, or ran past the size the trailer stated."""


class Unpacking:
    """`unpack` on a thread of its own, started ahead of the read that needs it
    (the monitor starts it before drawing its first screen: zlib runs without the
    interpreter lock, on the core the first screen leaves idle)."""

    def __init__(self, fd: int, expected: int) -> None:
        self.fd = fd
        self.expected = expected
        self.stop = threading.Event()
        self._result: tuple[int, int] | None = None
        self._thread = threading.Thread(target=self._run, name="wftui-unpack", daemon=True)
        self._started = False

    def _run(self) -> None:
        self._result = unpack(self.fd, self.expected, self.stop)

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._thread.start()

    def result(self, stop: threading.Event | None = None) -> tuple[int, int] | None:
        """`unpack`'s result (the descriptor is the caller's to close), or None when
        `stop` was set meanwhile; starts the work here if it was not started ahead."""
        self.start()
        while self._thread.is_alive():
            if stop is not None and stop.is_set():
                self.stop.set()
            self._thread.join(0.05)
        result, self._result = self._result, None
        return result

    def cancel(self) -> None:
        """Stop it and close what it made (when nobody will take it)."""
        self.stop.set()
        if self._started:
            self._thread.join()
        if self._result is not None:
            with contextlib.suppress(OSError):
                os.close(self._result[0])
            self._result = None
