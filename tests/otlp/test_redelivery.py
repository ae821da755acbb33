"""OTLP is delivered at least once: an exporter whose request timed out, or that got a
503 after wftui had taken it, or a Collector retrying, sends the same spans again. A
span already folded into its execution (the same span id there) counts once: steps,
errors, step latency, tokens and cost as `run_five` worked them out by hand, and no
root resent as a step named after the workflow. Log events are not spans: their lines
count as they always did."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.exporter.otlp.json.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

from tests.forked import run_wftui
from tests.otlp.article import T0, Article, json_exporter, ns, proto_exporter, provider, run_five
from wftui.core.figures import log_figures
from wftui.core.ledger import Ledger
from wftui.core.steps import build_detail

PRICES = {"gpt-4o": (2.5, 10.0)}  # USD per million tokens, input and output
NOW = T0 + 3600.0
EXPORTERS = {"protobuf": proto_exporter, "json": json_exporter}


def send_again(receiving: Any, spans: list[Any], times: int) -> None:
    """Export the same finished spans `times` times (protobuf), each answered; wait
    until the receiver has read them all."""
    exporter = proto_exporter(f"{receiving.url}/v1/traces")
    for _ in range(times):
        assert exporter.export(spans) is SpanExportResult.SUCCESS
    exporter.shutdown()
    receiving.wait_spans(times * len(spans))


def failed_chat(tracer: Any, output_tokens: int | None = None) -> None:
    """CHAT-1: a trace of one chat span (the root is its own step, with the call's
    tokens), failed: rate limited."""
    chat = tracer.start_span("chat gpt-4o", start_time=ns(0))
    chat.set_attribute("execution_id", "CHAT-1")
    chat.set_attribute("gen_ai.operation.name", "chat")
    chat.set_attribute("gen_ai.request.model", "gpt-4o")
    chat.set_attribute("gen_ai.usage.input_tokens", 1000)
    if output_tokens is not None:
        chat.set_attribute("gen_ai.usage.output_tokens", output_tokens)
    chat.set_status(Status(StatusCode.ERROR, "rate limited"))
    chat.end(end_time=ns(2))


def five_spans() -> list[Any]:
    memory = InMemorySpanExporter()
    trace_provider = provider(memory)
    run_five(Article(trace_provider.get_tracer("support")))
    spans = list(memory.get_finished_spans())
    assert len(spans) == 15
    return spans


def assert_the_five(ledger: Ledger) -> None:
    """`run_five`'s executions, each span counted once (worked out by hand)."""
    assert ledger.counts(NOW) == {"total": 5, "running": 0, "succeeded": 4, "failed": 1}
    rows = {e.execution_id: e.row(NOW, 30.0) for e in ledger.executions.values()}
    # Steps at the top of each tree: EXEC-1 fetch_ticket, research (chat inside it),
    # respond; EXEC-2 fetch_ticket, classify; EXEC-3 classify twice; one each after.
    assert {key: row.steps for key, row in rows.items()} == {
        "EXEC-1": 3, "EXEC-2": 2, "EXEC-3": 2, "EXEC-4": 1, "EXEC-5": 1}
    # EXEC-2: its root failed (one error), classify failed under it; EXEC-3: one failed
    # call, retried.
    assert {key: row.errors for key, row in rows.items()} == {
        "EXEC-1": 0, "EXEC-2": 1, "EXEC-3": 1, "EXEC-4": 0, "EXEC-5": 0}
    one = rows["EXEC-1"]
    # The chat call: 1200 in, 300 out; priced 1200 x 2.5 + 300 x 10 per million.
    assert (one.input_tokens, one.output_tokens) == (1200, 300)
    assert one.cost_usd == pytest.approx(0.006)
    figures = log_figures(ledger, None, T0 + 50, NOW)
    assert figures.error_rate == pytest.approx(0.2)
    assert figures.latency_s == pytest.approx({"p50": 6.0, "p95": 9.6, "p99": 9.92})
    # classify ran five times (1 s, 1 s, 4 s, 7 s, 9 s): p50 4; no step is the root.
    steps = figures.step_latency_s
    assert {name: stats["count"] for name, stats in steps.items()} == {
        "chat gpt-4o": 1, "classify": 5, "fetch_ticket": 2, "research": 1, "respond": 1}
    assert steps["classify"]["p50"] == pytest.approx(4.0)
    tree = build_detail(ledger.executions["EXEC-1"].copy(), NOW, 30.0)
    assert [(s.depth, s.name) for s in tree.steps] == [
        (0, "fetch_ticket"), (0, "research"), (1, "chat gpt-4o"), (0, "respond")]
    failed = build_detail(ledger.executions["EXEC-2"].copy(), NOW, 30.0)
    assert [i.kind for i in failed.items].count("error") == 1


