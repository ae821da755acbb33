"""The article's tracing code, run through the real OpenTelemetry SDK.

`execute_step_with_tracing` and the `workflow_execution` root are the article's, with
one change for exact figures: span start and end times come from a test clock instead
of the wall clock (the SDK takes them as arguments). The exporter is the article's
Jaeger exporter replaced by the OTLP/HTTP one pointed at wftui.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager, suppress
from typing import Any

from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.trace import Status, StatusCode

T0 = 1_767_268_800  # 2026-01-01T12:00:00Z, epoch seconds
NS = 1_000_000_000


def ns(offset_s: float) -> int:
    """Epoch nanoseconds `offset_s` seconds after T0."""
    return T0 * NS + round(offset_s * NS)


def provider(exporter: Any, service: str = "support-service", batch: bool = False
             ) -> TracerProvider:
    """A tracer provider exporting through `exporter` (the article's setup)."""
    resource = Resource(attributes={SERVICE_NAME: service})
    trace_provider = TracerProvider(resource=resource)
    processor = BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter)
    trace_provider.add_span_processor(processor)
    return trace_provider


def proto_exporter(url: str, **kwargs: Any) -> Any:
    """The SDK's OTLP/HTTP protobuf exporter."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    return OTLPSpanExporter(endpoint=url, **kwargs)


def json_exporter(url: str, **kwargs: Any) -> Any:
    """The SDK's OTLP/HTTP JSON exporter."""
    from opentelemetry.exporter.otlp.json.http.trace_exporter import OTLPSpanExporter
    return OTLPSpanExporter(endpoint=url, **kwargs)


class Article:
    """The article's tracing helpers on one tracer."""

    def __init__(self, tracer: Any) -> None:
        self.tracer = tracer

    def execute_step_with_tracing(self, execution_id: str, step_name: str,
                                  step_func: Callable[[], Any], start: float, end: float,
                                  step_type: str = "llm") -> Any:
        """Execute a step with distributed tracing (the article's, timed by the test)."""
        with self.tracer.start_as_current_span(step_name, start_time=ns(start),
                                               end_on_exit=False) as span:
            span.set_attribute("execution_id", execution_id)
            span.set_attribute("step_type", step_type)
            try:
                result = step_func()
                span.set_attribute("duration_ms", (end - start) * 1000)
                span.set_attribute("success", True)
                return result
            except Exception as e:
                span.set_attribute("success", False)
                span.set_attribute("error", str(e))
                span.record_exception(e)
                span.set_status(Status(StatusCode.ERROR, str(e)))
                raise
            finally:
                span.end(end_time=ns(end))

    @contextmanager
    def workflow(self, execution_id: str, workflow_name: str, start: float, end: float
                 ) -> Any:
        """The article's root span `workflow_execution`; an exception fails it."""
        with self.tracer.start_as_current_span("workflow_execution", start_time=ns(start),
                                               end_on_exit=False) as root_span:
            root_span.set_attribute("execution_id", execution_id)
            root_span.set_attribute("workflow_name", workflow_name)
            try:
                yield root_span
            except Exception as e:
                root_span.record_exception(e)
                root_span.set_status(Status(StatusCode.ERROR, str(e)))
            finally:
                root_span.end(end_time=ns(end))


def run_five(article: Article) -> None:
    """Five executions whose figures are worked out by hand in the tests:

    EXEC-1 4 s ok (a three-deep tree), EXEC-2 2 s failed (classify raised),
    EXEC-3 6 s ok (one retried, failed call), EXEC-4 8 s ok, EXEC-5 10 s ok.
    Durations 2, 4, 6, 8, 10: p50 6, p95 9.6, p99 9.92; 1 failed of 5: error rate 0.2.
    """
    def ok() -> str:
        return "ok"

    def boom() -> str:
        raise ValueError("ticket service down")

    with article.workflow("EXEC-1", "support_ticket", 0, 4):
        article.execute_step_with_tracing("EXEC-1", "fetch_ticket", ok, 0.5, 1.0, "tool")
        with article.tracer.start_as_current_span(
                "research", start_time=ns(1.0), end_on_exit=False) as research:
            research.set_attribute("execution_id", "EXEC-1")
            research.set_attribute("gen_ai.operation.name", "invoke_agent")
            with article.tracer.start_as_current_span(
                    "chat gpt-4o", start_time=ns(1.5), end_on_exit=False) as chat:
                chat.set_attribute("gen_ai.operation.name", "chat")
                chat.set_attribute("gen_ai.request.model", "gpt-4o")
                chat.set_attribute("gen_ai.response.model", "gpt-4o-2024-08-06")
                chat.set_attribute("gen_ai.usage.input_tokens", 1200)
                chat.set_attribute("gen_ai.usage.output_tokens", 300)
                chat.end(end_time=ns(2.5))
            research.end(end_time=ns(3.0))
        article.execute_step_with_tracing("EXEC-1", "respond", ok, 3.0, 3.9)
    with article.workflow("EXEC-2", "support_ticket", 10, 12):
        article.execute_step_with_tracing("EXEC-2", "fetch_ticket", ok, 10, 10.5, "tool")
        article.execute_step_with_tracing("EXEC-2", "classify", boom, 10.5, 11.5)
    with article.workflow("EXEC-3", "support_ticket", 20, 26):
        with suppress(ValueError):  # the call failed: retried below
            article.execute_step_with_tracing("EXEC-3", "classify", boom, 20, 21)
        article.execute_step_with_tracing("EXEC-3", "classify", ok, 21, 25)
    with article.workflow("EXEC-4", "support_ticket", 30, 38):
        article.execute_step_with_tracing("EXEC-4", "classify", ok, 30, 37)
    with article.workflow("EXEC-5", "refund", 40, 50):
        article.execute_step_with_tracing("EXEC-5", "classify", ok, 40, 49)
