"""Why a figure is where it is, from the metrics' labels (pure, no IO).

The metrics have no per-execution detail: what they can say comes from their labels,
`workflow_name` on the executions counter and `step_name`/`step_type` on the step
histogram, over the figures' window and the window of the same length before it
(`by_labels`, worked out by the sources: `wftui.sources.metrics_labels`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wftui.core.explain import NO_WORKFLOW, TOP, _round, queue_growth
from wftui.core.thresholds import Threshold


def explain_metrics(metrics: dict[str, Any], thresholds: Iterable[Threshold] = ()
                    ) -> dict[str, Any]:
    """What the metrics' labels can say, over the same window as the figures and
    against the window before it: failures by `workflow_name`
    (`workflow_executions_total{workflow_name,status}`), and by `step_name` and
    `step_type` the time spent, the observations and each step's p95
    (`step_duration_seconds{step_name,step_type}`); and the queue-depth gauge's growth
    over its scraped readings (one target)."""
    labelled = metrics.get("by_labels") or {}
    now = labelled.get("now") or {"by_workflow": {}, "steps": {}}
    before = labelled.get("previous")
    readings = [(float(t), float(v)) for t, v in metrics.get("queue_depth_readings") or []]
    limits = {t.name: t.above for t in thresholds if t.enabled}
    queue = queue_growth(readings, None, max((t for t, _ in readings), default=0.0),
                         limits.get("queue_depth"))
    out = {"error_rate": _metric_failures(now, before),
           "latency_p95_s": _metric_steps(now, before),
           "queue_depth": queue,
           "since_start": bool(metrics.get("since_start"))}
    if before is None and not metrics.get("since_start"):
        out["previous_note"] = ("no previous window: the metrics do not reach back "
                                "before this one")
    return out


def _compared(row: dict[str, Any], count: float, share: float | None,
              old: float | None, old_share: float | None) -> dict[str, Any]:
    """A row with its count and share now and in the previous window (None: none)."""
    row.update(count=_whole(count), share=share,
               previous=_whole(old) if old is not None else None,
               previous_share=old_share,
               change=_whole(count - old) if old is not None else None)
    return row


def _metric_failures(now: dict[str, Any], before: dict[str, Any] | None
                     ) -> dict[str, Any]:
    """Failures by workflow_name, largest first; workflows that failed only before
    follow at 0."""
    current = now["by_workflow"]
    previous = before["by_workflow"] if before is not None else None
    failed = sum(entry["failed"] for entry in current.values())
    ended = sum(entry["ended"] for entry in current.values())
    old_failed = (sum(e["failed"] for e in previous.values()) if previous is not None
                  else None)
    names = sorted((n for n, e in current.items() if e["failed"]),
                   key=lambda n: (-current[n]["failed"], n))
    if previous is not None:
        names += sorted((n for n, e in previous.items() if e["failed"] and n not in names),
                        key=lambda n: (-previous[n]["failed"], n))
    rows = []
    for name in names[:TOP]:
        entry = current.get(name) or {"failed": 0.0, "ended": 0.0}
        old = (previous.get(name) or {"failed": 0.0, "ended": 0.0}) \
            if previous is not None else None
        row = _compared(
            {"workflow_name": name or NO_WORKFLOW}, entry["failed"],
            _ratio(entry["failed"], failed), old["failed"] if old else None,
            _ratio(old["failed"], old_failed) if old else None)
        row["error_rate"] = _ratio(entry["failed"], entry["ended"])
        row["previous_error_rate"] = _ratio(old["failed"], old["ended"]) if old else None
        rows.append(row)
    return {"failed": _whole(failed), "ended": _whole(ended),
            "previous_failed": _whole(old_failed) if old_failed is not None else None,
            "previous_ended": _whole(sum(e["ended"] for e in previous.values()))
            if previous is not None else None,
            "by_workflow": rows}


def _metric_steps(now: dict[str, Any], before: dict[str, Any] | None) -> dict[str, Any]:
    """Steps by the time spent in them (then p95), and the same by step_type."""
    steps = {name: entry for name, entry in now["steps"].items() if entry["count"]}
    old_steps = before["steps"] if before is not None else None
    total = sum(entry["time_s"] for entry in steps.values())
    old_total = (sum(e["time_s"] for e in old_steps.values()) if old_steps is not None
                 else None)
    rows = []
    for name, entry in sorted(steps.items(), key=lambda item: (
            -item[1]["time_s"], -(item[1]["p95"] or 0.0), item[0]))[:TOP]:
        old = (old_steps.get(name) or {"count": 0.0, "time_s": 0.0, "p95": None}) \
            if old_steps is not None else None
        row = _compared(
            {"step_name": name, "step_type": entry["step_type"] or None},
            entry["count"], _ratio(entry["time_s"], total),
            old["count"] if old else None,
            _ratio(old["time_s"], old_total) if old else None)
        row.update(total_s=_round(entry["time_s"]), p95_s=_round(entry["p95"]),
                   at_least=bool(entry["p95_at_least"]),
                   previous_p95_s=_round(old["p95"]) if old else None)
        rows.append(row)
    return {"by_step": rows,
            "by_step_type": _by_type(steps, old_steps, total, old_total)}


def _by_type(steps: dict[str, Any], old_steps: dict[str, Any] | None, total: float,
             old_total: float | None) -> list[dict[str, Any]]:
    def sums(group: dict[str, Any]) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        for entry in group.values():
            pair = out.setdefault(entry["step_type"] or "(no step_type)", [0.0, 0.0])
            pair[0] += entry["count"]
            pair[1] += entry["time_s"]
        return out

    now = sums(steps)
    old = sums(old_steps) if old_steps is not None else None
    rows = []
    for kind, (count, spent) in sorted(now.items(), key=lambda kv: (-kv[1][1], kv[0])):
        was = (old.get(kind) or [0.0, 0.0]) if old is not None else None
        row = _compared({"step_type": kind}, count, _ratio(spent, total),
                        was[0] if was else None,
                        _ratio(was[1], old_total) if was else None)
        row["total_s"] = _round(spent)
        rows.append(row)
    return rows[:TOP]


def _ratio(part: float, whole: float | None) -> float | None:
    return round(part / whole, 4) if whole else None


def _whole(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 3)
