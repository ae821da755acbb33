"""Log lines to events (docs/log-format.md). Pure functions: bytes in, event or reason out.

The hot path (`wftui.core.ledger`) decodes a line straight into a `LogEvent` with
msgspec's typed decoder: only the fields the summaries use are built, the rest of the
line is skipped in C. Any line that decoder refuses (a field of another type, a prefix
before `{`, a BOM, invalid UTF-8, no execution_id) takes the tolerant path, `read_line`:
each recovered candidate is tried with the same typed decoder first (so a prefix does
not change how a line is read), then as plain JSON (`orjson`) whose fields `event_from`
reads the way the typed decoder does. The odd cases cost nothing on clean logs, and
both paths agree on what a line says.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import msgspec
import orjson

from wftui.core.timestamps import EPOCH_NAIVE, EPOCH_UTC, MAX_EPOCH, MIN_EPOCH, parse_timestamp

# How much of a malformed line is kept for the operator to see.
EXCERPT_CHARS = 300
# Values nested deeper than this are cut (read as null): the parsers refuse a line
# nested past ~1,000 levels, and an extra field that deep must not cost the event.
MAX_DEPTH = 64
_MAX_TOKENS = 1 << 16  # strings and brackets looked at, at most (~50 ms)
_STRING_OR_BRACKET = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


BINARY = "not JSON: not UTF-8 text (binary data?)"
# A line this much of which is not UTF-8 is said to be binary (a stray byte in a text
# line gets the reason its text gives: invalid UTF-8 is read with replacements).
BINARY_SHARE = 0.1


def _short_reason(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return f"not JSON: {text[:120]}"


def _utf8_complaint(reason: str) -> bool:
    """The decoder refused the bytes as UTF-8 ("str is not valid UTF-8: ..."): the
    candidate with replacements says what else is wrong, if anything."""
    return "UTF-8" in reason


def _candidates(raw: bytes) -> list[bytes | str]:
    """What a line may hold: the line, the part from its first `{` (a text prefix),
    each also with invalid UTF-8 replaced (the line still counts)."""
    stripped = raw.strip()
    start = stripped.find(b"{")
    texts: list[bytes | str] = []
    for candidate in [stripped] if start <= 0 else [stripped[start:], stripped]:
        texts.append(candidate)
        try:
            candidate.decode("utf-8")
        except UnicodeDecodeError:
            texts.append(candidate.decode("utf-8", "replace"))
    return texts


def read_line(raw: bytes, decode: Any = None) -> tuple[bool, Any, str | None]:
    """Read a line the typed decoder refused as it stands (the tolerant path).

    decode: the typed decoder of the log's shape (default: ours, `decode_event`).

    Returns (True, a LogEvent or any JSON value, None) when the line could be read
    (`null` is a value), (False, None, reason) when it is malformed, and (False, None,
    None) for an empty line (skipped and not counted).
    """
    if not raw.strip():
        return False, None, None
    reason: str | None = None
    deep = False
    typed = decode_event if decode is None else decode
    for text in _candidates(raw):
        try:
            return True, typed(text), None
        except Exception:  # refused: read it as plain JSON below
            pass
        try:
            return True, orjson.loads(text), None
        except orjson.JSONDecodeError as error:
            # Keep the text, not the error: an error kept in a local is a reference
            # cycle (error -> traceback -> this frame), garbage only the collector frees.
            if reason is None or _utf8_complaint(reason):
                reason = _short_reason(error)
                if isinstance(text, str) and text.count("\ufffd") > BINARY_SHARE * len(text):
                    reason = BINARY
            deep = str(error).startswith("depth limit")
        if deep:
            data = text.encode() if isinstance(text, str) else text
            shallow = cut_deep(data)
            if len(shallow) < len(data):  # always, unless brackets hide in a bad string
                return read_line(shallow, decode)
    assert reason is not None
    return False, None, reason


def cut_deep(raw: bytes, max_depth: int = MAX_DEPTH) -> bytes:
    """The line with every value nested deeper than ``max_depth`` replaced by null
    (unchanged if it holds more than ``_MAX_TOKENS`` strings and brackets)."""
    out: list[bytes] = []
    depth = kept_to = 0
    cut_from = -1
    for count, match in enumerate(_STRING_OR_BRACKET.finditer(raw)):
        if count > _MAX_TOKENS:
            return raw  # not worth the time: the line stays malformed
        token = match.group()
        if token[0] == 0x22:  # a string: brackets inside it do not count
            continue
        if token in (b"[", b"{"):
            depth += 1
            if depth == max_depth + 1:
                cut_from = match.start()
            continue
        if depth == max_depth + 1 and cut_from >= 0:
            out += (raw[kept_to:cut_from], b"null")
            kept_to = match.end()
            cut_from = -1
        depth -= 1
    out.append(raw[kept_to:])
    return b"".join(out)


def read_json(raw: bytes) -> Any:
    """A line the ledger read, as plain JSON (for the step tree); None if it is not.
    The typed decoder skips fields it does not read, so a number orjson refuses
    (1e999) can sit in one: msgspec, reading every float as Python does, reads that too.
    A line that may hold an integer past 64 bits is read by msgspec first: orjson reads
    one as a float, and a context's 128-bit id was shown, exported and replayed as
    1.7014118346046923e+38."""
    for text in _candidates(raw):
        if _PAST_64_BITS.search(text if isinstance(text, bytes) else text.encode()):
            try:
                return _LENIENT_JSON.decode(text)
            except (msgspec.DecodeError, RecursionError):  # orjson would refuse it too
                continue
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            try:
                return _LENIENT_JSON.decode(text)
            except (msgspec.DecodeError, RecursionError):  # nested too deep: not a line
                continue
    return None


def load_line(raw: bytes) -> Any:
    """A kept line as plain JSON: orjson's fast read when the line can hold no integer
    past 64 bits, else (or when orjson refuses it) `read_json`'s."""
    if not _PAST_64_BITS.search(raw):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return read_json(raw)


