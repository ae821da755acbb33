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

import os
import threading
import time
from typing import Any

import msgspec

from wftui.core.execution import MAX_RAW_LINES, NO_LINES, trim_raw
from wftui.core.ledger import Ledger
from wftui.core.mapping import LogMapping
from wftui.core.parse import LogEvent, check_event, event_from, read_line
from wftui.sources.filereader import CHUNK_BYTES, MAX_LINE_BYTES, LineSplitter


class _Whose(msgspec.Struct, gc=False):
    """A line read for whose it is: the ledger's test for an execution's event is an
    `event` string and an `execution_id` string; other fields are not read."""

    event: str
    execution_id: str | None = None
    timestamp: Any = None  # absent: the step tree dates the line by when it was read


_decode_whose = msgspec.json.Decoder(_Whose).decode


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
    splitter = LineSplitter(MAX_LINE_BYTES)
    get = retained.get
    position = start
    while position < stop:
        if stop_reading.is_set():
            return False
        data = os.pread(fd, min(CHUNK_BYTES, stop - position), position)
        if not data:
            break
        position += len(data)
        runs, _ = splitter.feed(data)
        # Let other threads in between chunks (the screen, the metrics loop): a thread
        # waiting on IO would otherwise queue for the interpreter lock at every step.
        time.sleep(0)
        with lock:
            for _, lines in runs:
                for raw in lines:
                    try:  # our shape: the narrow decoder, inline (this loop is the read)
                        line = decode(raw)
                        execution_id, dated = line.execution_id, line.timestamp is not None
                    except Exception:  # odd types, odd JSON, or a mapped shape
                        execution_id, dated = _tolerantly(raw, odd_shape)
                    execution = get(execution_id) if execution_id else None
                    if execution is None:
                        continue
                    raw_lines = execution.raw
                    if not dated:
                        if execution.read_times is None:
                            execution.read_times = {}
                        execution.read_times[len(raw_lines)] = time.time()
                    raw_lines.append(raw)  # type: ignore[union-attr]  # a list: see above
                    execution.raw_dropped -= 1  # counted when read without its line
                    if len(raw_lines) > MAX_RAW_LINES:
                        trim_raw(execution)
    return True


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
