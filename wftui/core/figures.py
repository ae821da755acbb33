"""The figures an operator watches, computed over a window (docs/figures.md).

Pure functions of a `Ledger` and a window: no clocks read here. The caller says where
the window ends (now, in the live UI; the newest event, in `wftui check`) and what
"now" is for the idle rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wftui.core.execution import FAILED, RUNNING
from wftui.core.ledger import Ledger
from wftui.core.quantiles import LogSketch, quantiles_of
from wftui.core.sampling import FROM_LOGS, FROM_UNKNOWN_TRACES, FROM_WEIGHTED_TRACES

NO_LATENCY: dict[str, float | None] = {"p50": None, "p95": None, "p99": None}
# Below this much data, a rate per minute is an extrapolation, not a measurement
# (1,000 executions logged within 1 ms would read 60 million a minute).
MIN_RATE_SPAN_S = 10.0


@dataclass(frozen=True, slots=True)
class Figures:
    """One family's figures over one window. None always means "no data", never 0."""

    error_rate: float | None = None
    latency_s: dict[str, float | None] = field(default_factory=lambda: dict(NO_LATENCY))
    step_latency_s: dict[str, dict[str, Any]] = field(default_factory=dict)
    throughput_per_min: float | None = None
    active_workflows: float | None = None
    queue_depth: float | None = None
    ended: int = 0  # executions that ended in the window
    failed: int = 0
    # folded samples were read from per-minute sketches: quantiles within 1%, window
    # edges to the half minute
    approximate: bool = False
    # why throughput_per_min is None although executions ended (too short to rate)
    throughput_note: str | None = None
    # What error rate, latency and throughput are based on (`wftui.core.sampling`):
    # logs (every execution seen whole), traces weighted by their sampling, or traces
    # whose sampling is unknown (each counted once: the figures may be biased).
    basis: str = FROM_LOGS
    # Trace-only executions of unknown sampling left out because logs cover the window
    unknown_left_out: int = 0
    # Trace-only executions whose trace says it stands for none (`ot=p:63`, "not
    # sampled": adjusted count 0) that ended in the window: counted as nothing, so the
    # figures must say why they read no traffic beside ended executions.
    not_sampled: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The figure keys of the `wftui check` object."""
        return {
            "error_rate": rounded(self.error_rate),
            "latency_s": {key: rounded(value) for key, value in self.latency_s.items()},
            "step_latency_s": {
                name: {key: rounded(value) if key != "count" else value
                       for key, value in stats.items()}
                for name, stats in self.step_latency_s.items()
            },
            "throughput_per_min": rounded(self.throughput_per_min),
            "active_workflows": rounded(self.active_workflows),
            "queue_depth": rounded(self.queue_depth),
        }


def earliest(*times: float | None) -> float | None:
    """The earliest of the times given (None: none given)."""
    return min((t for t in times if t is not None), default=None)


def rounded(value: Any, digits: int = 6) -> Any:
    """Figures to 6 decimals (whole numbers as ints) for JSON; other values unchanged."""
    if isinstance(value, dict):
        return {key: rounded(item, digits) for key, item in value.items()}
    if not isinstance(value, float):
        return value
    if value != value or value in (float("inf"), float("-inf")):
        return None
    short = round(value, digits)
    return int(short) if short == int(short) and abs(short) < 2**53 else short


def log_figures(ledger: Ledger, window_s: float | None, end: float, now: float) -> Figures:
    """Figures from log events for the window (end - window_s, end]; None = everything."""
    start = None if window_s is None else end - window_s
    idle = ledger.idle_timeout
    durations: list[float] = []
    ended = failed = running = 0
    # Sampled traces (docs/figures.md, "Sampled traces"): None while every execution
    # counts once (the common case, no per-execution work); else the weight of each
    # duration, and the weighted counts.
    weights: list[float] | None = None
    ended_w = failed_w = 0.0
    traced_ended = 0  # trace-only executions of known sampling
    not_sampled = 0  # ... of those, said to stand for none (`Figures.not_sampled`)
    unknown: list[tuple[bool, float | None]] = []  # trace-only, sampling unknown
    oldest = ledger.kept.folded_oldest_ts
    for execution in ledger.summaries():
        if oldest is None or execution.first_ts < oldest:
            oldest = execution.first_ts
        status = execution.status(now, idle)
        if status == RUNNING:
            running += 1
            continue
        finished = execution.end_ts(status)
        assert finished is not None
        if finished > end or (start is not None and finished <= start):
            continue
        duration = execution.duration_s(status)
        sampling = execution.sampling
        if sampling is not None and not execution.logged:  # trace-only: its weight
            if type(sampling) is not float:
                unknown.append((status == FAILED, duration))
                continue  # counted below, unless logs cover the window
            traced_ended += 1
            if sampling == 0.0:
                not_sampled += 1
            if weights is None and sampling != 1.0:
                # The first weight: each execution before it stood for one.
                weights = [1.0] * len(durations)
                ended_w, failed_w = float(ended), float(failed)
        else:
            sampling = 1.0
        ended += 1
        if status == FAILED:
            failed += 1
        if weights is None:  # every execution so far stands for one
            if duration is not None:
                durations.append(duration)
            continue
        ended_w += sampling
        if status == FAILED:
            failed_w += sampling
        if duration is not None:
            durations.append(duration)
            weights.append(sampling)
    logged_ended = ended - traced_ended
    weighted_traces = traced_ended > 0
    kept = ledger.kept
    folded_values, folded_ok, folded_failed, sketch = kept.folded.window(start, end)
    approximate = sketch is not None
    logged_ended += folded_ok + folded_failed
    # Folded executions counted as they were kept (`Retention`): weighted ones by
    # their weight, those of unknown sampling with the retained ones of unknown sampling.
    parts: list[tuple[float, list[float], int, int, LogSketch | None]] = []
    for weight, series in kept.folded_weighted.items():
        values, ok, bad, part_sketch = series.window(start, end)
        if ok + bad:
            parts.append((weight, values, ok, bad, part_sketch))
            if weight == 0.0:
                not_sampled += ok + bad
    values, ok, bad, unknown_sketch = kept.folded_unknown.window(start, end)
    unknown_folded = (values, ok, bad)
    basis = FROM_WEIGHTED_TRACES if weighted_traces or parts else FROM_LOGS
    left_out = 0
    if (unknown or ok + bad) and logged_ended:
        left_out = len(unknown) + ok + bad  # logs cover the window: counted from them
    elif unknown or ok + bad:
        basis = FROM_UNKNOWN_TRACES  # nothing better: each counts once
        for was_failed, duration in unknown:
            ended += 1
            failed += was_failed
            if weights is not None:
                ended_w += 1.0
                failed_w += was_failed
            if duration is not None:
                durations.append(duration)
                if weights is not None:
                    weights.append(1.0)
        parts.append((1.0, *unknown_folded, unknown_sketch))
    durations.extend(folded_values)
    ended += folded_ok + folded_failed
    failed += folded_failed
    if weights is None and any(part[0] != 1.0 for part in parts):
        weights = [1.0] * len(durations)
        ended_w, failed_w = float(ended), float(failed)
    elif weights is not None:
        weights.extend([1.0] * len(folded_values))
        ended_w += folded_ok + folded_failed
        failed_w += folded_failed
    for weight, values, ok, bad, part_sketch in parts:
        ended += ok + bad
        failed += bad
        durations.extend(values)
        if weights is not None:
            weights.extend([weight] * len(values))
            ended_w += weight * (ok + bad)
            failed_w += weight * bad
        if part_sketch is not None:
            approximate = True
            merged = LogSketch()
            if sketch is not None:
                merged.merge(sketch)
            merged.merge(part_sketch, weight)
            sketch = merged
    if weights is None:
        ended_w, failed_w = float(ended), float(failed)
    latency = (quantiles_of(durations, sketch, weights) if durations or sketch
               else dict(NO_LATENCY))

    steps: dict[str, dict[str, Any]] = {}
    for name, series in sorted(ledger.step_samples.items()):
        values, ok, bad, step_sketch = series.window(start, end)
        if ok + bad == 0:
            continue
        stats: dict[str, Any] = dict(quantiles_of(values, step_sketch))
        stats["count"] = ok + bad
        steps[name] = stats
        approximate = approximate or step_sketch is not None

    # Per minute of the window that has data: a log (or a monitor) younger than the
    # window would otherwise read as a fraction of its real rate.
    # From the log's first event, a queue depth reading included: the minutes a log
    # reads its queue before anything ends are minutes in which nothing ended, not
    # minutes without data. A log of no execution at all has no throughput (it may log
    # only its queue), not 0/min.
    if oldest is not None:
        oldest = earliest(oldest, ledger.queue_history.first)
    span = end - oldest if oldest is not None else 0.0
    if window_s is not None:
        span = min(window_s, span)
    minutes = span / 60.0 if span > 0 else None
    has_events = ledger.events_total > 0
    note = None
    if span < MIN_RATE_SPAN_S:
        minutes = None
    if ended and span < MIN_RATE_SPAN_S:
        note = too_short_to_rate(ended, span)
    return Figures(
        error_rate=failed_w / ended_w if ended_w > 0 else None,
        latency_s=latency,
        step_latency_s=steps,
        throughput_per_min=ended_w / minutes if minutes and has_events else None,
        active_workflows=float(running + ledger.kept.lost_running) if ledger.executions
        or ledger.dormant or ledger.kept.folded_count else None,
        queue_depth=ledger.queue_depth,
        ended=ended,
        failed=failed,
        approximate=approximate,
        throughput_note=note,
        basis=basis,
        unknown_left_out=left_out,
        not_sampled=not_sampled,
    )


def too_short_to_rate(ended: int, span: float) -> str:
    """Why throughput is null although `ended` executions ended over `span` seconds."""
    return (f"throughput: too short to rate ({ended:,} "
            f"execution{'' if ended == 1 else 's'} over {span:.3g} s of "
            f"log; a rate needs {MIN_RATE_SPAN_S:g} s)")