@pytest.mark.parametrize("kind", ["protobuf", "json"])
def test_a_batch_the_exporter_sends_twice_counts_once(make_receiver: Any, kind: str) -> None:
    receiving = make_receiver(prices=PRICES)
    spans = five_spans()
    exporter = EXPORTERS[kind](f"{receiving.url}/v1/traces")
    # The SDK exporter's retry sends the very same batch again (its answer was lost).
    assert exporter.export(spans) is SpanExportResult.SUCCESS
    receiving.wait_executions(5)
    assert exporter.export(spans) is SpanExportResult.SUCCESS
    exporter.shutdown()
    receiving.wait_spans(30)
    with receiving.lock:
        assert_the_five(receiving.ledger)


class Twice(SpanExporter):
    """Each export sent twice: every request is delivered again at once."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def export(self, spans: Any) -> SpanExportResult:
        self.inner.export(spans)
        return self.inner.export(spans)

    def shutdown(self) -> None:
        self.inner.shutdown()


def test_every_span_delivered_twice_as_it_ends(make_receiver: Any) -> None:
    """Children resent before their root came, the root resent alone after it: each
    counts once."""
    receiving = make_receiver(prices=PRICES)
    trace_provider = provider(Twice(proto_exporter(f"{receiving.url}/v1/traces")))
    run_five(Article(trace_provider.get_tracer("support")))
    assert trace_provider.force_flush()
    trace_provider.shutdown()
    receiving.wait_spans(30)
    with receiving.lock:
        assert_the_five(receiving.ledger)


def test_a_root_span_alone_resent_is_not_a_step(make_receiver: Any) -> None:
    """Traces of one root span and nothing under it: one ok, one failed."""
    receiving = make_receiver()
    memory = InMemorySpanExporter()
    tracer = provider(memory).get_tracer("support")
    article = Article(tracer)
    with article.workflow("ALONE-1", "nightly", 0, 3):
        pass
    with article.workflow("ALONE-2", "nightly", 10, 11):
        raise ValueError("disk full")
    spans = list(memory.get_finished_spans())
    send_again(receiving, spans, times=3)
    with receiving.lock:
        ledger = receiving.ledger
        rows = {e.execution_id: e.row(NOW, 30.0) for e in ledger.executions.values()}
        figures = log_figures(ledger, None, T0 + 60, NOW)
    assert {key: (row.status, row.steps, row.errors) for key, row in rows.items()} == {
        "ALONE-1": ("succeeded", 0, 0), "ALONE-2": ("failed", 0, 1)}
    assert figures.step_latency_s == {}
    assert figures.error_rate == pytest.approx(0.5)


def test_an_llm_root_resent_counts_its_tokens_once(make_receiver: Any) -> None:
    """A trace of one chat span (the root is its own step, with the call's tokens)."""
    receiving = make_receiver(prices=PRICES)
    memory = InMemorySpanExporter()
    failed_chat(provider(memory).get_tracer("support"), output_tokens=100)
    spans = list(memory.get_finished_spans())
    send_again(receiving, spans, times=2)
    with receiving.lock:
        row = receiving.ledger.executions["CHAT-1"].row(NOW, 30.0)
        figures = log_figures(receiving.ledger, None, T0 + 60, NOW)
    # 1000 x 2.5 + 100 x 10 per million: 0.0035 USD; one step, one error.
    assert (row.steps, row.errors, row.input_tokens, row.output_tokens) == (1, 1, 1000, 100)
    assert row.cost_usd == pytest.approx(0.0035)
    assert figures.step_latency_s["chat gpt-4o"]["count"] == 1


def test_check_of_a_collector_file_holding_a_request_twice(tmp_path: Path) -> None:
    """A Collector whose retry reached its file exporter writes the request again."""
    spans = five_spans()
    request = encode_spans(spans).to_json()
    path = tmp_path / "spans.jsonl"
    path.write_text(f"{request}\n{request}\n")
    done = run_wftui(["check", str(path), "--window", "all", "--format", "json"],
                     timeout=120)
    report = json.loads(done.stdout)
    assert report["executions"] == {"total": 5, "running": 0, "succeeded": 4, "failed": 1}
    assert report["error_rate"] == pytest.approx(0.2)
    assert {name: stats["count"] for name, stats in report["step_latency_s"].items()} == {
        "chat gpt-4o": 1, "classify": 5, "fetch_ticket": 2, "research": 1, "respond": 1}


def log_line(**fields: Any) -> bytes:
    return json.dumps({"execution_id": "LOG-1", **fields}).encode()


def test_logged_steps_with_ids_count_as_they_always_did() -> None:
    """A log is not a delivery: the same step_start / step_complete pair logged twice
    (a step run again under the same id) is two steps, two samples, as before."""
    ledger = Ledger(idle_timeout=30.0)
    pair = [log_line(event="step_start", step_name="fetch", step_id="s1",
                     timestamp=T0 + 1.0),
            log_line(event="step_complete", step_name="fetch", step_id="s1",
                     timestamp=T0 + 2.0, duration_ms=1000, input_tokens=10,
                     success=True)]
    whole = [log_line(event="step_complete", step_name="rank", step_id="s2",
                      start_timestamp=T0 + 3.0, timestamp=T0 + 4.0, duration_ms=1000,
                      output_tokens=5)]
    ledger.ingest_lines("app.log", 1, pair + pair + whole + whole)
    execution = ledger.executions["LOG-1"]
    assert (execution.steps, execution.input_tokens, execution.output_tokens) == (4, 20, 10)
    figures = log_figures(ledger, None, T0 + 3600, T0 + 3600)
    assert {name: stats["count"] for name, stats in figures.step_latency_s.items()} == {
        "fetch": 2, "rank": 2}


def test_a_logged_step_that_is_a_span_counts_once_with_the_span_resent(
        make_receiver: Any) -> None:
    """A step logged with its span's id (README: one step) and the span delivered
    twice: one step, one sample, the log's lines all kept."""
    receiving = make_receiver()
    memory = InMemorySpanExporter()
    tracer = provider(memory).get_tracer("support")
    with Article(tracer).workflow("MIX-1", "support_ticket", 0, 4):
        step = tracer.start_span("classify", start_time=ns(1))
        step.set_attribute("execution_id", "MIX-1")
        step.end(end_time=ns(3))
    spans = list(memory.get_finished_spans())
    span_id = format(spans[0].context.span_id, "016x")
    logged = [json.dumps({"event": event, "execution_id": "MIX-1", "step_name": "classify",
                          "step_id": span_id, "timestamp": T0 + at}).encode()
              for event, at in (("step_start", 1.0), ("step_complete", 3.0))]
    with receiving.lock:
        receiving.ledger.ingest_lines("app.log", 1, logged)
    send_again(receiving, spans, times=2)
    with receiving.lock:
        execution = receiving.ledger.executions["MIX-1"]
        figures = log_figures(receiving.ledger, None, T0 + 60, NOW)
        raw = list(execution.raw)
    assert execution.row(NOW, 30.0).steps == 1
    assert figures.step_latency_s["classify"]["count"] == 1
    assert sum(b'"step_start"' in line for line in raw) == 1  # the log's lines stay


def test_a_trace_read_by_two_readers_counts_once() -> None:
    """The same spans through two readers (a Collector's file beside the receiver, each
    read apart): the second reader knows no root of the trace, so it writes the root's
    lines again: start, error and end are not counted twice."""
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as pb

    from wftui.core.spans import SpanReader

    request = pb(five_spans())
    ledger = Ledger(idle_timeout=30.0)
    for number in (1, 2):
        reader = SpanReader(PRICES)
        ledger.ingest_lines(f"reader-{number}", 1, reader.read_traces(request, 0.0))
        ledger.ingest_lines(f"reader-{number}", 2, reader.flush())
    assert_the_five(ledger)


def test_a_root_read_again_by_a_second_reader_keeps_one_error_and_its_events_once(
        ) -> None:
    """A root written again whole by a second reader: a failed chat span alone (the root
    is its own step: its error line names no step) and a root with a span event. One
    failed call is one error; the event happened once."""
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as pb

    from wftui.core.spans import SpanReader

    memory = InMemorySpanExporter()
    tracer = provider(memory).get_tracer("support")
    failed_chat(tracer)
    nightly = tracer.start_span("nightly", start_time=ns(10))
    nightly.set_attribute("execution_id", "EVENT-1")
    nightly.add_event("cache warmed", timestamp=ns(11))
    nightly.end(end_time=ns(12))
    request = pb(list(memory.get_finished_spans()))
    ledger = Ledger(idle_timeout=30.0)
    for number in (1, 2):
        reader = SpanReader(PRICES)
        ledger.ingest_lines(f"reader-{number}", 1, reader.read_traces(request, 0.0))
        ledger.ingest_lines(f"reader-{number}", 2, reader.flush())
    chat_row = ledger.executions["CHAT-1"].row(NOW, 30.0)
    assert (chat_row.status, chat_row.steps, chat_row.errors, chat_row.input_tokens) == (
        "failed", 1, 1, 1000)
    tree = build_detail(ledger.executions["CHAT-1"].copy(), NOW, 30.0)
    assert [i.kind for i in tree.items].count("error") == 1
    tree = build_detail(ledger.executions["EVENT-1"].copy(), NOW, 30.0)
    assert [i.kind for i in tree.items] == [
        "workflow_start", "cache warmed", "workflow_complete"]
