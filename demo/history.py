"""What the service can learn from its own log: a `db.get_execution` lookup.

The log is the demo's only store. It lets a restarted service carry on numbering
executions after the ones already in the file (so two runs never share an id) and
replay an execution whose context has left the in-memory cache.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import orjson

# Enough of the file's end to hold the last few thousand events.
TAIL_BYTES = 4 << 20
# A replay lookup reads at most this much (newest first), so a huge log cannot stall it.
SCAN_BYTES = 256 << 20
CHUNK = 1 << 20

_EXEC_NUMBER_RE = re.compile(rb'"execution_id":"EXEC-(\d{1,12})"')


def last_execution_number(path: str | Path) -> int:
    """The highest ``EXEC-<n>`` number near the end of the log; 0 if none (or no file)."""
    try:
        with open(path, "rb") as file:
            size = file.seek(0, os.SEEK_END)
            file.seek(max(0, size - TAIL_BYTES))
            tail = file.read()
    except OSError:
        return 0
    return max((int(m.group(1)) for m in _EXEC_NUMBER_RE.finditer(tail)), default=0)


def find_context(path: str | Path, execution_id: str) -> dict[str, Any] | None:
    """The `context` of the newest workflow_start of `execution_id` in the log, if any.

    Reads the file backwards in chunks (the newest runs matter most), line by line,
    and skips anything that is not a well-formed workflow_start of that execution.
    """
    needle = orjson.dumps(execution_id)
    try:
        file = open(path, "rb")  # noqa: SIM115 (closed in finally; the loop is long)
    except OSError:
        return None
    try:
        end = file.seek(0, os.SEEK_END)
        stop = max(0, end - SCAN_BYTES)
        carry = b""
        while end > stop:
            start = max(stop, end - CHUNK)
            file.seek(start)
            block = file.read(end - start) + carry
            end = start
            # The first line of the block may be cut; keep it for the next round.
            lines = block.split(b"\n")
            carry = lines[0] if start > stop else b""
            body = lines[1:] if start > stop else lines
            for line in reversed(body):
                context = _context_in(line, needle, execution_id)
                if context is not None:
                    return context
        return None
    finally:
        file.close()


def _context_in(line: bytes, needle: bytes, execution_id: str) -> dict[str, Any] | None:
    if needle not in line or b"workflow_start" not in line:
        return None
    try:
        event = orjson.loads(line[line.find(b"{") :])
    except orjson.JSONDecodeError:
        return None
    if (
        isinstance(event, dict)
        and event.get("event") == "workflow_start"
        and event.get("execution_id") == execution_id
        and isinstance(event.get("context"), dict)
    ):
        return event["context"]
    return None
