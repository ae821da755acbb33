"""The article's tracing code, through the real SDK and OTLP/HTTP exporters (protobuf
and JSON), into wftui's receiver: executions, figures and trees worked out by hand
(`tests.otlp.article.run_five`)."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from tests.helpers import wait_for
from tests.otlp.article import T0, Article, json_exporter, proto_exporter, provider
from tests.otlp.article import run_five as run_article
from wftui.core.figures import log_figures
from wftui.core.steps import build_detail

EXPORTERS = {"protobuf": proto_exporter, "json": json_exporter}


def send_five(url: str, kind: str, **kwargs: Any) -> None:
    trace_provider = provider(EXPORTERS[kind](f"{url}/v1/traces", **kwargs))
    run_article(Article(trace_provider.get_tracer("support")))
    assert trace_provider.force_flush()
    trace_provider.shutdown()


@pytest.mark.parametrize("kind", ["protobuf", "json"])
def test_five_executions_give_the_figures_worked_out_by_hand(receiving: Any,
                                                             kind: str) -> None:
    send_five(receiving.url, kind)
    receiving.wait_executions(5)
    now = T0 + 3600.0
    with receiving.lock:
        ledger = receiving.ledger
        assert ledger.counts(now) == {"total": 5, "running": 0, "succeeded": 4, "failed": 1}
        figures = log_figures(ledger, None, T0 + 50, now)
        executions = dict(ledger.executions)
    assert figures.error_rate == pytest.approx(0.2)
    assert figures.latency_s["p50"] == pytest.approx(6.0)
    assert figures.latency_s["p95"] == pytest.approx(9.6)
    assert figures.latency_s["p99"] == pytest.approx(9.92)
    # classify ran 5 times (1 s failed, 1 s failed, 4 s, 7 s, 9 s): all are samples
    assert figures.step_latency_s["classify"]["count"] == 5
    assert sorted(executions) == ["EXEC-1", "EXEC-2", "EXEC-3", "EXEC-4", "EXEC-5"]
    failed = executions["EXEC-2"]
    assert failed.failed and failed.failed_step == "classify"
    assert failed.first_error == "ValueError: ticket service down"  # the root's exception
    assert executions["EXEC-5"].workflow_name == "refund"
    assert executions["EXEC-1"].workflow_name == "support_ticket"
    assert (executions["EXEC-1"].input_tokens, executions["EXEC-1"].output_tokens) == (
        1200, 300)
    # The retried call failed, the execution did not.
    assert not executions["EXEC-3"].failed


def test_a_trace_is_a_nested_tree_with_types_tokens_and_its_error(receiving: Any) -> None:
    send_five(receiving.url, "protobuf")
    receiving.wait_executions(5)
    executions = receiving.executions()
    tree = build_detail(executions["EXEC-1"].copy(), T0 + 3600, 30.0)
    assert [(s.depth, s.name, s.step_type, s.status) for s in tree.steps] == [
        (0, "fetch_ticket", "tool", "ok"), (0, "research", "agent", "ok"),
        (1, "chat gpt-4o", "llm", "ok"), (0, "respond", "llm", "ok")]
    chat = tree.steps[2]
    assert chat.model == "gpt-4o-2024-08-06"
    assert (chat.input_tokens, chat.output_tokens) == (1200, 300)
    assert (chat.start_ts, chat.end_ts) == (T0 + 1.5, T0 + 2.5)
    assert tree.duration_s == pytest.approx(4.0) and tree.status == "succeeded"

    failed = build_detail(executions["EXEC-2"].copy(), T0 + 3600, 30.0)
    assert failed.status == "failed"
    classify = failed.steps[1]
    assert (classify.name, classify.status) == ("classify", "failed")
    assert classify.error == "ticket service down"
    errors = [i for i in classify.items if i.kind == "error"]
    assert errors and "Traceback" in errors[0].event["traceback"]
    assert "ValueError: ticket service down" in errors[0].event["traceback"]

    retried = build_detail(executions["EXEC-3"].copy(), T0 + 3600, 30.0)
    assert retried.status == "succeeded"
    assert [(s.name, s.status) for s in retried.steps] == [
        ("classify", "failed"), ("classify", "ok")]


def test_gzip_compressed_export_is_read(receiving: Any) -> None:
    from opentelemetry.exporter.otlp.proto.http import Compression
    send_five(receiving.url, "protobuf", compression=Compression.Gzip)
    receiving.wait_executions(5)
    assert len(receiving.executions()) == 5


@pytest.mark.parametrize("kind", ["protobuf", "json"])
def test_a_root_whose_parent_is_upstream_is_the_execution(receiving: Any, kind: str) -> None:
    # A service behind a gateway: its `workflow_execution` span continues the caller's
    # trace (a traceparent header), so it has a parent, a remote one. It is still the
    # execution's root: its end ends the execution, its ERROR fails it.
    from opentelemetry.propagate import extract
    from opentelemetry.trace import Status, StatusCode

    from tests.otlp.article import ns as at

    trace_provider = provider(EXPORTERS[kind](f"{receiving.url}/v1/traces"))
    tracer = trace_provider.get_tracer("support")
    runs = [("EXEC-P1", "0af7651916cd43dd8448eb211c80319c", False, 2.0),
            ("EXEC-P2", "1af7651916cd43dd8448eb211c80319c", True, 3.0)]
    for number, (execution_id, trace_hex, fails, seconds) in enumerate(runs):
        begin = 10.0 * number
        upstream = extract({"traceparent": f"00-{trace_hex}-b7ad6b7169203331-01"})
        root = tracer.start_span("workflow_execution", context=upstream,
                                 start_time=at(begin),
                                 attributes={"execution_id": execution_id,
                                             "workflow_name": "gw_flow"})
        inside = trace.set_span_in_context(root)
        step = tracer.start_span("fetch_ticket", context=inside, start_time=at(begin + 0.5),
                                 attributes={"execution_id": execution_id,
                                             "step_type": "tool"})
        step.end(end_time=at(begin + 1.0))
        if fails:
            root.set_status(Status(StatusCode.ERROR, "boom"))
        root.end(end_time=at(begin + seconds))
    assert trace_provider.force_flush()
    trace_provider.shutdown()
    receiving.wait_executions(2)
    now = T0 + 3600.0
    with receiving.lock:
        ledger = receiving.ledger
        assert ledger.counts(now) == {"total": 2, "running": 0, "succeeded": 1, "failed": 1}
        figures = log_figures(ledger, None, T0 + 50, now)
        rows = {e.execution_id: e.row(now, 30.0) for e in ledger.executions.values()}
    assert figures.error_rate == pytest.approx(0.5)
    assert {k: (r.workflow_name, r.duration_s, r.steps) for k, r in rows.items()} == {
        "EXEC-P1": ("gw_flow", pytest.approx(2.0), 1),
        "EXEC-P2": ("gw_flow", pytest.approx(3.0), 1)}


def test_a_trace_of_one_llm_call_counts_its_tokens_and_cost(make_receiver: Any) -> None:
    # An instrumented client with nothing wrapping the call sends one chat span, the
    # trace's root. Its model, tokens and cost are the execution's (they were lost).
    from tests.otlp.article import ns

    receiving = make_receiver(prices={"gpt-4o": (2.5, 10.0)})
    trace_provider = provider(proto_exporter(f"{receiving.url}/v1/traces"))
    tracer = trace_provider.get_tracer("openai-client")
    attrs = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
             "gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 100}
    tracer.start_span("chat gpt-4o", start_time=ns(0), attributes=attrs).end(ns(2))
    span = tracer.start_span("chat gpt-4o", start_time=ns(10),
                             attributes={**attrs, "gen_ai.usage.output_tokens": 0})
    try:
        raise TimeoutError("upstream timed out")
    except TimeoutError as error:
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, "TimeoutError: upstream timed out"))
    span.end(ns(13))
    trace_provider.shutdown()
    receiving.wait_executions(2)
    ok, failed = sorted(receiving.executions().values(), key=lambda e: e.first_ts)
    assert (ok.input_tokens, ok.output_tokens) == (1000, 100)
    assert ok.cost_usd == pytest.approx((1000 * 2.5 + 100 * 10.0) / 1e6)  # 0.0035
    assert not ok.failed
    assert (failed.input_tokens, failed.output_tokens) == (1000, 0)
    assert failed.failed and failed.first_error == "TimeoutError: upstream timed out"
    tree = build_detail(failed.copy(), T0 + 3600, 30.0)
    (call,) = tree.steps  # the call is a node, its exception shown once in it
    assert (call.name, call.step_type, call.model, call.input_tokens,
            call.duration_s) == ("chat gpt-4o", "llm", "gpt-4o", 1000, pytest.approx(3.0))
    assert [item.kind for item in call.items] == ["error"]
    tree = build_detail(ok.copy(), T0 + 3600, 30.0)
    assert [(s.name, s.input_tokens, s.output_tokens) for s in tree.steps] == [
        ("chat gpt-4o", 1000, 100)]


@pytest.mark.parametrize("counts", [(5, 3), (5.0, 3.0)], ids=["ints", "doubles"])
def test_tokens_count_when_the_span_names_no_model(receiving: Any,
                                                   counts: tuple[float, float]) -> None:
    """Also when the counts come as doubles (SDKs whose numbers are all doubles send
    5.0): those counted nothing, without a word."""
    from tests.otlp.article import ns

    trace_provider = provider(proto_exporter(f"{receiving.url}/v1/traces"))
    tracer = trace_provider.get_tracer("agent")
    root = tracer.start_span("workflow", start_time=ns(0),
                             attributes={"workflow_name": "triage"})
    context = trace.set_span_in_context(root)
    tracer.start_span("embed", context=context, start_time=ns(1), attributes={
        "gen_ai.operation.name": "embeddings", "gen_ai.usage.input_tokens": counts[0],
        "gen_ai.usage.output_tokens": counts[1]}).end(ns(2))
    root.end(ns(3))
    trace_provider.shutdown()
    receiving.wait_executions(1)
    (execution,) = receiving.executions().values()
    assert (execution.input_tokens, execution.output_tokens) == (5, 3)
    (embed,) = build_detail(execution.copy(), T0 + 3600, 30.0).steps
    assert (embed.step_type, embed.model, embed.input_tokens, embed.output_tokens) == (
        "llm", None, 5, 3)


def test_a_failure_retried_away_is_not_what_failed_the_execution(receiving: Any) -> None:
    # lookup fails, is retried and succeeds; then the workflow fails on its own
    # (validation). The execution failed at the workflow, not at lookup: the retried
    # failure was recovered. A lookup that fails last still names lookup.
    from tests.otlp.article import ns

    trace_provider = provider(proto_exporter(f"{receiving.url}/v1/traces"))
    tracer = trace_provider.get_tracer("agent")

    def run(execution_id: str, at: float, retry_fails: bool) -> None:
        root = tracer.start_span("support_workflow", start_time=ns(at), attributes={
            "execution_id": execution_id, "workflow_name": "support"})
        context = trace.set_span_in_context(root)
        for attempt, fails in enumerate((True, retry_fails)):
            tool = tracer.start_span("lookup", context=context,
                                     start_time=ns(at + 1 + attempt),
                                     attributes={"gen_ai.operation.name": "execute_tool",
                                                 "gen_ai.tool.name": "lookup"})
            if fails:
                tool.set_status(Status(StatusCode.ERROR, "crm timed out"))
            tool.end(ns(at + 1.5 + attempt))
        root.set_status(Status(StatusCode.ERROR, "validation failed"))
        root.end(ns(at + 4))

    run("EXEC-R1", 0, retry_fails=False)
    run("EXEC-R2", 10, retry_fails=True)
    trace_provider.shutdown()
    receiving.wait_executions(2)
    executions = receiving.executions()
    recovered, not_recovered = executions["EXEC-R1"], executions["EXEC-R2"]
    assert recovered.failed and recovered.failed_step == "support_workflow"
    assert recovered.first_error == "validation failed"
    assert not_recovered.failed and not_recovered.failed_step == "lookup"


def test_an_exception_the_span_got_over_does_not_fail_its_step(receiving: Any) -> None:
    # The call records an exception, retries inside the span and succeeds (status
    # OK): the step is ok in the tree as in the counts; the exception still shows.
    from tests.otlp.article import ns

    trace_provider = provider(proto_exporter(f"{receiving.url}/v1/traces"))
    tracer = trace_provider.get_tracer("agent")
    root = tracer.start_span("workflow", start_time=ns(0), attributes={"execution_id": "X"})
    call = tracer.start_span("call", context=trace.set_span_in_context(root),
                             start_time=ns(1))
    call.record_exception(ValueError("transient"), timestamp=ns(1.2))
    call.set_status(Status(StatusCode.OK))
    call.end(ns(2))
    root.end(ns(3))
    trace_provider.shutdown()
    receiving.wait_executions(1)
    execution = receiving.executions()["X"]
    assert not execution.failed and execution.failed_steps == 0
    (step,) = build_detail(execution.copy(), T0 + 3600, 30.0).steps
    assert step.status == "ok" and step.error is None
    assert [(item.kind, item.event["exception.message"]) for item in step.items] == [
        ("exception", "transient")]


def test_an_exception_the_root_got_over_is_not_an_error_of_the_execution(
        receiving: Any) -> None:
    # The workflow's own span records an exception and carries on (status unset): the
    # execution succeeded; its events show the exception, never an error.
    from tests.otlp.article import ns

    trace_provider = provider(proto_exporter(f"{receiving.url}/v1/traces"))
    tracer = trace_provider.get_tracer("agent")
    root = tracer.start_span("workflow", start_time=ns(0), attributes={"execution_id": "Y"})
    root.record_exception(ValueError("cache miss"), timestamp=ns(0.5))
    root.end(ns(1))
    trace_provider.shutdown()
    receiving.wait_executions(1)
    execution = receiving.executions()["Y"]
    assert not execution.failed
    detail = build_detail(execution.copy(), T0 + 3600, 30.0)
    assert detail.status == "succeeded"
    kinds = [item.kind for item in detail.items]
    assert "error" not in kinds and "exception" in kinds, kinds
    (shown,) = [item for item in detail.items if item.kind == "exception"]
    assert shown.event["exception.message"] == "cache miss"


def two_chat_calls(tracer: Any, parent: Any, first_s: float, takes_s: float) -> None:
    """Two chat calls under `parent`, a second apart from `first_s`, each `takes_s`
    long: 100 in / 10 out, then 200 in / 20 out."""
    from tests.otlp.article import ns

    for index, (tokens_in, tokens_out) in enumerate(((100, 10), (200, 20))):
        tracer.start_span("chat gpt-4o", context=trace.set_span_in_context(parent),
                          start_time=ns(first_s + index), attributes={
                              "gen_ai.operation.name": "chat",
                              "gen_ai.request.model": "gpt-4o",
                              "gen_ai.usage.input_tokens": tokens_in,
                              "gen_ai.usage.output_tokens": tokens_out,
                          }).end(ns(first_s + index + takes_s))


def test_an_agents_usage_that_sums_its_calls_is_not_counted_again(make_receiver: Any) -> None:
    # GenAI conventions: an invoke_agent span may carry the usage of its whole run, the
    # sum of the chat calls under it, which carry theirs. Counted on both, the tokens
    # and the cost of an agent workflow read double.
    from tests.otlp.article import ns

    receiving = make_receiver(prices={"gpt-4o": (2.5, 10.0)})
    trace_provider = provider(proto_exporter(f"{receiving.url}/v1/traces"))
    tracer = trace_provider.get_tracer("agents")
    root = tracer.start_span("workflow", start_time=ns(0), attributes={"execution_id": "A"})
    agent = tracer.start_span("invoke_agent planner", context=trace.set_span_in_context(root),
                              start_time=ns(1), attributes={
                                  "gen_ai.operation.name": "invoke_agent",
                                  "gen_ai.request.model": "gpt-4o",
                                  "gen_ai.usage.input_tokens": 300,
                                  "gen_ai.usage.output_tokens": 30})
    plan = tracer.start_span("plan", context=trace.set_span_in_context(agent),
                             start_time=ns(1.1))  # a step between: no usage of its own
    two_chat_calls(tracer, plan, first_s=1.2, takes_s=0.7)
    plan.end(ns(3))
    agent.end(ns(3.5))
    # a lone tool span with usage of its own (nothing under it): counted
    tracer.start_span("embed", context=trace.set_span_in_context(root), start_time=ns(4),
                      attributes={"gen_ai.operation.name": "embeddings",
                                  "gen_ai.usage.input_tokens": 7}).end(ns(4.5))
    root.end(ns(5))
    trace_provider.shutdown()
    receiving.wait_executions(1)
    execution = receiving.executions()["A"]
    # 100 + 200 + 7 in, 10 + 20 out: not the agent's 300 / 30 on top
    assert (execution.input_tokens, execution.output_tokens) == (307, 30)
    # the two calls' cost: (300 * 2.5 + 30 * 10) / 1e6; embed names no priced model
    assert execution.cost_usd == pytest.approx(0.00105)
    tree = build_detail(execution.copy(), T0 + 3600, 30.0)
    assert [(s.depth, s.name, s.input_tokens) for s in tree.steps] == [
        (0, "invoke_agent planner", None), (1, "plan", None), (2, "chat gpt-4o", 100),
        (2, "chat gpt-4o", 200), (0, "embed", 7)]


def test_a_remote_agents_usage_is_not_counted_again_when_its_service_exports_first(
        make_receiver: Any) -> None:
    # A gateway calls a remote agent service (an invoke_agent client span carrying the
    # usage of the agent's whole run, as the service answered it) and that service
    # traces its own chat calls, continuing the trace through traceparent. Its root
    # ends first, so it comes first and is the execution's root. The gateway's agent
    # span came after it and its usage was counted on top of the calls it sums: the
    # tokens and cost of the execution read double.
    from opentelemetry.propagate import extract, inject

    from tests.otlp.article import ns

    receiving = make_receiver(prices={"gpt-4o": (2.5, 10.0)})
    gateway = provider(proto_exporter(f"{receiving.url}/v1/traces"), service="gateway")
    agents = provider(proto_exporter(f"{receiving.url}/v1/traces"), service="agents")
    front = gateway.get_tracer("gateway").start_span("POST /tickets", start_time=ns(0))
    call = gateway.get_tracer("gateway").start_span(
        "invoke_agent support", context=trace.set_span_in_context(front),
        kind=trace.SpanKind.CLIENT, start_time=ns(0.1), attributes={
            "gen_ai.operation.name": "invoke_agent", "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.input_tokens": 300, "gen_ai.usage.output_tokens": 30})
    carrier: dict[str, str] = {}
    inject(carrier, context=trace.set_span_in_context(call))
    tracer = agents.get_tracer("agents")
    root = tracer.start_span("support_ticket", context=extract(carrier), start_time=ns(0.2),
                             kind=trace.SpanKind.SERVER, attributes={"execution_id": "G"})
    two_chat_calls(tracer, root, first_s=1.0, takes_s=0.5)
    root.end(ns(4))  # exported now: the execution's root
    call.end(ns(4.5))
    front.end(ns(5))
    for each in (agents, gateway):
        each.shutdown()
    receiving.wait_executions(1)
    def folded(name: bytes) -> bool:
        with receiving.lock:
            return any(name in line for line in receiving.lines)

    wait_for(lambda: folded(b"POST /tickets"), "the gateway's spans folded")
    execution = receiving.executions()["G"]
    # the two calls, 100 + 200 in and 10 + 20 out, not the agent's 300 / 30 on top
    assert (execution.input_tokens, execution.output_tokens) == (300, 30)
    assert execution.cost_usd == pytest.approx((300 * 2.5 + 30 * 10) / 1e6)


def test_a_call_answered_by_a_dated_model_is_priced_by_the_model_asked_for(
        make_receiver: Any) -> None:
    # Providers answer "gpt-4o" with a dated snapshot (gen_ai.response.model
    # "gpt-4o-2024-08-06"); a price table keyed by the name asked for priced nothing.
    from tests.otlp.article import ns

    receiving = make_receiver(prices={"gpt-4o": (2.5, 10.0), "gpt-4o-mini": (0.15, 0.6),
                                      "gpt-4o-mini-2024-07-18": (1.0, 1.0)})
    trace_provider = provider(proto_exporter(f"{receiving.url}/v1/traces"))
    tracer = trace_provider.get_tracer("openai-client")
    root = tracer.start_span("workflow", start_time=ns(0), attributes={"execution_id": "D"})
    context = trace.set_span_in_context(root)
    for start, asked, answered in ((1, "gpt-4o", "gpt-4o-2024-08-06"),
                                   (2, "gpt-4o-mini", "gpt-4o-mini-2024-07-18")):
        tracer.start_span(f"chat {asked}", context=context, start_time=ns(start), attributes={
            "gen_ai.operation.name": "chat", "gen_ai.request.model": asked,
            "gen_ai.response.model": answered, "gen_ai.usage.input_tokens": 1000,
            "gen_ai.usage.output_tokens": 100}).end(ns(start + 0.5))
    root.end(ns(3))
    trace_provider.shutdown()
    receiving.wait_executions(1)
    execution = receiving.executions()["D"]
    # gpt-4o by the name asked for: (1000 * 2.5 + 100 * 10) / 1e6 = 0.0035; the mini call
    # by its dated name, which the table lists: (1000 * 1 + 100 * 1) / 1e6 = 0.0011
    assert execution.cost_usd == pytest.approx(0.0035 + 0.0011)
    tree = build_detail(execution.copy(), T0 + 3600, 30.0)
    assert [s.model for s in tree.steps] == ["gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18"]


def test_a_status_said_only_by_the_otel_status_code_attribute_counts(
        receiving: Any) -> None:
    # OpenTelemetry's mapping for formats without a status field (Zipkin, Jaeger), and
    # instrumentations that only set attributes, say it as `otel.status_code`: such a
    # failed root read as a success, its failure missing from the error rate.
    from tests.otlp.article import ns

    trace_provider = provider(proto_exporter(f"{receiving.url}/v1/traces"))
    tracer = trace_provider.get_tracer("converted")
    said_failed = {"otel.status_code": "ERROR", "otel.status_description": "quota gone"}
    root = tracer.start_span("workflow", start_time=ns(0),
                             attributes={"execution_id": "F", **said_failed})
    tracer.start_span("lookup", context=trace.set_span_in_context(root), start_time=ns(1),
                      attributes={"otel.status_code": "ERROR"}).end(ns(2))
    root.end(ns(3))
    # The span's own status wins over the attribute: OK set, the attribute says ERROR.
    kept = tracer.start_span("workflow", start_time=ns(4),
                             attributes={"execution_id": "K", **said_failed})
    kept.set_status(Status(StatusCode.OK))
    kept.end(ns(5))
    tracer.start_span("workflow", start_time=ns(6), attributes={
        "execution_id": "O", "otel.status_code": "OK"}).end(ns(7))
    trace_provider.shutdown()
    receiving.wait_executions(3)
    executions = receiving.executions()
    failed = executions["F"]
    assert failed.failed and failed.first_error == "quota gone"
    assert failed.failed_steps == 1  # the lookup, a failed step
    assert not executions["K"].failed and not executions["O"].failed
    (lookup,) = build_detail(failed.copy(), T0 + 3600, 30.0).steps
    assert lookup.status == "failed" and lookup.error == "span status ERROR"


def test_spans_stamped_ahead_of_this_clock_are_in_the_live_window(receiving: Any) -> None:
    # A sender whose clock runs 90 s fast: its spans end "after now". The live window
    # ended at the wall clock and left them out: the counts said 3 executions, 1
    # failed, while error rate and latency read "no traffic" / "no data", unexplained.
    import time as clock

    from wftui.core.snapshot import take_snapshot
    from wftui.core.thresholds import ThresholdEngine

    ahead = clock.time_ns() + 90 * 10**9
    trace_provider = provider(proto_exporter(f"{receiving.url}/v1/traces"))
    tracer = trace_provider.get_tracer("fast-clock")
    for index, seconds in enumerate((1, 2, 4)):
        span = tracer.start_span("workflow", start_time=ahead + index * 10**9,
                                 attributes={"execution_id": f"E{index}"})
        if index == 0:
            span.set_status(Status(StatusCode.ERROR, "bad"))
        span.end(ahead + index * 10**9 + seconds * 10**9)
    trace_provider.shutdown()
    receiving.wait_executions(3)
    now = clock.time()
    with receiving.lock:
        taken = take_snapshot(receiving.ledger, ThresholdEngine(), window_s=300.0, now=now)
    snapshot = taken.to_check_dict()
    assert snapshot["executions"]["failed"] == 1
    assert snapshot["error_rate"] == pytest.approx(1 / 3)
    assert snapshot["latency_s"]["p50"] == pytest.approx(2.0)  # of 1, 2 and 4 s
    # the window ends at the newest end, 90 + 2 + 4 s ahead, and says why
    assert taken.window_end == pytest.approx(ahead / 1e9 + 6)
    assert any("ahead of this machine's clock" in said for said in snapshot["warnings"])
