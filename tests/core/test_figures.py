"""Figures over a window and the `check` object (docs/figures.md).

Quantile expectations come from numpy.percentile (default: linear between closest
ranks) over durations generated in the test; the window rule is (end - window, end].
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wftui.core.figures import log_figures
from wftui.core.history import LogHistory
from wftui.core.ledger import Ledger
from wftui.core.snapshot import take_snapshot
from wftui.core.thresholds import ThresholdEngine
from wftui.sources.metrics_figures import TargetHistory, TargetView, compute_figures
from wftui.sources.metrics_parse import MetricNames, parse_exposition

T0 = 1767268800.0  # 2026-01-01T12:00:00Z


def ev(event: str, at: float, execution_id: str, **fields: Any) -> bytes:
    record = {"event": event, "execution_id": execution_id, "timestamp": at}
    record.update(fields)
    return json.dumps(record).encode()


def finished(execution_id: str, start: float, end: float, failed: bool = False,
             with_duration_ms: bool = True, duration: float | None = None) -> list[bytes]:
    """A two-event execution that ends at `end`; duration_ms is `duration` (default
    end - start) unless with_duration_ms is False."""
    seconds = end - start if duration is None else duration
    extra = {"duration_ms": seconds * 1000.0} if with_duration_ms else {}
    return [ev("workflow_start", start, execution_id),
            ev("workflow_complete", end, execution_id,
               status="failure" if failed else "success", **extra)]


def ledger_of(lines: list[bytes], **kwargs: Any) -> Ledger:
    ledger = Ledger(**kwargs)
    ledger.ingest_lines("app.log", 1, lines, read_time=T0)
    return ledger


def percentiles(values: list[float]) -> dict[str, float]:
    p50, p95, p99 = np.percentile(np.array(values), [50, 95, 99])
    return {"p50": float(p50), "p95": float(p95), "p99": float(p99)}


# -- no data is None, never 0 --------------------------------------------------------------

def test_empty_ledger_has_no_figures() -> None:
    figures = log_figures(Ledger(), 300.0, T0, T0)
    assert figures.error_rate is None
    assert figures.latency_s == {"p50": None, "p95": None, "p99": None}
    assert figures.step_latency_s == {}
    assert figures.queue_depth is None


def test_error_rate_is_none_when_nothing_ended() -> None:
    ledger = ledger_of([ev("step_start", T0, "a", step_name="s"),
                        ev("step_start", T0 + 1, "b", step_name="s")])
    figures = log_figures(ledger, 300.0, T0 + 2, T0 + 2)
    assert figures.error_rate is None
    assert figures.latency_s == {"p50": None, "p95": None, "p99": None}
    assert figures.active_workflows == 2
    checked = take_snapshot(ledger, ThresholdEngine(), window_s=300.0).to_check_dict()
    assert checked["error_rate"] is None
    assert checked["latency_s"] == {"p50": None, "p95": None, "p99": None}


def test_error_rate_zero_is_a_real_zero() -> None:
    ledger = ledger_of(finished("a", T0, T0 + 1))
    assert log_figures(ledger, 300.0, T0 + 1, T0 + 1).error_rate == 0.0


# -- window boundaries ----------------------------------------------------------------------

def test_window_is_end_minus_window_exclusive_to_end_inclusive() -> None:
    end = T0 + 1000
    lines = (
        finished("too-old", end - 200, end - 100, failed=True)  # ended before the window
        + finished("at-start", end - 70, end - 60, failed=True)  # exactly end-60: out
        + finished("just-in", end - 62, end - 59.5)  # in
        + finished("middle", end - 40, end - 30, failed=True)  # in
        + finished("at-end", end - 5, end)  # exactly end: in
        + finished("after", end - 1, end + 5, failed=True)  # after end: out
    )
    figures = log_figures(ledger_of(lines), 60.0, end, end + 5)
    # in the window: just-in (2.5 s ok), middle (10 s failed), at-end (5 s ok)
    assert figures.ended == 3
    assert figures.error_rate == pytest.approx(1 / 3)
    for key, value in percentiles([2.5, 10.0, 5.0]).items():
        assert figures.latency_s[key] == pytest.approx(value)
    assert figures.throughput_per_min == pytest.approx(3.0)  # 3 per 1 minute


# -- quantiles against numpy --------------------------------------------------------------------

def test_latency_quantiles_match_numpy() -> None:
    rng = np.random.default_rng(7)
    end = T0 + 10_000
    durations = [float(d) for d in rng.lognormal(1.0, 0.8, 400)]
    ends = [float(e) for e in rng.uniform(end - 299, end, 400)]
    failed = [i % 9 == 0 for i in range(400)]
    lines: list[bytes] = []
    for i, (duration, stop) in enumerate(zip(durations, ends, strict=True)):
        lines += finished(f"x{i}", stop - duration, stop, failed=failed[i],
                          duration=duration)
    # executions that ended before the window must not count
    for i in range(50):
        lines += finished(f"old{i}", end - 900, end - 400 + i, failed=True)
    figures = log_figures(ledger_of(lines), 300.0, end, end)
    expected = percentiles(durations)
    for key, value in expected.items():
        assert figures.latency_s[key] == pytest.approx(value, rel=1e-9)
    assert figures.ended == 400
    assert figures.error_rate == pytest.approx(sum(failed) / 400)
    assert figures.throughput_per_min == pytest.approx(400 / 5)


def test_durations_from_timestamps_when_no_duration_ms() -> None:
    lines = (finished("a", T0, T0 + 1, with_duration_ms=False)
             + finished("b", T0 + 1, T0 + 4, with_duration_ms=False)
             + finished("c", T0 + 2, T0 + 9, with_duration_ms=False)
             + finished("d", T0 + 3, T0 + 5, with_duration_ms=False))
    figures = log_figures(ledger_of(lines), None, T0 + 9, T0 + 9)
    for key, value in percentiles([1.0, 3.0, 7.0, 2.0]).items():
        assert figures.latency_s[key] == pytest.approx(value)


def test_step_latency_per_step_name_matches_numpy() -> None:
    rng = np.random.default_rng(11)
    end = T0 + 5000
    expected: dict[str, list[float]] = {"classify": [], "respond": []}
    lines: list[bytes] = []
    for i in range(120):
        for name, scale in (("classify", 0.5), ("respond", 3.0)):
            duration = float(rng.exponential(scale))
            done = float(rng.uniform(end - 599, end))
            lines.append(ev("step_start", done - duration, f"x{i}", step_name=name))
            lines.append(ev("step_complete", done, f"x{i}", step_name=name, success=True,
                            duration_ms=duration * 1000))
            expected[name].append(duration)
        # a step that completed before the window: not counted
        lines.append(ev("step_start", end - 700, f"x{i}", step_name="respond"))
        lines.append(ev("step_complete", end - 650, f"x{i}", step_name="respond",
                        duration_ms=50_000.0))
    figures = log_figures(ledger_of(lines), 600.0, end, end)
    assert set(figures.step_latency_s) == {"classify", "respond"}
    for name, durations in expected.items():
        stats = figures.step_latency_s[name]
        assert stats["count"] == 120
        for key, value in percentiles(durations).items():
            assert stats[key] == pytest.approx(value, rel=1e-9)


def test_step_latency_from_timestamps() -> None:
    lines = [ev("step_start", T0, "a", step_name="s"), ev("step_complete", T0 + 2, "a",
                                                          step_name="s"),
             ev("step_start", T0 + 1, "b", step_name="s"), ev("step_complete", T0 + 7, "b",
                                                              step_name="s")]
    stats = log_figures(ledger_of(lines), None, T0 + 7, T0 + 7).step_latency_s["s"]
    assert stats["count"] == 2
    for key, value in percentiles([2.0, 6.0]).items():
        assert stats[key] == pytest.approx(value)


# -- throughput, active, queue depth ----------------------------------------------------------

def test_throughput_over_all_spans_first_event_to_window_end() -> None:
    # first event at T0, window end (newest event) at T0+120: 2 minutes, 3 ended
    lines = (finished("a", T0, T0 + 10) + finished("b", T0 + 20, T0 + 60)
             + finished("c", T0 + 100, T0 + 120))
    snap = take_snapshot(ledger_of(lines), ThresholdEngine(), window_s=None)
    assert snap.to_check_dict()["throughput_per_min"] == pytest.approx(1.5)


def test_throughput_counts_the_minutes_of_queue_readings_before_the_first_execution(
) -> None:
    """A log that reads its queue depth from T0 and whose executions all end in its
    last minute: its first event is at T0, so the 5-minute window holds 5 minutes of
    log (docs/figures.md: per minute of the part of the window that has data), 10 ended
    in them: 2.0/min. Counted from the first execution's start (T0+240) it read 10/min,
    five times the rate the service ran at."""
    lines = [json.dumps({"event": "queue_depth", "value": 3, "timestamp": T0 + s}).encode()
             for s in range(0, 301, 60)]
    for index in range(10):
        lines += finished(f"e{index}", T0 + 240 + 5 * index, T0 + 242 + 5 * index)
    ledger = ledger_of(lines)
    assert log_figures(ledger, 300.0, T0 + 300, T0 + 300).throughput_per_min == (
        pytest.approx(10 / 5))
    snap = take_snapshot(ledger, ThresholdEngine(), window_s=300.0)  # check's rule
    assert snap.to_check_dict()["throughput_per_min"] == pytest.approx(2.0)
    # the same moment judged along the log's time (the sparkline, check --at)
    history = LogHistory(ledger, T0 + 300)
    assert history.figures_at(T0 + 300, 300.0).throughput_per_min == pytest.approx(2.0)
    # a minute in: one minute of log, nothing ended yet: 0/min, not "no data"
    early = history.figures_at(T0 + 60, 300.0)
    assert early.throughput_per_min == 0.0
    assert early.active_workflows is None  # as before any execution: unchanged


def test_a_log_of_queue_readings_alone_has_no_throughput() -> None:
    """It logs no executions at all: its throughput is no data, not 0/min (beside
    metrics, the logs' throughput wins wherever it is not None)."""
    lines = [json.dumps({"event": "queue_depth", "value": 3, "timestamp": T0 + s}).encode()
             for s in range(0, 301, 60)]
    ledger = ledger_of(lines)
    assert log_figures(ledger, 300.0, T0 + 300, T0 + 300).throughput_per_min is None
    assert LogHistory(ledger, T0 + 300).figures_at(T0 + 300, 300.0).throughput_per_min is None


def test_active_workflows_counts_running_executions() -> None:
    lines = (finished("done", T0, T0 + 1)
             + [ev("step_start", T0 + 2, "r1", step_name="s"),
                ev("step_start", T0 + 3, "r2", step_name="s"),
                ev("workflow_start", T0 + 4, "r3")])
    figures = log_figures(ledger_of(lines), 300.0, T0 + 5, T0 + 5)
    assert figures.active_workflows == 3


def test_queue_depth_is_the_latest_by_timestamp() -> None:
    lines = [
        json.dumps({"event": "queue_depth", "value": 40, "timestamp": T0 + 10}).encode(),
        json.dumps({"event": "queue_depth", "value": 90, "timestamp": T0 + 5}).encode(),
        json.dumps({"event": "queue_depth", "value": "lots", "timestamp": T0 + 20}).encode(),
    ]
    ledger = ledger_of(lines)
    assert log_figures(ledger, 300.0, T0 + 20, T0 + 20).queue_depth == 40
    ledger.ingest_lines("other.log", 1, [json.dumps(
        {"event": "queue_depth", "value": 7, "timestamp": T0 + 11}).encode()])
    assert log_figures(ledger, 300.0, T0 + 20, T0 + 20).queue_depth == 7


# -- the check rule: the window ends at the newest event --------------------------------------

def test_check_window_ends_at_the_newest_event() -> None:
    newest = T0 + 3600
    lines = (finished("early", T0, T0 + 30, failed=True)  # an hour before the newest: out
             + finished("recent", newest - 100, newest - 10)
             + [ev("custom", newest, "late-event")])
    snap = take_snapshot(ledger_of(lines), ThresholdEngine(), window_s=300.0)
    out = snap.to_check_dict()
    assert snap.window_end == newest
    assert out["window_end"] == "2026-01-01T13:00:00Z"
    assert out["window_s"] == 300
    assert out["error_rate"] == 0.0  # only "recent" ended in the window
    assert out["latency_s"]["p50"] == pytest.approx(90.0)
    # counts cover everything seen; "late-event" is 0 s idle at the newest event
    assert out["executions"] == {"total": 3, "running": 1, "succeeded": 1, "failed": 1}


def test_check_idle_rule_is_measured_from_the_newest_event() -> None:
    newest = T0 + 100
    lines = [ev("step_start", T0, "quiet", step_name="s"),
             ev("step_complete", T0 + 20, "quiet", step_name="s", success=True),
             ev("workflow_start", newest, "busy")]
    out = take_snapshot(ledger_of(lines), ThresholdEngine(), window_s=300.0).to_check_dict()
    # quiet: no open step, silent 80 s >= 30 s: succeeded, ended at its last event (20 s)
    assert out["executions"] == {"total": 2, "running": 1, "succeeded": 1, "failed": 0}
    assert out["error_rate"] == 0.0
    assert out["latency_s"]["p50"] == pytest.approx(20.0)


def test_live_window_falls_back_to_newest_event_when_nothing_is_recent() -> None:
    lines = finished("a", T0, T0 + 5)
    snap = take_snapshot(ledger_of(lines), ThresholdEngine(), window_s=300.0,
                         now=T0 + 86_400)
    assert snap.window_fallback is True
    assert snap.window_end == T0 + 5
    recent = take_snapshot(ledger_of(lines), ThresholdEngine(), window_s=300.0, now=T0 + 60)
    assert recent.window_fallback is False
    assert recent.window_end == T0 + 60


# -- the check object ------------------------------------------------------------------------

CHECK_KEYS = {"window_s", "window_end", "sources", "executions", "error_rate", "latency_s",
              "step_latency_s", "throughput_per_min", "active_workflows", "queue_depth",
              "thresholds"}


def test_check_dict_shape() -> None:
    lines = finished("a", T0, T0 + 2) + [ev("step_start", T0, "a", step_name="s"),
                                        ev("step_complete", T0 + 1, "a", step_name="s")]
    out = take_snapshot(ledger_of(lines), ThresholdEngine(), window_s=None,
                        sources=[{"kind": "file", "name": "app.log"}]).to_check_dict()
    assert set(out) >= CHECK_KEYS
    assert out["window_s"] is None  # --window all
    assert out["sources"] == [{"kind": "file", "name": "app.log"}]
    assert set(out["executions"]) == {"total", "running", "succeeded", "failed"}
    assert set(out["latency_s"]) == {"p50", "p95", "p99"}
    assert set(out["step_latency_s"]["s"]) == {"p50", "p95", "p99", "count"}
    assert [t["name"] for t in out["thresholds"]] == [
        "error_rate", "latency_p95_s", "active_workflows", "queue_depth"]
    for threshold in out["thresholds"]:
        assert set(threshold) == {"name", "value", "threshold", "state", "action"}
    assert "logs" not in out and "metrics" not in out
    json.dumps(out, allow_nan=False)  # strict JSON: no NaN or Infinity


def test_metrics_preferred_where_both_families_are_read() -> None:
    lines = finished("a", T0, T0 + 2) + finished("b", T0, T0 + 4, failed=True)
    metrics = {"error_rate": 0.25, "latency_s": {"p50": 1.0, "p95": 2.0, "p99": 3.0},
               "step_latency_s": {}, "throughput_per_min": 99.0, "active_workflows": 4.0,
               "queue_depth": 9.0}
    out = take_snapshot(ledger_of(lines), ThresholdEngine(), window_s=None,
                        metrics=metrics).to_check_dict()
    assert out["error_rate"] == 0.25
    assert out["latency_s"] == {"p50": 1.0, "p95": 2.0, "p99": 3.0}
    assert out["active_workflows"] == 4
    assert out["queue_depth"] == 9
    assert out["logs"]["error_rate"] == 0.5
    assert out["logs"]["latency_s"]["p50"] == pytest.approx(3.0)
    assert out["metrics"]["error_rate"] == 0.25


# Two scrapes of a target whose counter and duration histogram did not move between them.
UNMOVED = b"""# TYPE workflow_executions_total counter
workflow_executions_total{workflow_name="w",status="success"} 7
# TYPE workflow_duration_seconds histogram
workflow_duration_seconds_bucket{workflow_name="w",le="1.0"} 0
workflow_duration_seconds_bucket{workflow_name="w",le="10.0"} 7
workflow_duration_seconds_bucket{workflow_name="w",le="+Inf"} 7
"""


def test_metrics_without_latency_leave_the_logs_latency_in_check() -> None:
    """No execution ended between the scrapes: the metrics have no latency (nor error
    rate), so check gives the logs' and says they are the basis, as for the error rate;
    the threshold is judged on them."""
    names = MetricNames()
    target = TargetHistory(names)
    for t in (T0 + 10, T0 + 20):
        target.add(t, parse_exposition(UNMOVED, "text/plain", names))
    metrics = compute_figures([TargetView("t", target, False)], 300.0)
    lines = finished("a", T0, T0 + 2) + finished("b", T0, T0 + 4, failed=True)
    out = take_snapshot(ledger_of(lines), ThresholdEngine(), window_s=300.0,
                        metrics=metrics).to_check_dict()
    # durations 2 and 4 s, linear between closest ranks: 2 + q * 2
    assert out["latency_s"] == pytest.approx({"p50": 3.0, "p95": 3.9, "p99": 3.98})
    assert out["error_rate"] == 0.5
    assert out["basis"] == {"error_rate": "logs", "latency_s": "logs",
                            "throughput_per_min": "logs"}
    p95 = next(t for t in out["thresholds"] if t["name"] == "latency_p95_s")
    assert (p95["value"], p95["state"]) == (pytest.approx(3.9), "ok")
    assert out["metrics"]["latency_s"]["p95"] is None  # the metrics' own: none


def test_queue_depth_tie_in_time_goes_to_the_later_read() -> None:
    lines = [json.dumps({"event": "queue_depth", "value": v, "timestamp": T0}).encode()
             for v in (5, 6)]
    assert log_figures(ledger_of(lines), None, T0, T0).queue_depth == 6


# -- a model of docs/log-format.md and docs/figures.md, written independently --------

ENDINGS = ["complete_success", "complete_failure", "error_event", "step_false", "quiet"]


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[str, float, float, float | None]]:
    """(ending, start offset, end offset, duration_ms or None) per execution; offsets are
    quarter seconds, exact in floating point at epoch magnitude."""
    out = []
    for _ in range(draw(st.integers(1, 30))):
        start = draw(st.integers(0, 2400)) / 4
        end = start + draw(st.integers(0, 800)) / 4
        ending = draw(st.sampled_from(ENDINGS))
        duration_ms = (draw(st.none() | st.integers(0, 500_000))
                       if ending.startswith("complete") else None)
        out.append((ending, start, end, duration_ms))
    return out


