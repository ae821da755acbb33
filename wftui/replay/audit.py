"""The replay audit log: JSON lines at the XDG state path, two per replay attempt.

``$XDG_STATE_HOME/wftui/replays.jsonl`` (default ``~/.local/state/wftui/``). Before the
hook runs, a ``start`` record says who replays what, when, through which hook; after
it, an ``end`` record (same ``attempt``) says how it went and which new execution was
followed, or that the replay was interrupted. A ``start`` without its ``end`` means
wftui itself was killed while the hook ran. Dry runs and refused replays run nothing
and are not recorded.
"""

from __future__ import annotations

import errno
import getpass
import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from wftui.core.format import visible

MAX_READ_BYTES = 4 << 20  # the viewer reads at most the log's last 4 MiB
_NOT_REGULAR = "it is not a regular file (a FIFO, a device or a socket)"


def audit_path() -> Path:
    """Where the audit log lives (the directory may not exist yet)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "wftui" / "replays.jsonl"


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (containers)
        return f"uid {os.getuid()}"


START = "start"  # the record written before the hook runs
END = "end"  # the record written after it (done, failed or interrupted)


def audit_record(original_id: str, workflow_name: str | None, hook: dict[str, Any],
                 outcome: dict[str, Any] | None, new_id: str | None, id_source: str,
                 now: datetime | None = None, *, phase: str = END,
                 attempt: str | None = None) -> dict[str, Any]:
    """One audit record (a JSON-able dict); `attempt` ties a start to its end."""
    when = (now or datetime.now(UTC)).isoformat(timespec="seconds").replace("+00:00", "Z")
    return {"time": when, "user": _user(), "phase": phase, "attempt": attempt,
            "original_id": original_id, "workflow_name": workflow_name, "hook": hook,
            "outcome": outcome, "new_id": new_id, "id_source": id_source}


def append_audit(record: dict[str, Any], path: Path | None = None) -> str | None:
    """Append one record; returns None, or a one-line reason it could not be written."""
    path = path or audit_path()
    line = orjson.dumps(record) + b"\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # One write on an O_APPEND descriptor: concurrent wftui processes never
        # interleave inside a record.
        # O_NONBLOCK: opening a FIFO for writing would wait for a reader forever (the
        # replay hung before its hook ran); non-blocking, it fails at once (ENXIO), or
        # opens when some reader is there, and the check below refuses it anyway.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK,
                         0o600)
        except OSError as error:
            if error.errno == errno.ENXIO:  # a FIFO nobody reads: say what it is
                return f"cannot write the audit log {visible(str(path))}: {_NOT_REGULAR}"
            raise
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return f"cannot write the audit log {visible(str(path))}: {_NOT_REGULAR}"
            os.write(fd, line)
        finally:
            os.close(fd)
    except OSError as error:
        return f"cannot write the audit log {visible(str(path))}: {error.strerror or error}"
    return None


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log as the viewer shows it (all text made visible)."""

    time: str
    user: str
    original_id: str
    new_id: str
    ok: bool | None
    message: str
    hook: str
    lineno: int


def _text(value: Any) -> str:
    return visible(value) if isinstance(value, str) else ("" if value is None else
                                                          visible(str(value)))


def _entry(obj: Any, lineno: int) -> AuditEntry:
    if not isinstance(obj, dict):
        return AuditEntry("", "", "", "", None, "not a record", "", lineno)
    hook = obj.get("hook")
    if isinstance(hook, dict) and isinstance(hook.get("argv"), list):
        hook_text = " ".join(_text(arg) for arg in hook["argv"])
    elif isinstance(hook, dict):
        hook_text = "POST " + _text(hook.get("url"))
    else:
        hook_text = _text(hook)
    outcome = obj.get("outcome")
    if not isinstance(outcome, dict):
        outcome = {}
    ok = outcome.get("ok") if isinstance(outcome.get("ok"), bool) else None
    message = _text(outcome.get("message"))
    if obj.get("phase") == START:
        message = "started; no outcome recorded (wftui ended while the hook ran)"
    return AuditEntry(_text(obj.get("time")), _text(obj.get("user")),
                      _text(obj.get("original_id")), _text(obj.get("new_id")), ok,
                      message, hook_text, lineno)


def read_audit(path: Path | None = None) -> tuple[list[AuditEntry], str | None]:
    """The log's entries, oldest first, and a one-line problem (None if fine).

    A missing log is simply empty. Lines that are not JSON are shown as such, not skipped
    silently: the audit log is a record, damage to it should be seen.
    """
    path = path or audit_path()
    try:
        # Non-blocking and regular files only: the viewer opens in the UI, and reading a
        # FIFO (or /dev/zero) there would freeze it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return [], f"cannot read {visible(str(path))}: {_NOT_REGULAR}"
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - MAX_READ_BYTES))
            data = handle.read()
    except FileNotFoundError:
        return [], None
    except OSError as error:
        return [], f"cannot read {visible(str(path))}: {error.strerror or error}"
    lines = data.split(b"\n")
    note = None
    first = 1
    if size > MAX_READ_BYTES:
        lines = lines[1:]  # the first is probably cut in half
        note = f"showing the last {MAX_READ_BYTES >> 20} MiB of the audit log"
        first = 0
    records: list[tuple[Any, int]] = []
    for offset, raw in enumerate(lines):
        if not raw.strip():
            continue
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            obj = None
        records.append((obj, first + offset))
    # One entry per attempt: a start is shown only when its end never came.
    ended = {obj.get("attempt") for obj, _ in records
             if isinstance(obj, dict) and obj.get("phase") == END and obj.get("attempt")}
    entries = [_entry(obj, lineno) for obj, lineno in records
               if not (isinstance(obj, dict) and obj.get("phase") == START
                       and obj.get("attempt") in ended)]
    return entries, note
