"""The catch-up's second read (`wftui.sources.catchup`): the lines of the executions the
monitor retains, read again from where the oldest of them began, and kept for their
step trees.

Per line, all that matters here is whose it is: the ledger already counted it (event
or malformed) in the first read. A full decode of each line cost most of this read, so
lines are decoded into their `event` and `execution_id` only (the rest of the line is
checked as JSON, not built into values). The judgment is the ledger's: a line is an
execution's event when it is a JSON object with an `event` string and an
`execution_id` string; lines the narrow decoder refuses take the ledger's tolerant
path, and a log read through a `[logs]` mapping is decoded as the ledger decodes it.
"""

from __future__ import annotations

import contextlib
import gc
import os
import select
import signal
import struct
import threading
import time
from array import array
from collections.abc import Callable, Iterator
from typing import Any

import msgspec
import orjson

from wftui.core.execution import MAX_RAW_LINES, NO_LINES, Execution, trim_raw
from wftui.core.ledger import Ledger
from wftui.core.mapping import LogMapping
from wftui.core.parse import LogEvent, check_event, event_from, read_line
from wftui.core.timestamps import parse_timestamp
from wftui.sources.catchup_readers import CatchUpLost
from wftui.sources.filereader import CHUNK_BYTES, MAX_LINE_BYTES, LineSplitter
from wftui.sources.split import fork_reader, line_start_after, usable_cpus


class _Whose(msgspec.Struct, gc=False):
    """A line read for whose it is: the ledger's test for an execution's event is an
    `event` string and an `execution_id` string; other fields are not read."""

    event: str
    execution_id: str | None = None
    timestamp: Any = None  # absent: the step tree dates the line by when it was read


_decode_whose = msgspec.json.Decoder(_Whose).decode


# A second read this big is cut in two: a forked helper finds whose the newer half's
# lines are while this process keeps the older half's (by then the parts' readers are
# done and a core is idle). 1M-line log: ~80 MB, 0.6-0.8 s in one go.
SPLIT_MIN_BYTES = 8 << 20
# A helper's answer per line: -1 (no retained execution's), else the execution's index
# times two, plus one when the line has its own timestamp.
OWNERS = "i"


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
        ledger.keep_raw = ledger.kept.keep_raw = True
    mapping = ledger.mapping
    plain = mapping is None or mapping.event_type is LogEvent
    # A mapped shape: every line through the mapping's decoder, as the ledger reads it.
    decode = _decode_whose if plain else mapping.decode  # type: ignore[union-attr]
    odd_shape = None if plain else mapping
    helper = None
    if stop - start >= SPLIT_MIN_BYTES and usable_cpus() > 1:
        helper = _Helper.start(fd, start, stop, retained, decode, odd_shape)
    cut = helper.start_at if helper is not None else stop
    try:
        if not _keep(fd, start, cut, retained.get, lock, stop_reading, decode, odd_shape):
            return False
        if helper is None:
            return True
        owners = helper.answer(stop_reading)
        if stop_reading.is_set():
            return False
        if owners is None:  # the helper failed: its half is read here (slower, same lines)
            return _keep(fd, cut, stop, retained.get, lock, stop_reading, decode,
                         odd_shape)
        return _apply(fd, cut, stop, list(retained.values()), owners, lock, stop_reading)
    finally:
        if helper is not None:
            helper.end()


def forget_lines(ledger: Ledger, lock: threading.Lock) -> None:
    """The lines kept are not the file's after all (it was rewritten while they were
    read): the retained executions keep none, counted as lines read without them."""
    with lock:
        for execution in ledger.executions.values():
            if execution.raw:
                execution.raw_dropped += len(execution.raw)
                execution.raw = []
                execution.read_times = None


def _keep(fd: int, start: int, stop: int, get: Callable[[str], Execution | None],
          lock: threading.Lock, stop_reading: threading.Event,
          decode: Callable[[bytes], Any], odd_shape: LogMapping | None) -> bool:
    """Bytes start..stop: each line decoded for whose it is, and kept if retained.
    False when stopped."""
    for runs in _runs(fd, start, stop, stop_reading):
        with lock:
            for _, lines in runs:
                for raw in lines:
                    try:  # our shape: the narrow decoder, inline (this loop is the read)
                        line = decode(raw)
                        execution_id, dated = line.execution_id, line.timestamp is not None
                    except Exception:  # odd types, odd JSON, or a mapped shape
                        execution_id, dated = _tolerantly(raw, odd_shape)
                    execution = get(execution_id) if execution_id else None
                    if execution is not None:
                        _keep_line(execution, raw, dated)
    return not stop_reading.is_set()


def _runs(fd: int, start: int, stop: int, stop_reading: threading.Event
          ) -> Iterator[list[tuple[int, list[bytes]]]]:
    """Bytes start..stop read a chunk at a time and split into lines (the runs of
    `LineSplitter.feed`), until read or `stop_reading` is set."""
    splitter = LineSplitter(MAX_LINE_BYTES)
    position = start
    while position < stop and not stop_reading.is_set():
        data = os.pread(fd, min(CHUNK_BYTES, stop - position), position)
        if not data:
            break
        position += len(data)
        runs, _ = splitter.feed(data)
        # Let other threads in between chunks (the screen, the metrics loop): a thread
        # waiting on IO would otherwise queue for the interpreter lock at every step.
        time.sleep(0)
        yield runs