# float_hook=float: out-of-range numbers become inf as in Python, where msgspec's own
# float parsing would refuse them.
_LENIENT_JSON = msgspec.json.Decoder(float_hook=float)
# Digits enough for an integer orjson reads as a float (2^64 and up, -2^63 - 1 and
# down); in a string or a float too, which msgspec reads the same.
_PAST_64_BITS = re.compile(rb"\d{20}|-\d{19}")


class LogEvent(msgspec.Struct, gc=False):
    """The fields of an event that executions and figures use (docs/log-format.md).

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
    # Lines made of spans (`wftui.core.spans`): a failed child's `span_status`, and on
    # the root's lines the trace's `sampling` (its adjusted count, or "unknown"): how
    # the ledger tells an execution's logged events from its traced ones.
    span_status: str | None = None
    sampling: float | str | None = None
    # Steps that nest (spans always; logged steps when they say): the executions
    # table counts the steps at the top of the tree (`wftui.core.step_nesting`).
    step_id: str | None = None
    parent_step_id: str | None = None
    # A step told in one line (a span's): its start, so no `step_start` pairs with it.
    start_timestamp: datetime | float | None = None


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
        span_status=_typed(value.get("span_status"), str),
        sampling=_sampling(value.get("sampling")),
        step_id=_typed(value.get("step_id"), str),
        parent_step_id=_typed(value.get("parent_step_id"), str),
        start_timestamp=parse_timestamp(value.get("start_timestamp")),
    )


def _sampling(value: Any) -> float | str | None:
    """`sampling` as the typed decoder reads it: a number, or text."""
    return value if type(value) is str else _numeric(value)


def event_time(stamp: datetime | float | None) -> float | None:
    """Epoch seconds of a `LogEvent.timestamp` (None: absent, or outside 1970..2200).
    The ledger's hot loop does the same inline."""
    if type(stamp) is datetime:
        seconds = (stamp - (EPOCH_NAIVE if stamp.tzinfo is None else EPOCH_UTC)).total_seconds()
        return seconds if MIN_EPOCH <= seconds <= MAX_EPOCH else None
    return parse_timestamp(stamp)


def no_execution_id(kind: str) -> str:
    """Why an event other than queue_depth without an execution_id is malformed."""
    return f"{kind}: no \"execution_id\" string"


def check_event(value: Any) -> str | None:
    """Why a parsed value is not an event we can use (None when it is)."""
    if type(value) is not dict:
        return f"not a JSON object ({type(value).__name__})"
    kind = value.get("event")
    if type(kind) is not str:
        return "no \"event\" string"
    if kind != "queue_depth" and type(value.get("execution_id")) is not str:
        return no_execution_id(kind)
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
