"""Stopping with OTLP requests answered but not yet folded.

The receiver answers a request once it is checked; reading and folding it comes later,
on the fold's thread. A sender told "delivered" just before the stop must find its
spans in `wftui watch`'s final figures: at a stop the receiver takes no new request
(503 / UNAVAILABLE: the sender keeps them and retries), folds what it answered for up to
`DRAIN_S`, and says how many requests it could not fold in that time.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import free_port, wait_for
from tests.otlp.article import Article, proto_exporter, provider, run_five
from tests.otlp.conftest import Running
from tests.otlp.test_watch_otlp import expect_five, listening
from tests.test_watch import WatchProcess
from wftui.live import LiveMonitor
from wftui.sources.otlp import receiver as receiver_module

# Longer than watch's settle (0.2 s without news): the final snapshot was taken while
# the fold of the request answered last still ran.
SLOW_FOLD_S = 0.8


def one_request(url: str) -> None:
    """The article's five executions, all 15 spans in one OTLP/HTTP request (a batch
    processor's flush), answered before this returns."""
    trace_provider = provider(proto_exporter(f"{url}/v1/traces"), batch=True)
    run_five(Article(trace_provider.get_tracer("support")))
    assert trace_provider.force_flush()
    trace_provider.shutdown()


def test_watch_final_figures_hold_a_batch_answered_just_before_the_stop(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fold that takes a while (the ledger's lock held by a snapshot, a big batch):
    the batch was answered 200, then SIGINT; the final snapshot said 0 executions."""
    fold = LiveMonitor._ingest_spans

    def slow_fold(self: LiveMonitor, source: str, lines: list[bytes]) -> None:
        time.sleep(SLOW_FOLD_S)
        fold(self, source, lines)

    # Patched here, before the fork: `wftui watch` runs in a fork of this process.
    monkeypatch.setattr(LiveMonitor, "_ingest_spans", slow_fold)
    port = free_port()
    process = WatchProcess(["--otlp", f"127.0.0.1:{port}", "--window", "all",
                            "--every", "1s"], tmp_path)
    try:
        wait_for(lambda: listening(port) or process.proc.poll() is not None,
                 "the receiver to listen")
        one_request(f"http://127.0.0.1:{port}")  # answered: delivered, says OTLP
        assert process.finish(signal.SIGINT) == 1  # error rate 0.2 fires
        final = process.snapshots()[-1]
        expect_five(final)
        otlp = next(s for s in final["sources"] if s["kind"] == "otlp")
        assert otlp["spans"] == 15 and otlp["fold_failures"] == 0
    finally:
        process.close()


def test_a_fold_that_never_ends_delays_the_stop_a_bounded_time_and_is_said(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The fold is stuck: finishing waits `DRAIN_S`, not for ever, and says how many
    answered requests were not folded; a request once finishing began is refused with
    a retry asked for, never answered 200 and dropped."""
    monkeypatch.setattr(receiver_module, "DRAIN_S", 1.0)
    running = Running().start()
    try:
        running.gate.clear()  # the fold holds at its first request
        for _ in range(2):
            one_request(running.url)
        receiver = running.receiver
        assert running.executions() == {}
        began = time.monotonic()
        asyncio.run_coroutine_threadsafe(receiver.finish(), running._loop).result(10)
        assert 1.0 <= time.monotonic() - began < 2.0
        status = receiver.status()
        assert status["fold_failures"] == 2
        assert status["last_fold_failure"].startswith("2 request(s) answered")
        answer = httpx.post(f"{running.url}/v1/traces", content=b"",
                            headers={"Content-Type": "application/x-protobuf"}, timeout=10)
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "1"
        assert receiver.status()["refused_requests"] == 1
        assert "stopping" in receiver.status()["last_refusal"]
    finally:
        running.stop()


def test_the_stop_folds_every_request_answered_and_the_traces_still_held(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests queued behind a slow fold are folded before the receiver ends; spans
    still waiting for their trace's name go out under the trace id (the sender is
    done: no part of the trace will come to name it)."""
    running = Running().start()
    try:
        running.gate.clear()
        one_request(running.url)
        one_request(running.url)  # queued behind the first
        trace_provider = provider(proto_exporter(f"{running.url}/v1/traces"), batch=True)
        tracer = trace_provider.get_tracer("support")
        root = tracer.start_span("outer")
        with tracer.start_as_current_span("child", context=_context_of(root)):
            pass  # a child whose root never ends: held, nameless
        assert trace_provider.force_flush()
        trace_provider.shutdown()
        assert running._stop is not None
        running._loop.call_soon_threadsafe(running._stop.set)
        time.sleep(0.3)  # the stop has begun; the fold is still held
        running.gate.set()
        running._thread.join(10)
        assert not running._thread.is_alive()
        assert running.receiver.fold_failures == 0
        executions = running.executions()
        assert sorted(executions) == sorted(
            ["EXEC-1", "EXEC-2", "EXEC-3", "EXEC-4", "EXEC-5",
             format(root.get_span_context().trace_id, "032x")])
    finally:
        running.stop()


def _context_of(span: Any) -> Any:
    from opentelemetry import trace
    return trace.set_span_in_context(span)
