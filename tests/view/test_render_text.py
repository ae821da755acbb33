"""The text form of a snapshot (`check --format text`, `watch --format text`)."""

from __future__ import annotations

from wftui.core.snapshot import take_snapshot
from wftui.core.thresholds import ThresholdEngine
from wftui.view.render_text import snapshot_text

# A scrape's figures (`check --metrics`); each test changes what it is about.
METRICS = {"error_rate": 0.0, "latency_s": {"p50": 1.0, "p95": 2.0, "p99": 3.0},
           "step_latency_s": {}, "throughput_per_min": 9.0, "active_workflows": 1,
           "queue_depth": 0, "since_start": False}


def text_of(**figures: object) -> str:
    """The text form of a snapshot of METRICS with `figures` in place of theirs."""
    return snapshot_text(take_snapshot(None, ThresholdEngine(), window_s=300.0,
                                       now=1_000.0, metrics={**METRICS, **figures}))


def test_quantiles_in_the_inf_bucket_read_at_least_everywhere() -> None:
    """A step's p95/p99 and the p95 threshold's value that fell in the +Inf bucket are
    lower bounds ("≥ 10.00s"), as the workflow latency line already says; a quantile
    inside the buckets is written plain."""
    text = text_of(latency_s={"p50": 3.0, "p95": 60.0, "p99": 60.0,
                              "at_least": {"p95": True, "p99": True}},
                   step_latency_s={"classify": {"p50": 0.775, "p95": 10.0, "p99": 10.0,
                                                "count": 5,
                                                "at_least": {"p95": True, "p99": True}}})
    assert "latency     p50 3.00s  p95 ≥ 1m00s  p99 ≥ 1m00s" in text
    assert "classify: p50 775ms  p95 ≥ 10.00s  p99 ≥ 10.00s  (5 done)" in text
    assert "latency_p95_s: FIRING, value ≥ 1m00s (breach above 1m00s)" in text


def test_a_step_count_prometheus_extrapolated_reads_as_about_a_whole_number() -> None:
    text = text_of(step_latency_s={"classify": {"p50": 1.0, "p95": 2.0, "p99": 3.0,
                                                "count": 176.887402},
                                   "search": {"p50": 1.0, "p95": 2.0, "p99": 3.0,
                                              "count": 1200}})
    assert "classify: p50 1.00s  p95 2.00s  p99 3.00s  (≈177 done)" in text
    assert "search: p50 1.00s  p95 2.00s  p99 3.00s  (1,200 done)" in text


def test_metrics_alone_have_a_window_end_the_time_of_the_scrape() -> None:
    """`check --metrics` printed `window 5m ending no events` and `window_end: null`."""
    import time

    before = time.time()
    snapshot = take_snapshot(None, ThresholdEngine(), window_s=300.0, metrics=METRICS)
    assert snapshot.window_end is not None and before <= snapshot.window_end <= time.time()
    assert "ending no events" not in snapshot_text(snapshot)
    assert snapshot.to_check_dict()["window_end"] is not None


def test_a_huge_or_empty_step_name_keeps_its_line_readable() -> None:
    """Step names come from span names: a 100k-character one is cut (its line was
    100k characters, in every `watch` snapshot), an empty one is named as the step
    tree names it, and a control is a visible symbol."""
    stats = {"p50": 1.0, "p95": 2.0, "p99": 3.0, "count": 1}
    text = text_of(step_latency_s={"W" * 100_000: stats, "": stats,
                                   "a\x1b]0;t\x07b": stats})
    assert max(len(line) for line in text.splitlines()) < 300
    assert "step        " + "W" * 50 in text and "…: p50 1.00s" in text
    assert "step        (unnamed step): p50 1.00s" in text
    assert "step        a␛]0;t␇b: p50 1.00s" in text
