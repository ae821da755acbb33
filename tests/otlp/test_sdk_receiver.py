"""The article's tracing code, through the real SDK and OTLP/HTTP exporters (protobuf
and JSON), into wftui's receiver: executions, figures and trees worked out by hand
(`tests.otlp.article.run_five`)."""

from __future__ import annotations

from typing import Any

import pytest

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
