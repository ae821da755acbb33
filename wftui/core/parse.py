"""Log lines to events (CONTRACT section 1). Pure functions: bytes in, dict or reason out.

The hot path (`wftui.core.ledger`) calls `orjson.loads` directly and comes here only
when that fails, so the recoveries below (a text prefix before `{`, a BOM, invalid
UTF-8) cost nothing on clean logs.
"""

from __future__ import annotations

from typing import Any

import orjson

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
