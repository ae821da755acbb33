"""A followed OTLP JSON file that then stays quiet: a trace whose root never came (its
spans wait `hold_s` for a part that names their execution) must still go out under its
trace id, as the receiver's do and as `check` does at the file's end. It used to wait
for the file's next line: on a post-mortem file, for ever, and the monitor showed one
execution fewer than `wftui check` of the same file."""

from __future__ import annotations

from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.json.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.helpers import wait_for
from tests.otlp.article import ns, provider
from wftui.config import Settings
from wftui.live import LiveMonitor


def test_a_rootless_trace_in_a_quiet_followed_file_goes_out_after_its_hold(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Held 0.5 s here (5 s by default), looked at every 0.1 s (1 s): the same waits,
    # shorter, for the test's time.
    from functools import partial

    from wftui import live
    from wftui.core.spans import SpanReader
    from wftui.sources.otlp import files

    monkeypatch.setattr(files, "SpanReader", partial(SpanReader, hold_s=0.5))
    monkeypatch.setattr(live, "HELD_TRACES_EVERY_S", 0.1)
    memory = InMemorySpanExporter()
    trace_provider = provider(memory, service="billing-service")
    tracer = trace_provider.get_tracer("billing")
    root = tracer.start_span("nightly_invoices", start_time=ns(0))  # never ends
    inside = trace.set_span_in_context(root)
    for name, start, end in (("load", 1, 2), ("render", 2, 4)):
        tracer.start_span(name, context=inside, start_time=ns(start)).end(end_time=ns(end))
    spans = list(memory.get_finished_spans())
    assert [span.name for span in spans] == ["load", "render"]  # the root is not among them
    path = tmp_path / "spans.jsonl"
    path.write_text(encode_spans(spans).to_json() + "\n")
    trace_id = format(root.get_span_context().trace_id, "032x")

    monitor = LiveMonitor(Settings(), [str(path)])
    monitor.start()
    try:
        # held for a name (SpanReader's hold_s), then out under the trace id: no later
        # line is needed for that
        wait_for(lambda: trace_id in monitor.ledger.executions, "the rootless trace",
                 timeout=20)
        execution = monitor.ledger.executions[trace_id]
        assert execution.workflow_name == "billing-service"
        assert execution.steps == 2
    finally:
        monitor.stop()
