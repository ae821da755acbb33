"""Sampled traces through the real OpenTelemetry SDK: a sampler that writes the
tracestate `ot=th:` (the SDK's own mechanism, `SamplingResult.trace_state`), or
`sample_rate` attributes on the root; the figures weighted by the adjusted count,
worked out by hand; logged executions counted once; unknown sampling said so."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.json.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace.span import TraceState

from tests.forked import run_wftui
from tests.otlp.article import T0, Article, proto_exporter
from wftui.core.figures import Figures, log_figures
from wftui.core.history import LogHistory
from wftui.core.ledger import Ledger
from wftui.core.snapshot import Snapshot, take_snapshot
from wftui.core.thresholds import ThresholdEngine
from wftui.view.panels import panel_views
from wftui.view.render_text import snapshot_text

WEIGHTED = "traces, weighted by sampling"
UNKNOWN = "traces, sampling unknown"


class PlannedSampler(Sampler):
    """Keeps every span; each root takes the next tracestate `ot` value planned (as a
    consistent probability sampler writes it), children take their parent's."""

    def __init__(self, plan: Sequence[str | None]) -> None:
        self.plan: Iterator[str | None] = iter(plan)

    def should_sample(self, parent_context: Any, trace_id: int, name: str,
                      kind: Any = None, attributes: Any = None, links: Any = None,
                      trace_state: Any = None) -> SamplingResult:
        parent = trace.get_current_span(parent_context).get_span_context()
        if parent.is_valid:
            state = parent.trace_state
        else:
            value = next(self.plan)
            state = TraceState([("ot", value)]) if value is not None else None
        return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, state)

    def get_description(self) -> str:
        return "planned"


def make_provider(exporter: Any, plan: Sequence[str | None] | None = None) -> TracerProvider:
    kwargs: dict[str, Any] = {"sampler": PlannedSampler(plan)} if plan is not None else {}
    trace_provider = TracerProvider(resource=Resource({SERVICE_NAME: "support"}), **kwargs)
    trace_provider.add_span_processor(SimpleSpanProcessor(exporter))
    return trace_provider


def ok() -> str:
    return "ok"


def boom() -> str:
    raise ValueError("model timed out")


def run(article: Article, runs: Sequence[tuple[str, float, float, bool]],
        attributes: dict[str, dict[str, Any]] | None = None) -> None:
    """Each (execution_id, start, duration, fails): the article's root and one step."""
    for execution_id, start, duration, fails in runs:
        with article.workflow(execution_id, "support_ticket", start, start + duration) as root:
            for key, value in (attributes or {}).get(execution_id, {}).items():
                root.set_attribute(key, value)
            article.execute_step_with_tracing(execution_id, "answer", boom if fails else ok,
                                              start + 0.1, start + duration / 2)


def send(url: str, runs: Sequence[tuple[str, float, float, bool]],
         plan: Sequence[str | None] | None = None,
         attributes: dict[str, dict[str, Any]] | None = None) -> None:
    trace_provider = make_provider(proto_exporter(f"{url}/v1/traces"), plan)
    run(Article(trace_provider.get_tracer("support")), runs, attributes)
    assert trace_provider.force_flush()
    trace_provider.shutdown()


# Six successes kept with probability 1/4 (ot=th:c: each stands for four), two
# failures kept always (th:0: "100% of errors"); starts 15 s apart.
EIGHT = [("EXEC-1", 0, 1, False), ("EXEC-2", 15, 2, False), ("EXEC-3", 30, 10, True),
         ("EXEC-4", 45, 3, False), ("EXEC-5", 60, 4, False), ("EXEC-6", 75, 5, False),
         ("EXEC-7", 90, 20, True), ("EXEC-8", 105, 6, False)]
EIGHT_PLAN = ["th:c", "th:c", "th:0", "th:c", "th:c", "th:c", "th:0", "th:c"]


