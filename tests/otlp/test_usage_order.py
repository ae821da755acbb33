"""An agent span (`invoke_agent`) reports the usage of the calls under it (the GenAI
conventions): it counts as their sum, never again on top of them. Here its spans come
in another order than they end: the agent's span is exported by another service after
the trace's root has come. The marks that say "its calls counted" outlived the root
by nothing: they were let go with it, and the agent's total was then added again."""

from __future__ import annotations

from typing import Any

from opentelemetry import trace

from tests.otlp.article import T0, ns, proto_exporter, provider


def test_an_agent_span_that_comes_after_its_root_is_not_counted_again(
        receiving: Any) -> None:
    url = f"{receiving.url}/v1/traces"
    workflow = provider(proto_exporter(url), service="workflow")  # exports as spans end
    agents = provider(proto_exporter(url), service="agents", batch=True)  # later
    tracer, agent_tracer = workflow.get_tracer("wf"), agents.get_tracer("agents")
    root = tracer.start_span("answer", start_time=ns(0))
    root.set_attribute("execution_id", "LATE-AGENT")
    agent = agent_tracer.start_span("invoke_agent researcher", start_time=ns(1),
                                    context=trace.set_span_in_context(root))
    agent.set_attribute("gen_ai.operation.name", "invoke_agent")
    for name, start, used in (("chat a", 2, (100, 10)), ("chat b", 4, (200, 20))):
        chat = tracer.start_span(name, start_time=ns(start),
                                 context=trace.set_span_in_context(agent))
        chat.set_attribute("gen_ai.operation.name", "chat")
        chat.set_attribute("gen_ai.usage.input_tokens", used[0])
        chat.set_attribute("gen_ai.usage.output_tokens", used[1])
        chat.end(end_time=ns(start + 1))
    # The agent's own usage: the sum of its two calls (100 + 200 in, 10 + 20 out).
    agent.set_attribute("gen_ai.usage.input_tokens", 300)
    agent.set_attribute("gen_ai.usage.output_tokens", 30)
    agent.end(end_time=ns(9))
    root.end(end_time=ns(10))
    assert workflow.force_flush()  # the chats and the root: received first
    receiving.wait_spans(3)
    assert agents.force_flush()  # then the agent's span, from the other service
    receiving.wait_spans(4)
    workflow.shutdown()
    agents.shutdown()
    execution = receiving.executions()["LATE-AGENT"]
    assert (execution.input_tokens, execution.output_tokens) == (300, 30)
    assert execution.row(T0 + 60, 30.0).status == "succeeded"


def test_the_marks_kept_past_roots_are_bounded_the_latest_kept() -> None:
    # Five traces, each a chat call (its usage counted) under an agent, then the root:
    # only the last two rooted keep their marks; the last trace's agent span, come
    # after its root, still counts as its call's sum, not on top of it.
    from tests.otlp.test_spans import request
    from wftui.core.ledger import Ledger
    from wftui.core.spans import SpanReader

    reader = SpanReader(marks_after_root=2)
    ledger = Ledger()
    for number in range(1, 6):
        chat = {"trace": number, "id": 3, "parent": 2, "start": 1, "end": 2,
                "attrs": {"execution_id": f"T{number}", "gen_ai.operation.name": "chat",
                          "gen_ai.usage.input_tokens": 100}}
        root = {"trace": number, "id": 1, "end": 5, "attrs": {"execution_id": f"T{number}"}}
        ledger.ingest_lines("otlp", 1, reader.read_traces(request(chat, root), T0))
    assert set(reader.usage_below) == {bytes([4]) * 16, bytes([5]) * 16}
    agent = {"trace": 5, "id": 2, "parent": 1, "start": 0, "end": 3,
             "attrs": {"execution_id": "T5", "gen_ai.operation.name": "invoke_agent",
                       "gen_ai.usage.input_tokens": 100}}
    ledger.ingest_lines("otlp", 1, reader.read_traces(request(agent), T0))
    assert ledger.executions["T5"].input_tokens == 100
