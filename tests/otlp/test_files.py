"""OTLP JSON files (the Collector's file exporter: one request per line, gzip too) are
recognised by content and read by `wftui check`: the figures of `run_five`, by hand."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.exporter.otlp.json.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.forked import run_wftui
from tests.otlp.article import Article, provider, run_five


def five_requests() -> list[str]:
    """The five executions as OTLP JSON requests, one per line, as the SDK's JSON
    exporter encodes them; EXEC-1's trace is split over two lines (late spans)."""
    memory = InMemorySpanExporter()
    trace_provider = provider(memory)
    run_five(Article(trace_provider.get_tracer("support")))
    spans = list(memory.get_finished_spans())
    assert len(spans) == 15
    first, rest = spans[:2], spans[2:]  # EXEC-1's first two spans, then everything else
    return [encode_spans(part).to_json() for part in (first, rest[:6], rest[6:])]


def check(*args: str) -> tuple[int, dict[str, Any]]:
    done = run_wftui(["check", *args, "--window", "all", "--format", "json"], timeout=120)
    assert done.stderr == "" or done.returncode != 2, done.stderr
    return done.returncode, json.loads(done.stdout)


@pytest.mark.parametrize("compressed", [False, True])
def test_check_reads_an_otlp_json_file(tmp_path: Path, compressed: bool) -> None:
    text = "\n".join(five_requests()) + "\n"
    path = tmp_path / ("spans.jsonl.gz" if compressed else "spans.jsonl")
    path.write_bytes(gzip.compress(text.encode()) if compressed else text.encode())
    code, report = check(str(path))
    assert code == 1  # one failure in five: error rate 0.2 > 0.05 fires
    assert report["executions"] == {"total": 5, "running": 0, "succeeded": 4, "failed": 1}
    assert report["error_rate"] == pytest.approx(0.2)
    assert report["latency_s"] == pytest.approx({"p50": 6.0, "p95": 9.6, "p99": 9.92})
    assert report["sources"][0]["malformed"] == 0


def test_a_line_that_does_not_decode_is_malformed_and_the_rest_counts(tmp_path: Path) -> None:
    lines = five_requests()
    lines.insert(1, '{"resourceSpans": [{"scopeSpans": "oops"}]}')
    lines.insert(1, "{torn")
    path = tmp_path / "spans.jsonl"
    path.write_text("\n".join(lines) + "\n")
    code, report = check(str(path))
    assert report["executions"]["total"] == 5
    assert report["sources"][0]["malformed"] == 2
    # the file's lines, not the events made of its spans: 3 requests and 2 bad lines
    assert report["sources"][0]["lines"] == 5
    assert f"{path}: 2 of 5 lines are not OTLP requests" in " ".join(report["warnings"])


def test_followed_otlp_files_are_priced_by_the_config(tmp_path: Path) -> None:
    from wftui.config import load_settings
    from wftui.core.ledger import Ledger
    from wftui.sources.otlp.files import LineRouter
    from wftui.sources.otlp.options import configured_prices

    config = tmp_path / "wftui.toml"
    config.write_text('[otlp.prices]\n"gpt-4o-2024-08-06" = { input = 2.5, output = 10 }\n')
    ledger = Ledger()
    router = LineRouter(ledger, configured_prices(load_settings(str(config))))
    router.ingest("spans.jsonl", 1, [line.encode() for line in five_requests()])
    router.finish()
    # EXEC-1's chat: 1200 in * 2.5 / 1e6 + 300 out * 10 / 1e6 = 0.003 + 0.003
    assert ledger.executions["EXEC-1"].cost_usd == pytest.approx(0.006)


def test_a_bad_price_table_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "wftui.toml"
    config.write_text('[otlp.prices]\n"gpt-4o" = { input = "cheap" }\n')
    done = run_wftui(["watch", "--config", str(config), "--otlp", "127.0.0.1:1"])
    assert done.returncode == 2
    assert done.stderr.strip() == ("wftui: otlp.prices.gpt-4o.input: expected USD per "
                                   "million tokens >= 0, got 'cheap'")


