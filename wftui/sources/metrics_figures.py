"""Scrape history per target and the figures computed from it (pure, no IO).

Each good scrape is reduced to a :class:`ScrapeRecord`: a few sums of reset-adjusted
counters (see :class:`wftui.core.promql.CounterTracker`) and the gauges. Figures over a
window are then increases per target (last minus first), summed over targets: the error
rate is their ratio, the quantiles PromQL's ``histogram_quantile`` over the summed bucket
increases, and the throughput the sum of each target's rate (increase over its own span).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from wftui.core.promql import CounterTracker, highest_finite_bound, histogram_quantile, parse_le
from wftui.sources.metrics_labels import label_windows
from wftui.sources.metrics_parse import MetricNames, ParsedScrape, finite

QUANTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99}


@dataclass(frozen=True)
class ScrapeRecord:
    """One good scrape of one target, reduced to sums of reset-adjusted counters."""

    t: float
    executions: dict[str, float]
    workflow_buckets: dict[float, float]
    step_buckets: dict[str, dict[float, float]]
    step_counts: dict[str, float]
    active: float | None
    queue: float | None
    # (workflow_name, status) -> executions: what `wftui check --explain` breaks down
    by_workflow: dict[tuple[str, str], float] = field(default_factory=dict)
    # (step_name, step_type) -> observations, and seconds (the histogram's _sum): explain
    step_type_counts: dict[tuple[str, str], float] = field(default_factory=dict)
    step_type_sums: dict[tuple[str, str], float] = field(default_factory=dict)
    # The workflow duration family when it came with a `_count` but no buckets (a
    # Summary named as the histogram): latency then has nothing to read, and says why.
    unbucketed: str | None = None


def _group(key: tuple[Any, ...]) -> tuple[Any, ...]:
    return key[:-1]


def _without(labels: dict[str, str], *drop: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in labels.items() if k not in drop))


class TargetHistory:
    """The retained scrape records of one target, bounded by age.

    Records of the last ``dense_s`` seconds are all kept; older ones are thinned to one per
    ``sparse_step_s`` (counters are cumulative, so increases stay exact; a long window's
    start just snaps to a kept record), and none older than ``retention_s`` is kept.
    """

    def __init__(self, names: MetricNames, retention_s: float = 3900.0, *,
                 dense_s: float = 600.0, sparse_step_s: float = 60.0) -> None:
        self.names = names
        self.retention_s = retention_s
        self.dense_s = dense_s
        self.sparse_step_s = sparse_step_s
        self.records: deque[ScrapeRecord] = deque()
        # Sums are kept per key without its labels part (the last): a series that is
        # gone for a few scrapes is forgotten into its sum (label churn stays bounded).
        self._tracker = CounterTracker(group=_group)

    def add(self, t: float, parsed: ParsedScrape) -> ScrapeRecord:
        """Reduce one parsed scrape to a record and keep it."""
        names = self.names
        base = names.executions_base
        raw: dict[tuple[Any, ...], float] = {}
        gauges: dict[str, float] = {}
        counted = False
        for name, labels, value in parsed.samples:
            if name == names.workflow_duration + "_count":
                counted = True
            if not finite(value):
                continue
            if name in (base, base + "_total"):
                status = labels.get(names.status_label, "")
                raw[("x", status, _without(labels))] = value
            elif name == names.workflow_duration + "_bucket":
                raw[("wb", labels.get("le", ""), _without(labels, "le"))] = value
            elif name == names.step_duration + "_bucket":
                step = labels.get(names.step_label, "")
                raw[("sb", step, labels.get("le", ""), _without(labels, "le"))] = value
            elif name == names.step_duration + "_count":
                raw[("sc", labels.get(names.step_label, ""),
                     labels.get(names.step_type_label, ""), _without(labels))] = value
            elif name == names.step_duration + "_sum":
                raw[("ss", labels.get(names.step_label, ""),
                     labels.get(names.step_type_label, ""), _without(labels))] = value
            elif name in (names.active_workflows, *names.queue_depth):
                gauges[name] = gauges.get(name, 0.0) + value
        executions: dict[str, float] = {}
        workflow_buckets: dict[float, float] = {}
        step_buckets: dict[str, dict[float, float]] = {}
        step_counts: dict[str, float] = {}
        by_workflow: dict[tuple[str, str], float] = {}
        step_type_counts: dict[tuple[str, str], float] = {}
        step_type_sums: dict[tuple[str, str], float] = {}
        for raw_key, adjusted in self._tracker.update(raw).items():
            key = cast("tuple[Any, ...]", raw_key)  # the tuples built above
            kind = key[0]
            if kind == "x":
                executions[key[1]] = executions.get(key[1], 0.0) + adjusted
                workflow = dict(key[2]).get(names.workflow_label, "")
                pair = (workflow, key[1])
                by_workflow[pair] = by_workflow.get(pair, 0.0) + adjusted
            elif kind == "wb":
                bound = parse_le(key[1])
                if bound is not None:
                    workflow_buckets[bound] = workflow_buckets.get(bound, 0.0) + adjusted
            elif kind == "sb":
                bound = parse_le(key[2])
                if bound is not None:
                    per_step = step_buckets.setdefault(key[1], {})
                    per_step[bound] = per_step.get(bound, 0.0) + adjusted
            elif kind == "sc":
                step_counts[key[1]] = step_counts.get(key[1], 0.0) + adjusted
                typed = (key[1], key[2])
                step_type_counts[typed] = step_type_counts.get(typed, 0.0) + adjusted
            else:
                typed = (key[1], key[2])
                step_type_sums[typed] = step_type_sums.get(typed, 0.0) + adjusted
        queue = next((gauges[n] for n in names.queue_depth if n in gauges), None)
        record = ScrapeRecord(
            t, executions, workflow_buckets, step_buckets, step_counts,
            gauges.get(names.active_workflows), queue, by_workflow,
            step_type_counts, step_type_sums,
            names.workflow_duration if counted and not workflow_buckets else None,
        )
        self.records.append(record)
        while len(self.records) > 2 and self.records[0].t < t - self.retention_s:
            self.records.popleft()
        self._thin(t - self.dense_s)
        return record

    def _thin(self, dense_from: float) -> None:
        """Keep at most one record per ``sparse_step_s`` among those older than ``dense_from``."""
        if len(self.records) < 3 or self.records[1].t >= dense_from:
            return
        kept: deque[ScrapeRecord] = deque()
        for record in self.records:
            if (record.t < dense_from and kept
                    and record.t - kept[-1].t < self.sparse_step_s):
                continue
            kept.append(record)
        self.records = kept

    def window(self, window_s: float | None) -> list[ScrapeRecord]:
        """Records covering the window that ends at the last good scrape.

        The last record before the window's start is kept as the baseline, so a window as
        short as one scrape interval still has two points.
        """
        if not self.records:
            return []
        if window_s is None:
            return list(self.records)
        start = self.records[-1].t - window_s
        inside = [r for r in self.records if r.t >= start]
        before = [r for r in self.records if r.t < start]
        return ([before[-1]] if before else []) + inside


@dataclass
class _Totals:
    """Counter increases in the window (or totals since start) summed over targets."""

    executions: dict[str, float] = field(default_factory=dict)
    workflow_buckets: dict[float, float] = field(default_factory=dict)
    step_buckets: dict[str, dict[float, float]] = field(default_factory=dict)
    step_counts: dict[str, float] = field(default_factory=dict)
    by_workflow: dict[tuple[str, str], float] = field(default_factory=dict)
    exec_rate_per_s: float | None = None
    seen_executions: bool = False


def _add(into: dict, first: dict | None, last: dict) -> None:
    for key, value in last.items():
        before = first.get(key, 0.0) if first is not None else 0.0
        into[key] = into.get(key, 0.0) + value - before


def _accumulate(totals: _Totals, first: ScrapeRecord | None, last: ScrapeRecord) -> None:
    """Add ``last - first`` (``last`` itself when there is no ``first``) into ``totals``."""
    if last.executions:
        totals.seen_executions = True
    _add(totals.executions, first.executions if first else None, last.executions)
    _add(totals.workflow_buckets, first.workflow_buckets if first else None,
         last.workflow_buckets)
    for step, buckets in last.step_buckets.items():
        earlier = first.step_buckets.get(step) if first else None
        _add(totals.step_buckets.setdefault(step, {}), earlier, buckets)
    _add(totals.step_counts, first.step_counts if first else None, last.step_counts)
    _add(totals.by_workflow, first.by_workflow if first else None, last.by_workflow)


def _execution_rate(records: Sequence[ScrapeRecord]) -> float:
    """Executions per second between the first and last record (0 over no time)."""
    span = records[-1].t - records[0].t
    if span <= 0:
        return 0.0  # a wall clock that stepped back; the next scrape sorts it out
    return (sum(records[-1].executions.values()) - sum(records[0].executions.values())) / span


def _plain(value: float | None) -> float | int | None:
    if value is None or not math.isfinite(value):
        return None
    return int(value) if float(value).is_integer() else value


def _quantiles(buckets: dict[float, float]) -> tuple[dict[str, float | None], dict[str, bool]]:
    values: dict[str, float | None] = {}
    at_least: dict[str, bool] = {}
    for label, q in QUANTILES.items():
        result = histogram_quantile(q, buckets.items())
        values[label] = None if result is None else result.value
        if result is not None and result.at_least:
            at_least[label] = True
    return values, at_least


@dataclass
class TargetView:
    """What :func:`compute_figures` needs to know about one target."""

    name: str
    history: TargetHistory
    stale: bool
    error: str | None = None
    age_s: float | None = None


def compute_figures(targets: Sequence[TargetView], window_s: float | None,
                    p95_threshold_s: float | None = None) -> dict:
    """Figures over the window from every target's retained scrapes (docs/figures.md)."""
    warnings: list[str] = []
    usable = [(view, view.history.window(window_s)) for view in targets]
    usable = [(view, records) for view, records in usable if records]
    rated = [(view, recs) for view, recs in usable if len(recs) >= 2]
    # (with no scrape at all there is nothing since the start either: no figure)
    since_start = bool(usable) and (window_s is None or not rated)
    totals = _Totals()
    if since_start:
        # Totals since each target started: the last record counted from zero.
        for _, records in usable:
            _accumulate(totals, None, records[-1])
        if rated:
            totals.exec_rate_per_s = sum(_execution_rate(records) for _, records in rated)
    else:
        totals.exec_rate_per_s = 0.0
        for view, records in usable:
            if len(records) < 2:
                warnings.append(f"{view.name}: one scrape so far, counted from the next one")
                continue
            # Increases, not rates: Prometheus divides every series by the same range, so
            # ratios (error rate, quantiles) are ratios of increases; dividing each target
            # by its own scrape span would skew them by the targets' scrape-time jitter.
            _accumulate(totals, records[0], records[-1])
            totals.exec_rate_per_s += _execution_rate(records)
    failure_words, success_words = targets_statuses(targets)
    failures = sum(v for status, v in totals.executions.items() if status in failure_words)
    ended = failures + sum(v for status, v in totals.executions.items()
                           if status in success_words)
    error_rate = failures / ended if ended > 0 else None
    statuses_not_understood = statuses_neither(totals.executions, failure_words,
                                               success_words, warnings)
    latency, at_least = _quantiles(totals.workflow_buckets)
    steps: dict[str, dict] = {}
    for step, buckets in sorted(totals.step_buckets.items()):
        values, step_at_least = _quantiles(buckets)
        steps[step] = {**values, "count": _plain(totals.step_counts.get(step)),
                       "at_least": step_at_least}
    throughput = None
    if totals.seen_executions and totals.exec_rate_per_s is not None:
        throughput = totals.exec_rate_per_s * 60.0
    latest = [records[-1] for _, records in usable]
    active = _gauge_sum(r.active for r in latest)
    queue = _gauge_sum(r.queue for r in latest)
    warnings.extend(bucket_warnings(latest, p95_threshold_s))
    for view in targets:
        if view.stale and view.history.records:
            age = f"{view.age_s:.0f} s ago" if view.age_s is not None else "earlier"
            warnings.append(f"{view.name} is down ({view.error}); "
                            f"showing its last good scrape from {age}")
        elif view.stale:
            warnings.append(f"{view.name} has not answered yet ({view.error})")
    # One target's queue-depth readings in the window: how fast it grows (explain).
    # Several targets scrape at different moments, so their sum has no clean series.
    readings = ([(r.t, r.queue) for r in usable[0][1] if r.queue is not None]
                if len(usable) == 1 else [])
    by_workflow: dict[str, dict[str, float]] = {}
    for (workflow, status), count in sorted(totals.by_workflow.items()):
        if status not in failure_words and status not in success_words:
            continue  # neither: not an ended execution (warned about above)
        entry = by_workflow.setdefault(workflow, {"failed": 0.0, "ended": 0.0})
        entry["ended"] += count
        if status in failure_words:
            entry["failed"] += count
    return {
        "error_rate": error_rate,
        "statuses_not_understood": statuses_not_understood,
        "executions_by_workflow": by_workflow,
        "by_labels": label_windows([(view.history.records, records) for view, records
                                    in usable], window_s, failure_words, success_words),
        "queue_depth_readings": readings,
        "latency_s": {**latency, "at_least": at_least},
        "step_latency_s": steps,
        "throughput_per_min": throughput,
        "active_workflows": active,
        "queue_depth": queue,
        "since_start": since_start,
        "stale": any(view.stale for view in targets),
        # ... with values of its last good scrape shown (not when it never answered)
        "stale_shown": any(view.stale and view.history.records for view in targets),
        "warnings": warnings,
    }


