"""The trace view (`wftui.core.span_view`): the same bytes read as the real messages
read them, a span's attributes looked up by key."""

from __future__ import annotations

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)

from wftui.core.otlp_values import any_value
from wftui.core.span_view import TraceRequestView, as_view


def _request() -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource = request.resource_spans.add()
    kv = resource.resource.attributes.add()
    kv.key, kv.value.string_value = "service.name", "billing"
    span = resource.scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.name = b"\x01" * 16, b"\x02" * 8, "chat"
    span.start_time_unix_nano, span.end_time_unix_nano = 5, 9
    span.status.code = 2
    for key, kind, value in (("step_type", "string_value", "llm"),
                             ("gen_ai.usage.input_tokens", "int_value", 800),
                             ("success", "bool_value", False),
                             ("ratio", "double_value", 0.25),
                             ("step_type", "string_value", "tool")):  # given twice
        kv = span.attributes.add()
        kv.key = key
        setattr(kv.value, kind, value)
    kv = span.attributes.add()
    kv.key = "tags"
    kv.value.array_value.values.add().string_value = "a"
    event = span.events.add()
    event.name, event.time_unix_nano = "exception", 7
    return request


def test_a_span_reads_the_same_through_the_view() -> None:
    real = _request()
    view = as_view(real)
    assert type(view) is TraceRequestView
    assert TraceRequestView.FromString(real.SerializeToString()) == view
    span = view.resource_spans[0].scope_spans[0].spans[0]
    assert (span.trace_id, span.span_id, span.name, span.start_time_unix_nano,
            span.end_time_unix_nano, span.status.code) == (b"\x01" * 16, b"\x02" * 8,
                                                           "chat", 5, 9, 2)
    assert [e.name for e in span.events] == ["exception"]
    assert view.resource_spans[0].resource.attributes[0].value.string_value == "billing"
    attributes = span.attributes
    assert {key: any_value(attributes[key]) for key in attributes} == {
        "step_type": "tool",  # a key given twice: its last value
        "gen_ai.usage.input_tokens": 800, "success": False, "ratio": 0.25, "tags": ["a"]}
    assert attributes.get("execution_id") is None and "execution_id" not in attributes


def test_a_view_is_not_read_twice() -> None:
    view = as_view(_request())
    assert as_view(view) is view
