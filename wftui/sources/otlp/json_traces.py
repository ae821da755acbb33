"""OTLP/JSON trace requests straight into the reader's view, without `json_format`.

The protobuf library reads JSON in Python, field by field through its descriptors:
about 7,000 spans a second here, twenty times slower than a binary body, so a
collector exporting JSON (or an OpenTelemetry Collector file of it) at a modest rate
kept the receiver behind. Spans as the OTLP specification writes them (lowerCamelCase
keys, hex ids, 64-bit integers as decimal strings or numbers, enums as numbers or
names, attributes of scalar values) are set here directly on `TraceRequestView`, whose
attributes are the map the reader looks keys up in. The rest of a span (its events
and links, an array or map value) and the resource and scope go through `json_format`
one small message at a time.

Anything else (snake_case keys, a null, a number where text goes, an enum name this
version does not know, a float where an integer goes) gives None: the caller then
reads the whole request with `json_format`, which accepts or refuses it as before.
So this path decides nothing on its own: it is a faster way to the same message.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format  # type: ignore[import-untyped]
from opentelemetry.proto.trace.v1 import trace_pb2

from wftui.core.span_view import TraceRequestView

# An id that is not hex becomes one byte, as `decode._fix_ids` makes it: the reader
# rejects it as an id of the wrong length.
NOT_HEX = b"\x00"
REQUEST_KEYS = frozenset({"resourceSpans"})
RESOURCE_SPANS_KEYS = frozenset({"resource", "scopeSpans", "schemaUrl"})
SCOPE_SPANS_KEYS = frozenset({"scope", "spans", "schemaUrl"})
SPAN_KEYS = frozenset({
    "traceId", "spanId", "traceState", "parentSpanId", "flags", "name", "kind",
    "startTimeUnixNano", "endTimeUnixNano", "attributes", "droppedAttributesCount",
    "events", "droppedEventsCount", "links", "droppedLinksCount", "status"})
# Read for every span; a span with others (kind, events, ...) is read further.
COMMON_SPAN_KEYS = frozenset({"traceId", "spanId", "parentSpanId", "name",
                              "startTimeUnixNano", "endTimeUnixNano", "attributes",
                              "status"})
STATUS_KEYS = frozenset({"message", "code"})
LINK_ID_KEYS = ("traceId", "spanId")
SPAN_KINDS = dict(trace_pb2.Span.SpanKind.items())
STATUS_CODES = dict(trace_pb2.Status.StatusCode.items())


class _Unusual(Exception):  # noqa: N818 - not an error: the general path reads it
    """A request this path leaves to `json_format`."""


def trace_view_from_json(value: dict[str, Any]) -> Any | None:
    """The request as `TraceRequestView`, or None when `json_format` must read it."""
    request = TraceRequestView()
    try:
        if not value.keys() <= REQUEST_KEYS:
            raise _Unusual
        for resource_value in _items(value.get("resourceSpans")):
            if not resource_value.keys() <= RESOURCE_SPANS_KEYS:
                raise _Unusual
            resource_spans = request.resource_spans.add()
            if "resource" in resource_value:
                resource_spans.resource.SetInParent()  # {}: present, as json_format has it
                _parse(resource_value["resource"], resource_spans.resource, 3)
            if "schemaUrl" in resource_value:
                resource_spans.schema_url = _text(resource_value["schemaUrl"])
            for scope_value in _items(resource_value.get("scopeSpans")):
                if not scope_value.keys() <= SCOPE_SPANS_KEYS:
                    raise _Unusual
                scope_spans = resource_spans.scope_spans.add()
                if "scope" in scope_value:
                    scope_spans.scope.SetInParent()
                    _parse(scope_value["scope"], scope_spans.scope, 4)
                if "schemaUrl" in scope_value:
                    scope_spans.schema_url = _text(scope_value["schemaUrl"])
                spans = scope_spans.spans
                for span_value in _items(scope_value.get("spans")):
                    _span(span_value, spans.add())
    except (_Unusual, json_format.ParseError, ValueError, TypeError, AttributeError,
            RecursionError):
        return None
    return request


def _span(value: Any, span: Any) -> None:
    """One span's fields, set on the view's span (any doubt: `_Unusual`). The common
    forms are read inline: this runs for every span of a JSON body."""
    if type(value) is not dict or not value.keys() <= SPAN_KEYS:
        raise _Unusual
    get = value.get
    for key, field in _IDS:
        said = get(key)
        if said is not None:
            if type(said) is not str:
                raise _Unusual
            try:
                setattr(span, field, bytes.fromhex(said))
            except ValueError:
                setattr(span, field, NOT_HEX)
    said = get("name")
    if said is not None:
        if type(said) is not str:
            raise _Unusual
        span.name = said
    for key, field in _TIMES:
        said = get(key)
        if said is not None:
            span_time = said if type(said) is int else _integer(said)
            setattr(span, field, span_time)
    if not value.keys() <= COMMON_SPAN_KEYS:  # the others: some spans have some
        _other_fields(value, span)
    attributes = get("attributes")
    if attributes is not None:  # {} or 0 too: json_format refuses them
        _attributes(attributes, span.attributes)
    status = get("status")
    if status is not None:
        if type(status) is not dict or not status.keys() <= STATUS_KEYS:
            raise _Unusual
        span.status.SetInParent()  # present, even empty: as json_format sets it
        if "message" in status:
            span.status.message = _text(status["message"])
        if "code" in status:
            span.status.code = _enum(status["code"], STATUS_CODES)


def _other_fields(value: dict[str, Any], span: Any) -> None:
    if "traceState" in value:
        span.trace_state = _text(value["traceState"])
    if "flags" in value:
        span.flags = _integer(value["flags"])
    if "kind" in value:
        span.kind = _enum(value["kind"], SPAN_KINDS)
    for key, field in _COUNTS:
        if key in value:
            setattr(span, field, _integer(value[key]))
    for event in _items(value.get("events")):
        _parse(event, span.events.add(), 5)
    for link in _items(value.get("links")):
        # Link ids are hex too (the specification's one change to the JSON mapping):
        # a copy with them as bytes in base64, as json_format reads bytes.
        if type(link) is not dict:
            raise _Unusual  # dict() would take a list of pairs: json_format does not
        link = dict(link)
        for key in LINK_ID_KEYS:
            if key in link:
                link[key] = _base64_id(link[key])
        _parse(link, span.links.add(), 5)


_IDS = (("traceId", "trace_id"), ("spanId", "span_id"), ("parentSpanId", "parent_span_id"))
_TIMES = (("startTimeUnixNano", "start_time_unix_nano"),
          ("endTimeUnixNano", "end_time_unix_nano"))
_COUNTS = (("droppedAttributesCount", "dropped_attributes_count"),
           ("droppedEventsCount", "dropped_events_count"),
           ("droppedLinksCount", "dropped_links_count"))


def _attributes(values: Any, found: Any) -> None:
    """[{key, value}] into the span's attribute map (a key given twice: the last)."""
    if type(values) is not list:
        raise _Unusual
    for item in values:
        if type(item) is not dict:
            raise _Unusual
        key = item.get("key", "")
        if type(key) is not str or len(item) > 2:
            raise _Unusual
        value = item.get("value")
        target = found[key]  # adds the key (a key given again: its value replaced)
        if value is None:
            if "value" in item:
                raise _Unusual  # a null: json_format's to judge
            target.Clear()  # no value: an empty one, as the general path reads it
            continue
        if type(value) is not dict:
            raise _Unusual
        if len(value) == 1:
            if "stringValue" in value:
                target.string_value = _text(value["stringValue"])
                continue
            if "intValue" in value:
                target.int_value = _integer(value["intValue"])
                continue
            if "boolValue" in value:
                said = value["boolValue"]
                if type(said) is not bool:
                    raise _Unusual
                target.bool_value = said
                continue
            if "doubleValue" in value:
                number = value["doubleValue"]
                if type(number) is not float and type(number) is not int:
                    raise _Unusual  # "NaN", "Infinity": json_format reads those
                target.double_value = number
                continue
        target.Clear()
        _parse(value, target, 6)  # arrays, maps, bytes: its way


