"""Figures from retained scrapes: windows, resets, several targets, stale targets."""

from __future__ import annotations

import pytest

from wftui.sources.metrics_figures import TargetHistory, TargetView, compute_figures
from wftui.sources.metrics_parse import MetricNames, parse_exposition

NAMES = MetricNames()


def exposition(success: float, failure: float, buckets: dict[str, float] | None = None,
               active: float | None = None) -> bytes:
    """Prometheus text with the default metric families."""
    lines = ["# TYPE workflow_executions_total counter",
             f'workflow_executions_total{{workflow_name="w",status="success"}} {success}',
             f'workflow_executions_total{{workflow_name="w",status="failure"}} {failure}']
    if buckets:
        lines.append("# TYPE workflow_duration_seconds histogram")
        lines += [f'workflow_duration_seconds_bucket{{workflow_name="w",le="{le}"}} {count}'
                  for le, count in buckets.items()]
    if active is not None:
        lines += ["# TYPE active_workflows gauge", f"active_workflows {active}"]
    return ("\n".join(lines) + "\n").encode()


def history(*scrapes: tuple[float, bytes]) -> TargetHistory:
    target = TargetHistory(NAMES)
    for t, body in scrapes:
        target.add(t, parse_exposition(body, "text/plain", NAMES))
    return target


def test_rates_per_series_summed_over_targets_with_a_reset() -> None:
    a = history((0.0, exposition(10, 0, active=2)), (10.0, exposition(20, 5, active=3)))
    # b restarted between its scrapes: success 100 -> 4 and failure 2 -> 1 are resets
    b = history((0.0, exposition(100, 2, active=1)), (10.0, exposition(4, 1, active=4)))
    figures = compute_figures([TargetView("a", a, False), TargetView("b", b, False)], 60.0)
    # a: success +10, failure +5; b: success +4 (reset), failure +1 (reset); all over 10 s
    # failures 6 / executions 20 = 0.3; 20 executions in 10 s = 120 per minute
    assert figures["since_start"] is False
    assert figures["error_rate"] == pytest.approx(0.3)
    assert figures["throughput_per_min"] == pytest.approx(120.0)
    assert figures["active_workflows"] == 7  # 3 + 4, latest gauges summed
    assert figures["stale"] is False


def test_no_executions_in_window_is_no_data_not_zero() -> None:
    a = history((0.0, exposition(10, 1)), (10.0, exposition(10, 1)))
    figures = compute_figures([TargetView("a", a, False)], 60.0)
    assert figures["error_rate"] is None
    assert figures["throughput_per_min"] == pytest.approx(0.0)  # known: no traffic


def test_window_keeps_one_baseline_scrape_before_its_start() -> None:
    a = history((0.0, exposition(0, 0)), (10.0, exposition(10, 0)),
                (20.0, exposition(14, 2)), (30.0, exposition(20, 4)))
    # window 15 s ending at 30 -> scrapes at 20 and 30, plus the baseline at 10:
    # success +10, failure +4 over 20 s -> error rate 4/14, 14 per 20 s = 42 per minute
    figures = compute_figures([TargetView("a", a, False)], 15.0)
    assert figures["error_rate"] == pytest.approx(4 / 14)
    assert figures["throughput_per_min"] == pytest.approx(42.0)
    # window None: totals since start, counted from zero: 4 / 24
    everything = compute_figures([TargetView("a", a, False)], None)
    assert everything["since_start"] is True
    assert everything["error_rate"] == pytest.approx(4 / 24)


def test_quantiles_come_from_bucket_increases_in_the_window() -> None:
    first = {"0.5": 10, "1.0": 10, "+Inf": 10}
    second = {"0.5": 15, "1.0": 18, "+Inf": 20}
    a = history((0.0, exposition(1, 0, first)), (10.0, exposition(2, 0, second)))
    figures = compute_figures([TargetView("a", a, False)], 60.0, p95_threshold_s=60.0)
    # increases: 0.5:5 1.0:8 +Inf:10. p50: rank 5 -> le=0.5: 0 + 0.5*5/5 = 0.5
    # p95: rank 9.5 > 8 -> +Inf bucket -> "at least 1.0"
    assert figures["latency_s"]["p50"] == pytest.approx(0.5)
    assert figures["latency_s"]["p95"] == pytest.approx(1.0)
    assert figures["latency_s"]["at_least"] == {"p95": True, "p99": True}
    assert any("above the highest finite latency bucket (1 s)" in w for w in figures["warnings"])
    quiet = compute_figures([TargetView("a", a, False)], 60.0, p95_threshold_s=0.8)
    assert not any("highest finite" in w for w in quiet["warnings"])


