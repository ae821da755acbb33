"""Spans -> events, unit by unit: naming a trace's execution, late and split parts,
bounded waiting, workflow names, GenAI step types, tokens and cost. Requests are built
as protobuf messages; expected values are written out by hand."""

from __future__ import annotations

import json
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)

from wftui.core.ledger import Ledger
from wftui.core.spans import SpanReader
from wftui.core.steps import build_detail

T0 = 1_767_268_800
NS = 10**9


def request(*spans: dict[str, Any], service: str = "svc") -> ExportTraceServiceRequest:
    message = ExportTraceServiceRequest()
    resource = message.resource_spans.add()
    kv = resource.resource.attributes.add()
    kv.key, kv.value.string_value = "service.name", service
    scope = resource.scope_spans.add()
    for spec in spans:
        span = scope.spans.add()
        span.trace_id = bytes([spec.get("trace", 1)]) * 16
        span.span_id = bytes([spec["id"]]) * 8
        if spec.get("parent"):
            span.parent_span_id = bytes([spec["parent"]]) * 8
        span.name = spec.get("name", f"s{spec['id']}")
        span.kind = spec.get("kind", 1)
        span.start_time_unix_nano = (T0 + spec.get("start", 0)) * NS
        span.end_time_unix_nano = (T0 + spec.get("end", 1)) * NS
        if spec.get("error"):
            span.status.code = 2
        for key, value in spec.get("attrs", {}).items():
            attr = span.attributes.add()
            attr.key = key
            if isinstance(value, bool):
                attr.value.bool_value = value
            elif isinstance(value, int):
                attr.value.int_value = value
            else:
                attr.value.string_value = value
    return message


def events(lines: list[bytes]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines]


def test_a_trace_waits_for_its_name_and_takes_it_from_the_root() -> None:
    reader = SpanReader()
    assert reader.read_traces(request({"id": 2, "parent": 1}), T0) == []  # held
    assert reader.waiting_count == 1
    lines = reader.read_traces(request({"id": 1, "end": 4,
                                        "attrs": {"execution_id": "run-7"}}), T0 + 1)
    assert {e["execution_id"] for e in events(lines)} == {"run-7"}
    assert [e["event"] for e in events(lines)] == [
        "step_complete", "workflow_start", "workflow_complete"]
    assert reader.waiting_count == 0


def test_a_root_without_execution_id_names_the_trace_by_its_id() -> None:
    reader = SpanReader()
    reader.read_traces(request({"id": 2, "parent": 1}), T0)
    lines = reader.read_traces(request({"id": 1}), T0)
    assert {e["execution_id"] for e in events(lines)} == {"01" * 16}


def test_late_spans_after_their_root_join_the_same_execution() -> None:
    reader = SpanReader()
    reader.read_traces(request({"id": 1, "attrs": {"execution_id": "run-7"}}), T0)
    late = reader.read_traces(request({"id": 3, "parent": 1, "start": 2, "end": 3}), T0 + 9)
    assert [(e["event"], e["execution_id"]) for e in events(late)] == [
        ("step_complete", "run-7")]


def test_a_trace_that_never_names_itself_is_released_after_hold_s() -> None:
    reader = SpanReader(hold_s=5.0)
    reader.read_traces(request({"id": 2, "parent": 1}), T0)
    assert reader.flush(T0 + 4.9) == []
    released = events(reader.flush(T0 + 5.0))
    assert [(e["event"], e["execution_id"]) for e in released] == [
        ("workflow_start", "01" * 16),  # named by its service (no root came)
        ("step_complete", "01" * 16)]


def test_a_name_that_comes_after_the_hold_keeps_the_trace_one_execution() -> None:
    # An agent runs 8 s; its children carry no execution_id, its root does. The children
    # went out under the trace id after hold_s; the root must join them there, not start
    # a second execution (two executions, one running forever, for one trace).
    from wftui.core.ledger import Ledger

    reader = SpanReader(hold_s=5.0)
    ledger = Ledger(idle_timeout=30.0)
    ledger.ingest_lines("otlp", 1, reader.read_traces(
        request({"id": 2, "parent": 1, "start": 0, "end": 1}), T0 + 1))
    ledger.ingest_lines("otlp", 2, reader.flush(T0 + 6.0))  # released under the trace id
    ledger.ingest_lines("otlp", 3, reader.read_traces(
        request({"id": 1, "start": 0, "end": 8, "error": True,
                 "attrs": {"execution_id": "run-8"}}), T0 + 8))
    assert list(ledger.executions) == ["01" * 16]
    execution = ledger.executions["01" * 16]
    assert execution.row(T0 + 60, 30.0).status == "failed" and execution.steps == 1
    assert ledger.counts(T0 + 60) == {"total": 1, "running": 0, "succeeded": 0, "failed": 1}


def test_a_flood_of_distinct_unnamed_traces_stays_bounded_and_loses_nothing() -> None:
    reader = SpanReader(max_waiting=1000, max_traces=2000)
    written = 0
    for batch in range(50):
        spans = [{"trace": 0, "id": 2, "parent": 1} for _ in range(200)]
        message = request(*spans)
        for index, span in enumerate(message.resource_spans[0].scope_spans[0].spans):
            span.trace_id = (batch * 200 + index).to_bytes(16, "big")
        written += len(reader.read_traces(message, T0))
        assert reader.waiting_count <= 1000
        assert len(reader.trace_ids) <= 2000
    written += len(reader.flush())
    # every span became its one step_complete line, and each trace (rootless) its
    # service's workflow_start
    assert written == 2 * 10_000


