"""An OTLP JSON file whose first line is not a request (a line torn when the Collector
was killed mid-write, a banner) is still an OTLP file: the line is one malformed line,
the requests after it are read. Counts by hand from `five_requests` (3 request lines,
5 executions, one failed)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.forked import run_wftui
from tests.otlp.test_files import five_requests
from wftui.core.ledger import Ledger
from wftui.sources.filereader import OTLP_MAX_LINE_BYTES, LineSplitter
from wftui.sources.otlp.files import LineRouter, is_otlp_file

TORN = '"spanId": "5f6b2a1c9d0e8f7a"}]}]}]}'  # the end of a request cut in two


def test_check_reads_an_otlp_file_whose_first_line_is_torn(tmp_path: Path) -> None:
    path = tmp_path / "spans.jsonl"
    path.write_text(TORN + "\n" + "\n".join(five_requests()) + "\n")
    assert is_otlp_file(str(path))
    done = run_wftui(["check", str(path), "--window", "all", "--format", "json"],
                     timeout=120)
    report = json.loads(done.stdout)
    assert report["executions"] == {"total": 5, "running": 0, "succeeded": 4, "failed": 1}
    source = report["sources"][0]
    assert (source["lines"], source["malformed"]) == (4, 1)  # 3 requests, the torn line
    assert "resourceSpans" not in done.stderr + " ".join(report["warnings"])


def test_a_banner_then_requests_a_line_at_a_time_as_following_delivers_them() -> None:
    ledger = Ledger()
    router = LineRouter(ledger)
    lines = [b"# otelcol file exporter started", *(r.encode() for r in five_requests())]
    for lineno, line in enumerate(lines, 1):
        router.ingest("spans.jsonl", lineno, [line])
    router.finish()
    assert len(ledger.executions) == 5
    assert sum(e.failed for e in ledger.executions.values()) == 1
    assert ledger.malformed_total == 1  # the banner


def test_a_log_whose_later_lines_are_logs_stays_a_log(tmp_path: Path) -> None:
    """Two log lines and one request-looking line: mostly a log (the request line is
    read as a log line, as before)."""
    path = tmp_path / "app.log"
    event = ('{"timestamp": "2026-03-01T09:00:00Z", "event": "workflow_start", '
             '"execution_id": "E1", "workflow_name": "w"}')
    path.write_text(event + "\n" + five_requests()[0] + "\n" + event + "\n")
    assert not is_otlp_file(str(path))


def test_the_line_cap_is_a_requests_after_a_torn_first_line() -> None:
    """A Collector batch is often over the 1 MiB log-line cap: after a torn first line
    it must still get the 16 MiB request cap, not be skipped as a long log line."""
    splitter = LineSplitter(1 << 20)
    big = b'{"resourceSpans": [' + b" " * (2 << 20) + b"]}"
    splitter.feed(TORN.encode() + b"\n")
    runs, skipped = splitter.feed(big + b"\n")
    assert splitter.max_line_bytes == OTLP_MAX_LINE_BYTES
    assert skipped == [] and runs == [(2, [big])]