def history_lines(history: list[tuple[str, float, float, float | None]]) -> list[bytes]:
    lines: list[bytes] = []
    for i, (ending, start, end, duration_ms) in enumerate(history):
        eid = f"x{i}"
        if ending.startswith("complete"):
            extra = {} if duration_ms is None else {"duration_ms": duration_ms}
            lines += [ev("workflow_start", T0 + start, eid),
                      ev("workflow_complete", T0 + end, eid,
                         status="success" if ending == "complete_success" else "failure",
                         **extra)]
        elif ending == "error_event":
            # an event after the error: the end is still the error's time
            lines += [ev("workflow_start", T0 + start, eid), ev("error", T0 + end, eid),
                      ev("note", T0 + end + 0.5, eid)]
        else:
            lines += [ev("step_start", T0 + start, eid, step_name="s"),
                      ev("step_complete", T0 + end, eid, step_name="s",
                         success=ending != "step_false")]
    return lines


@given(histories(), st.sampled_from([60.0, 300.0, None]))
def test_check_figures_match_an_independent_model(
        history: list[tuple[str, float, float, float | None]], window: float | None) -> None:
    lines = history_lines(history)
    newest = max(end + (0.5 if ending == "error_event" else 0.0)
                 for ending, _, end, _ in history)
    first = min(start for _, start, _, _ in history)
    ended: list[tuple[float, bool]] = []  # (duration, failed) of those ended in the window
    running = 0
    for ending, start, end, duration_ms in history:
        last = end + (0.5 if ending == "error_event" else 0.0)
        if ending == "quiet" and newest - last < 30.0:
            running += 1  # no workflow_complete and not yet idle for 30 s
            continue
        if window is not None and not newest - window < end <= newest:
            continue
        duration = duration_ms / 1000 if duration_ms is not None else end - start
        ended.append((duration, ending in ("complete_failure", "error_event", "step_false")))
    out = take_snapshot(ledger_of(lines), ThresholdEngine(), window_s=window).to_check_dict()
    assert out["active_workflows"] == running
    if not ended:
        assert out["error_rate"] is None
        assert out["latency_s"] == {"p50": None, "p95": None, "p99": None}
    else:
        assert out["error_rate"] == pytest.approx(sum(f for _, f in ended) / len(ended),
                                                  abs=1e-6)
        for key, value in percentiles([d for d, _ in ended]).items():
            assert out["latency_s"][key] == pytest.approx(value, abs=1e-6)
    steps = [end - start for ending, start, end, _ in history
             if ending in ("quiet", "step_false")
             and (window is None or newest - window < end <= newest)]
    if steps:
        stats = out["step_latency_s"]["s"]
        assert stats["count"] == len(steps)
        for key, value in percentiles(steps).items():
            assert stats[key] == pytest.approx(value, abs=1e-6)
    else:
        assert "s" not in out["step_latency_s"]
    # Per minute of the window that has data: no data before the first event is not 0.
    span = newest - first if window is None else min(window, newest - first)
    if span >= 10.0:  # less data than that is too short to rate
        assert out["throughput_per_min"] == pytest.approx(len(ended) / (span / 60), abs=1e-6)
    else:
        assert out["throughput_per_min"] is None


