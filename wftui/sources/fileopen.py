"""Opening the files at the followed paths, for the tailer: who holds which file.

Files are known by device and inode. Each is held by one given path at a time (two given
paths can name one file after a rotation: `wftui app.log app.log.1`); a file one path has
finished with is taken over by the other where it stopped. While following, an opener
thread calls `look_for_new_files` every few milliseconds so that every file that comes to
a path is held open, however far behind the reader is.
"""

from __future__ import annotations

import os
import stat
import threading
from collections import OrderedDict
from collections.abc import Sequence

from wftui.sources.filereader import Handle, file_identity, open_handle
from wftui.sources.filestatus import FileSource, FileStatus

#: How many released files to remember for a hand-over between two given paths.
_RELEASED_KEEP = 256


def given_sources(paths: Sequence[str], *, from_end: bool) -> list[FileSource]:
    """One source per given path; a path naming a file given before is read once."""
    sources: list[FileSource] = []
    seen: dict[object, FileStatus] = {}
    for given in paths:
        path = given if given == "-" else os.path.realpath(given)
        src = FileSource(FileStatus(name=given, path=path), given)
        identity = file_identity(given)
        first = seen.get(identity)
        if first is not None:
            src.ended = True
            src.status.status = "ended"
            src.status.duplicate_of = first.name
            src.status.note(f"{given} is the same file as {first.name}; read once")
        else:
            seen[identity] = src.status
            src.start_at_end = from_end and not src.is_stdin
        sources.append(src)
    return sources


class Opener:
    """Opens files at the given paths and keeps the book of who holds which."""

    def __init__(self, max_line_bytes: int) -> None:
        self.max_line_bytes = max_line_bytes
        #: Held by `FileTailer` while it looks at a path: the opener thread must not
        #: open the same new file as the reader.
        self.lock = threading.Lock()
        self._held: dict[tuple[int, int], FileSource] = {}
        self._released: OrderedDict[
            tuple[int, int], tuple[bytes, bytes, int, int, FileSource]] = OrderedDict()

    def look_for_new_files(self, sources: Sequence[FileSource]) -> bool:
        """Open every file newly at a followed path; True when one was found.

        Safe to call from another thread while `read_available()` runs: following
        calls it every few milliseconds, so that a file that is at the path only
        briefly (a rotation storm) is held open and read to its end later, however far
        behind the reader is. Errors are left for the reader's own look to report.
        """
        found = False
        with self.lock:
            for src in sources:
                if src.ended or src.is_stdin:
                    continue
                try:
                    st = os.stat(src.given)
                    if (st.st_dev, st.st_ino) == src.seen_key or not stat.S_ISREG(st.st_mode):
                        continue
                    handle = open_handle(src.given, None, self.max_line_bytes)
                except OSError:
                    continue
                src.seen_key = handle.key
                if handle.kind != "file":
                    handle.close()  # gzip or a stream: the reader opens it itself
                    continue
                src.arrived.append(handle)
                found = True
        return found

    def open(self, src: FileSource) -> Handle | None:
        """Open the file at the source's path; None (with the status set) when we cannot."""
        try:
            handle = open_handle(src.given, None, self.max_line_bytes)
        except FileNotFoundError:
            src.missing()
            return None
        except OSError as exc:
            src.fail(exc.strerror or str(exc))
            return None
        src.seen_key = handle.key
        return self.adopt(src, handle)

    def adopt(self, src: FileSource, handle: Handle) -> Handle | None:
        """Make an opened file the source's, unless it holds it already or another
        given path is reading it (then wait for that one to finish with it)."""
        status = src.status
        if src.holds(handle.key):
            handle.close()
            return None
        owner = self._held.get(handle.key)
        if owner is not None and owner is not src:
            late = owner.retire_take(handle.key)
            if late is None:
                handle.close()
                src.seen_key = None  # look again next time
                if src.blocked_by != owner.status.name:
                    src.blocked_by = owner.status.name
                    status.note(
                        f"{status.name} is the file {owner.status.name} is reading; "
                        f"waiting until {owner.status.name} is done with it"
                    )
                return None
            # The other path had finished reading this file: take over its handle.
            handle.close()
            handle = late
            src.start_at_end = False
            status.note(f"{status.name}: continuing at line {handle.splitter.lineno + 1}, "
                        f"where {owner.status.name} stopped reading this file")
        src.blocked_by = None
        self._resume(src, handle)
        self._held[handle.key] = src
        return handle

    def _resume(self, src: FileSource, handle: Handle) -> None:
        """Read on where a given path (another, or this one) stopped reading this very
        file: one path hands it to another after a rotation, and a symlink pointed back
        at a file read before (blue.log, green.log, blue.log again) names a file whose
        lines up to there were counted already."""
        record = self._released.pop(handle.key, None)
        if record is None or handle.kind != "file":
            return
        fingerprint, tail, offset, lineno, owner = record
        if handle.size() < offset:
            return
        # The same inode may be a new file (the old one deleted, its inode reused): it
        # is the file we read only if it still holds the bytes we saw at its start and
        # just before where we stopped.
        if os.pread(handle.fd, len(fingerprint), 0) != fingerprint or (
                os.pread(handle.fd, len(tail), offset - len(tail)) != tail):
            return
        handle.move_to(offset)
        handle.fingerprint = fingerprint
        handle.splitter.lineno = lineno
        src.start_at_end = False
        src.status.note(
            f"{src.status.name}: continuing at line {lineno + 1}, "
            f"where {owner.status.name} stopped reading this file"
        )

    def forget(self, src: FileSource, handle: Handle) -> None:
        """``src`` closes ``handle``: remember where it ended, for a hand-over."""
        if self._held.get(handle.key) is src:
            del self._held[handle.key]
        if handle.kind == "file":
            self._released[handle.key] = (
                handle.fingerprint, handle.tail, handle.offset, handle.splitter.lineno, src,
            )
            while len(self._released) > _RELEASED_KEEP:
                self._released.popitem(last=False)

    def clear(self) -> None:
        """Every file is closed."""
        self._held.clear()