def test_check_prices_otlp_files_by_the_config(tmp_path: Path) -> None:
    """`check` (and `diff`) read files through `read_files`: [otlp.prices] applies."""
    from wftui.commands.check import read_files
    from wftui.config import load_settings

    path = tmp_path / "spans.jsonl"
    path.write_text("\n".join(five_requests()) + "\n")
    config = tmp_path / "wftui.toml"
    config.write_text('[otlp.prices]\n"gpt-4o-2024-08-06" = { input = 2.5, output = 10 }\n')
    ledger, entries = read_files([str(path)], load_settings(str(config)))
    assert entries[0]["status"] == "ok"
    # EXEC-1's chat: 1200 in * 2.5 / 1e6 + 300 out * 10 / 1e6 = 0.003 + 0.003
    assert ledger.executions["EXEC-1"].cost_usd == pytest.approx(0.006)
    unpriced, _ = read_files([str(path)], load_settings(None))
    assert unpriced.executions["EXEC-1"].cost_usd is None  # no table: no cost


def test_check_with_a_bad_price_table_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "spans.jsonl"
    path.write_text("\n".join(five_requests()) + "\n")
    config = tmp_path / "wftui.toml"
    config.write_text('[otlp.prices]\n"gpt-4o" = { output = -1 }\n')
    done = run_wftui(["check", "--config", str(config), str(path)])
    assert done.returncode == 2
    assert done.stderr.strip() == ("wftui: otlp.prices.gpt-4o.output: expected USD per "
                                   "million tokens >= 0, got -1")


def test_the_monitor_reads_a_big_otlp_file_as_requests_not_in_parts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A log big enough to be caught up in parts (parts made small here) is read by
    # forked readers as log lines; an OTLP file must go through the request reader
    # instead, or every line of it is "not understood".
    from tests.helpers import wait_for
    from wftui.config import Settings
    from wftui.live import LiveMonitor
    from wftui.sources import catchup

    monkeypatch.setattr(catchup, "MIN_PART_BYTES", 2 << 10)
    monkeypatch.setattr(catchup, "usable_cpus", lambda: 3)
    requests = five_requests()
    path = tmp_path / "spans.jsonl"
    path.write_text("\n".join(requests) + "\n")
    assert path.stat().st_size > 3 * (2 << 10)  # three parts, were it a log
    monitor = LiveMonitor(Settings(), [str(path)])
    monitor.start()
    try:
        wait_for(lambda: not monitor.reading and monitor.judged, "the file read")
        snapshot = monitor.snapshot()
        [source] = snapshot.sources
        assert source["malformed"] == 0 and not source.get("not_understood")
        assert snapshot.executions == {"total": 5, "running": 0, "succeeded": 4,
                                       "failed": 1}
    finally:
        monitor.stop()


def one_big_request() -> str:
    """The five executions as ONE request over 1 MiB, as a Collector's file exporter
    writes a batch (its batch processor sends up to 8,192 spans a request): one span
    carries a 1.5 MB prompt."""
    merged: list[Any] = []
    for line in five_requests():
        merged.extend(json.loads(line)["resourceSpans"])
    span = merged[0]["scopeSpans"][0]["spans"][0]
    span["attributes"].append({"key": "gen_ai.input.messages",
                               "value": {"stringValue": "p" * 1_500_000}})
    line = json.dumps({"resourceSpans": merged})
    assert 1 << 20 < len(line) < 16 << 20  # past a log line's cap, within a request's
    return line


@pytest.mark.parametrize("compressed", [False, True])
def test_check_reads_an_otlp_request_line_over_a_mib(tmp_path: Path,
                                                      compressed: bool) -> None:
    # The line was skipped as a log line over 1 MiB: five executions read as none, exit 0.
    text = one_big_request() + "\n"
    path = tmp_path / ("batch.jsonl.gz" if compressed else "batch.jsonl")
    path.write_bytes(gzip.compress(text.encode()) if compressed else text.encode())
    code, report = check(str(path))
    assert report["sources"][0]["skipped_long_lines"] == 0
    assert code == 1
    assert report["executions"] == {"total": 5, "running": 0, "succeeded": 4, "failed": 1}
    assert report["latency_s"] == pytest.approx({"p50": 6.0, "p95": 9.6, "p99": 9.92})


