"""Reading /metrics bodies: parser by Content-Type, pre-filter, and the errors operators see."""

from __future__ import annotations

from pathlib import Path

import pytest

from wftui.sources.metrics_figures import TargetHistory, TargetView, compute_figures
from wftui.sources.metrics_parse import (
    ExpositionError,
    MetricNames,
    filter_lines,
    parse_exposition,
    parser_for,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "metrics"
NAMES = MetricNames()


def figures_of(body: bytes, content_type: str, names: MetricNames = NAMES) -> dict:
    history = TargetHistory(names)
    history.add(100.0, parse_exposition(body, content_type, names))
    return compute_figures([TargetView("t", history, stale=False)], 300.0, None)


def test_prometheus_text_since_start_figures() -> None:
    figures = figures_of((FIXTURES / "article_text.prom").read_bytes(), "text/plain; version=0.0.4")
    assert figures["since_start"] is True
    # 2 failures of 18 + 2 + 10 executions
    assert figures["error_rate"] == pytest.approx(2 / 30)
    # summed buckets (le: count): 0.1:0 0.5:4 1:10 5:28 10:30 60:30 +Inf:30
    # p50 rank 15 -> le=5: 1 + 4*(15-10)/(28-10) = 2.1111
    # p95 rank 28.5 -> le=10: 5 + 5*(28.5-28)/2 = 6.25; p99 rank 29.7 -> 5 + 5*1.7/2 = 9.25
    assert figures["latency_s"]["p50"] == pytest.approx(1 + 4 * 5 / 18)
    assert figures["latency_s"]["p95"] == pytest.approx(6.25)
    assert figures["latency_s"]["p99"] == pytest.approx(9.25)
    assert figures["latency_s"]["at_least"] == {}
    # classify: 0.5:5 1.0:10 -> p50 rank 5 -> 0.1 + 0.4*5/5 = 0.5; p95 rank 9.5 -> 0.95
    step = figures["step_latency_s"]["classify"]
    assert step["p50"] == pytest.approx(0.5)
    assert step["p95"] == pytest.approx(0.95)
    assert step["p99"] == pytest.approx(0.99)
    assert step["count"] == 10
    assert figures["active_workflows"] == 3
    assert figures["queue_depth"] == 12  # no workflow_queue_depth: falls back to queue_depth
    assert figures["throughput_per_min"] is None  # needs two scrapes


def test_openmetrics_with_exemplars_and_eof() -> None:
    body = (FIXTURES / "article_openmetrics.txt").read_bytes()
    parsed = parse_exposition(body, "application/openmetrics-text; version=1.0.0", NAMES)
    assert parsed.openmetrics
    figures = figures_of(body, "application/openmetrics-text; version=1.0.0")
    assert figures["error_rate"] == pytest.approx(2 / 20)
    # buckets 0.5:4 1.0:10 +Inf:20; p50 rank 10 -> le=1: 0.5 + 0.5*(10-4)/(10-4) = 1.0
    assert figures["latency_s"]["p50"] == pytest.approx(1.0)
    # p95 rank 19 > 10 -> +Inf bucket: "at least 1.0"
    assert figures["latency_s"]["p95"] == pytest.approx(1.0)
    assert figures["latency_s"]["at_least"] == {"p95": True, "p99": True}
    assert figures["queue_depth"] == 7  # workflow_queue_depth preferred over queue_depth


def test_total_samples_counts_the_whole_exposition() -> None:
    parsed = parse_exposition((FIXTURES / "article_text.prom").read_bytes(), "text/plain", NAMES)
    # python_gc 1 + executions 3 + created 1 + workflow histogram 18 + step 9 + gauges 2
    assert parsed.total_samples == 34
    assert {name for name, _, _ in parsed.samples} >= {
        "workflow_executions_total", "workflow_duration_seconds_bucket", "active_workflows"}
    assert not any(name.startswith("python_gc") for name, _, _ in parsed.samples)


def test_filter_keeps_only_needed_families_and_eof() -> None:
    text = (FIXTURES / "article_openmetrics.txt").read_text()
    kept, total = filter_lines(text, NAMES)
    assert total == 12  # 4 executions lines, 6 histogram lines, 2 gauges
    assert "workflow_executions_created" not in kept
    assert "# TYPE workflow_executions counter" in kept
    assert kept.endswith("# EOF\n")


def test_counter_named_without_total_is_read() -> None:
    names = MetricNames(executions="jobs")
    body = b'# TYPE jobs_total counter\njobs_total{status="failure"} 1\njobs_total{status="ok"} 3\n'
    assert figures_of(body, "text/plain", names)["error_rate"] == pytest.approx(0.25)
    body = b'# TYPE jobs counter\njobs{status="failure"} 1\njobs{status="ok"} 1\n'
    assert figures_of(body, "text/plain", names)["error_rate"] == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("content_type", "openmetrics"),
    [("text/plain; version=0.0.4; charset=utf-8", False), (None, False), ("", False),
     ("application/openmetrics-text; version=1.0.0; charset=utf-8", True),
     ("Application/OpenMetrics-Text", True)],
)
def test_parser_is_chosen_by_content_type(content_type: str | None, openmetrics: bool) -> None:
    assert parser_for(content_type) is openmetrics


@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", "application/json"])
def test_wrong_content_type_fails(content_type: str) -> None:
    with pytest.raises(ExpositionError, match="unexpected Content-Type"):
        parse_exposition(b"<html>oops</html>", content_type, NAMES)


def test_malformed_text_fails_with_parser_message() -> None:
    with pytest.raises(ExpositionError, match="malformed exposition"):
        parse_exposition((FIXTURES / "malformed.prom").read_bytes(), "text/plain", NAMES)


def test_invalid_utf8_fails_with_position() -> None:
    with pytest.raises(ExpositionError, match=r"invalid UTF-8 at byte 55"):
        parse_exposition((FIXTURES / "invalid_utf8.prom").read_bytes(), "text/plain", NAMES)


def test_openmetrics_without_eof_is_truncated() -> None:
    body = (FIXTURES / "article_openmetrics.txt").read_bytes().replace(b"# EOF\n", b"")
    with pytest.raises(ExpositionError, match="EOF"):
        parse_exposition(body, "application/openmetrics-text", NAMES)


def test_openmetrics_with_non_monotonic_buckets_is_rejected_by_its_parser() -> None:
    body = (b"# TYPE workflow_duration_seconds histogram\n"
            b'workflow_duration_seconds_bucket{le="1.0"} 5\n'
            b'workflow_duration_seconds_bucket{le="2.0"} 3\n'
            b'workflow_duration_seconds_bucket{le="+Inf"} 6\n'
            b"# EOF\n")
    with pytest.raises(ExpositionError, match="out of order"):
        parse_exposition(body, "application/openmetrics-text", NAMES)


def test_text_histogram_without_inf_gives_no_quantile_and_a_warning() -> None:
    body = (b"# TYPE workflow_duration_seconds histogram\n"
            b'workflow_duration_seconds_bucket{le="1.0"} 5\n'
            b'workflow_duration_seconds_bucket{le="2.0"} 6\n')
    figures = figures_of(body, "text/plain")
    assert figures["latency_s"]["p50"] is None
    assert any("+Inf" in w for w in figures["warnings"])
