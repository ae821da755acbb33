"""Log lines to events (CONTRACT section 1). Pure functions: bytes in, event or reason out.

The hot path (`wftui.core.ledger`) decodes a line straight into a `LogEvent` with
msgspec's typed decoder: only the fields the summaries use are built, the rest of the
line is skipped in C (about twice as fast as a dict per line). Any line that decoder
refuses (a field of another type, a prefix before `{`, a BOM, invalid UTF-8, no
execution_id) takes the tolerant path: `orjson.loads`, the recoveries below, then
`event_from` with the same reading of each field. So the odd cases cost nothing on
clean logs, and both paths agree on what a field means.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
import orjson

from wftui.core.timestamps import parse_timestamp

# How much of a malformed line is kept for the operator to see.
EXCERPT_CHARS = 300


def _short_reason(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return f"not JSON: {text[:120]}"


def recover(raw: bytes) -> tuple[Any, str | None]:
    """Parse a line that plain `orjson.loads` rejected.

    Returns (value, None) when the line could be read, (None, reason) when it is
    malformed, and (None, None) for an empty line (skipped and not counted).
    """
    stripped = raw.strip()
    if not stripped:
        return None, None
    start = stripped.find(b"{")
    candidates = [stripped] if start <= 0 else [stripped[start:], stripped]
    first_error: Exception | None = None
    for candidate in candidates:
        try:
            return orjson.loads(candidate), None
        except orjson.JSONDecodeError as error:
            first_error = first_error or error
        # Invalid UTF-8: read it with replacement characters; the line still counts.
        try:
            candidate.decode("utf-8")
        except UnicodeDecodeError:
            try:
                return orjson.loads(candidate.decode("utf-8", "replace")), None
            except orjson.JSONDecodeError as error:
                first_error = error
    assert first_error is not None
    return None, _short_reason(first_error)


class LogEvent(msgspec.Struct, gc=False):
    """The fields of an event that executions and figures use (CONTRACT sections 1-2).

    None means absent or of another type: a field we cannot read is not a reason to
    reject the event (`event_from` applies the same rule to the tolerant path).
    """

    event: str
    execution_id: str | None = None
    # RFC 3339 text is read in C into a datetime; any other time is read the tolerant
    # way (`event_from`: `parse_timestamp`) into epoch seconds.
    timestamp: datetime | float | None = None
    step_name: str | None = None
    duration_ms: float | None = None
    success: bool | None = None
    status: str | None = None
    workflow_name: str | None = None
    replay_of: str | None = None
    error: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    value: float | None = None  # queue_depth


# Raises on anything but a JSON object with the fields above of the types above.
decode_event = msgspec.json.Decoder(LogEvent).decode


def _typed(value: Any, kind: type) -> Any:
    return value if type(value) is kind else None


def _numeric(value: Any) -> float | None:
    return float(value) if type(value) is float or type(value) is int else None


def event_from(value: dict[str, Any]) -> LogEvent:
    """A `LogEvent` from a dict `check_event` accepted, each field read as `decode_event`
    reads it (another type is absent; bool is not a number)."""
    return LogEvent(
        event=value["event"],
        execution_id=_typed(value.get("execution_id"), str),
        timestamp=parse_timestamp(value.get("timestamp")),
        step_name=_typed(value.get("step_name"), str),
        duration_ms=_numeric(value.get("duration_ms")),
        success=_typed(value.get("success"), bool),
        status=_typed(value.get("status"), str),
        workflow_name=_typed(value.get("workflow_name"), str),
        replay_of=_typed(value.get("replay_of"), str),
        error=_typed(value.get("error"), str),
        input_tokens=_typed(value.get("input_tokens"), int),
        output_tokens=_typed(value.get("output_tokens"), int),
        cost_usd=_numeric(value.get("cost_usd")),
        value=_numeric(value.get("value")),
    )


def check_event(value: Any) -> str | None:
    """Why a parsed value is not an event we can use (None when it is)."""
    if type(value) is not dict:
        return f"not a JSON object ({type(value).__name__})"
    kind = value.get("event")
    if type(kind) is not str:
        return "no \"event\" string"
    if kind != "queue_depth" and type(value.get("execution_id")) is not str:
        return f"{kind}: no \"execution_id\" string"
    return None


def excerpt(raw: bytes) -> str:
    """A bounded, decoded piece of a line for display (still raw text: escape on screen)."""
    return raw[: EXCERPT_CHARS * 4].decode("utf-8", "replace")[:EXCERPT_CHARS]


def number(value: Any) -> float | None:
    """A field read as a number, or None when absent or of the wrong type (not malformed)."""
    if type(value) is float or type(value) is int:
        return float(value)
    return None


def duration_ms(value: Any) -> float | None:
    """A duration field: a number of milliseconds >= 0, else absent (a clock gone back)."""
    number_ms = number(value)
    return number_ms if number_ms is not None and number_ms >= 0 else None


def text(value: Any) -> str | None:
    """A field read as a string, or None when absent or of the wrong type."""
    return value if type(value) is str else None
