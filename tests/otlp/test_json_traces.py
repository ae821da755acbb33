"""OTLP/JSON trace requests read without `json_format` (`json_traces`) are the messages
the protobuf library's JSON parser makes of them: the same spans, or the same refusal.

The reference is `json_format.ParseDict` on the request with its hex ids turned into
base64 (the general path, which every request took before), read through the view.
"""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)

from wftui.core.span_view import as_view
from wftui.sources.otlp import decode
from wftui.sources.otlp.decode import BodyError, message_from_dict
from wftui.sources.otlp.json_traces import trace_view_from_json

TRACE = "5b8efff798038103d269b633813fc60c"
SPAN = "eee19b7ec3c1b174"
PARENT = "eee19b7ec3c1b173"


def general(value: dict[str, Any]) -> Any:
    """The request as json_format reads it (hex ids as base64 first), as the view."""
    value = copy.deepcopy(value)
    decode._fix_ids(value)
    message = ExportTraceServiceRequest()
    try:
        json_format.ParseDict(value, message, ignore_unknown_fields=True)
    except Exception:  # noqa: BLE001 - refused: the fast path must refuse it too
        return None
    return as_view(message)


def request(*spans: dict[str, Any]) -> dict[str, Any]:
    return {"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name",
                                     "value": {"stringValue": "billing"}}]},
        "scopeSpans": [{"scope": {"name": "workflow", "version": "1"},
                        "spans": list(spans)}]}]}


def span(**fields: Any) -> dict[str, Any]:
    return {"traceId": TRACE, "spanId": SPAN, "parentSpanId": PARENT, "name": "chat",
            "kind": 3, "startTimeUnixNano": "1767268800000000000",
            "endTimeUnixNano": "1767268801500000000", **fields}


def test_a_span_as_the_specification_writes_it() -> None:
    """Every field of a span, in the forms the specification allows, read on the fast
    path into the span the general path makes."""
    value = request(span(
        traceState="ot=th:8", flags=257, kind="SPAN_KIND_CLIENT",
        startTimeUnixNano=1767268800000000000,  # a number, not a string
        attributes=[
            {"key": "execution_id", "value": {"stringValue": "EXEC-1"}},
            {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "800"}},
            {"key": "gen_ai.usage.output_tokens", "value": {"intValue": 200}},
            {"key": "success", "value": {"boolValue": False}},
            {"key": "ratio", "value": {"doubleValue": 0.25}},
            {"key": "whole", "value": {"doubleValue": 3}},
            {"key": "tags", "value": {"arrayValue": {"values": [{"stringValue": "a"}]}}},
            {"key": "args", "value": {"kvlistValue": {"values": [
                {"key": "q", "value": {"stringValue": "refund"}}]}}},
            {"key": "blob", "value": {"bytesValue": "AAEC"}},
            {"key": "empty", "value": {}},
            {"key": "absent"},
            {"key": "step_type", "value": {"stringValue": "llm"}},
            {"key": "step_type", "value": {"stringValue": "tool"}},  # given twice
        ],
        droppedAttributesCount=2, droppedEventsCount=1, droppedLinksCount=3,
        events=[{"timeUnixNano": "1767268801000000000", "name": "exception",
                 "attributes": [{"key": "exception.message",
                                 "value": {"stringValue": "boom"}}]}],
        links=[{"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331",
                "traceState": "a=b", "flags": 1}],
        status={"code": "STATUS_CODE_ERROR", "message": "ticket service down"}))
    fast = trace_view_from_json(copy.deepcopy(value))
    assert fast is not None
    assert fast == general(value)
    read = fast.resource_spans[0].scope_spans[0].spans[0]
    # Worked out from the request above, not from either path.
    assert read.trace_id == bytes.fromhex(TRACE) and read.span_id == bytes.fromhex(SPAN)
    assert (read.kind, read.flags, read.status.code) == (3, 257, 2)
    assert read.start_time_unix_nano == 1767268800000000000
    assert read.attributes["step_type"].string_value == "tool"
    assert read.attributes["gen_ai.usage.input_tokens"].int_value == 800
    assert read.links[0].trace_id == bytes.fromhex("0af7651916cd43dd8448eb211c80319c")


def test_status_given_empty_is_there_as_the_general_path_has_it() -> None:
    for status in ({}, {"code": 0}, {"message": "ok"}):
        value = request(span(status=status))
        fast = trace_view_from_json(copy.deepcopy(value))
        assert fast is not None and fast == general(value)
        assert fast.resource_spans[0].scope_spans[0].spans[0].HasField("status")


def test_ids_not_hex_read_as_the_general_path_reads_them() -> None:
    value = request(span(traceId="not hex at all", spanId="", parentSpanId="abc"))
    fast = trace_view_from_json(copy.deepcopy(value))
    assert fast is not None and fast == general(value)
    read = fast.resource_spans[0].scope_spans[0].spans[0]
    assert (read.trace_id, read.span_id, read.parent_span_id) == (b"\x00", b"", b"\x00")


