"""Read log files once, to their end, into a ledger: `wftui check`'s reading.

A big regular file is read in parts, one process per core. Reading is bound by Python's
work per line, so one core reads at most ~0.6M lines/s; with the file cut at newlines
into one part per core, the first part is read here while forked children read the
others, each into a ledger of its own that folds nothing. Their ledgers come back
through a pipe (pickle) and are merged in file order (`wftui.core.ledger_merge`).
A child that fails (killed, out of memory) costs time, never lines: its part is then
read here. Small files, several files, gzip files and stdin are read in one go.
"""

from __future__ import annotations

import os
import pickle
import stat
from collections.abc import Callable, Iterator
from typing import Any

from wftui.core.ledger import Ledger
from wftui.core.ledger_merge import export_pieces, merge_part, part_ledger
from wftui.sources.filereader import CHUNK_BYTES, GZIP_MAGIC
from wftui.sources.files import FileTailer

# Below this many bytes per part, forking and merging cost more than they save.
MIN_PART_BYTES = 16 << 20


def read_once(paths: list[str], new_ledger: Callable[[], Ledger]
              ) -> tuple[Ledger, list[dict[str, Any]]]:
    """Read every file to its end into a new ledger; the ledger and one status
    (`FileStatus.as_dict`) per file, in the order given."""
    ledger = new_ledger()
    # Parts hand back summaries, not lines: a ledger that keeps lines reads in one go.
    parts = plan_parts(paths[0], usable_cpus()) \
        if len(paths) == 1 and not ledger.keep_raw else None
    if parts is not None:
        try:
            return ledger, [_read_in_parts(paths[0], parts, ledger)]
        except PartLost:
            ledger = new_ledger()  # rare (a reader killed mid-hand-over): all again
    return ledger, _read(paths, ledger)


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def plan_parts(path: str, cpus: int, min_part_bytes: int | None = None
               ) -> list[tuple[int, int]] | None:
    """Byte ranges (start, stop) cut just after newlines, or None to read in one go."""
    if cpus < 2 or not hasattr(os, "fork"):
        return None
    min_bytes = MIN_PART_BYTES if min_part_bytes is None else min_part_bytes
    try:
        # Non-blocking: opening a FIFO for reading would wait for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None  # the tailer says why
    try:
        info = os.fstat(fd)
        size = info.st_size
        count = min(cpus, size // max(min_bytes, 1))
        if not stat.S_ISREG(info.st_mode) or count < 2 or os.pread(fd, 2, 0) == GZIP_MAGIC:
            return None
        # Equal parts: the first one's process merges the others, but it merges each
        # piece while that part's process pickles the next (measured: best at 1:1).
        cuts = [0]
        for index in range(1, count):
            cut = _line_start_after(fd, max(size * index // count, cuts[-1]), size)
            if cut is None or cut >= size:
                break
            if cut > cuts[-1]:
                cuts.append(cut)
    finally:
        os.close(fd)
    if len(cuts) < 2:
        return None
    return list(zip(cuts, [*cuts[1:], size], strict=True))


def _line_start_after(fd: int, pos: int, size: int) -> int | None:
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


def _read(paths: list[str], ledger: Ledger,
          part: tuple[int, int, int | None] | None = None) -> list[dict[str, Any]]:
    return _read_counting(paths, ledger, part)[0]


def _read_counting(paths: list[str], ledger: Ledger,
                   part: tuple[int, int, int | None] | None = None
                   ) -> tuple[list[dict[str, Any]], int]:
    """Statuses, and the number of the last line read from the first file."""
    tailer = FileTailer(paths, part=part)
    try:
        while batches := tailer.read_available():
            for batch in batches:
                ledger.ingest_lines(batch.source, batch.first_lineno, batch.lines)
        for batch in tailer.flush_partial():
            ledger.ingest_lines(batch.source, batch.first_lineno, batch.lines)
        return [status.as_dict() for status in tailer.statuses], tailer.last_lineno()
    finally:
        tailer.close()


class PartLost(Exception):
    """A part's reader ended after some of its pieces were merged: read it all again."""


def _read_in_parts(path: str, parts: list[tuple[int, int]], ledger: Ledger
                   ) -> dict[str, Any]:
    children: list[tuple[int, int, tuple[int, int]]] = []
    for part in parts[1:]:
        readable, writable = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: read its part, hand it back, and leave at once
            os.close(readable)
            for _, other, _ in children:
                os.close(other)  # else the parent's reads of earlier pipes wait for us
            _child(path, part, ledger, writable)
        os.close(writable)
        children.append((pid, readable, part))
    try:
        # Each later part numbers its lines from 1; the merge shifts them by the lines
        # before it (known here once the parts before are read: no counting pass).
        statuses, lines_before = _read_counting([path], ledger, (*parts[0], 0))
        status = statuses[0]
        while children:
            pid, readable, part = children[0]
            with os.fdopen(readable, "rb") as pipe:
                children[0] = (pid, -1, part)  # closed by the `with`, whatever happens
                received = _receive(pipe, ledger, lines_before)
            _, wait_status = os.waitpid(children.pop(0)[0], 0)
            if received is None or os.waitstatus_to_exitcode(wait_status) != 0:
                # Killed or out of memory before its first piece: read the part here.
                statuses, lines_before = _read_counting([path], ledger,
                                                        (*part, lines_before))
                part_status = statuses[0]
            else:
                part_status, part_lines = received
                lines_before += part_lines
            status = _join_status(status, part_status)
        return status
    finally:
        for pid, readable, _ in children:  # after a failure: stop and reap the others
            if readable >= 0:
                os.close(readable)  # a child blocked on the pipe gets EPIPE and leaves
            os.waitpid(pid, 0)


def _receive(pipe: Any, ledger: Ledger, lines_before: int
             ) -> tuple[dict[str, Any], int] | None:
    """Merge a part's pieces as they arrive: its status and its number of lines, or
    None when nothing came. Raises PartLost when the pieces stop before the end (the
    ledger then holds half a part)."""
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
            if kind == "status":
                received["status"] = value
                return
            yield kind, value

    merge_part(ledger, pieces(), line_offset=lines_before)
    return received.get("status")


def _child(path: str, part: tuple[int, int], ledger: Ledger, writable: int) -> None:
    code = 1
    try:
        mine = part_ledger(ledger)
        statuses, lines = _read_counting([path], mine, (*part, 0))
        with os.fdopen(writable, "wb") as pipe:
            for piece in export_pieces(mine):
                pickle.dump(piece, pipe, pickle.HIGHEST_PROTOCOL)
            pickle.dump(("status", (statuses[0], lines)), pipe, pickle.HIGHEST_PROTOCOL)
        code = 0
    finally:
        os._exit(code)  # never back into the parent's code (no atexit, no flushes)


def _join_status(first: dict[str, Any], later: dict[str, Any]) -> dict[str, Any]:
    """One file's status from its parts' statuses (counts add; the last offset)."""
    joined = dict(first)
    for key in ("lines", "rotations", "truncations", "skipped_long_lines"):
        joined[key] = first[key] + later[key]
    joined["offset"] = later["offset"]
    if later["status"] == "error" and first["status"] != "error":
        joined["status"], joined["error"] = later["status"], later["error"]
    return joined