def test_tracestate_threshold_weights_error_rate_throughput_and_percentiles(
        receiving: Any) -> None:
    send(receiving.url, EIGHT, EIGHT_PLAN)
    receiving.wait_executions(8)
    now = T0 + 3600.0
    with receiving.lock:
        ledger = receiving.ledger
        figures = log_figures(ledger, None, T0 + 120, now)
        history = LogHistory(ledger, now).figures_at(T0 + 120, None)
        snapshot = take_snapshot(ledger, ThresholdEngine(), window_s=None)
        assert ledger.counts(now) == {"total": 8, "running": 0, "succeeded": 6, "failed": 2}
    # Weighted: 6 x 4 + 2 x 1 = 26 executions, 2 failed (unweighted: 2 of 8 = 0.25).
    assert figures.error_rate == pytest.approx(2 / 26)
    # 26 executions over the 120 s from the first event: 13 a minute.
    assert figures.throughput_per_min == pytest.approx(13.0)
    # Durations 1..6 four times each, then 10 and 20 (26 values): p50 at rank 12.5
    # (both 4), p95 at rank 23.75 (6 and 10), p99 at rank 24.75 (10 and 20).
    assert figures.latency_s == pytest.approx({"p50": 4.0, "p95": 9.0, "p99": 17.5})
    assert figures.basis == WEIGHTED
    # Along the log's own time (thresholds with `for`, history) the same.
    assert history.error_rate == pytest.approx(2 / 26)
    assert history.throughput_per_min == pytest.approx(13.0)
    assert history.latency_s == pytest.approx({"p50": 4.0, "p95": 9.0, "p99": 17.5})
    assert history.basis == WEIGHTED
    report = snapshot.to_check_dict()
    assert report["error_rate"] == pytest.approx(2 / 26)
    # check ends its window at the newest event (EXEC-8 ends at 111 s): 26 per 111 s.
    assert report["throughput_per_min"] == pytest.approx(26 * 60 / 111)
    assert report["basis"] == {"error_rate": WEIGHTED, "latency_s": WEIGHTED,
                               "throughput_per_min": WEIGHTED}
    assert "(from traces, weighted by sampling)" in snapshot_text(snapshot)
    origins = {panel: view.origin for panel, view in panel_views(snapshot, T0 + 111)}
    assert origins["error_rate"] == "from traces, weighted"
    assert origins["active"] == "from logs"  # not a count of ended executions


@pytest.mark.parametrize("sample_cap", [1_000_000, 2])
def test_folded_executions_keep_their_weight(receiving: Any, sample_cap: int) -> None:
    """Past retention, executions are folded into samples (past the sample cap, into
    per-minute sketches): the weights stay, the figures with them."""
    send(receiving.url, EIGHT, EIGHT_PLAN)
    receiving.wait_executions(8)
    with receiving.lock:
        lines = list(receiving.lines)
    ledger = Ledger(retention=1, idle_timeout=30.0, sample_cap=sample_cap)
    ledger.ingest_lines("spans", 1, lines)
    assert ledger.kept.folded_count == 7
    now = T0 + 3600.0
    assert ledger.counts(now) == {"total": 8, "running": 0, "succeeded": 6, "failed": 2}
    figures = log_figures(ledger, None, T0 + 120, now)
    assert figures.error_rate == pytest.approx(2 / 26)
    assert figures.throughput_per_min == pytest.approx(13.0)
    exact = {"p50": 4.0, "p95": 9.0, "p99": 17.5}  # as worked out above
    rel = 1e-9 if sample_cap > 8 else 0.02  # sketches: within 1% per rank
    assert figures.latency_s == pytest.approx(exact, rel=rel)
    assert figures.basis == WEIGHTED
    if sample_cap > 8:  # the log's history reads only exact samples (docs/figures.md)
        history = LogHistory(ledger, now).figures_at(T0 + 120, None)
        assert history.error_rate == pytest.approx(2 / 26)
        assert history.latency_s == pytest.approx(exact)