@pytest.mark.parametrize("unusual", [
    {"trace_id": TRACE},  # snake_case: json_format accepts it
    {"name": None},
    {"startTimeUnixNano": 1.5},
    {"startTimeUnixNano": "-5"},
    {"kind": "SPAN_KIND_NOT_A_KIND"},
    {"kind": True},
    {"attributes": [{"key": "x", "value": {"doubleValue": "NaN"}}]},
    {"attributes": [{"key": "x", "value": {"intValue": "12 "}}]},
    {"attributes": [{"key": "x", "value": {"boolValue": 1}}]},
    {"attributes": [{"key": "x", "value": None}]},
    {"attributes": [{"key": "x", "value": {"stringValue": "a", "intValue": 1}}]},
    {"attributes": {"x": 1}},
    {"status": {"code": 2, "extra": 1}},
    {"status": "error"},
    {"unknownField": 1},
])
def test_other_shapes_read_or_refused_as_json_format_does(unusual: dict[str, Any]) -> None:
    _same_as_general(request(span(**unusual)))


def test_a_request_of_another_shape_is_left_to_json_format() -> None:
    assert trace_view_from_json({"resource_spans": []}) is None
    assert trace_view_from_json({"resourceSpans": [{"scope_spans": []}]}) is None
    assert trace_view_from_json({"resourceSpans": "x"}) is None


def _random_value(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    kind = rng.choice(["stringValue", "intValue", "intValue", "boolValue", "doubleValue",
                       "arrayValue", "kvlistValue", "bytesValue", "empty", "odd"])
    if kind == "stringValue":
        return {kind: rng.choice(["", "llm", "gpt-4o", "é\u0000\x1b[31m"])}
    if kind == "intValue":
        number = rng.choice([0, 1, -3, 2**63 - 1, 2**63, 800])
        return {kind: rng.choice([number, str(number)])}
    if kind == "boolValue":
        return {kind: rng.choice([True, False])}
    if kind == "doubleValue":
        return {kind: rng.choice([0.5, 3, -1e300, "Infinity", "NaN"])}
    if kind in ("arrayValue", "kvlistValue") and depth < 2:
        values = [_random_value(rng, depth + 1) for _ in range(rng.randrange(3))]
        if kind == "kvlistValue":
            return {kind: {"values": [{"key": f"k{i}", "value": v}
                                      for i, v in enumerate(values)]}}
        return {kind: {"values": values}}
    if kind == "bytesValue":
        return {kind: rng.choice(["AAEC", "not base64!"])}
    if kind == "odd":
        return rng.choice([{}, {"stringValue": 5}, {"intValue": 1.0}, {"whatever": 1}])
    return {}


def _random_span(rng: random.Random) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "traceId": rng.choice([TRACE, TRACE[:-2], "zz" * 16, ""]),
        "spanId": rng.choice([SPAN, PARENT, ""]),
        "name": rng.choice(["chat", "", "workflow_execution"]),
        "startTimeUnixNano": rng.choice([1767268800000000000, "1767268800000000000",
                                         "0", 0]),
        "endTimeUnixNano": rng.choice(["1767268801000000000", 1767268801000000000]),
    }
    optional: dict[str, Any] = {
        "parentSpanId": rng.choice([PARENT, ""]),
        "traceState": rng.choice(["", "ot=th:8", "ot=p:3"]),
        "flags": rng.choice([0, 1, 256, 257, "257"]),
        "kind": rng.choice([0, 1, 2, 5, 9, "SPAN_KIND_SERVER", "SPAN_KIND_INTERNAL"]),
        "attributes": [{"key": rng.choice(["execution_id", "step_type", "success",
                                           "gen_ai.usage.input_tokens", "x"]),
                        "value": _random_value(rng)} for _ in range(rng.randrange(6))],
        "droppedAttributesCount": rng.choice([0, 4, "4"]),
        "events": [{"name": "exception", "timeUnixNano": "5",
                    "attributes": [{"key": "exception.type",
                                    "value": _random_value(rng)}]}],
        "links": [{"traceId": rng.choice([TRACE, "nothex"]), "spanId": SPAN}],
        "status": rng.choice([{}, {"code": 2}, {"code": "STATUS_CODE_OK"},
                              {"code": 1, "message": "fine"}]),
    }
    for key, value in optional.items():
        if rng.random() < 0.5:
            fields[key] = value
    return fields


