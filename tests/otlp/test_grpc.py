"""OTLP/gRPC (the grpc extra) with the real SDK's gRPC exporter: the same executions and
figures as over HTTP (`run_five`, worked out by hand), and the token."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import free_port, wait_for
from tests.otlp.article import T0, Article, provider, run_five
from wftui.core.figures import log_figures

pytest.importorskip("grpc", reason="the grpc extra is not installed")


def grpc_exporter(port: int, **kwargs: Any) -> Any:
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    return OTLPSpanExporter(endpoint=f"127.0.0.1:{port}", insecure=True, **kwargs)


def test_five_executions_over_grpc(make_receiver: Any) -> None:
    port = free_port()
    running = make_receiver(grpc_address=("127.0.0.1", port))
    trace_provider = provider(grpc_exporter(port))
    run_five(Article(trace_provider.get_tracer("support")))
    assert trace_provider.force_flush()
    trace_provider.shutdown()
    running.wait_executions(5)
    with running.lock:
        assert running.ledger.counts(T0 + 3600) == {
            "total": 5, "running": 0, "succeeded": 4, "failed": 1}
        figures = log_figures(running.ledger, None, T0 + 50, T0 + 3600)
    assert figures.error_rate == pytest.approx(0.2)
    assert figures.latency_s == pytest.approx({"p50": 6.0, "p95": 9.6, "p99": 9.92})
    assert running.receiver.status()["name"].endswith(f"grpc 127.0.0.1:{port}")


def test_grpc_requires_the_token_when_set(make_receiver: Any) -> None:
    port = free_port()
    running = make_receiver(grpc_address=("127.0.0.1", port), token="s3cret")
    refused = provider(grpc_exporter(port, timeout=5))
    run_five(Article(refused.get_tracer("support")))
    refused.force_flush()
    refused.shutdown()
    wait_for(lambda: running.receiver.refused.get(401), "the call without a token refused")
    assert running.executions() == {}
    allowed = provider(grpc_exporter(port, headers=(("authorization", "Bearer s3cret"),)))
    run_five(Article(allowed.get_tracer("support")))
    assert allowed.force_flush()
    allowed.shutdown()
    running.wait_executions(5)


def test_watch_with_otlp_grpc_only(tmp_path: Any) -> None:
    import signal
    import socket

    from tests.otlp.test_watch_otlp import expect_five
    from tests.test_watch import WatchProcess

    port = free_port()
    process = WatchProcess(["--otlp-grpc", f"127.0.0.1:{port}", "--window", "all",
                            "--every", "1s"], tmp_path)
    try:
        def listening() -> bool:
            with socket.socket() as sock:
                return sock.connect_ex(("127.0.0.1", port)) == 0
        wait_for(lambda: listening() or process.proc.poll() is not None, "gRPC to listen")
        trace_provider = provider(grpc_exporter(port))
        run_five(Article(trace_provider.get_tracer("support")))
        assert trace_provider.force_flush()
        trace_provider.shutdown()
        process.wait_snapshot(lambda s: s["executions"]["total"] == 5, "five executions")
        assert process.finish(signal.SIGINT) == 1
        expect_five(process.snapshots()[-1])
    finally:
        process.close()


def test_spans_checked_for_a_call_past_its_deadline_are_still_folded(
        make_receiver: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The client gave up (its deadline passed) while the request was being checked:
    the call is cancelled on the server, but a request once checked is read and folded
    all the same (the check queues it itself), and the bytes counted for it stop
    counting."""
    import threading

    import grpc
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2_grpc import (
        TraceServiceStub,
    )

    from wftui.sources.otlp import receiver as receiver_module

    port = free_port()
    running = make_receiver(grpc_address=("127.0.0.1", port))
    checking, release = threading.Event(), threading.Event()
    usable_spans = receiver_module.usable_spans

    def slow(request: Any) -> Any:
        checking.set()
        release.wait(30)
        return usable_spans(request)

    monkeypatch.setattr(receiver_module, "usable_spans", slow)
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.name = bytes(range(16)), bytes(range(8)), "wf"
    span.start_time_unix_nano, span.end_time_unix_nano = T0 * 10**9, (T0 + 1) * 10**9
    attribute = span.attributes.add()
    attribute.key, attribute.value.string_value = "execution_id", "late"
    with (grpc.insecure_channel(f"127.0.0.1:{port}") as channel,
          pytest.raises(grpc.RpcError) as gave_up):
        TraceServiceStub(channel).Export(request, timeout=0.5)
    assert gave_up.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert checking.is_set()  # the check was under way when the call ended
    release.set()
    running.wait_executions(1)
    assert list(running.executions()) == ["late"]
    wait_for(lambda: running.receiver.unfolded_bytes == 0, "nothing left to fold")


def test_a_check_past_its_calls_deadline_that_fails_leaves_nothing_counted(
        make_receiver: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The client gave up while its request was checked, and the check then failed
    (a bug of ours): nothing is left to fold, so its bytes stop counting toward the
    queue bound; they stayed counted for ever, and the bound filled (503 to every
    sender) after enough such calls."""
    import threading

    import grpc
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2_grpc import (
        TraceServiceStub,
    )

    from wftui.sources.otlp import receiver as receiver_module

    port = free_port()
    running = make_receiver(grpc_address=("127.0.0.1", port))
    checking, release = threading.Event(), threading.Event()

    def fails_late(request: Any) -> Any:
        checking.set()
        release.wait(30)
        raise RuntimeError("a check that failed")

    monkeypatch.setattr(receiver_module, "usable_spans", fails_late)
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.name = bytes(range(16)), bytes(range(8)), "wf"
    span.start_time_unix_nano, span.end_time_unix_nano = T0 * 10**9, (T0 + 1) * 10**9
    with (grpc.insecure_channel(f"127.0.0.1:{port}") as channel,
          pytest.raises(grpc.RpcError) as gave_up):
        TraceServiceStub(channel).Export(request, timeout=0.5)
    assert gave_up.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert checking.is_set() and running.receiver.unfolded_bytes > 0
    release.set()
    wait_for(lambda: running.receiver.unfolded_bytes == 0, "its bytes uncounted")
    assert running.executions() == {}