def test_a_followed_otlp_file_reads_a_request_line_over_a_mib(tmp_path: Path) -> None:
    # The Collector appends to a file the monitor already follows (empty when opened).
    from tests.helpers import wait_for
    from wftui.config import Settings
    from wftui.live import LiveMonitor

    path = tmp_path / "batch.jsonl"
    path.write_text("")
    monitor = LiveMonitor(Settings(), [str(path)])
    monitor.start()
    try:
        with path.open("a") as out:
            out.write(one_big_request() + "\n")
        wait_for(lambda: monitor.snapshot().executions["total"] == 5, "five executions")
        [source] = monitor.snapshot().sources
        assert source["skipped_long_lines"] == 0
    finally:
        monitor.stop()


def test_a_line_with_a_span_of_a_bad_id_is_counted_once(tmp_path: Path) -> None:
    """A request whose spans are read but one has an id of the wrong length (skipped):
    the line is malformed (with the reason), not also a request: a 4-line file reads
    4 lines, not 5."""
    span = {"traceId": "ab" * 16, "startTimeUnixNano": "1767268800000000000",
            "endTimeUnixNano": "1767268801000000000", "name": "odd"}
    odd = {"resourceSpans": [{"scopeSpans": [{"spans": [
        {**span, "spanId": "cd" * 8}, {**span, "spanId": "1", "parentSpanId": "cd" * 8}]}]}]}
    lines = five_requests()
    lines.insert(1, json.dumps(odd))
    path = tmp_path / "spans.jsonl"
    path.write_text("\n".join(lines) + "\n")
    _, report = check(str(path))
    assert report["sources"][0]["malformed"] == 1
    assert report["sources"][0]["lines"] == 4
    assert f"{path}: 1 of 4 lines are not OTLP requests" in " ".join(report["warnings"])


def test_a_file_of_lines_with_bad_ids_only_counts_its_lines_not_its_spans(
        tmp_path: Path) -> None:
    span = {"traceId": "ab" * 16, "startTimeUnixNano": "1767268800000000000",
            "endTimeUnixNano": "1767268801000000000", "name": "odd"}
    odd = {"resourceSpans": [{"scopeSpans": [{"spans": [
        {**span, "spanId": "cd" * 8}, {**span, "spanId": "1", "parentSpanId": "cd" * 8}]}]}]}
    path = tmp_path / "spans.jsonl"
    path.write_text(json.dumps(odd) + "\n")
    _, report = check(str(path))
    assert (report["sources"][0]["lines"], report["sources"][0]["malformed"]) == (1, 1)


def test_span_events_and_span_log_records_are_not_unknown_events(tmp_path: Path) -> None:
    """A root span's own event and a log record tied to a child span are wftui's own
    `span_event` / `span_log` lines: never named as "events wftui does not know" to map
    in [logs.events] (the user wrote neither name)."""
    trace, root, child = "ab" * 16, "cd" * 8, "ef" * 8
    t0 = 1767268800 * 10**9
    spans = {"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name",
                                     "value": {"stringValue": "agent"}}]},
        "scopeSpans": [{"spans": [
            {"traceId": trace, "spanId": root, "name": "run",
             "startTimeUnixNano": str(t0), "endTimeUnixNano": str(t0 + 3 * 10**9),
             "events": [{"timeUnixNano": str(t0 + 10**9), "name": "handoff",
                         "attributes": [{"key": "to", "value": {"stringValue": "b"}}]}]},
            {"traceId": trace, "spanId": child, "parentSpanId": root, "name": "chat",
             "startTimeUnixNano": str(t0 + 10**9),
             "endTimeUnixNano": str(t0 + 2 * 10**9)}]}]}]}
    logs = {"resourceLogs": [{"scopeLogs": [{"logRecords": [
        {"timeUnixNano": str(t0 + 15 * 10**8), "severityNumber": 13,
         "severityText": "WARN", "body": {"stringValue": "rate limited, retrying"},
         "traceId": trace, "spanId": child}]}]}]}
    path = tmp_path / "spans.jsonl"
    path.write_text(json.dumps(logs) + "\n" + json.dumps(spans) + "\n")
    code, report = check(str(path))
    assert code == 0
    assert report["executions"] == {"total": 1, "running": 0, "succeeded": 1, "failed": 0}
    assert report["latency_s"]["p50"] == 3.0
    assert not [w for w in report.get("warnings", []) if "does not know" in w], \
        report["warnings"]


