"""OTLP/gRPC (the `grpc` extra: `pip install 'wftui[grpc]'`): the same receiver behind
the collector services' Export calls, on grpc's asyncio server.

gRPC decodes (and decompresses) the request; the receiver queues it for the same fold
as OTLP/HTTP. UNAUTHENTICATED without the bearer token when one is set; UNAVAILABLE
when the fold is behind (a code the OTLP exporters retry); messages past the body limit
are refused by gRPC itself (RESOURCE_EXHAUSTED).
"""

from __future__ import annotations

from typing import Any

import grpc  # type: ignore[import-untyped]
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceResponse,
)

from wftui.core.span_view import TraceRequestView
from wftui.sources.otlp.receiver import STOPPING


async def _guard(receiver: Any, context: Any) -> None:
    """Refuse a call without the token, or while the fold is behind."""
    metadata = dict(context.invocation_metadata() or ())
    if not receiver.authorized(str(metadata.get("authorization", ""))):
        receiver.refused[401] = receiver.refused.get(401, 0) + 1
        receiver.last_refusal = "grpc: a bearer token is required"
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, "a bearer token is required")
    if receiver.closing:  # stopping: what was answered is being folded (`finish`)
        receiver.refused[503] = receiver.refused.get(503, 0) + 1
        receiver.last_refusal = f"grpc: {STOPPING}"
        await context.abort(grpc.StatusCode.UNAVAILABLE, STOPPING)
    if receiver.behind():
        receiver.refused[503] = receiver.refused.get(503, 0) + 1
        receiver.last_refusal = "grpc: ingest is behind; retry later"
        await context.abort(grpc.StatusCode.UNAVAILABLE, "ingest is behind; retry later")


class TraceService(trace_service_pb2_grpc.TraceServiceServicer):
    """opentelemetry.proto.collector.trace.v1.TraceService/Export."""

    def __init__(self, receiver: Any) -> None:
        self.receiver = receiver

    async def Export(self, request: Any, context: Any) -> Any:  # noqa: N802 - gRPC name
        self.receiver.requests += 1
        await _guard(self.receiver, context)
        return await self.receiver.accept("traces", request, request.ByteSize())


class LogsService(logs_service_pb2_grpc.LogsServiceServicer):
    """opentelemetry.proto.collector.logs.v1.LogsService/Export."""

    def __init__(self, receiver: Any) -> None:
        self.receiver = receiver

    async def Export(self, request: Any, context: Any) -> Any:  # noqa: N802 - gRPC name
        self.receiver.requests += 1
        await _guard(self.receiver, context)
        return await self.receiver.accept("logs", request, request.ByteSize())


async def start_grpc(receiver: Any, host: str, port: int) -> Any:
    """Start serving; OSError when the address cannot be bound."""
    limit = receiver.limits.body_bytes
    server = grpc.aio.server(options=[("grpc.max_receive_message_length", limit)])
    # Export's requests decode straight into the span reader's view (`span_view`), as
    # OTLP/HTTP protobuf bodies do, not into the real message and then again.
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
        "opentelemetry.proto.collector.trace.v1.TraceService",
        {"Export": grpc.unary_unary_rpc_method_handler(
            TraceService(receiver).Export,
            request_deserializer=TraceRequestView.FromString,
            response_serializer=ExportTraceServiceResponse.SerializeToString)}),))
    logs_service_pb2_grpc.add_LogsServiceServicer_to_server(LogsService(receiver), server)
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        bound = server.add_insecure_port(address)
    except RuntimeError as error:
        raise OSError(f"cannot listen on {address} (gRPC): {error}") from None
    if bound == 0:
        raise OSError(f"cannot listen on {address} (gRPC)")
    await server.start()
    return server
