"""OTLP log records through the real SDK (logging handler + OTLP/HTTP log exporter):
the article's JSON events are read as events and merge with the spans of the same
execution_id into ONE execution; other records tied to a span show in its node."""

from __future__ import annotations

import json
import logging
import time
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor

from tests.helpers import wait_for
from tests.otlp.article import T0, Article, ns, proto_exporter, provider
from wftui.core.steps import build_detail


@pytest.fixture
def otel_logger(receiving: Any) -> Iterator[logging.Logger]:
    logger_provider = LoggerProvider()
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(
        OTLPLogExporter(endpoint=f"{receiving.url}/v1/logs")))
    with warnings.catch_warnings():  # the SDK's handler is deprecated in favour of a
        warnings.simplefilter("ignore", DeprecationWarning)  # package not installed here
        handler = LoggingHandler(level=logging.INFO, logger_provider=logger_provider)
    logger = logging.getLogger(f"workflow.{id(receiving)}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(handler)
    yield logger
    logger.removeHandler(handler)
    logger_provider.shutdown()


def test_logged_events_and_spans_of_one_execution_are_one_execution(
        receiving: Any, otel_logger: logging.Logger) -> None:
    # The article's WorkflowLogger writes json.dumps(event) through logging.
    otel_logger.info(json.dumps({"event": "workflow_start", "execution_id": "EXEC-L",
                                 "workflow_name": "support_ticket",
                                 "context": {"ticket_id": "TKT-999"},
                                 "timestamp": T0}))
    trace_provider = provider(proto_exporter(f"{receiving.url}/v1/traces"))
    article = Article(trace_provider.get_tracer("support"))
    with article.workflow("EXEC-L", "support_ticket", 0, 5), \
            article.tracer.start_as_current_span("classify", start_time=ns(1),
                                                 end_on_exit=False) as span:
        span.set_attribute("execution_id", "EXEC-L")
        otel_logger.error("rate limited, retrying")  # a plain record in the span
        span.end(end_time=ns(3))
    trace_provider.force_flush()
    trace_provider.shutdown()
    receiving.wait_executions(1)
    executions = receiving.executions()
    assert list(executions) == ["EXEC-L"]
    with receiving.lock:
        assert receiving.ledger.counts(T0 + 3600)["total"] == 1
    tree = build_detail(executions["EXEC-L"].copy(), T0 + 3600, 30.0)
    assert tree.context == {"ticket_id": "TKT-999"}  # replay has its inputs
    assert tree.duration_s == pytest.approx(5.0) and tree.status == "succeeded"
    (classify,) = tree.steps
    errors = [item for item in classify.items if item.kind == "error"]
    assert [item.event["error"] for item in errors] == ["rate limited, retrying"]
    assert classify.status == "failed"  # ERROR and above mark the step
    assert tree.start_ts == T0


def test_records_of_traces_the_sampler_dropped_make_no_execution(
        make_receiver: Any) -> None:
    # ParentBased(TraceIdRatioBased(0.5)): the SDK still ties a record logged inside an
    # unsampled span to that span's ids (its W3C flags say "not sampled"), but never
    # exports the span. Such records have no node to show in: they must not make an
    # execution of their own (a nameless one "running", then a success at idle
    # timeout: 20 executions where 9 were traced).
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    receiving = make_receiver(hold_s=0.1)
    trace_provider = TracerProvider(resource=Resource({"service.name": "svc"}),
                                    sampler=ParentBased(TraceIdRatioBased(0.5)))
    trace_provider.add_span_processor(SimpleSpanProcessor(
        proto_exporter(f"{receiving.url}/v1/traces")))
    tracer = trace_provider.get_tracer("agent")
    logger_provider = LoggerProvider()
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(
        OTLPLogExporter(endpoint=f"{receiving.url}/v1/logs")))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        handler = LoggingHandler(level=logging.INFO, logger_provider=logger_provider)
    logger = logging.getLogger(f"sampled.{id(receiving)}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(handler)
    kept = set()
    try:
        for _ in range(20):
            with tracer.start_as_current_span("workflow") as root, \
                    tracer.start_as_current_span("lookup"):
                logger.info("looking up the ticket")
                if root.get_span_context().trace_flags.sampled:
                    kept.add(format(root.get_span_context().trace_id, "032x"))
    finally:
        logger.removeHandler(handler)
        logger_provider.shutdown()
        trace_provider.shutdown()
    assert 0 < len(kept) < 20  # the test's premise: some traces were dropped
    receiving.wait_executions(len(kept))
    # Records of dropped traces wait `hold_s` for spans that never come, then are
    # looked at when nothing came for FLUSH_EVERY_S.
    wait_for(lambda: not receiving.reader.waiting, "the held records to be released")
    time.sleep(0.5)  # what they made, if anything, reaches the ledger
    with receiving.lock:
        assert receiving.ledger.counts(time.time() + 3600)["total"] == len(kept)
        assert set(receiving.ledger.executions) == kept
    # The kept traces' records show in their step.
    tree = build_detail(receiving.executions()[min(kept)].copy(), time.time() + 3600, 30.0)
    (lookup,) = tree.steps
    assert [item.event["body"] for item in lookup.items if item.kind == "span_log"] == [
        "looking up the ticket"]


def test_a_record_of_a_trace_but_of_no_span_shows_in_the_execution(
        receiving: Any) -> None:
    # OTLP makes a record's span id optional: one with the trace id alone is valid and
    # belongs to the execution; it was refused as malformed (partial_success).
    import httpx

    trace_provider = provider(proto_exporter(f"{receiving.url}/v1/traces"))
    root = trace_provider.get_tracer("agent").start_span(
        "workflow", start_time=ns(0), attributes={"execution_id": "EXEC-T"})
    root.end(ns(5))
    trace_provider.shutdown()
    receiving.wait_executions(1)
    trace_id = format(root.get_span_context().trace_id, "032x")
    answer = httpx.post(f"{receiving.url}/v1/logs", json={"resourceLogs": [{"scopeLogs": [
        {"logRecords": [{"traceId": trace_id, "timeUnixNano": str(ns(2)),
                         "severityNumber": 9, "body": {"stringValue": "queued"}}]}]}]})
    assert answer.status_code == 200 and answer.json() == {}  # nothing rejected
    wait_for(lambda: any(b"span_log" in line for line in receiving.lines),
             "the record's line")
    tree = build_detail(receiving.executions()["EXEC-T"].copy(), T0 + 3600, 30.0)
    assert [(item.kind, item.ts, item.event.get("body")) for item in tree.items] == [
        ("workflow_start", T0, None), ("span_log", T0 + 2, "queued"),
        ("workflow_complete", T0 + 5, None)]