def test_workflow_name_rules() -> None:
    def name(attrs: dict[str, Any], span_name: str = "root") -> Any:
        lines = SpanReader().read_traces(request({"id": 1, "name": span_name,
                                                  "attrs": attrs}, service="billing"), T0)
        return events(lines)[0]["workflow_name"]

    assert name({"workflow_name": "a", "gen_ai.workflow.name": "b"}) == "a"
    assert name({"gen_ai.workflow.name": "b"}) == "b"
    assert name({"gen_ai.operation.name": "invoke_workflow"}, "triage flow") == "triage flow"
    assert name({"gen_ai.operation.name": "chat"}) == "billing"
    assert name({}) == "billing"


@pytest.mark.parametrize(("attrs", "kind", "expected"), [
    ({"step_type": "llm", "gen_ai.operation.name": "execute_tool"}, 1, "llm"),
    ({"gen_ai.operation.name": "chat"}, 1, "llm"),
    ({"gen_ai.operation.name": "text_completion"}, 1, "llm"),
    ({"gen_ai.operation.name": "generate_content"}, 1, "llm"),
    ({"gen_ai.operation.name": "embeddings"}, 1, "llm"),
    ({"gen_ai.operation.name": "execute_tool"}, 1, "tool"),
    ({"gen_ai.operation.name": "invoke_agent"}, 1, "agent"),
    ({"gen_ai.operation.name": "retrieval"}, 1, "retrieval"),
    ({}, 3, "client"),
    ({}, 2, "server"),
])
def test_step_type_rules(attrs: dict[str, Any], kind: int, expected: str) -> None:
    lines = SpanReader().read_traces(request({"id": 2, "parent": 1, "kind": kind,
                                              "attrs": {"execution_id": "e", **attrs}}), T0)
    assert [e["step_type"] for e in events(lines)] == [expected]


def test_tool_spans_show_their_arguments_and_result_and_llm_spans_their_cost() -> None:
    reader = SpanReader({"gpt-4o": (2.5, 10.0)})
    lines = reader.read_traces(request(
        {"id": 1, "end": 10, "attrs": {"execution_id": "e"}},
        {"id": 2, "parent": 1, "name": "execute_tool get_weather", "start": 1, "end": 2,
         "attrs": {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather",
                   "gen_ai.tool.call.arguments": '{"city": "Paris"}',
                   "gen_ai.tool.call.result": '{"temp_c": 21}'}},
        {"id": 3, "parent": 1, "name": "chat", "start": 2, "end": 5,
         "attrs": {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
                   "gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 500}},
        {"id": 4, "parent": 1, "name": "chat", "start": 5, "end": 6,
         "attrs": {"gen_ai.request.model": "unpriced", "gen_ai.usage.input_tokens": 7}},
    ), T0)
    ledger = Ledger()
    ledger.ingest_lines("otlp", 1, lines)
    execution = ledger.executions["e"]
    # 1000 * 2.5 / 1e6 + 500 * 10 / 1e6 = 0.0025 + 0.005; the unpriced model costs nothing
    assert execution.cost_usd == pytest.approx(0.0075)
    assert (execution.input_tokens, execution.output_tokens) == (1007, 500)
    tree = build_detail(execution, T0 + 100, 30.0)
    tool, chat, other = tree.steps
    assert tool.step_type == "tool"
    (call,) = [item for item in tool.items if item.kind == "tool_call"]
    assert call.event["tool_name"] == "get_weather"
    assert call.event["arguments"] == {"city": "Paris"}
    assert call.event["result"] == {"temp_c": 21}
    assert (chat.model, chat.cost_usd) == ("gpt-4o", pytest.approx(0.0075))
    assert other.cost_usd is None


def test_ids_of_the_wrong_length_and_zero_times_are_counted_and_skipped() -> None:
    message = request({"id": 1, "attrs": {"execution_id": "ok"}}, {"id": 2, "parent": 1},
                      {"id": 3, "parent": 1})
    message.resource_spans[0].scope_spans[0].spans[1].span_id = b"\x02" * 7
    message.resource_spans[0].scope_spans[0].spans[2].end_time_unix_nano = 0
    reader = SpanReader()
    lines = reader.read_traces(message, T0)
    assert reader.last_rejected == 2 and reader.rejected == 2
    assert [e["event"] for e in events(lines)] == ["workflow_start", "workflow_complete"]


def test_a_failed_root_names_its_failed_step_and_a_success_false_root_fails() -> None:
    reader = SpanReader()
    lines = reader.read_traces(request(
        {"id": 2, "parent": 1, "name": "classify", "error": True},
        {"id": 1, "end": 3, "attrs": {"execution_id": "e", "success": False,
                                     "error": "gave up"}}), T0)
    ledger = Ledger()
    ledger.ingest_lines("otlp", 1, lines)
    execution = ledger.executions["e"]
    assert execution.failed and execution.failed_step == "classify"
    assert execution.first_error == "gave up"


def test_a_failed_child_under_a_root_that_succeeded_counts_in_the_errors_column() -> None:
    # A retried call: the call's span failed, the run succeeded. The table's errors
    # column says 1 (the tree shows which), the run stays succeeded.
    from wftui.core.ledger import Ledger

    reader = SpanReader()
    ledger = Ledger(idle_timeout=30.0)
    ledger.ingest_lines("otlp", 1, reader.read_traces(request(
        {"id": 2, "parent": 1, "start": 0, "end": 1, "error": True},
        {"id": 3, "parent": 1, "start": 1, "end": 2},
        {"id": 1, "start": 0, "end": 3, "attrs": {"execution_id": "run-9"}}), T0 + 3))
    row = ledger.executions["run-9"].row(T0 + 60, 30.0)
    assert (row.status, row.steps, row.errors) == ("succeeded", 2, 1)