def _random_request(seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    return {"resourceSpans": [
        {"resource": {"attributes": [{"key": "service.name",
                                      "value": {"stringValue": f"svc{r}"}}]},
         "scopeSpans": [{"scope": {"name": "s"},
                         "spans": [_random_span(rng) for _ in range(rng.randrange(5))]}
                        for _ in range(rng.randrange(1, 3))]}
        for r in range(rng.randrange(1, 3))]}


@pytest.mark.parametrize("seed", range(40))
def test_random_requests_read_as_json_format_reads_them(seed: int) -> None:
    _same_as_general(_random_request(seed))


def test_the_random_requests_take_both_paths() -> None:
    """Else the test above would compare the general path with itself."""
    fast = sum(trace_view_from_json(_random_request(seed)) is not None
               for seed in range(40))
    assert 8 <= fast <= 32


def _same_as_general(value: dict[str, Any]) -> None:
    """message_from_dict reads it as json_format does: the same message, or a refusal."""
    expected = general(value)
    if expected is None:
        with pytest.raises(BodyError):
            message_from_dict(copy.deepcopy(value), "traces")
    else:
        assert as_view(message_from_dict(copy.deepcopy(value), "traces")) == expected


@pytest.mark.parametrize("attributes", [{}, 0, False, ""])
def test_attributes_not_a_list_are_refused_even_when_empty(attributes: Any) -> None:
    """json_format refuses a repeated field given as anything but a list."""
    value = request(span(attributes=attributes))
    assert trace_view_from_json(copy.deepcopy(value)) is None
    with pytest.raises(BodyError):
        message_from_dict(value, "traces")


@pytest.mark.parametrize("link", [[["traceId", TRACE], ["spanId", SPAN]], [], "", None])
def test_a_link_that_is_not_an_object_is_read_as_json_format_reads_it(link: Any) -> None:
    """A list of pairs is not a link (json_format refuses it), though dict() takes it."""
    value = request(span(links=[link]))
    if link:
        with pytest.raises(BodyError):
            message_from_dict(copy.deepcopy(value), "traces")
    _same_as_general(value)


@pytest.mark.parametrize("where", ["resource", "scope"])
def test_an_empty_resource_or_scope_is_there_as_the_general_path_has_it(where: str) -> None:
    """json_format sets a message field given as {} (present, empty), as for status."""
    value = {"resourceSpans": [{"scopeSpans": [{"spans": [span()]}]}]}
    if where == "resource":
        value["resourceSpans"][0]["resource"] = {}
    else:
        value["resourceSpans"][0]["scopeSpans"][0]["scope"] = {}
    fast = trace_view_from_json(copy.deepcopy(value))
    assert fast is not None
    resource_spans = fast.resource_spans[0]
    holder = resource_spans if where == "resource" else resource_spans.scope_spans[0]
    assert holder.HasField(where)
    assert fast == general(value)


def _nested(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"stringValue": "x"}
    for _ in range(levels):
        value = {"arrayValue": {"values": [value]}}
    return value


# Where a value sits, and the depth (json_format counts messages from the request, at
# most 100) of its outermost AnyValue: request 1, ResourceSpans 2, Resource and
# ScopeSpans 3, Scope and Span 4, KeyValue/Event/Link 5, an event's or link's KeyValue 6.
@pytest.mark.parametrize(("where", "depth"), [
    ("span", 6), ("event", 7), ("link", 7), ("resource", 5), ("scope", 6)])
def test_values_nested_deep_are_refused_at_the_depth_json_format_refuses(
        where: str, depth: int) -> None:
    for levels in range(44, 52):
        attributes = [{"key": "a", "value": _nested(levels)}]
        one = span()
        resource: dict[str, Any] = {}
        scope: dict[str, Any] = {}
        if where == "span":
            one["attributes"] = attributes
        elif where == "event":
            one["events"] = [{"name": "e", "attributes": attributes}]
        elif where == "link":
            one["links"] = [{"traceId": TRACE, "spanId": SPAN, "attributes": attributes}]
        elif where == "resource":
            resource["attributes"] = attributes
        else:
            scope["attributes"] = attributes
        value = {"resourceSpans": [{"resource": resource, "scopeSpans": [
            {"scope": scope, "spans": [one]}]}]}
        if depth + 2 * levels > 100:  # the innermost AnyValue past json_format's limit
            with pytest.raises(BodyError):
                message_from_dict(copy.deepcopy(value), "traces")
        _same_as_general(value)


@pytest.mark.parametrize("kind", ["traces", "logs"])
def test_a_body_nested_as_deep_as_json_goes_is_refused_not_a_recursion_error(
        kind: str) -> None:
    """orjson reads up to 1,024 levels: a body that deep is refused with a reason (the
    receiver answers 400 with it) instead of running Python out of stack."""
    key = "resourceSpans" if kind == "traces" else "resourceLogs"
    value = {key: [{"scopeSpans": [{"spans": []}]}]}
    node: list[Any] = value[key]
    for _ in range(1000):
        inner: list[Any] = []
        node.append(inner)
        node = inner
    with pytest.raises(BodyError, match=f"not an OTLP {kind} request"):
        message_from_dict(value, kind)
