"""OTLP request bodies -> protobuf messages: binary protobuf or OTLP/JSON, gzip or not.

OTLP/JSON is the protobuf JSON mapping with one difference: trace and span ids are
hex, not base64. They are turned into base64 before the protobuf library reads the
rest (enums as numbers or names, 64-bit integers as numbers or strings, unknown
fields ignored as the specification asks).
"""

from __future__ import annotations

import base64
import binascii
import zlib
from typing import Any

import orjson
from google.protobuf import json_format  # type: ignore[import-untyped]
from google.protobuf.message import DecodeError  # type: ignore[import-untyped]
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)

from wftui.core.span_view import TraceRequestView
from wftui.sources.otlp.json_traces import trace_view_from_json

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
ID_KEYS = ("traceId", "spanId", "parentSpanId")
# An id that is not hex becomes one byte: the reader rejects it as an id of the wrong
# length (counted, said in partial_success), the rest of the request still counts.
NOT_HEX = b"\x00"


# Said to a sender while wftui stops (HTTP 503, gRPC UNAVAILABLE: both retried).
STOPPING = "wftui is stopping; retry later"


class BodyError(ValueError):
    """A body that cannot be read: the one-line reason goes back to the sender."""


class TooLarge(BodyError):
    """A body (or what it decompresses to) past the configured limit."""


LATER_MEMBER_SLICE = 64


def gunzip(body: bytes, limit: int) -> bytes:
    """Decompress a gzip body, refusing one that inflates past `limit` (a gzip bomb).

    A gzip stream is one or more members back to back (RFC 1952; Go's reader, the
    Collector's, reads them all): each is inflated, against what is left of `limit`.
    Bytes after the last member that are not another member are refused: skipped, the
    spans in them would be lost behind a 200."""
    parts: list[bytes] = []
    left = limit
    view = memoryview(body)
    start, size = 0, len(body)  # the first member (most bodies' only one): in one call
    while True:
        inflater = zlib.decompressobj(wbits=31)
        while not inflater.eof:
            if start >= len(body):
                raise BodyError("body is not valid gzip: truncated")
            piece = view[start : start + size]
            start += len(piece)
            size *= 2
            try:
                out = inflater.decompress(piece, left + 1)
            except zlib.error as error:
                raise BodyError(f"body is not valid gzip: {error}") from None
            if len(out) > left or inflater.unconsumed_tail:
                raise TooLarge(f"body decompresses past the {limit} byte limit")
            parts.append(out)
            left -= len(out)
        start -= len(inflater.unused_data)
        if start == len(body):
            return parts[0] if len(parts) == 1 else b"".join(parts)
        # Later members: fed in slices growing from small. zlib copies what follows a
        # member (unused_data): handed the whole rest each time, a body of many tiny
        # members was copied once per member (quadratic: minutes for 16 MiB).
        size = LATER_MEMBER_SLICE


def _fix_ids(node: Any) -> None:
    """Hex ids -> base64, in place, wherever a span, link or log record holds them.

    Walked with a list, not by recursion: a body nested ~1,000 levels deep (as deep as
    orjson reads) ran Python out of stack here, before json_format could refuse it as
    too deep, and `wftui check` on such a Collector file line ended in a traceback."""
    pending = [node]
    while pending:
        node = pending.pop()
        if type(node) is dict:
            for key, value in node.items():
                if key in ID_KEYS and type(value) is str:
                    try:
                        raw = bytes.fromhex(value)
                    except ValueError:
                        raw = NOT_HEX
                    node[key] = base64.b64encode(raw).decode()
                elif type(value) is dict or type(value) is list:
                    pending.append(value)
        elif type(node) is list:
            pending.extend(item for item in node if type(item) is dict or type(item) is list)


def decode_json(text: bytes | str, kind: str) -> Any:
    """An OTLP/JSON object (one request) as its protobuf message."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise BodyError(f"body is not JSON: {error}") from None
    return message_from_dict(value, kind)


def message_from_dict(value: Any, kind: str) -> Any:
    """A parsed OTLP/JSON request as a protobuf message ("traces" or "logs")."""
    if type(value) is not dict:
        raise BodyError(f"body is not a JSON object ({type(value).__name__})")
    if kind == "traces":
        view = trace_view_from_json(value)  # the usual shape: 4x faster read and fold
        if view is not None:
            return view
    _fix_ids(value)
    message = ExportTraceServiceRequest() if kind == "traces" else ExportLogsServiceRequest()
    try:
        json_format.ParseDict(value, message, ignore_unknown_fields=True)
    except (json_format.ParseError, binascii.Error, ValueError, TypeError,
            RecursionError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise BodyError(f"not an OTLP {kind} request: {first[:200]}") from None
    return message


def decode_protobuf(body: bytes, kind: str) -> Any:
    """A binary protobuf request as its message (traces: as `span_view` reads them, their
    attributes indexed in C as they are decoded)."""
    message = TraceRequestView() if kind == "traces" else ExportLogsServiceRequest()
    try:
        message.ParseFromString(body)
    except (DecodeError, RecursionError) as error:
        raise BodyError(f"body is not an OTLP {kind} protobuf: {error}") from None
    return message


def decode_body(body: bytes, content_type: str, encoding: str, kind: str,
                limit: int) -> Any:
    """Decompress (gzip or identity) and decode a request body of the given type."""
    encoding = encoding.strip().lower()
    if encoding == "gzip":
        body = gunzip(body, limit)
    elif encoding not in ("", "identity"):
        raise BodyError(f"Content-Encoding {encoding!r} is not supported (gzip is)")
    if content_type == PROTOBUF:
        return decode_protobuf(body, kind)
    return decode_json(body, kind)
