"""OTLP trace requests read through a view whose spans keep their attributes in a map.

On the wire, `repeated KeyValue attributes` (KeyValue: `string key = 1; AnyValue value
= 2`) is exactly what a protobuf `map<string, AnyValue>` is. Declaring Span's field 9
as that map lets the protobuf library (upb, in C) index a span's attributes as it
decodes them, so the reader looks up the few keys it reads (`span_fields.NEEDED`)
instead of walking every attribute in Python and building a KeyValue and a key string
for each: that walk was most of the cost of reading a span (bench/otlp.py). A key
given twice keeps its last value, as the reader did before.

The view is the opentelemetry-proto package's own descriptors with that one field
changed, in a pool of its own (the real messages are untouched); everything else
(ids, times, status, events, links, resource) reads as in the real messages.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import (  # type: ignore[import-untyped]
    descriptor_pb2,
    descriptor_pool,
    message_factory,
)
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.resource.v1 import resource_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

_ANY_VALUE = ".opentelemetry.proto.common.v1.AnyValue"
_ENTRY = "AttributesEntry"
_REPEATED, _OPTIONAL = 3, 1
_STRING, _MESSAGE = 9, 11
_REQUEST = "opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest"


def _attributes_as_map(file: Any) -> None:
    """Span.attributes (field 9) as map<string, AnyValue>, in a copied descriptor."""
    span = next(message for message in file.message_type if message.name == "Span")
    entry = span.nested_type.add(name=_ENTRY)
    entry.options.map_entry = True
    entry.field.add(name="key", number=1, label=_OPTIONAL, type=_STRING)
    entry.field.add(name="value", number=2, label=_OPTIONAL, type=_MESSAGE,
                    type_name=_ANY_VALUE)
    field = next(f for f in span.field if f.name == "attributes")
    field.type_name = f".{file.package}.Span.{_ENTRY}"
    field.label = _REPEATED


def _view_request_class() -> Any:
    pool = descriptor_pool.DescriptorPool()
    for module in (common_pb2, resource_pb2, trace_pb2, trace_service_pb2):
        file = descriptor_pb2.FileDescriptorProto()
        module.DESCRIPTOR.CopyToProto(file)
        if module is trace_pb2:
            _attributes_as_map(file)
        pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(_REQUEST))


# ExportTraceServiceRequest, its spans' attributes a map (key -> AnyValue).
TraceRequestView: Any = _view_request_class()


def as_view(request: Any) -> Any:
    """The request as a view (the real message is re-read: JSON bodies, gRPC, tests)."""
    if type(request) is TraceRequestView:
        return request
    return TraceRequestView.FromString(request.SerializeToString())
