"""An application that logs its steps and also sends them as spans (real SDK): each
step shows once in the step tree, nested as the spans say, with what the log added."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.exporter.otlp.json.common.trace_encoder import encode_spans as as_json
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.forked import run_wftui
from tests.otlp.article import T0, Article, provider
from wftui.core.ledger import Ledger
from wftui.core.spans import SpanReader
from wftui.core.steps import build_detail


def finished_spans() -> Sequence[ReadableSpan]:
    """EXEC-1 as spans: fetch_ticket 0.5-1.0 (tool), research 1.0-3.0 holding a chat
    1.5-2.5, respond 3.0-3.9, under the root 0-4."""
    memory = InMemorySpanExporter()
    article = Article(provider(memory).get_tracer("support"))
    with article.workflow("EXEC-1", "support_ticket", 0, 4):
        article.execute_step_with_tracing("EXEC-1", "fetch_ticket", lambda: "ok", 0.5, 1.0,
                                          "tool")
        with article.tracer.start_as_current_span("research", start_time=_ns(1.0),
                                                  end_on_exit=False) as research:
            research.set_attribute("execution_id", "EXEC-1")
            with article.tracer.start_as_current_span("chat", start_time=_ns(1.5),
                                                      end_on_exit=False) as chat:
                chat.end(end_time=_ns(2.5))
            research.end(end_time=_ns(3.0))
        article.execute_step_with_tracing("EXEC-1", "respond", lambda: "ok", 3.0, 3.9)
    return memory.get_finished_spans()


def span_lines() -> list[bytes]:
    return SpanReader().read_traces(encode_spans(finished_spans()), float(T0))


def _ns(offset_s: float) -> int:
    return round((T0 + offset_s) * 1e9)


def logged(**event: Any) -> bytes:
    event["timestamp"] = T0 + event.pop("at")
    return json.dumps({"execution_id": "EXEC-1", **event}).encode()


LOG = [
    logged(event="step_start", step_name="fetch_ticket", at=0.52),
    logged(event="tool_call", step_name="fetch_ticket", tool_name="tickets.get", at=0.6),
    logged(event="step_complete", step_name="fetch_ticket", success=True, at=0.98),
    logged(event="step_start", step_name="respond", step_id="log-respond", at=3.01),
    logged(event="step_start", step_name="spellcheck", step_id="log-spell",
           parent_step_id="log-respond", at=3.2),
    logged(event="step_complete", step_name="spellcheck", step_id="log-spell",
           success=True, at=3.3),
    logged(event="step_complete", step_name="respond", step_id="log-respond",
           success=False, error="reply bounced", at=3.88),
    logged(event="step_start", step_name="cleanup", at=3.95),  # no span: stays its own
    logged(event="step_complete", step_name="cleanup", success=True, at=3.99),
]


def test_steps_logged_and_sent_as_spans_show_once() -> None:
    ledger = Ledger(idle_timeout=None)
    ledger.ingest_lines("app.log", 1, LOG, read_time=float(T0))
    ledger.ingest_lines("otlp", 1, span_lines(), read_time=float(T0))
    assert set(ledger.executions) == {"EXEC-1"}
    detail = build_detail(ledger.executions["EXEC-1"], T0 + 60.0, None)
    # 4 step spans + 4 logged steps, 2 of them the same steps: 6, nested by span ids
    # (spellcheck follows respond, whose logged id became its span's).
    assert [(s.depth, s.name) for s in detail.steps] == [
        (0, "fetch_ticket"), (0, "research"), (1, "chat"), (0, "respond"),
        (1, "spellcheck"), (0, "cleanup")]
    fetch, _, _, respond, _, cleanup = detail.steps
    assert fetch.start_ts == T0 + 0.52 and fetch.end_ts == T0 + 0.98  # the log's times
    assert fetch.step_type == "tool"  # said by the span only
    assert [i.kind for i in fetch.items] == ["tool_call"]  # said by the log only
    assert fetch.status == "ok"
    assert respond.status == "failed" and respond.error == "reply bounced"
    assert cleanup.step_id is None and cleanup.status == "ok"


def test_a_logged_step_outside_its_namesakes_span_is_not_merged() -> None:
    """Same name, but started 2 s after the span ended: two different steps."""
    late = [logged(event="step_start", step_name="respond", at=5.9),
            logged(event="step_complete", step_name="respond", success=True, at=6.0)]
    ledger = Ledger(idle_timeout=None)
    ledger.ingest_lines("app.log", 1, late, read_time=float(T0))
    ledger.ingest_lines("otlp", 1, span_lines(), read_time=float(T0))
    detail = build_detail(ledger.executions["EXEC-1"], T0 + 60.0, None)
    assert [s.name for s in detail.steps].count("respond") == 2


def _counted(first: list[bytes], second: list[bytes]) -> tuple[int, dict[str, list[float]]]:
    ledger = Ledger(idle_timeout=None)
    ledger.ingest_lines("one", 1, first, read_time=float(T0))
    ledger.ingest_lines("two", 1, second, read_time=float(T0))
    samples = {name: [round(v, 3) for v in series.values]
               for name, series in ledger.step_samples.items()}
    return ledger.executions["EXEC-1"].steps, samples


def test_a_step_logged_and_sent_as_a_span_is_counted_once() -> None:
    """The same 6 steps as the tree above, whichever arrives first: fetch_ticket and
    respond are logged and traced (2 steps, not 4), research and chat are traced only,
    spellcheck and cleanup logged only: 2 + 2 + 2 = 6 steps, not 8; the table counts
    the 4 at the tree's top (chat is inside research, spellcheck inside respond: the
    tree's depth-0 steps above), not 6. Each step's latency
    is sampled once, from the one read first: the log's fetch_ticket 0.52-0.98 = 0.46 s
    and respond 3.01-3.88 = 0.87 s, or the spans' 0.5 s and 0.9 s."""
    steps, samples = _counted(LOG, span_lines())
    assert steps == 4
    assert samples["fetch_ticket"] == [0.46] and samples["respond"] == [0.87]
    assert samples["research"] == [2.0] and samples["chat"] == [1.0]
    assert samples["spellcheck"] == [0.1] and samples["cleanup"] == [0.04]
    steps, samples = _counted(span_lines(), LOG)
    assert steps == 4
    assert samples["fetch_ticket"] == [0.5] and samples["respond"] == [0.9]
    assert samples["cleanup"] == [0.04]


