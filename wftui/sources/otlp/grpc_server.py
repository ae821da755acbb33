"""OTLP/gRPC (the `grpc` extra: `pip install 'wftui[grpc]'`): the same receiver behind
the collector services' Export calls, on grpc's asyncio server.

gRPC decodes (and decompresses) the request; the receiver queues it for the same fold
as OTLP/HTTP. UNAUTHENTICATED without the bearer token when one is set; UNAVAILABLE
when the fold is behind or wftui is stopping (a code the OTLP exporters retry);
RESOURCE_EXHAUSTED for a message past the body limit. Those refusals are counted and
said on the source line. gRPC itself takes messages up to the decompressed limit (what
a request may hold in memory, as over HTTP), so that one past the body limit reaches us
and is said; only one past the decompressed limit is refused by gRPC alone, unsaid.
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
from wftui.sources.otlp.decode import STOPPING


async def _guard(receiver: Any, request: Any, context: Any) -> int:
    """Refuse a call without the token, past the body limit, or while the fold is behind
    or wftui stops; the request's size in bytes."""
    metadata = dict(context.invocation_metadata() or ())
    if not receiver.authorized(str(metadata.get("authorization", ""))):
        receiver.refused[401] = receiver.refused.get(401, 0) + 1
        receiver.last_refusal = "grpc: a bearer token is required"
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, "a bearer token is required")
    size = request.ByteSize()
    limit = receiver.limits.body_bytes
    if size > limit:  # as HTTP's 413; the sender's batch is too big to ever be taken
        reason = f"message of {size} bytes is past the {limit} byte limit"
        receiver.refused[413] = receiver.refused.get(413, 0) + 1
        receiver.last_refusal = f"grpc: {reason}"
        await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, reason)
    if receiver.closing:  # stopping: what was answered is being folded (`finish`)
        receiver.refused[503] = receiver.refused.get(503, 0) + 1
        receiver.last_refusal = f"grpc: {STOPPING}"
        await context.abort(grpc.StatusCode.UNAVAILABLE, STOPPING)
    if receiver.behind():
        receiver.refused[503] = receiver.refused.get(503, 0) + 1
        receiver.last_refusal = "grpc: ingest is behind; retry later"
        await context.abort(grpc.StatusCode.UNAVAILABLE, "ingest is behind; retry later")
    return size


class TraceService(trace_service_pb2_grpc.TraceServiceServicer):
    """opentelemetry.proto.collector.trace.v1.TraceService/Export."""

    def __init__(self, receiver: Any) -> None:
        self.receiver = receiver

    async def Export(self, request: Any, context: Any) -> Any:  # noqa: N802 - gRPC name
        self.receiver.requests += 1
        size = await _guard(self.receiver, request, context)
        return await self.receiver.accept("traces", request, size)


class LogsService(logs_service_pb2_grpc.LogsServiceServicer):
    """opentelemetry.proto.collector.logs.v1.LogsService/Export."""

    def __init__(self, receiver: Any) -> None:
        self.receiver = receiver

    async def Export(self, request: Any, context: Any) -> Any:  # noqa: N802 - gRPC name
        self.receiver.requests += 1
        size = await _guard(self.receiver, request, context)
        return await self.receiver.accept("logs", request, size)


async def start_grpc(receiver: Any, host: str, port: int) -> Any:
    """Start serving; OSError when the address cannot be bound."""
    # Above the body limit, so that a message past it reaches `_guard`, to be counted
    # and said; bounded by the decompressed limit (one request's memory, as over HTTP).
    limits = receiver.limits
    limit = max(limits.body_bytes, limits.decompressed_bytes)
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
