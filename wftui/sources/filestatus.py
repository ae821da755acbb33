"""What the file tailer hands out: batches of lines, and the status of each source.

Also the tailer's private bookkeeping per source (`FileSource`), kept here so that
`files.py` holds only the reading logic.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from wftui.sources.filereader import MAX_LINE_BYTES, Handle

#: Lines skipped as too long that are named per file (the count goes on past them).
LONG_LINES_KEPT = 100


class Batch(NamedTuple):
    """Consecutive complete lines from one source.

    ``lines`` hold the bytes without the newline (and without one trailing ``\\r``);
    empty lines are included so that numbering stays consecutive. ``first_lineno`` is
    the 1-based number of ``lines[0]`` in the file currently read; it starts again at 1
    after a rotation or truncation.
    """

    source: str
    first_lineno: int
    lines: list[bytes]


@dataclass(eq=False)
class FileStatus:
    """What the operator should know about one log source; updated in place by the tailer.

    ``status`` is ``"waiting"`` (missing), ``"following"``, ``"ended"`` (stdin at EOF, a
    gzip file read once, or a duplicate of another given path) or ``"error"``. ``lines``
    counts complete non-empty lines delivered; ``offset`` is the byte position in the
    file currently read (decompressed bytes for gzip).
    """

    name: str
    path: str
    lines: int = 0
    rotations: int = 0
    truncations: int = 0
    skipped_bytes: int = 0  # bytes seen but never read because the file was truncated
    skipped_long_lines: int = 0
    # The first lines skipped as too long: (line number, bytes), for the notice.
    long_lines: list[tuple[int, int]] = field(default_factory=list)
    offset: int = 0
    status: str = "waiting"
    error: str | None = None
    duplicate_of: str | None = None
    notices: deque[str] = field(default_factory=lambda: deque(maxlen=100))

    def note(self, text: str) -> None:
        """Add a human notice (the oldest ones fall off)."""
        self.notices.append(text)

    def skipped_long(self, lineno: int, size: int, limit: int) -> None:
        """A line longer than `limit` bytes was skipped: counted, and named (the first
        `LONG_LINES_KEPT` of them) for `check`'s warnings and the malformed view."""
        self.skipped_long_lines += 1
        if len(self.long_lines) < LONG_LINES_KEPT:
            self.long_lines.append((lineno, size))
        self.note(f"{self.name}: line {lineno} longer than {human_bytes(limit)} skipped"
                  f" ({size:,} bytes)")

    def truncated(self, lost: int) -> None:
        """The file was truncated; ``lost`` bytes we had seen in it were never read."""
        self.truncations += 1
        self.skipped_bytes += lost
        self.offset = 0
        self.note(f"{self.name} truncated; reading it again from the start"
                  + (f" ({lost} bytes written before it were never read)" if lost else ""))

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able summary for `wftui check` and the UI."""
        return {
            "name": self.name,
            "kind": "file",
            "lines": self.lines,
            "rotations": self.rotations,
            "truncations": self.truncations,
            "skipped_bytes": self.skipped_bytes,
            "skipped_long_lines": self.skipped_long_lines,
            "long_lines": [{"line": lineno, "bytes": size}
                           for lineno, size in self.long_lines],
            "offset": self.offset,
            "status": self.status,
            "error": self.error,
            "duplicate_of": self.duplicate_of,
        }


@dataclass(eq=False)
class FileSource:
    """One given path (or stdin) and the files the tailer holds for it (tailer-private).

    ``handle`` is the file being read; ``pending`` the files that came to the path after
    it, oldest first, each read to its end in turn; ``retired`` the files read to their
    end and moved away, still open a while for lines their writers add late;
    ``arrived`` the files the opener thread found at the path (taken by the reader).
    """

    status: FileStatus
    given: str
    handle: Handle | None = None
    pending: deque[Handle] = field(default_factory=deque)
    retired: list[Handle] = field(default_factory=list)
    arrived: deque[Handle] = field(default_factory=deque)
    seen_key: tuple[int, int] | None = None  # the file last opened at the path
    had_file: bool = False  # a later file at the path is a rotation
    gone: bool = False  # the path vanished while we still hold the old handle
    ended: bool = False
    start_at_end: bool = False
    blocked_by: str | None = None
    read_failed: bool = False  # the last read of `handle` failed; it is retried as is
    # A FIFO came to the path after a file (a rotation): when its writer goes, the path
    # is followed on (a FIFO given by name is read until its writer goes, as a pipe is).
    follow_after_stream: bool = False
    reopened_key: tuple[int, int] | None = None  # the FIFO at the path, reopened for its
    # next writer: not a rotation

    @property
    def is_stdin(self) -> bool:
        """True for the path "-"."""
        return self.given == "-"

    def holds(self, key: tuple[int, int]) -> bool:
        """True when this source has the file (device, inode) open."""
        if self.handle is not None and self.handle.key == key:
            return True
        return any(h.key == key for h in self.pending) or any(
            h.key == key for h in self.retired)

    def fail(self, message: str) -> None:
        """The source cannot be read now: say why (once)."""
        text = f"{self.status.name}: {message}"
        self.status.status = "error"
        if self.status.error != text:
            self.status.error = text
            self.status.note(text)

    def missing(self) -> None:
        """Nothing at the path: finish what is held, or wait for the file to appear."""
        status = self.status
        if self.handle is not None or self.pending:
            if not self.gone:
                self.gone = True
                status.note(f"{status.name} was deleted or moved; reading what is left")
            return
        if status.status != "waiting" or not status.notices:
            status.note(f"{status.name}: waiting for the file to appear")
        status.status = "waiting"
        status.error = None

    def retire_take(self, key: tuple[int, int]) -> Handle | None:
        """Hand over a retired file (another given path now names it), or None."""
        for handle in self.retired:
            if handle.key == key:
                self.retired.remove(handle)
                return handle
        return None


def human_bytes(n: int) -> str:
    """1048576 -> "1 MiB", for notices."""
    if n % (1 << 30) == 0:
        return f"{n >> 30} GiB"
    if n % (1 << 20) == 0:
        return f"{n >> 20} MiB"
    if n % (1 << 10) == 0:
        return f"{n >> 10} KiB"
    return f"{n} bytes"


# -- lines skipped as too long, told to the operator --------------------------------------

#: Skipped lines named in a warning (the malformed view names every one kept).
LONG_LINES_NAMED = 5


def long_lines_skipped(sources: Iterable[dict[str, Any]]
                       ) -> tuple[int, list[tuple[str, int, int]]]:
    """How many lines the files' entries say were skipped as too long, and those named:
    (file, line number, bytes) each, in file order."""
    total, named = 0, []
    for source in sources:
        if source.get("kind") != "file":
            continue
        total += int(source.get("skipped_long_lines") or 0)
        named += [(str(source["name"]), int(line["line"]), int(line["bytes"]))
                  for line in source.get("long_lines") or ()]
    return total, named


def long_line_warnings(sources: Iterable[dict[str, Any]]) -> list[str]:
    """One line per file with lines skipped as too long, naming the first of them: they
    were never read, so neither counted as events nor as malformed lines."""
    warnings = []
    for source in sources:
        total, named = long_lines_skipped([source])
        if not total:
            continue
        shown = named[:LONG_LINES_NAMED]
        where = ", ".join(f"{lineno} ({size:,} bytes)" for _, lineno, size in shown)
        more = ", ..." if total > len(shown) else ""
        warnings.append(f"{source['name']}: {long_lines_said(total)}"
                        + (f": {'line' if total == 1 else 'lines'} {where}{more}"
                           if shown else ""))
    return warnings


def long_lines_said(total: int) -> str:
    """'1 line longer than 1 MiB skipped, not read' (or 'N lines ...')."""
    return (f"{total:,} line{'' if total == 1 else 's'} longer than "
            f"{human_bytes(MAX_LINE_BYTES)} skipped, not read")