def _keep_line(execution: Execution, raw: bytes, dated: bool) -> None:
    raw_lines = execution.raw
    if not dated:  # the step tree dates it by the time the ledger gave it
        if execution.read_times is None:
            execution.read_times = {}
        execution.read_times[len(raw_lines)] = _time_before(execution)
    raw_lines.append(raw)  # type: ignore[union-attr]  # a list: keep_lines made it one
    execution.raw_dropped -= 1  # counted when read without its line
    if len(raw_lines) > MAX_RAW_LINES:
        trim_raw(execution)


def _time_before(execution: Execution) -> float:
    """A line without a time of its own: the ledger placed it at the newest time read
    before it; here, of what is known, the time of its execution's line before it
    (else the execution's start), not today (in yesterday's log, it ran on to today)."""
    raw_lines, read_times = execution.raw, execution.read_times or {}
    if raw_lines:
        before = read_times.get(len(raw_lines) - 1)
        if before is not None:
            return before
        with contextlib.suppress(Exception):  # a line of another shape: its start
            stamp = parse_timestamp(orjson.loads(raw_lines[-1]).get("timestamp"))
            if stamp is not None:
                return stamp
    return execution.first_ts


def _apply(fd: int, start: int, stop: int, executions: list[Execution], owners: array,
           lock: threading.Lock, stop_reading: threading.Event) -> bool:
    """Bytes start..stop split again into lines (as the helper split them), each kept
    as the helper said. False when stopped; raises CatchUpLost when the helper's answer
    does not fit the lines."""
    index = 0
    for runs in _runs(fd, start, stop, stop_reading):
        with lock:
            for _, lines in runs:
                said = owners[index:index + len(lines)]
                index += len(lines)
                if len(said) < len(lines):
                    raise CatchUpLost("the second read's helper saw fewer lines")
                for raw, owner in zip(lines, said, strict=True):
                    if owner >= 0:
                        _keep_line(executions[owner >> 1], raw, bool(owner & 1))
    if stop_reading.is_set():
        return False
    if index != len(owners):
        raise CatchUpLost("the second read's helper saw more lines")
    return True


class _Helper:
    """A forked process that says whose each line of bytes start_at..stop is."""

    def __init__(self, pid: int, readable: int, start_at: int) -> None:
        self.pid, self.readable, self.start_at = pid, readable, start_at

    @classmethod
    def start(cls, fd: int, start: int, stop: int, retained: dict[str, Execution],
              decode: Callable[[bytes], Any], odd_shape: LogMapping | None
              ) -> _Helper | None:
        """The helper of the newer half (None: no half to give, or no process)."""
        cut = line_start_after(fd, (start + stop) // 2, stop)
        if cut is None or cut >= stop:
            return None
        index = {execution_id: number for number, execution_id in enumerate(retained)}
        try:
            readable, writable = os.pipe()
        except OSError:
            return None
        try:
            pid = fork_reader()
        except OSError:
            os.close(readable)
            os.close(writable)
            return None
        if pid == 0:  # the helper: never back into the parent's code, whatever happens
            code = 1
            try:
                os.close(readable)
                gc.disable()  # one pass over its lines, no cycles made
                owners = _owners(fd, cut, stop, index, decode, odd_shape)
                with os.fdopen(writable, "wb") as pipe:
                    pipe.write(_COUNT.pack(len(owners)))
                    pipe.write(owners.tobytes())
                code = 0
            finally:
                os._exit(code)
        os.close(writable)
        return cls(pid, readable, cut)

    def answer(self, stop_reading: threading.Event) -> array | None:
        """Its answer, one entry per line (None when it failed, or when stopped: a
        stop does not wait for it)."""
        pieces = []
        while True:
            if stop_reading.is_set():
                return None
            ready, _, _ = select.select([self.readable], [], [], 0.1)
            if ready:
                piece = os.read(self.readable, 1 << 20)
                if not piece:
                    break
                pieces.append(piece)
        os.close(self.readable)
        self.readable = -1
        os.waitpid(self.pid, 0)
        self.pid = 0
        data = b"".join(pieces)
        if len(data) < _COUNT.size:
            return None
        owners = array(OWNERS)
        owners.frombytes(data[_COUNT.size:])
        return owners if len(owners) == _COUNT.unpack_from(data)[0] else None

    def end(self) -> None:
        """Stopped early: it is ended (after `answer`, nothing is left to end)."""
        if self.readable >= 0:
            os.close(self.readable)
        if self.pid:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)


_COUNT = struct.Struct("<q")


def _owners(fd: int, start: int, stop: int, index: dict[str, int],
            decode: Callable[[bytes], Any], odd_shape: LogMapping | None) -> array:
    """In the helper: for each line of bytes start..stop, whose it is (see OWNERS)."""
    owners = array(OWNERS)
    append = owners.append
    never = threading.Event()  # nothing stops the helper but being killed
    for runs in _runs(fd, start, stop, never):
        for _, lines in runs:
            for raw in lines:
                try:  # as _keep decodes it
                    line = decode(raw)
                    execution_id, dated = line.execution_id, line.timestamp is not None
                except Exception:
                    execution_id, dated = _tolerantly(raw, odd_shape)
                number = index.get(execution_id, -1) if execution_id else -1
                append(-1 if number < 0 else number * 2 + dated)
    return owners


def _tolerantly(raw: bytes, mapping: LogMapping | None) -> tuple[str | None, bool]:
    """Whose the line is when read as `Ledger._read_odd` reads it."""
    read, value, _ = read_line(raw, mapping.decode if mapping is not None else None)
    if not read:
        return None, False
    if type(value) is dict:
        if mapping is not None:
            value = mapping.contract_dict(value)
        if check_event(value) is not None:
            return None, False
        value = event_from(value)
    elif not hasattr(value, "execution_id"):
        return None, False  # a JSON value other than an object
    return value.execution_id, value.timestamp is not None
