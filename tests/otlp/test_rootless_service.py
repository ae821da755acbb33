"""A trace whose root never comes (every span has a parent that is never exported: a
root still running, or dropped) goes out under its trace id after `hold_s`; its
workflow name was "-" in the table. As for a root that names no workflow, it falls back
to the `service.name` of its spans' resource, written once for the trace."""

from __future__ import annotations

from typing import Any

from opentelemetry import trace

from tests.helpers import wait_for
from tests.otlp.article import T0, ns, proto_exporter, provider
from tests.otlp.test_spans import events, request
from wftui.core.ledger import Ledger
from wftui.core.spans import SpanReader


def test_a_rootless_trace_from_the_sdk_is_named_by_its_service(make_receiver: Any) -> None:
    running = make_receiver(hold_s=0.2)
    trace_provider = provider(proto_exporter(f"{running.url}/v1/traces"),
                              service="billing-service")
    tracer = trace_provider.get_tracer("billing")
    root = tracer.start_span("nightly_invoices", start_time=ns(0))  # never ends
    inside = trace.set_span_in_context(root)
    for name, start, end in (("load", 1, 2), ("render", 2, 4)):
        tracer.start_span(name, context=inside, start_time=ns(start)).end(end_time=ns(end))
    assert trace_provider.force_flush()
    trace_provider.shutdown()
    trace_id = format(root.get_span_context().trace_id, "032x")
    running.wait_executions(1, done=False)
    wait_for(lambda: running.executions()[trace_id].steps == 2, "both steps")
    execution = running.executions()[trace_id]
    assert execution.workflow_name == "billing-service"
    row = execution.row(T0 + 10, None)
    assert (row.workflow_name, row.status, row.steps) == ("billing-service", "running", 2)
    assert row.start_ts == T0 + 1  # its first span's start, as before


def test_the_service_is_written_once_per_trace_and_a_late_root_names_it() -> None:
    reader = SpanReader(hold_s=5.0)
    ledger = Ledger(idle_timeout=30.0)
    first = reader.read_traces(request({"id": 2, "parent": 1, "start": 1, "end": 2},
                                       service="svc-a"), T0 + 2)
    assert first == []  # held: a name may still come
    released = reader.flush(T0 + 7)
    assert [(e["event"], e.get("workflow_name")) for e in events(released)] == [
        ("workflow_start", "svc-a"), ("step_complete", None)]
    ledger.ingest_lines("otlp", 1, released)
    assert ledger.executions["01" * 16].workflow_name == "svc-a"
    # More of the trace: straight under the trace id, no second start.
    more = reader.read_traces(request({"id": 3, "parent": 1, "start": 2, "end": 3},
                                      service="svc-a"), T0 + 8)
    assert [e["event"] for e in events(more)] == ["step_complete"]
    ledger.ingest_lines("otlp", 2, more)
    # Its root at last, naming the workflow: that name wins.
    root = reader.read_traces(request({"id": 1, "start": 0, "end": 4,
                                       "attrs": {"workflow_name": "invoices"}},
                                      service="svc-a"), T0 + 9)
    ledger.ingest_lines("otlp", 3, root)
    execution = ledger.executions["01" * 16]
    assert execution.workflow_name == "invoices"
    assert execution.row(T0 + 60, 30.0).status == "succeeded" and execution.steps == 2


def test_without_a_service_name_nothing_is_made_up() -> None:
    reader = SpanReader(hold_s=5.0)
    reader.read_traces(request({"id": 2, "parent": 1}, service=""), T0)
    assert [e["event"] for e in events(reader.flush(T0 + 5))] == ["step_complete"]