def test_sample_rate_attributes_ten_percent_or_every_error(receiving: Any) -> None:
    """The article's "10% of executions, or 100% of errors", said by `sample_rate`."""
    runs = [("OK-1", 0, 2, False), ("OK-2", 15, 4, False), ("OK-3", 30, 6, False),
            ("ERR-1", 45, 8, True)]
    rates = {"OK-1": {"sample_rate": 0.1}, "OK-2": {"sample_rate": 0.1},
             "OK-3": {"sample_rate": 10},  # "1 in 10" said the other way
             "ERR-1": {"sample_rate": 1.0}}
    send(receiving.url, runs, attributes=rates)
    receiving.wait_executions(4)
    with receiving.lock:
        figures = log_figures(receiving.ledger, None, T0 + 60, T0 + 3600)
    # 30 successes stood for by 3, and 1 failure: 1 / 31 (unweighted: 1 / 4).
    assert figures.error_rate == pytest.approx(1 / 31)
    assert figures.throughput_per_min == pytest.approx(31.0)  # over the 60 s from T0
    # 2, 4, 6 ten times each and 8 once (31 values): p50 rank 15 -> 4, p95 rank 28.5
    # -> 6, p99 rank 29.7 -> 6 + 2 * 0.7.
    assert figures.latency_s == pytest.approx({"p50": 4.0, "p95": 6.0, "p99": 7.4})


def article_log(execution_id: str, start: float, end: float) -> list[str]:
    """The article's WorkflowLogger lines of one successful step."""
    def stamp(offset: float) -> float:
        return T0 + offset
    return [json.dumps({"event": "step_start", "execution_id": execution_id,
                        "timestamp": stamp(start), "step_name": "answer",
                        "step_type": "llm", "context_keys": []}),
            json.dumps({"event": "step_complete", "execution_id": execution_id,
                        "timestamp": stamp(end), "step_name": "answer",
                        "duration_ms": (end - start) * 1000, "success": True})]


def spans_file(path: Path, runs: Sequence[tuple[str, float, float, bool]],
               plan: Sequence[str | None] | None) -> None:
    """The runs' spans as OTLP JSON, one request a line (the Collector's file exporter)."""
    memory = InMemorySpanExporter()
    trace_provider = make_provider(memory, plan)
    run(Article(trace_provider.get_tracer("support")), runs)
    path.write_text(encode_spans(list(memory.get_finished_spans())).to_json() + "\n")


def check(*args: str) -> tuple[int, str]:
    done = run_wftui(["check", *args, "--window", "all"], timeout=120)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, done.stdout


def test_an_execution_logged_and_traced_counts_once_with_weight_one(tmp_path: Path) -> None:
    # LOGGED is in the log (every execution is) and was traced at 1/4; TRACED-ONLY at
    # 1/4 (stands for four); FAILED kept as every error is.
    runs = [("LOGGED", 0, 3, False), ("TRACED-ONLY", 15, 5, False), ("FAILED", 30, 7, True)]
    spans = tmp_path / "spans.jsonl"
    spans_file(spans, runs, ["th:c", "th:c", "th:0"])
    log = tmp_path / "app.log"
    log.write_text("\n".join(article_log("LOGGED", 0.1, 1.5)) + "\n")
    code, out = check(str(log), str(spans), "--format", "json")
    report = json.loads(out)
    assert report["executions"] == {"total": 3, "running": 0, "succeeded": 2, "failed": 1}
    # 1 (logged) + 4 + 1 = 6, one failed (weighting LOGGED by 4 would read 1 / 9).
    assert report["error_rate"] == pytest.approx(1 / 6, abs=1e-6)  # 6 decimals
    assert code == 1  # 0.167 > 0.05
    # 3 once, 5 four times, 7 once: p50 rank 2.5 -> 5; p95 rank 4.75 -> 5 + 2 * 0.75;
    # p99 rank 4.95 -> 5 + 2 * 0.95.
    assert report["latency_s"] == pytest.approx({"p50": 5.0, "p95": 6.5, "p99": 6.9})
    assert report["basis"]["error_rate"] == WEIGHTED
    _, text = check(str(log), str(spans), "--format", "text")
    assert "error rate  16.67%  (from traces, weighted by sampling)" in text


