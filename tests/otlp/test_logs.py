"""OTLP log records through the real SDK (logging handler + OTLP/HTTP log exporter):
the article's JSON events are read as events and merge with the spans of the same
execution_id into ONE execution; other records tied to a span show in its node."""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor

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
