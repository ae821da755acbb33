"""Spans instrumented to OpenInference (Arize Phoenix) and OpenLLMetry (Traceloop)
conventions, through the real SDK and OTLP exporter into wftui's receiver: read as
the GenAI conventions say the same things (step types, tokens, model and cost, tool
calls, workflow name). Expected values worked out by hand."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry import trace

from tests.otlp.article import T0, ns, proto_exporter, provider
from wftui.core.steps import build_detail

PRICES = {"gpt-4o": (2.5, 10.0)}  # USD per million tokens, in and out


def _execution(receiving: Any, run: Any) -> tuple[Any, Any]:
    """The one execution (and its step tree) of the spans `run` makes with a tracer,
    sent through the SDK's OTLP exporter to the receiver."""
    trace_provider = provider(proto_exporter(f"{receiving.url}/v1/traces"))
    run(trace_provider.get_tracer("app"))
    assert trace_provider.force_flush()
    trace_provider.shutdown()
    receiving.wait_executions(1)
    (execution,) = receiving.executions().values()
    return execution, build_detail(execution.copy(), T0 + 3600, 30.0)


def _oi_span(oi: Any, name: str, kind: str, start_s: float) -> Any:
    """An OpenInference span of `kind` begun `start_s` after T0 (ended by the test)."""
    return oi.start_as_current_span(name, openinference_span_kind=kind,
                                    start_time=ns(start_s), end_on_exit=False)


def _steps_under_a_root(execution_id: str, *steps: tuple[str, dict[str, Any]]) -> Any:
    """A `run` making a root span, then `steps` (name, attributes) under it, in turn."""
    def run(tracer: Any) -> None:
        root = tracer.start_span("run", start_time=ns(0),
                                 attributes={"execution_id": execution_id})
        inside = trace.set_span_in_context(root)
        for number, (name, attributes) in enumerate(steps):
            tracer.start_span(name, context=inside, start_time=ns(0.1 * (number + 1)),
                              attributes=attributes).end(ns(0.1 * (number + 2)))
        root.end(ns(1.0))

    return run


def test_openinference_spans_are_steps_with_types_tokens_cost_and_tool_calls(
        make_receiver: Any) -> None:
    from openinference.instrumentation import (
        OITracer,
        TokenCount,
        TraceConfig,
        get_llm_attributes,
        get_llm_response_model_name_attributes,
    )

    receiving = make_receiver(prices=PRICES)

    def run(tracer: Any) -> None:
        oi = OITracer(tracer, config=TraceConfig())
        with _oi_span(oi, "support_agent", "agent", 0) as agent:
            with _oi_span(oi, "ChatCompletion", "llm", 0.5) as chat:
                chat.set_attributes(get_llm_attributes(
                    model_name="gpt-4o", token_count=TokenCount(prompt=700, completion=150)))
                chat.set_attributes(get_llm_response_model_name_attributes(
                    "gpt-4o-2024-08-06"))
                chat.end(ns(1.5))
            with _oi_span(oi, "lookup_order", "tool", 1.5) as tool:
                tool.set_tool(name="lookup_order", parameters={"order": "int"})
                tool.set_input({"order": 42})
                tool.set_output('{"status": "shipped"}')
                tool.end(ns(2.0))
            with _oi_span(oi, "search_docs", "retriever", 2.0) as search:
                search.end(ns(2.5))
            with _oi_span(oi, "ChatCompletion", "llm", 2.5) as chat:
                chat.set_attributes(get_llm_attributes(
                    model_name="gpt-4o", token_count=TokenCount(prompt=300, completion=50)))
                chat.end(ns(3.5))
            agent.end(ns(4.0))

    execution, tree = _execution(receiving, run)
    # No execution_id and no workflow attribute: the trace id and the service's name.
    assert execution.workflow_name == "support-service"
    assert (execution.input_tokens, execution.output_tokens) == (700 + 300, 150 + 50)
    # The first call answered by a dated snapshot the table does not list, priced by
    # the model asked for: (700 * 2.5 + 150 * 10) / 1e6 + (300 * 2.5 + 50 * 10) / 1e6
    assert execution.cost_usd == pytest.approx(0.00325 + 0.00125)
    assert [(s.depth, s.name, s.step_type) for s in tree.steps] == [
        (0, "ChatCompletion", "llm"), (0, "lookup_order", "tool"),
        (0, "search_docs", "retrieval"), (0, "ChatCompletion", "llm")]
    first, tool, _, second = tree.steps
    assert (first.model, first.input_tokens, first.output_tokens) == (
        "gpt-4o-2024-08-06", 700, 150)
    assert (second.model, second.input_tokens, second.output_tokens) == ("gpt-4o", 300, 50)
    (call,) = [item for item in tool.items if item.kind == "tool_call"]
    assert call.event["tool_name"] == "lookup_order"
    assert call.event["arguments"] == {"order": 42}
    assert call.event["result"] == {"status": "shipped"}
    assert tree.duration_s == pytest.approx(4.0) and tree.status == "succeeded"