def test_too_short_to_rate_counts_one_execution_in_the_singular() -> None:
    ledger = Ledger(idle_timeout=30.0)
    ledger.ingest_lines("log", 1, [
        json.dumps({"event": "workflow_start", "execution_id": "a",
                    "timestamp": 1767268800}).encode(),
        json.dumps({"event": "workflow_complete", "execution_id": "a", "status": "success",
                    "timestamp": 1767268803}).encode()], 1767268803)
    figures = log_figures(ledger, None, 1767268803, 1767268803)
    assert figures.throughput_per_min is None
    assert figures.throughput_note == ("throughput: too short to rate (1 execution over 3 s "
                                       "of log; a rate needs 10 s)")


def test_metrics_p95_in_the_inf_bucket_at_the_threshold_fires() -> None:
    """The metrics' p95 fell in the +Inf bucket above 60 s, the default threshold: the
    true p95 is above 60 s, so the threshold fires, with logs read too or not."""
    metrics = {"error_rate": 0.0, "latency_s": {"p50": 1.0, "p95": 60.0, "p99": 60.0,
                                                "at_least": {"p95": True, "p99": True}},
               "step_latency_s": {}, "throughput_per_min": 9.0, "active_workflows": 1.0,
               "queue_depth": 0.0, "since_start": False}
    lines = finished("a", T0, T0 + 2)
    for ledger in (ledger_of(lines), None):
        out = take_snapshot(ledger, ThresholdEngine(), window_s=300.0, now=T0 + 10,
                            metrics=metrics).to_check_dict()
        p95 = next(t for t in out["thresholds"] if t["name"] == "latency_p95_s")
        assert (p95["value"], p95["state"]) == (60, "firing")
        assert out["latency_at_least"] == {"p95": True, "p99": True}
