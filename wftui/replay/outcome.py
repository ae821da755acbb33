"""What running a replay hook came to: the outcome, and reading what the hook said.

Shared by the command hook (`wftui.replay.command`) and the URL hook
(`wftui.replay.post`): output is kept as a bounded tail, made visible, and the new
execution's id is taken from the hook's last JSON object line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from wftui.core.format import visible
from wftui.replay.plan import ID_RE

TAIL_BYTES = 8192  # of stdout and of stderr kept for the outcome (the end matters most)


@dataclass(frozen=True)
class ReplayOutcome:
    """What happened when the hook ran: shown to the operator and audited."""

    ok: bool
    message: str  # one line, visible
    elapsed_s: float
    exit_code: int | None = None
    http_status: int | None = None
    stdout_tail: str = ""  # decoded with replacement, control characters made visible
    stderr_tail: str = ""
    timed_out: bool = False
    answered_id: str | None = None  # the hook's {"execution_id": ...}, if valid
    notes: tuple[str, ...] = field(default=())
    argv: tuple[str, ...] | None = None  # as run (with the real context file path)

    def as_dict(self) -> dict[str, Any]:
        """For the audit log and `--format json`."""
        return {"ok": self.ok, "message": self.message, "elapsed_s": round(self.elapsed_s, 3),
                "exit_code": self.exit_code, "http_status": self.http_status,
                "timed_out": self.timed_out, "answered_id": self.answered_id,
                "notes": list(self.notes), "stdout_tail": self.stdout_tail[-2000:],
                "stderr_tail": self.stderr_tail[-2000:]}


class Tail:
    """The last `limit` bytes of a stream, and how many bytes there were in all."""

    def __init__(self, limit: int = TAIL_BYTES) -> None:
        self.data = bytearray()
        self.total = 0
        self.limit = limit

    def add(self, chunk: bytes) -> None:
        """Keep `chunk`'s bytes (only the last `limit` of everything stay)."""
        self.total += len(chunk)
        self.data += chunk
        if len(self.data) > self.limit:
            del self.data[: len(self.data) - self.limit]

    def text(self) -> str:
        """The kept bytes as visible text."""
        out = visible(self.data.decode("utf-8", "replace"))
        # A trailing newline is layout, not content; the rest is made visible.
        return out.removesuffix("\u240a")


def garbage(raw: bytes) -> bool:
    """Output no person or program meant to print: NUL bytes or mostly not UTF-8."""
    if b"\0" in raw:
        return True
    decoded = raw.decode("utf-8", "replace")
    return decoded.count("\ufffd") > max(4, len(decoded) // 20)


def answered_id(raw: bytes | str) -> tuple[str | None, str | None]:
    """The execution id in the hook's answer: the LAST line that is a JSON object.

    Returns (id, note): the id if present and valid, else a note saying what was wrong.
    """
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    for line in reversed(text.splitlines()):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:  # not JSON, or nested too deep to be an answer
            continue
        if not isinstance(obj, dict):
            continue
        return id_in(obj)
    return None, None


def id_in(obj: Any) -> tuple[str | None, str | None]:
    """The `execution_id` of a hook's JSON answer, or a note saying what is wrong with it."""
    new_id = obj.get("execution_id") if isinstance(obj, dict) else None
    if new_id is None:
        return None, "the hook's answer has no execution_id"
    if isinstance(new_id, str) and ID_RE.fullmatch(new_id):
        return new_id, None
    shown = visible(repr(new_id))[:80]
    return None, f"the hook answered an execution id that is not a safe id: {shown}"


def last_line(text: str) -> str:
    for line in reversed(text.split("\u240a")):
        if line.strip():
            return line.strip()[:200]
    return ""