def test_openllmetry_spans_name_the_workflow_and_count_their_tokens(
        make_receiver: Any) -> None:
    from opentelemetry.semconv_ai import (
        LLMRequestTypeValues,
        SpanAttributes,
        TraceloopSpanKindValues,
    )

    receiving = make_receiver(prices=PRICES)

    def run(tracer: Any) -> None:
        root = tracer.start_span("refund_flow.workflow", start_time=ns(0), attributes={
            SpanAttributes.TRACELOOP_SPAN_KIND: TraceloopSpanKindValues.WORKFLOW.value,
            SpanAttributes.TRACELOOP_WORKFLOW_NAME: "refund_flow",
            SpanAttributes.TRACELOOP_ENTITY_NAME: "refund_flow"})
        inside = trace.set_span_in_context(root)
        tool = tracer.start_span("check_order.tool", context=inside, start_time=ns(0.2),
                                 attributes={
            SpanAttributes.TRACELOOP_SPAN_KIND: TraceloopSpanKindValues.TOOL.value,
            SpanAttributes.TRACELOOP_WORKFLOW_NAME: "refund_flow",
            SpanAttributes.TRACELOOP_ENTITY_NAME: "check_order",
            SpanAttributes.TRACELOOP_ENTITY_INPUT: '{"args": [7], "kwargs": {}}',
            SpanAttributes.TRACELOOP_ENTITY_OUTPUT: '{"state": "paid"}'})
        tool.end(ns(0.6))
        chat = tracer.start_span("openai.chat", context=inside, start_time=ns(0.6),
                                 attributes={
            SpanAttributes.LLM_REQUEST_TYPE: LLMRequestTypeValues.CHAT.value,
            SpanAttributes.LLM_REQUEST_MODEL: "gpt-4o",
            SpanAttributes.LLM_USAGE_PROMPT_TOKENS: 1000,
            SpanAttributes.LLM_USAGE_COMPLETION_TOKENS: 100})
        chat.end(ns(1.6))
        root.end(ns(2.0))

    execution, tree = _execution(receiving, run)
    assert execution.workflow_name == "refund_flow"
    assert (execution.input_tokens, execution.output_tokens) == (1000, 100)
    assert execution.cost_usd == pytest.approx((1000 * 2.5 + 100 * 10.0) / 1e6)
    assert [(s.name, s.step_type, s.model) for s in tree.steps] == [
        ("check_order.tool", "tool", None), ("openai.chat", "llm", "gpt-4o")]
    (call,) = [item for item in tree.steps[0].items if item.kind == "tool_call"]
    assert (call.event["tool_name"], call.event["arguments"], call.event["result"]) == (
        "check_order", {"args": [7], "kwargs": {}}, {"state": "paid"})


def test_a_span_that_says_its_genai_keys_keeps_them(make_receiver: Any) -> None:
    # Both conventions on one span (an instrumentation writing both): the GenAI
    # values win, and a span with a GenAI operation is read as GenAI alone.
    receiving = make_receiver()

    run = _steps_under_a_root(
        "E",
        ("call", {"openinference.span.kind": "LLM", "llm.token_count.prompt": 5,
                  "gen_ai.usage.input_tokens": 9}),
        ("op", {"gen_ai.operation.name": "execute_tool", "openinference.span.kind": "LLM",
                "llm.token_count.prompt": 50}))
    execution, tree = _execution(receiving, run)
    assert execution.input_tokens == 9
    assert [(s.name, s.step_type, s.input_tokens) for s in tree.steps] == [
        ("call", "llm", 9), ("op", "tool", None)]


