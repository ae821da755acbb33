"""What the metrics' labels say behind the figures (`wftui check --explain`, "why").

Per window, and the window of the same length before it: ended and failed executions
per `workflow_name` (`workflow_executions_total{workflow_name,status}`), and per
`step_name` its `step_type`, observations, seconds spent (the histogram's `_sum`) and
p95 (`step_duration_seconds{step_name,step_type}`). Scraped targets give increases
between retained scrapes (summed over targets); a Prometheus server gives the same
from `increase(...[w])` and `... offset w` (`prometheus_parts`). Pure: no IO.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from wftui.core.promql import histogram_quantile
from wftui.sources.metrics_parse import MetricNames

# {"by_workflow": {workflow: {"failed", "ended"}},
#  "steps": {step: {"step_type", "count", "time_s", "p95", "p95_at_least"}}}
LabelParts = dict[str, Any]


class Record(Protocol):
    """What a retained scrape holds for the breakdowns (a `ScrapeRecord`)."""

    @property
    def t(self) -> float: ...
    @property
    def by_workflow(self) -> dict[tuple[str, str], float]: ...
    @property
    def step_buckets(self) -> dict[str, dict[float, float]]: ...
    @property
    def step_type_counts(self) -> dict[tuple[str, str], float]: ...
    @property
    def step_type_sums(self) -> dict[tuple[str, str], float]: ...


def _minus(last: Mapping[Any, float], first: Mapping[Any, float] | None) -> dict[Any, float]:
    return {key: value - (first.get(key, 0.0) if first is not None else 0.0)
            for key, value in last.items()}


def _sum_into(into: dict[Any, float], values: Mapping[Any, float]) -> None:
    for key, value in values.items():
        into[key] = into.get(key, 0.0) + value


def parts(workflows: Mapping[tuple[str, str], float],
          step_counts: Mapping[tuple[str, str], float],
          step_sums: Mapping[tuple[str, str], float],
          step_p95: Mapping[str, tuple[float | None, bool]],
          failure_words: frozenset[str], success_words: frozenset[str]) -> LabelParts:
    """One window's breakdown from (workflow, status) and (step, step_type) totals.

    Statuses that are neither a success nor a failure word are left out (the figures
    warn about them). A step logged under several step types takes its most frequent.
    """
    by_workflow: dict[str, dict[str, float]] = {}
    for (workflow, status), count in sorted(workflows.items()):
        if status not in failure_words and status not in success_words:
            continue
        ended = by_workflow.setdefault(workflow, {"failed": 0.0, "ended": 0.0})
        ended["ended"] += count
        if status in failure_words:
            ended["failed"] += count
    steps: dict[str, dict[str, Any]] = {}
    types: dict[str, dict[str, float]] = {}
    for (step, step_type), count in step_counts.items():
        entry = steps.setdefault(step, {"step_type": "", "count": 0.0, "time_s": 0.0})
        entry["count"] += count
        kinds = types.setdefault(step, {})
        kinds[step_type] = kinds.get(step_type, 0.0) + count
    for (step, step_type), seconds in step_sums.items():
        entry = steps.setdefault(step, {"step_type": step_type, "count": 0.0, "time_s": 0.0})
        entry["time_s"] += seconds
    for step, entry in steps.items():
        if types.get(step):
            entry["step_type"] = max(types[step].items(), key=lambda kv: (kv[1], kv[0]))[0]
        entry["p95"], entry["p95_at_least"] = step_p95.get(step, (None, False))
    return {"by_workflow": by_workflow, "steps": dict(sorted(steps.items()))}


def _p95(buckets: Mapping[float, float]) -> tuple[float | None, bool]:
    result = histogram_quantile(0.95, buckets.items())
    return (None, False) if result is None else (result.value, bool(result.at_least))


def _between(pairs: Iterable[tuple[Record | None, Record]], failure_words: frozenset[str],
             success_words: frozenset[str]) -> LabelParts:
    """Increases `last - first` (`last` itself without `first`), summed over targets."""
    workflows: dict[tuple[str, str], float] = {}
    counts: dict[tuple[str, str], float] = {}
    sums: dict[tuple[str, str], float] = {}
    buckets: dict[str, dict[float, float]] = {}
    for first, last in pairs:
        _sum_into(workflows, _minus(last.by_workflow, first.by_workflow if first else None))
        _sum_into(counts, _minus(last.step_type_counts,
                                 first.step_type_counts if first else None))
        _sum_into(sums, _minus(last.step_type_sums, first.step_type_sums if first else None))
        for step, bounds in last.step_buckets.items():
            earlier = first.step_buckets.get(step) if first is not None else None
            _sum_into(buckets.setdefault(step, {}), _minus(bounds, earlier))
    p95 = {step: _p95(bounds) for step, bounds in buckets.items()}
    return parts(workflows, counts, sums, p95, failure_words, success_words)


def _last_before(records: Sequence[Record], moment: float) -> Record | None:
    return next((r for r in reversed(records) if r.t < moment), None)


def label_windows(targets: Sequence[tuple[Sequence[Record], Sequence[Record]]],
                  window_s: float | None, failure_words: frozenset[str],
                  success_words: frozenset[str]) -> dict[str, LabelParts | None]:
    """`{"now": parts, "previous": parts or None}` from each target's retained records
    and the records of its window (`TargetHistory.window`).

    The window runs from the last scrape before its start to the newest; the previous
    one from the last scrape before *its* start to that same scrape, so the two never
    overlap. No previous window with `window_s` None, a target with one scrape, or a
    target whose scrapes do not reach back before it (it started inside it).
    """
    usable = [(kept, window) for kept, window in targets if window]
    if window_s is None or not usable or any(len(window) < 2 for _, window in usable):
        now = _between(((None, window[-1]) for _, window in usable), failure_words,
                       success_words)
        return {"now": now, "previous": None}
    now = _between(((window[0], window[-1]) for _, window in usable), failure_words,
                   success_words)
    previous_pairs: list[tuple[Record | None, Record]] = []
    for kept, window in usable:
        start = window[-1].t - window_s
        if window[0].t >= start:  # nothing scraped before this window began
            return {"now": now, "previous": None}
        first = _last_before(kept, start - window_s)
        if first is None:
            return {"now": now, "previous": None}
        previous_pairs.append((first, window[0]))
    return {"now": now,
            "previous": _between(previous_pairs, failure_words, success_words)}


# PromQL for a Prometheus server: the same totals over the window and, `offset` by one
# window, over the window before it (an empty answer there: Prometheus holds nothing
# that old, so no previous window).
_EXECUTIONS = "sum by (${workflow_label}, ${status_label}) "
_STEPS = "sum by (${step_label}, ${step_type_label}) "
LABEL_QUERIES = {
    "labels:executions": _EXECUTIONS + "(increase(${executions}[${window}]))",
    "labels:step_count": _STEPS + "(increase(${step_duration}_count[${window}]))",
    "labels:step_sum": _STEPS + "(increase(${step_duration}_sum[${window}]))",
    "labels:executions_before": _EXECUTIONS
    + "(increase(${executions}[${window}] offset ${window}))",
    "labels:step_count_before": _STEPS
    + "(increase(${step_duration}_count[${window}] offset ${window}))",
    "labels:step_sum_before": _STEPS
    + "(increase(${step_duration}_sum[${window}] offset ${window}))",
    "labels:step_p95_before": "histogram_quantile(0.95, sum by (le, ${step_label}) "
    "(rate(${step_duration}_bucket[${window}] offset ${window})))",
}
LABEL_QUERIES_ALL = {
    "labels:executions": _EXECUTIONS + "(${executions})",
    "labels:step_count": _STEPS + "(${step_duration}_count)",
    "labels:step_sum": _STEPS + "(${step_duration}_sum)",
}


def prometheus_labels(results: Mapping[str, list[tuple[dict[str, Any], float | None]]],
                      step_p95: Mapping[str, tuple[float | None, bool]],
                      names: MetricNames, failure_words: frozenset[str],
                      success_words: frozenset[str]) -> dict[str, LabelParts | None]:
    """`{"now", "previous"}` from the answers to LABEL_QUERIES (or LABEL_QUERIES_ALL);
    `step_p95`: each step's p95 now (already asked by the figures' queries)."""

    def pairs(key: str, first: str, second: str) -> dict[tuple[str, str], float]:
        out: dict[tuple[str, str], float] = {}
        for metric, value in results.get(key) or []:
            if value is not None:
                pair = (str(metric.get(first, "")), str(metric.get(second, "")))
                out[pair] = out.get(pair, 0.0) + value
        return out

    def window(suffix: str, p95: Mapping[str, tuple[float | None, bool]]) -> LabelParts:
        return parts(pairs("labels:executions" + suffix, names.workflow_label,
                           names.status_label),
                     pairs("labels:step_count" + suffix, names.step_label,
                           names.step_type_label),
                     pairs("labels:step_sum" + suffix, names.step_label,
                           names.step_type_label),
                     p95, failure_words, success_words)

    now = window("", step_p95)
    if not any(results.get(f"labels:{key}_before") for key in ("executions", "step_count")):
        return {"now": now, "previous": None}
    before_p95 = {str(metric.get(names.step_label, "")): (value, False)
                  for metric, value in results.get("labels:step_p95_before") or []}
    return {"now": now, "previous": window("_before", before_p95)}