def test_stale_target_keeps_last_good_values_and_is_marked() -> None:
    a = history((0.0, exposition(10, 0, active=2)), (10.0, exposition(20, 5, active=3)))
    figures = compute_figures([TargetView("a", a, True, "HTTP 500", 42.0)], 60.0)
    assert figures["stale"] is True
    assert figures["error_rate"] == pytest.approx(5 / 15)
    assert figures["active_workflows"] == 3
    assert any("a is down (HTTP 500)" in w and "42 s ago" in w for w in figures["warnings"])


def test_target_that_never_answered_contributes_nothing() -> None:
    never = TargetHistory(NAMES)
    figures = compute_figures([TargetView("x", never, True, "connection refused")], 60.0)
    for key in ("error_rate", "throughput_per_min", "active_workflows", "queue_depth"):
        assert figures[key] is None, key
    assert figures["latency_s"]["p95"] is None
    assert figures["stale"] is True
    # and it does not dilute a healthy target
    a = history((0.0, exposition(10, 0, active=2)), (10.0, exposition(20, 5, active=3)))
    both = compute_figures([TargetView("a", a, False), TargetView("x", never, True, "refused")],
                           60.0)
    assert both["error_rate"] == pytest.approx(5 / 15)
    assert both["active_workflows"] == 3


def test_a_target_with_one_scrape_waits_while_others_give_rates() -> None:
    a = history((0.0, exposition(10, 0)), (10.0, exposition(20, 5)))
    b = history((10.0, exposition(500, 500)))
    figures = compute_figures([TargetView("a", a, False), TargetView("b", b, False)], 60.0)
    assert figures["since_start"] is False
    assert figures["error_rate"] == pytest.approx(5 / 15)
    assert any(w.startswith("b: one scrape so far") for w in figures["warnings"])


def test_single_scrape_reads_totals_since_start() -> None:
    a = history((0.0, exposition(6, 2)))
    figures = compute_figures([TargetView("a", a, False)], 60.0)
    assert figures["since_start"] is True
    assert figures["error_rate"] == pytest.approx(0.25)
    assert figures["throughput_per_min"] is None


def test_retention_drops_old_scrapes_but_keeps_two() -> None:
    target = TargetHistory(NAMES, retention_s=25.0)
    for t in range(0, 100, 10):
        target.add(float(t), parse_exposition(exposition(t, 0), "text/plain", NAMES))
    assert [r.t for r in target.records] == [70.0, 80.0, 90.0]


def test_old_scrapes_are_thinned_and_increases_stay_exact() -> None:
    target = TargetHistory(NAMES, retention_s=3900.0, dense_s=600.0, sparse_step_s=60.0)
    # one scrape every 5 s for 3000 s; one success and, every 4th scrape, one failure
    for i in range(601):
        t = i * 5.0
        target.add(t, parse_exposition(exposition(i, i // 4), "text/plain", NAMES))
    times = [r.t for r in target.records]
    dense = [t for t in times if t >= 3000.0 - 600.0]
    assert dense == [2400.0 + 5.0 * k for k in range(121)]  # the last 10 minutes, all of them
    old = [t for t in times if t < 2400.0]
    assert all(b - a >= 60.0 for a, b in zip(old, old[1:], strict=False))
    assert old[0] == 0.0
    # window 1800 s ends at 3000: start 1200, a kept record (1200.0) is its baseline:
    # successes 600 - 240 = 360, failures 150 - 60 = 90 -> 90 / 450 = 0.2
    assert 1200.0 in times
    figures = compute_figures([TargetView("a", target, False)], 1800.0)
    assert figures["error_rate"] == pytest.approx(90 / 450)


def test_a_summary_named_as_the_workflow_duration_is_said_not_silently_no_data() -> None:
    # prometheus_client's Summary (`_count` and `_sum`, no buckets) mapped as
    # `workflow_duration`: executions flowed, latency read "no data" and nothing said why.
    names = MetricNames(workflow_duration="job_seconds")

    def body(count: float) -> bytes:
        return (exposition(count, 0) + (
            "# TYPE job_seconds summary\n"
            f"job_seconds_count {count}\njob_seconds_sum {count * 1.5}\n").encode())

    target = TargetHistory(names)
    for t, count in ((0.0, 10.0), (10.0, 20.0)):
        target.add(t, parse_exposition(body(count), "text/plain", names))
    figures = compute_figures([TargetView("a", target, False)], 60.0)
    assert figures["latency_s"]["p95"] is None and figures["throughput_per_min"] == 60.0
    assert ("workflow duration job_seconds has no buckets (a summary?): latency quantiles "
            "need a histogram; name one in [metrics.names] workflow_duration"
            ) in figures["warnings"]
