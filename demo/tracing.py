"""The demo's OpenTelemetry tracing, as the article instruments a workflow.

A root span `workflow_execution` (with `execution_id` and `workflow_name`) per
execution and a child span per step (`execution_id`, `step_type`, `duration_ms`,
`success`, `error`), exported by the real SDK's OTLP/HTTP exporter to wftui's receiver
(the article's Jaeger exporter, replaced). LLM steps carry the GenAI attributes
(`gen_ai.operation.name`, model, token usage); tool calls are child spans of their step
(`execute_tool`, with arguments and result); a branch decision is an event on its step.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

SERVICE_NAME = "support-service"


class StepTracer:
    """Spans for one service, exported in batches over OTLP/HTTP to `endpoint`."""

    def __init__(self, endpoint: str) -> None:
        # Imported here: the service runs without the SDK when tracing is off.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import SERVICE_NAME as SERVICE_KEY
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        self.provider = TracerProvider(resource=Resource.create({SERVICE_KEY: SERVICE_NAME}))
        self.provider.add_span_processor(BatchSpanProcessor(
            OTLPSpanExporter(endpoint=endpoint), schedule_delay_millis=500))
        self.tracer = self.provider.get_tracer("wftui.demo")

    def close(self) -> None:
        """Send what is left and stop the exporter."""
        self.provider.shutdown()

    @contextmanager
    def workflow(self, execution_id: str, workflow_name: str) -> Iterator[Any]:
        """The root span; the caller marks it failed with `failed()`."""
        with self.tracer.start_as_current_span("workflow_execution",
                                               record_exception=False,
                                               set_status_on_exception=False) as root:
            root.set_attribute("execution_id", execution_id)
            root.set_attribute("workflow_name", workflow_name)
            yield root

    @contextmanager
    def step(self, execution_id: str, step_name: str, step_type: str) -> Iterator[Any]:
        """The article's `execute_step_with_tracing`: a child span per step."""
        from opentelemetry.trace import Status, StatusCode

        with self.tracer.start_as_current_span(step_name, record_exception=False,
                                               set_status_on_exception=False) as span:
            span.set_attribute("execution_id", execution_id)
            span.set_attribute("step_type", step_type)
            started = time.perf_counter()
            try:
                yield span
            except BaseException as exc:
                span.set_attribute("duration_ms", (time.perf_counter() - started) * 1000)
                span.set_attribute("success", False)
                span.set_attribute("error", f"{type(exc).__name__}: {exc}")
                model = getattr(exc, "model", None)
                if isinstance(model, str):  # a failed LLM call still names its model
                    StepTracer.llm(span, {"model": model})
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, str(exc)))
                raise
            span.set_attribute("duration_ms", (time.perf_counter() - started) * 1000)
            span.set_attribute("success", True)

    @staticmethod
    def failed(span: Any, error: str) -> None:
        """Mark a root span failed (its step's exception was already recorded)."""
        from opentelemetry.trace import Status, StatusCode

        span.set_status(Status(StatusCode.ERROR, error))

    @staticmethod
    def llm(span: Any, fields: Mapping[str, Any]) -> None:
        """GenAI attributes of an LLM step: operation, model, token usage."""
        span.set_attribute("gen_ai.operation.name", "chat")
        if "model" in fields:
            span.set_attribute("gen_ai.request.model", fields["model"])
        for key, attribute in (("input_tokens", "gen_ai.usage.input_tokens"),
                               ("output_tokens", "gen_ai.usage.output_tokens")):
            if isinstance(fields.get(key), int):
                span.set_attribute(attribute, fields[key])

    def tool_call(self, execution_id: str, tool_name: str, arguments: Mapping[str, Any],
                  response: Any, duration_ms: float) -> None:
        """A finished tool call, as a child span of the current step."""
        end = time.time_ns()
        span = self.tracer.start_span(f"execute_tool {tool_name}",
                                      start_time=end - int(duration_ms * 1e6))
        span.set_attribute("execution_id", execution_id)
        span.set_attribute("gen_ai.operation.name", "execute_tool")
        span.set_attribute("gen_ai.tool.name", tool_name)
        span.set_attribute("gen_ai.tool.call.arguments", json.dumps(arguments, default=str))
        span.set_attribute("gen_ai.tool.call.result", json.dumps(response, default=str))
        span.end(end_time=end)

    @staticmethod
    def branch(branch_name: str, path_taken: str) -> None:
        """A branch decision, as an event on the current step's span."""
        from opentelemetry import trace

        trace.get_current_span().add_event("branch_decision", {
            "branch_name": branch_name, "path_taken": path_taken})