def test_a_logged_step_outside_its_namesakes_span_counts_as_its_own() -> None:
    late = [logged(event="step_start", step_name="respond", at=5.9),
            logged(event="step_complete", step_name="respond", success=True, at=6.0)]
    steps, samples = _counted(late, span_lines())
    assert steps == 4  # 3 spans at the top (chat is inside research), and this respond
    assert sorted(samples["respond"]) == [0.1, 0.9]


@pytest.mark.parametrize("spans_first", [False, True])
def test_check_counts_a_step_logged_and_sent_as_a_span_once(tmp_path: Path,
                                                            spans_first: bool) -> None:
    """`check` keeps no lines to find twins by: it keeps every execution's step marks
    when spans are among its files. The same counts as the monitor's above, the log
    and the Collector's OTLP JSON file given in either order."""
    from wftui.commands.check import read_files
    from wftui.config import load_settings

    log = tmp_path / "app.log"
    log.write_bytes(b"\n".join(LOG) + b"\n")
    spans = tmp_path / "spans.jsonl"
    spans.write_text(as_json(finished_spans()).to_json().replace("\n", "") + "\n")
    files = [str(spans), str(log)] if spans_first else [str(log), str(spans)]
    ledger, entries = read_files(files, load_settings(None))
    assert [entry["status"] for entry in entries] == ["ok", "ok"]
    assert ledger.executions["EXEC-1"].steps == 4
    samples = {name: [round(v, 3) for v in series.values]
               for name, series in ledger.step_samples.items()}
    fetch, respond = ([0.5], [0.9]) if spans_first else ([0.46], [0.87])
    assert samples == {"fetch_ticket": fetch, "respond": respond, "research": [2.0],
                       "chat": [1.0], "spellcheck": [0.1], "cleanup": [0.04]}
    # and as an operator runs it: one sample per step, so fetch_ticket's p50 is its one
    done = run_wftui(["check", *files, "--window", "all", "--format", "json"], timeout=120)
    report = json.loads(done.stdout)
    assert report["step_latency_s"]["fetch_ticket"]["count"] == 1, report["step_latency_s"]