def test_unknown_sampling_is_said_and_logs_that_cover_the_window_win(
        receiving: Any) -> None:
    # Spans that say nothing of their sampling (the SDK's default sampler).
    send(receiving.url, [("U-1", 0, 2, False), ("U-2", 15, 4, True)])
    receiving.wait_executions(2)
    with receiving.lock:
        ledger = receiving.ledger
        alone = take_snapshot(ledger, ThresholdEngine(), window_s=None)
        assert alone.logs is not None
        assert alone.logs.error_rate == pytest.approx(0.5)  # each counts once
        assert alone.to_check_dict()["basis"]["error_rate"] == UNKNOWN
        views = dict(panel_views(alone, T0 + 20))
        # The log covers the window: its execution is the figures' whole basis.
        for line in article_log("LOGGED-1", 5, 6) + article_log("LOGGED-2", 7, 9):
            ledger.ingest_lines("app.log", 1, [line.encode()])
        # Seen 100 s in: the logged executions (no completion event, as the article
        # logs) have ended by the idle rule.
        covered = take_snapshot(ledger, ThresholdEngine(), window_s=None, now=T0 + 100)
        past = LogHistory(ledger, T0 + 100).figures_at(T0 + 100, None)
    # Along the log's own time, the same rule.
    assert (past.error_rate, past.basis, past.unknown_left_out) == (0.0, "logs", 2)
    assert views["error_rate"].origin == "from traces, sampling unknown"
    assert views["error_rate"].detail == "⚠ sampling unknown"
    assert "error rate  50.00%  (from traces, sampling unknown)" in snapshot_text(alone)
    assert any("sampling unknown" in warning for warning in alone.warnings)
    report = covered.to_check_dict()
    assert report["error_rate"] == 0.0  # the two logged successes; U-2's failure left out
    assert report["basis"]["error_rate"] == "logs"
    assert report["executions"]["total"] == 4  # still shown, not counted in figures
    assert any(warning.startswith("2 trace-only execution(s) of unknown sampling not "
                                  "counted") for warning in report["warnings"])


@pytest.mark.parametrize(("basis", "throughput", "throughput_basis"), [
    (UNKNOWN, 30.0, "metrics"),  # traces of unknown sampling: the metrics see all
    (WEIGHTED, 2.0, WEIGHTED),  # weighted traces: throughput from them, as from logs
])
def test_metrics_stand_in_where_they_count_every_execution(
        basis: str, throughput: float, throughput_basis: str) -> None:
    logs = Figures(error_rate=0.5, latency_s={"p50": 1.0, "p95": 2.0, "p99": 3.0},
                   throughput_per_min=2.0, basis=basis)
    metrics = {"error_rate": 0.1, "latency_s": {"p50": None, "p95": None, "p99": None},
               "throughput_per_min": 30.0}
    snapshot = Snapshot(0.0, 300.0, T0, False, (), {"total": 1, "running": 0,
                        "succeeded": 1, "failed": 0}, logs, metrics, ())
    report = snapshot.to_check_dict()
    assert report["error_rate"] == 0.1 and report["throughput_per_min"] == throughput
    assert report["latency_s"]["p95"] == 2.0  # the metrics have none: the traces'
    assert report["basis"] == {"error_rate": "metrics", "latency_s": basis,
                               "throughput_per_min": throughput_basis}
    assert report["logs"]["basis"] == basis
    origins = {panel: view.origin for panel, view in panel_views(snapshot, T0)}
    assert origins["throughput"] == ("from metrics" if throughput_basis == "metrics"
                                     else "from traces, weighted")
    assert origins["latency"] == ("from traces, weighted" if basis == WEIGHTED
                                  else "from traces, sampling unknown")


def test_why_p95_is_the_weighted_p95_the_panel_shows(tmp_path: Path) -> None:
    """`check --explain` (and the "why" view) names the executions at or above p95: the
    p95 of the figures, weighted by sampling, not the p95 of the traces received."""
    spans = tmp_path / "spans.jsonl"
    spans_file(spans, EIGHT, EIGHT_PLAN)
    _, out = check(str(spans), "--explain", "--format", "json")
    report = json.loads(out)
    # 26 weighted durations (worked out in the first test): p95 9 s. Unweighted, the
    # 8 received read 16.5 s and only EXEC-7 was "slow".
    assert report["latency_s"]["p95"] == pytest.approx(9.0)
    why = report["explain"]["latency_p95_s"]
    assert why["p95_s"] == pytest.approx(9.0)
    assert [slow["execution_id"] for slow in why["slow"]] == ["EXEC-7", "EXEC-3"]


