"""Error texts grouped by their shape: ids, hex and UUIDs masked, numbers kept.

"timeout calling order-55421 after 30s" and "timeout calling order-90017 after 30s" are
one problem; "HTTP 503" and "HTTP 429" are two. So identifiers become placeholders but
plain numbers (status codes, durations, counts) stay.
"""

from __future__ import annotations

import re
from typing import Any

MAX_GROUP_CHARS = 200

_UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}"
                   r"-[0-9a-fA-F]{12}\b")
_HEX_PREFIXED = re.compile(r"\b0[xX][0-9a-fA-F]+\b")
# A word: letters, digits, and the separators ids are made of.
_TOKEN = re.compile(r"[A-Za-z0-9_\-.]+")
# A number, maybe with a unit or a sign of one: 30, 1.5, 250ms, 30s, 99.9%, 2xx.
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)*[A-Za-z%]{0,3}")
_HEX = re.compile(r"[0-9a-fA-F]{8,}")


def _mask_token(token: str) -> str:
    if _NUMBER.fullmatch(token):
        return token
    core = token.strip(".-_")
    if not core or not any(c.isdigit() for c in core):
        return token
    if _HEX.fullmatch(core) and any(c.isalpha() for c in core):
        return token.replace(core, "<hex>")
    digits = sum(c.isdigit() for c in core)
    # An identifier: letters and at least three digits in one word (order-55421,
    # req_8f3a2b, user42871). Short version tags (gpt-4o, v2) stay.
    if digits >= 3 and any(c.isalpha() for c in core) and len(core) >= 5:
        return token.replace(core, "<id>")
    return token


def error_group(text: str, execution_id: str | None = None) -> str:
    """The group an error text belongs to (its own execution id is masked too)."""
    grouped = text.strip()
    if execution_id:
        grouped = grouped.replace(execution_id, "<id>")
    grouped = _UUID.sub("<uuid>", grouped)
    grouped = _HEX_PREFIXED.sub("<hex>", grouped)
    grouped = _TOKEN.sub(lambda match: _mask_token(match.group(0)), grouped)
    grouped = " ".join(grouped.split())  # tracebacks' newlines and indents: one line
    if len(grouped) > MAX_GROUP_CHARS:
        grouped = grouped[: MAX_GROUP_CHARS - 1] + "…"
    return grouped


def traceback_error(traceback: object) -> str | None:
    """The error a traceback ends with ("TimeoutError: upstream 503"): the error text of
    an `error` event that carries only its traceback, as structlog's `log.exception`
    (format_exc_info) and python-json-logger's `exc_info` write them. None: no text."""
    if not isinstance(traceback, str):
        return None
    lines = traceback.splitlines()
    # A Python traceback: the exception's line is the first at the margin after its
    # last frame ("  File ...", then its indented source): a message of several lines
    # (pydantic's ValidationError) would otherwise give its last line.
    last_frame = next((index for index in range(len(lines) - 1, -1, -1)
                       if lines[index].startswith("  File ")), None)
    if last_frame is not None:
        for line in lines[last_frame + 1:]:
            if line.strip() and not line[:1].isspace():
                return line.strip()
    for line in reversed(lines):
        if line.strip():
            return line.strip()
    return None


def event_error(event: dict[str, Any]) -> str | None:
    """An error event's text: its `error`, else the line its `traceback` ends with (an
    error logged with only its traceback: structlog's `log.exception`)."""
    error = event.get("error")
    if type(error) is str and error:
        return error
    return traceback_error(event.get("traceback"))
