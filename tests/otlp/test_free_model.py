"""A model priced at 0 in `[otlp.prices]` (self-hosted, free): its calls cost $0, and
that is said as $0, never as "—"/null, which means nothing was priced. An execution
whose calls no table prices still says nothing (null)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from opentelemetry.exporter.otlp.json.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.forked import run_wftui
from tests.otlp.article import T0, ns, provider

PRICES = '[otlp.prices]\n"llama-local" = { input = 0, output = 0 }\n'


def two_runs(path: Path) -> None:
    """FREE-1 and FREE-2: a chat call to llama-local (100 in, 20 out) under a root;
    PAID-1: a call to a model no table prices."""
    memory = InMemorySpanExporter()
    tracer = provider(memory).get_tracer("local")
    for execution_id, model, offset in (("FREE-1", "llama-local", 0),
                                        ("FREE-2", "llama-local", 10),
                                        ("PAID-1", "gpt-unknown", 20)):
        with tracer.start_as_current_span("answer", start_time=ns(offset),
                                          end_on_exit=False) as root:
            root.set_attribute("execution_id", execution_id)
            chat = tracer.start_span("chat", start_time=ns(offset + 0.1))
            chat.set_attribute("gen_ai.operation.name", "chat")
            chat.set_attribute("gen_ai.request.model", model)
            chat.set_attribute("gen_ai.usage.input_tokens", 100)
            chat.set_attribute("gen_ai.usage.output_tokens", 20)
            chat.end(end_time=ns(offset + 1))
            root.end(end_time=ns(offset + 2))
    path.write_text(encode_spans(list(memory.get_finished_spans())).to_json() + "\n")


def config(tmp_path: Path) -> Path:
    path = tmp_path / "wftui.toml"
    path.write_text(PRICES)
    return path


def test_the_executions_of_a_free_model_cost_zero_not_nothing(tmp_path: Path) -> None:
    from wftui.commands.check import read_files
    from wftui.config import load_settings
    from wftui.view.table import _cells

    spans = tmp_path / "spans.jsonl"
    two_runs(spans)
    ledger, _ = read_files([str(spans)], load_settings(str(config(tmp_path))))
    free = ledger.executions["FREE-1"].row(T0 + 60, 30.0)
    paid = ledger.executions["PAID-1"].row(T0 + 60, 30.0)
    assert (free.input_tokens, free.output_tokens, free.cost_usd) == (100, 20, 0.0)
    assert paid.cost_usd is None  # no price for it: nothing priced
    assert _cells(free)["cost_usd"][0] == "$0"
    assert _cells(paid)["cost_usd"][0] == "-"


def test_diff_says_zero_for_a_free_model(tmp_path: Path) -> None:
    spans = tmp_path / "spans.jsonl"
    two_runs(spans)
    args = ["diff", "FREE-1", "FREE-2", str(spans), "--config", str(config(tmp_path))]
    done = run_wftui([*args, "--format", "json"])
    assert done.returncode == 0, done.stderr
    compared: Any = json.loads(done.stdout)
    summaries = [value for value in compared.values()
                 if isinstance(value, dict) and value.get("execution_id") in ("FREE-1",
                                                                              "FREE-2")]
    assert len(summaries) == 2
    assert [s["cost_usd"] for s in summaries] == [0.0, 0.0]
    text = run_wftui(args).stdout
    assert "tokens 100 in / 20 out, cost $0\n" in text
    assert "cost —" not in text
    unpriced = run_wftui(["diff", "FREE-1", "PAID-1", str(spans), "--format", "json"])
    values = json.loads(unpriced.stdout)
    costs = [value["cost_usd"] for value in values.values()
             if isinstance(value, dict) and "execution_id" in value]
    assert costs == [None, None]  # no price table at all: nothing priced