def test_a_gateways_root_says_the_sampling_of_the_workflow_behind_it(
        receiving: Any) -> None:
    """A gateway samples (TraceIdRatioBased, its ratio set on its root as the README
    says) and calls the workflow service (ParentBased: it follows the gateway's
    decision and knows no ratio). Both export to wftui; the workflow's root ends
    first, so it comes first and is the execution's root: the gateway's root, a step
    of it, still says how the trace was sampled."""
    from opentelemetry import context, propagate
    from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased
    from opentelemetry.trace import Status, StatusCode

    from tests.otlp.article import ns

    def exporting(service: str, **kwargs: Any) -> TracerProvider:
        trace_provider = TracerProvider(resource=Resource({SERVICE_NAME: service}),
                                        **kwargs)
        trace_provider.add_span_processor(
            SimpleSpanProcessor(proto_exporter(f"{receiving.url}/v1/traces")))
        return trace_provider

    gateway = exporting("gateway")
    workflow = exporting("support", sampler=ParentBased(ALWAYS_ON))
    # (id, start, duration of the workflow's root, fails, the gateway's sample_rate)
    runs = [("E1", 0, 2, False, 0.25), ("E2", 10, 4, False, 0.25), ("E3", 20, 8, True, 1.0)]
    for execution_id, start, duration, fails, rate in runs:
        with gateway.get_tracer("gateway").start_as_current_span(
                "POST /tickets", start_time=ns(start), end_on_exit=False) as front:
            front.set_attribute("sample_rate", rate)
            carrier: dict[str, str] = {}
            propagate.inject(carrier)  # the request's traceparent
            remote = propagate.extract(carrier)  # as the workflow service reads it
            token = context.attach(remote)
            try:
                root = workflow.get_tracer("support").start_span(
                    "support_ticket", context=remote, start_time=ns(start + 0.1))
                root.set_attribute("execution_id", execution_id)
                if fails:
                    root.set_status(Status(StatusCode.ERROR, "model timed out"))
                root.end(end_time=ns(start + 0.1 + duration))
            finally:
                context.detach(token)
            front.end(end_time=ns(start + duration + 0.2))
    for trace_provider in (gateway, workflow):
        assert trace_provider.force_flush()
        trace_provider.shutdown()
    receiving.wait_executions(3)
    receiving.wait_spans(6)
    with receiving.lock:
        figures = log_figures(receiving.ledger, None, T0 + 60, T0 + 3600)
        history = LogHistory(receiving.ledger, T0 + 3600).figures_at(T0 + 60, None)
    # E1 and E2 stand for four each, E3 for one: 9 executions, 1 failed (counted once
    # each, as 'sampling unknown': 1 of 3). Durations are the workflow's roots'.
    for read in (figures, history):
        assert read.basis == WEIGHTED
        assert read.error_rate == pytest.approx(1 / 9)
        assert read.throughput_per_min == pytest.approx(9.0)  # over 60 s
        # 2 four times, 4 four times, 8 once: p50 rank 4 -> 4; p95 rank 7.6 -> 4 + 4 *
        # 0.6; p99 rank 7.92 -> 4 + 4 * 0.92.
        assert read.latency_s == pytest.approx({"p50": 4.0, "p95": 6.4, "p99": 7.68})


def _sampled_root(index: int, failed: bool, rate: Any) -> str:
    """One trace of one root span (an OTLP JSON request line) whose sample_rate says
    `rate` (a number, or text)."""
    start = 1_767_268_800 + 60 * index
    value = {"doubleValue": rate} if isinstance(rate, float) else {"stringValue": rate}
    span = {"traceId": f"{index + 1:032x}", "spanId": f"{index + 1:016x}", "name": "wf",
            "startTimeUnixNano": str(start * 10**9),
            "endTimeUnixNano": str((start + 2 + index) * 10**9),
            "attributes": [{"key": "execution_id", "value": {"stringValue": f"E{index}"}},
                           {"key": "sample_rate", "value": value}],
            "status": {"code": 2 if failed else 1}}
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]})