def statuses_neither(by_status: dict[str, float], failure_words: frozenset[str],
                     success_words: frozenset[str], warnings: list[str]) -> str | None:
    """Warn of the executions (increases by status) whose status is neither a success
    nor a failure word: left out of the error rate. Returns why the error rate is not
    understood when there is traffic but not one of them ended as either (None
    otherwise). The scraper and a Prometheus server say it alike."""
    neither = {status: value for status, value in by_status.items()
               if status not in failure_words and status not in success_words and value > 0}
    if not neither:
        return None
    named = ", ".join(f"{status or '(empty)'!r} ({_count(value)})" for status, value
                      in sorted(neither.items(), key=lambda item: -item[1])[:5])
    hint = ("name them in [metrics.statuses]" if set(neither) != {""} else
            "the executions counter has no status label: name the label that holds "
            "the outcome in [metrics.labels] status")
    warnings.append(f"executions whose status label is neither a success nor a failure "
                    f"word, left out of the error rate: {named}; {hint}")
    if any(value > 0 for status, value in by_status.items()
           if status in failure_words or status in success_words):
        return None
    # Traffic, but not one execution we can call a success or a failure: the error
    # rate is not "no traffic", it is not understood.
    return f"no execution status understood ({named}): {hint}"


def _count(value: float) -> str:
    """A count of executions: whole as scraped, to a tenth as Prometheus extrapolates."""
    return f"{int(value)}" if float(value).is_integer() else f"{value:.1f}"


