"""OTLP/gRPC requests past the body limit are refused, counted and said, as over HTTP
(413 there): gRPC refused them itself before, and the source line said nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import free_port, wait_for
from tests.otlp.article import T0, ns, provider
from tests.otlp.conftest import ReceiverLimits

pytest.importorskip("grpc", reason="the grpc extra is not installed")

LIMIT = 4000


def big_request(size: int) -> Any:
    """An ExportTraceServiceRequest of one named span with an attribute `size` long."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.name = bytes(range(1, 17)), bytes(range(1, 9)), "wf"
    span.start_time_unix_nano, span.end_time_unix_nano = T0 * 10**9, (T0 + 1) * 10**9
    for key, value in (("execution_id", "BIG-1"), ("note", "x" * size)):
        attribute = span.attributes.add()
        attribute.key, attribute.value.string_value = key, value
    return request


def test_a_message_past_the_body_limit_is_refused_counted_and_said(
        make_receiver: Any) -> None:
    import grpc
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2_grpc import (
        TraceServiceStub,
    )

    port = free_port()
    running = make_receiver(grpc_address=("127.0.0.1", port),
                            limits=ReceiverLimits(body_bytes=LIMIT))
    request = big_request(LIMIT)
    size = request.ByteSize()
    assert size > LIMIT
    with (grpc.insecure_channel(f"127.0.0.1:{port}") as channel,
          pytest.raises(grpc.RpcError) as refused):
        TraceServiceStub(channel).Export(request, timeout=10)
    said = f"message of {size} bytes is past the {LIMIT} byte limit"
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert refused.value.details() == said
    status = running.receiver.status()
    assert status["refused_requests"] == 1
    assert status["last_refusal"] == f"grpc: {said}"
    assert status["spans"] == 0 and running.executions() == {}
    # One under the limit still goes through.
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        TraceServiceStub(channel).Export(big_request(LIMIT - 200), timeout=10)
    running.wait_executions(1)
    assert list(running.executions()) == ["BIG-1"]
    assert running.receiver.status()["refused_requests"] == 1


def test_the_sdk_exporter_refused_for_size_is_said_on_the_source_line(
        make_receiver: Any) -> None:
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    port = free_port()
    running = make_receiver(grpc_address=("127.0.0.1", port),
                            limits=ReceiverLimits(body_bytes=LIMIT))
    # The SDK retries RESOURCE_EXHAUSTED within its timeout: kept short.
    trace_provider = provider(OTLPSpanExporter(endpoint=f"127.0.0.1:{port}",
                                               insecure=True, timeout=2))
    span = trace_provider.get_tracer("support").start_span("wf", start_time=ns(0))
    span.set_attribute("execution_id", "BIG-2")
    span.set_attribute("note", "x" * (2 * LIMIT))
    span.end(end_time=ns(1))
    trace_provider.force_flush()
    trace_provider.shutdown()
    wait_for(lambda: running.receiver.refused.get(413), "the big call refused")
    status = running.receiver.status()
    assert status["last_refusal"].startswith("grpc: message of ")
    assert status["last_refusal"].endswith(f"bytes is past the {LIMIT} byte limit")
    assert status["spans"] == 0 and running.executions() == {}
