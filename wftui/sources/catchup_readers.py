"""The forked readers of a catch-up in parts (`wftui.sources.catchup`): each reads its
part of the file into a ledger of its own (summaries only, as `check`'s parts do),
counts its progress into a shared page, notes where each execution began, and hands
its ledger back through a pipe in pieces.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import mmap
import os
import pickle
import struct
import threading
from collections.abc import Callable
from itertools import islice
from typing import Any

from wftui.core.ledger import Ledger
from wftui.core.ledger_merge import export_pieces, part_ledger
from wftui.sources.filereader import CHUNK_BYTES, MAX_LINE_BYTES, LineSplitter
from wftui.sources.split import PartRead, fork_reader

COUNTER = struct.Struct("<qq")  # bytes read, lines read: one slot per reader


class CatchUpLost(Exception):
    """The file changed while read in parts, or a reader ended half-way: read it again."""


def read_part(fd: int, part: tuple[int, int], lines_before: int,
               ingest: Callable[[int, list[bytes]], None],
               count: Callable[[int, int, int], None],
               stop: threading.Event | None) -> PartRead | None:
    """Bytes start..stop (ending just after a newline) into `ingest`; None if stopped."""
    splitter = LineSplitter(MAX_LINE_BYTES, lines_before)
    position, end = part
    read = PartRead(0, 0, 0, 0)
    lines = 0
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
        if long_lines:
            read.skipped(long_lines)
        count(len(data), got, chunk_start)
    read.lines, read.last_lineno, read.offset = lines, splitter.lineno, position
    return read


Child = tuple[int | None, int]  # pid (None: not started or reaped), readable pipe end


def start_reader(name: str, fd: int, part: tuple[int, int], ledger: Ledger,
                  shared: mmap.mmap, slot: int, children: list[Child],
                  nice: int = 0) -> Child:
    """Fork the reader of a part; `nice`: how much it gives way to other processes."""
    try:
        readable, writable = os.pipe()
    except OSError:
        return None, -1
    try:
        pid = fork_reader()
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
            if nice:
                with contextlib.suppress(OSError):
                    os.nice(nice)
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
        self._seq = ledger.kept._seq

    def note(self, chunk_start: int) -> None:
        """After a chunk: the executions begun since are at the end of the ledger's."""
        new = self.ledger.kept._seq - self._seq
        if new <= 0:
            return
        self._seq = self.ledger.kept._seq
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
        COUNTER.pack_into(shared, slot * COUNTER.size, totals[0], totals[1])
        firsts.note(chunk_start)

    def ingest(first: int, batch: list[bytes]) -> None:
        mine.ingest_lines(name, first, batch)

    read = read_part(fd, part, 0, ingest, count, None)
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


def next_piece(pipe: int) -> tuple[str, Any]:
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