def targets_statuses(targets: Sequence[TargetView]
                     ) -> tuple[frozenset[str], frozenset[str]]:
    """The status label values that count as failures, and as successes (from the first
    target's names)."""
    names = targets[0].history.names if targets else MetricNames()
    return frozenset(names.failure_statuses), frozenset(names.success_statuses)


def _gauge_sum(values: Iterable[float | None]) -> float | int | None:
    present = [v for v in values if v is not None]
    return _plain(sum(present)) if present else None


def bucket_warnings(latest: Sequence[ScrapeRecord], p95_threshold_s: float | None) -> list[str]:
    """Warnings about the latency buckets: no +Inf bucket, or a threshold above them all."""
    warnings: list[str] = []
    bounds = {b for record in latest for b in record.workflow_buckets}
    unbucketed = next((r.unbucketed for r in latest if r.unbucketed is not None), None)
    if not bounds and unbucketed is not None:
        warnings.append(f"workflow duration {unbucketed} has no buckets (a summary?): latency "
                        "quantiles need a histogram; name one in [metrics.names] "
                        "workflow_duration")
    if bounds and math.inf not in bounds:
        warnings.append("workflow duration histogram has no +Inf bucket: no latency quantiles")
    top = highest_finite_bound(bounds)
    if p95_threshold_s is not None and top is not None and p95_threshold_s > top:
        warnings.append(
            f"p95 threshold {p95_threshold_s:g} s is above the highest finite latency bucket "
            f"({top:g} s): a breach cannot be seen, latency shows as '≥ {top:g} s'"
        )
    return warnings