# json_format refuses a request whose messages nest more than this deep.
MAX_DEPTH = 100


def _parse(value: Any, message: Any, depth: int) -> None:
    """A small part of the request read by json_format, as the general path reads it.
    `depth`: the message's own in the request (the request 1, ResourceSpans 2, ...),
    so that what nests too deep for the whole request is refused here too."""
    json_format.ParseDict(value, message, ignore_unknown_fields=True,
                          max_recursion_depth=MAX_DEPTH + 1 - depth)


def _items(value: Any) -> list[Any]:
    if value is None:
        return []
    if type(value) is not list:
        raise _Unusual
    return value


def _text(value: Any) -> str:
    if type(value) is not str:
        raise _Unusual
    return value


def _integer(value: Any) -> int:
    """A 64-bit integer as JSON has it: a number, or a string of decimal digits."""
    if type(value) is int:
        return value
    if type(value) is str and value.isdigit() and value.isascii():
        return int(value)
    raise _Unusual  # signs, floats, spaces: json_format's to judge


def _enum(value: Any, names: dict[str, int]) -> int:
    if type(value) is int:
        return value
    if type(value) is str and value in names:
        return names[value]
    raise _Unusual


def _id(value: Any) -> bytes:
    if type(value) is not str:
        raise _Unusual
    try:
        return bytes.fromhex(value)
    except ValueError:
        return NOT_HEX


def _base64_id(value: Any) -> Any:
    import base64

    if type(value) is not str:
        return value  # json_format refuses it, as before
    return base64.b64encode(_id(value)).decode()