@pytest.mark.parametrize("rate", [1e-308, 1e308, "1e-320"])
def test_a_sample_rate_past_any_sampler_is_unknown_not_an_infinite_weight(
        tmp_path: Path, rate: Any) -> None:
    """Two traces whose sample_rate says each stands for ~1e308 executions: their
    weights summed to inf and `check` ended in a traceback (OverflowError), the monitor's
    and watch's every snapshot failed. Such a rate states no sampling: each counts once,
    and the figures say the sampling is unknown."""
    spans = tmp_path / "spans.jsonl"
    spans.write_text(_sampled_root(0, False, rate) + "\n" + _sampled_root(1, True, rate)
                     + "\n")
    done = run_wftui(["check", str(spans), "--window", "all"], timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    report = json.loads(done.stdout)
    assert report["executions"] == {"total": 2, "running": 0, "succeeded": 1, "failed": 1}
    assert report["error_rate"] == 0.5  # one of two, each once
    assert report["latency_s"] == pytest.approx({"p50": 2.5, "p95": 2.95, "p99": 2.99})
    assert report["basis"]["error_rate"] == "traces, sampling unknown"
    assert done.returncode == 1


@pytest.mark.parametrize("sampling", [1e308, -1.0])
def test_a_logged_sampling_field_out_of_range_is_unknown(tmp_path: Path,
                                                         sampling: float) -> None:
    """The root's `sampling` field as a log line may carry it (log-format.md): 1e308 made
    the weights' sum inf (a traceback), -1 a negative weight that read "no traffic" over
    two ended executions. Out of 0..2^62 it says nothing: unknown, each counts once."""
    lines = []
    for index, status in enumerate(("success", "failure")):
        for event, second in (("workflow_start", 0), ("workflow_complete", 2 + index)):
            lines.append(json.dumps({
                "timestamp": 1_767_268_800 + 60 * index + second, "event": event,
                "execution_id": f"E{index}", "status": status, "sampling": sampling}))
    log = tmp_path / "app.log"
    log.write_text("\n".join(lines) + "\n")
    done = run_wftui(["check", str(log), "--window", "all"], timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    report = json.loads(done.stdout)
    assert report["error_rate"] == 0.5
    assert report["latency_s"] == pytest.approx({"p50": 2.5, "p95": 2.95, "p99": 2.99})
    assert done.returncode == 1


NOT_SAMPLED = ("not counted: their traces say they were not sampled (tracestate ot=p:63, "
               "adjusted count 0)")


def test_traces_said_not_sampled_count_for_none_and_the_figures_say_so(
        receiving: Any) -> None:
    """`ot=p:63` is OpenTelemetry's "not sampled" (docs/figures.md: it counts for
    nothing): three ended executions, one failed, are no traffic, and a warning says
    why, instead of leaving an operator with "no traffic" beside a failed execution."""
    runs = [("N-1", 0, 2, False), ("N-2", 15, 4, False), ("N-3", 30, 6, True)]
    send(receiving.url, runs, ["p:63", "p:63", "p:63"])
    receiving.wait_executions(3)
    with receiving.lock:
        ledger = receiving.ledger
        snapshot = take_snapshot(ledger, ThresholdEngine(), window_s=None)
        past = LogHistory(ledger, T0 + 3600).figures_at(T0 + 60, None)
    assert snapshot.executions == {"total": 3, "running": 0, "succeeded": 2, "failed": 1}
    assert snapshot.logs is not None
    # As the docs define them: adjusted counts of 0 are no execution to rate.
    assert snapshot.logs.error_rate is None and past.error_rate is None
    assert (snapshot.logs.not_sampled, past.not_sampled) == (3, 3)
    assert f"3 trace-only execution(s) {NOT_SAMPLED}" in snapshot.warnings
    assert f"warning     3 trace-only execution(s) {NOT_SAMPLED}" in snapshot_text(snapshot)


def test_check_says_how_many_traces_of_its_window_were_not_sampled(tmp_path: Path) -> None:
    # Two kept with probability 1 (th:0), one of them failed; two "not sampled".
    runs = [("K-1", 0, 2, False), ("K-2", 15, 4, True), ("Z-1", 30, 6, False),
            ("Z-2", 45, 8, True)]
    spans = tmp_path / "spans.jsonl"
    spans_file(spans, runs, ["th:0", "th:0", "p:63", "p:63"])
    _, out = check(str(spans), "--format", "json")
    report = json.loads(out)
    assert report["executions"] == {"total": 4, "running": 0, "succeeded": 2, "failed": 2}
    assert report["error_rate"] == pytest.approx(0.5)  # K-2 of K-1 and K-2
    assert report["latency_s"]["p50"] == pytest.approx(3.0)  # between 2 and 4
    assert f"2 trace-only execution(s) {NOT_SAMPLED}" in report["warnings"]