def test_a_log_whose_second_line_names_resource_spans_keeps_the_log_line_cap(
        tmp_path: Path) -> None:
    # Its first line is a log line: the file is a log, its lines over 1 MiB skipped.
    path = tmp_path / "app.jsonl"
    start = ('{"event":"workflow_start","execution_id":"E1",'
             '"timestamp":"2026-01-01T12:00:00Z"}')
    path.write_text(start + '\n'
                    '{"event":"step_start","execution_id":"E1","key":"resourceSpans",'
                    '"step_name":"s","timestamp":"2026-01-01T12:00:01Z"}\n'
                    '{"event":"step_start","execution_id":"E1","blob":"'
                    + "a" * 2_000_000 + '","timestamp":"2026-01-01T12:00:02Z"}\n')
    _, report = check(str(path))
    assert report["sources"][0]["skipped_long_lines"] == 1
    assert report["executions"]["total"] == 1


def test_a_line_nested_as_deep_as_json_goes_is_malformed_not_a_traceback(
        tmp_path: Path) -> None:
    """A request nested ~1,000 levels deep (orjson reads up to 1,024) between good lines:
    it was a RecursionError traceback and exit 1 (read by CI as "firing"); it is one
    malformed line, and the three requests around it still count."""
    deep = "[" * 1000 + "]" * 1000
    lines = five_requests()
    lines.insert(1, '{"resourceSpans": ' + deep + "}")
    lines.insert(1, '{"resourceLogs": ' + deep + "}")
    path = tmp_path / "spans.jsonl"
    path.write_text("\n".join(lines) + "\n")
    done = run_wftui(["check", str(path), "--window", "all"], timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    report = json.loads(done.stdout)
    assert report["executions"] == {"total": 5, "running": 0, "succeeded": 4, "failed": 1}
    assert report["sources"][0]["lines"] == 5
    assert report["sources"][0]["malformed"] == 2
    assert done.returncode == 1  # the one failure in five, as without the deep lines


def test_a_span_skipped_for_no_start_time_is_said_so_not_as_a_bad_id() -> None:
    """A span whose ids are right but whose start is 0 (as a converter writes an unset
    time): the malformed line said 'ids of the wrong length', sending the operator to
    look at ids that were fine."""
    from wftui.core.ledger import Ledger
    from wftui.sources.otlp.files import LineRouter

    span = {"traceId": "ab" * 16, "spanId": "cd" * 8, "name": "wf",
            "startTimeUnixNano": "0", "endTimeUnixNano": "1767268801000000000"}
    record = {"traceId": "ab" * 15, "spanId": "cd" * 8, "body": {"stringValue": "x"}}
    ledger = Ledger()
    router = LineRouter(ledger)
    router.ingest("spans.jsonl", 1, [
        json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}).encode(),
        json.dumps({"resourceLogs": [{"scopeLogs": [{"logRecords": [record]}]}]}).encode()])
    first, second = ledger.malformed
    assert (first.lineno, second.lineno) == (1, 2)
    assert "no start or end time" in first.reason
    assert "log record" in second.reason and "wrong length" in second.reason