def test_a_trace_of_one_openinference_llm_call_counts_its_tokens(make_receiver: Any) -> None:
    # The call is the trace's root (nothing wraps it): it is also its own step.
    receiving = make_receiver(prices=PRICES)

    def run(tracer: Any) -> None:
        tracer.start_span("ChatCompletion", start_time=ns(0), attributes={
            "openinference.span.kind": "LLM", "llm.model_name": "gpt-4o",
            "llm.token_count.prompt": 400, "llm.token_count.completion": 40}).end(ns(2))

    execution, tree = _execution(receiving, run)
    assert (execution.input_tokens, execution.output_tokens) == (400, 40)
    assert execution.cost_usd == pytest.approx((400 * 2.5 + 40 * 10.0) / 1e6)  # 0.0014
    assert [(s.name, s.step_type, s.model) for s in tree.steps] == [
        ("ChatCompletion", "llm", "gpt-4o")]


def test_an_openinference_embedding_span_is_priced_by_its_embedding_model(
        make_receiver: Any) -> None:
    # OpenInference names an embedding's model `embedding.model_name` (not
    # `llm.model_name`): without it the call's tokens counted but its cost did not,
    # and the execution's cost was short by it with nothing said.
    from openinference.instrumentation import (
        OITracer,
        TokenCount,
        TraceConfig,
        get_embedding_attributes,
        get_llm_token_count_attributes,
    )

    receiving = make_receiver(prices={"text-embedding-3-small": (0.02, 0.0)})

    def run(tracer: Any) -> None:
        oi = OITracer(tracer, config=TraceConfig())
        with _oi_span(oi, "rag", "chain", 0) as chain:
            with _oi_span(oi, "embed", "embedding", 0.1) as embed:
                embed.set_attributes(get_embedding_attributes(
                    model_name="text-embedding-3-small"))
                embed.set_attributes(get_llm_token_count_attributes(
                    TokenCount(prompt=500_000)))
                embed.end(ns(0.3))
            chain.end(ns(1.0))

    execution, tree = _execution(receiving, run)
    assert execution.cost_usd == pytest.approx(500_000 * 0.02 / 1e6)  # $0.01
    assert [(s.name, s.step_type, s.model, s.input_tokens) for s in tree.steps] == [
        ("embed", "llm", "text-embedding-3-small", 500_000)]


def test_openllmetry_kinds_in_upper_case_are_read_alike(make_receiver: Any) -> None:
    receiving = make_receiver()

    run = _steps_under_a_root(
        "U",
        ("lookup.tool", {"traceloop.span.kind": "TOOL", "traceloop.entity.name": "lookup",
                         "traceloop.entity.input": '{"id": 1}'}),
        ("call", {"llm.request.type": "CHAT", "gen_ai.usage.prompt_tokens": 12}))
    execution, tree = _execution(receiving, run)
    assert execution.input_tokens == 12
    assert [(s.name, s.step_type) for s in tree.steps] == [("lookup.tool", "tool"),
                                                            ("call", "llm")]
    (call,) = [item for item in tree.steps[0].items if item.kind == "tool_call"]
    assert (call.event["tool_name"], call.event["arguments"]) == ("lookup", {"id": 1})


def test_a_tool_span_without_its_name_and_tokens_sent_as_text(make_receiver: Any) -> None:
    # OpenInference's tool.name is optional: the span's name names the tool then. A
    # token count sent as text ("120") counts as the number it says.
    run = _steps_under_a_root(
        "S",
        ("lookup_order", {"openinference.span.kind": "TOOL", "input.value": '{"id": 3}',
                          "output.value": '{"ok": true}'}),
        ("chat", {"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": "120",
                  "gen_ai.usage.output_tokens": 7}))
    execution, tree = _execution(make_receiver(), run)
    assert (execution.input_tokens, execution.output_tokens) == (120, 7)
    (call,) = [item for item in tree.steps[0].items if item.kind == "tool_call"]
    assert (call.event["tool_name"], call.event["arguments"], call.event["result"]) == (
        "lookup_order", {"id": 3}, {"ok": True})
