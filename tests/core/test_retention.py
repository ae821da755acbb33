"""Bounded memory: past `retention` executions the oldest are folded
into the figures; counts and figures over everything must still match the full data.

The log is 1,000 executions started 3 s apart, each at most 40 s long (so at most ~14
run at once, far below the retention of 100), every 7th failing; events are written in
timestamp order, interleaved across executions as a real log is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pytest

from wftui.core.figures import log_figures
from wftui.core.ledger import Ledger
from wftui.core.snapshot import take_snapshot
from wftui.core.thresholds import ThresholdEngine

T0 = 1767268800.0
N = 1000


@dataclass(frozen=True)
class Log:
    lines: list[bytes]
    durations: list[float]  # per execution, as its workflow_complete.duration_ms says
    ends: list[float]
    failed: list[bool]
    step_durations: list[float]
    newest: float


def make_log() -> Log:
    rng = np.random.default_rng(2026)
    timed: list[tuple[float, int, bytes]] = []
    durations, ends, failed, steps = [], [], [], []
    for i in range(N):
        start = T0 + 3.0 * i
        duration = float(min(rng.lognormal(1.5, 0.7), 40.0))
        step = duration * 0.3
        is_failed = i % 7 == 0
        eid = f"exec-{i:04d}"
        events = [
            (start, {"event": "workflow_start", "workflow_name": "support"}),
            (start + 0.1, {"event": "step_start", "step_name": "classify"}),
            (start + 0.1 + step, {"event": "step_complete", "step_name": "classify",
                                  "duration_ms": step * 1000, "success": True}),
            (start + duration, {"event": "workflow_complete",
                                "status": "failure" if is_failed else "success",
                                "duration_ms": duration * 1000}),
        ]
        for at, record in events:
            record.update(execution_id=eid, timestamp=at)
            timed.append((at, len(timed), json.dumps(record).encode()))
        durations.append(duration)
        ends.append(start + duration)
        failed.append(is_failed)
        steps.append(step)
    timed.sort()
    return Log([raw for _, _, raw in timed], durations, ends, failed, steps,
               max(at for at, _, _ in timed))


LOG = make_log()


def ingest(ledger: Ledger, batch: int) -> Ledger:
    lines = LOG.lines
    for first in range(0, len(lines), batch):
        ledger.ingest_lines("app.log", first + 1, lines[first:first + batch],
                            read_time=LOG.newest)
    return ledger


def percentiles(values: list[float]) -> list[float]:
    return [float(v) for v in np.percentile(np.array(values), [50, 95, 99])]


@pytest.mark.parametrize("batch", [64, len(LOG.lines)])
def test_retention_bounds_executions_and_counts_stay_exact(batch: int) -> None:
    ledger = ingest(Ledger(retention=100), batch)
    assert len(ledger.executions) <= 100
    assert ledger.kept.folded_count == 900
    assert ledger.late_events == 0
    expected_failed = sum(LOG.failed)  # 143: i % 7 == 0 for i < 1000
    assert ledger.counts(LOG.newest) == {
        "total": N, "running": 0, "succeeded": N - expected_failed,
        "failed": expected_failed}
    figures = log_figures(ledger, None, LOG.newest, LOG.newest)
    assert figures.ended == N
    assert figures.error_rate == pytest.approx(expected_failed / N)
    got = [figures.latency_s[k] for k in ("p50", "p95", "p99")]
    assert got == pytest.approx(percentiles(LOG.durations), rel=1e-9)
    stats = figures.step_latency_s["classify"]
    assert stats["count"] == N
    assert [stats[k] for k in ("p50", "p95", "p99")] == pytest.approx(
        percentiles(LOG.step_durations), rel=1e-9)


def test_tiny_sample_cap_stays_within_one_percent() -> None:
    ledger = ingest(Ledger(retention=100, sample_cap=50), 64)
    assert ledger.kept.folded_count == 900
    figures = log_figures(ledger, None, LOG.newest, LOG.newest)
    assert figures.ended == N
    assert figures.error_rate == pytest.approx(sum(LOG.failed) / N)
    got = [figures.latency_s[k] for k in ("p50", "p95", "p99")]
    for value, exact in zip(got, percentiles(LOG.durations), strict=True):
        assert value == pytest.approx(exact, rel=0.01)
    stats = figures.step_latency_s["classify"]
    assert stats["count"] == N
    for key, exact in zip(("p50", "p95", "p99"), percentiles(LOG.step_durations),
                          strict=True):
        assert stats[key] == pytest.approx(exact, rel=0.01)


@pytest.mark.parametrize("sample_cap", [1_000_000, 50])
def test_recent_window_is_exact_after_folding(sample_cap: int) -> None:
    """A 6-minute window reaches ~120 executions: the 100 kept and ~20 folded ones."""
    ledger = ingest(Ledger(retention=100, sample_cap=sample_cap), 64)
    window = 360.0
    inside = [i for i, end in enumerate(LOG.ends) if LOG.newest - window < end <= LOG.newest]
    assert 100 < len(inside) < 150
    figures = log_figures(ledger, window, LOG.newest, LOG.newest)
    assert figures.ended == len(inside)
    assert figures.error_rate == pytest.approx(sum(LOG.failed[i] for i in inside)
                                               / len(inside))
    got = [figures.latency_s[k] for k in ("p50", "p95", "p99")]
    assert got == pytest.approx(percentiles([LOG.durations[i] for i in inside]), rel=1e-9)
    assert figures.throughput_per_min == pytest.approx(len(inside) / 6.0)


def test_check_object_says_how_many_were_folded() -> None:
    ledger = ingest(Ledger(retention=100), 64)
    out = take_snapshot(ledger, ThresholdEngine(), window_s=None).to_check_dict()
    assert out["folded_executions"] == 900
    assert out["executions"]["total"] == N
    assert out["error_rate"] == pytest.approx(sum(LOG.failed) / N, abs=1e-6)


def test_without_folding_nothing_is_folded() -> None:
    ledger = ingest(Ledger(), 64)
    assert ledger.kept.folded_count == 0
    assert len(ledger.executions) == N
    out = take_snapshot(ledger, ThresholdEngine(), window_s=None).to_check_dict()
    assert out["folded_executions"] == 0


def test_window_reaching_into_the_sketch_counts_only_what_ended_in_it() -> None:
    """sample_cap=50: ~850 folded executions live only in the sketch, the newest of them
    inside a 30-minute window that covers the last ~600 executions. Those that ended
    before the window's start must not count (docs/figures.md: "ended in the window").
    Bounded memory cannot keep every folded time, so this allows 5% (e.g. folded
    samples kept per minute of end time blur the boundary minute), not 67%."""
    ledger = ingest(Ledger(retention=100, sample_cap=50), 64)
    window = 1800.0
    inside = [i for i, end in enumerate(LOG.ends) if LOG.newest - window < end <= LOG.newest]
    assert 550 < len(inside) < 650
    figures = log_figures(ledger, window, LOG.newest, LOG.newest)
    assert figures.ended == pytest.approx(len(inside), rel=0.05)
    assert figures.error_rate == pytest.approx(sum(LOG.failed[i] for i in inside)
                                               / len(inside), abs=0.01)
    got = [figures.latency_s[k] for k in ("p50", "p95", "p99")]
    for value, exact in zip(got, percentiles([LOG.durations[i] for i in inside]),
                            strict=True):
        assert value == pytest.approx(exact, rel=0.05)
