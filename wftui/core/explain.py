"""Why a figure is where it is: the breakdowns behind each threshold (pure, no IO).

For the error rate, the failed executions of the window grouped by the step where each
failed, by error text (ids masked), by workflow, by model and by tool; for p95, the
slow executions and where their time went; for active workflows, who is running and
for how long; for queue depth, how fast it grows and when it reaches its threshold.
Every group says its count, its share and its change against the previous window of
the same length, so "what is new" stands out from "what is always there".

Steps, models and tools need each execution's lines (`Ledger(keep_raw=True)`); without
them those breakdowns are left out and the answer says so.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from wftui.core.error_text import error_group
from wftui.core.execution import FAILED, RUNNING, Execution
from wftui.core.ledger import Ledger
from wftui.core.quantiles import exact_quantile, weighted_quantiles
from wftui.core.sampling import weight_of
from wftui.core.steps import ExecutionDetail, build_detail
from wftui.core.thresholds import Threshold

TOP = 10  # rows per breakdown
LISTED = 20  # executions listed by id (slow ones, oldest running ones)
# Step trees are rebuilt from raw lines: bound the work on a window full of failures.
DETAILS_MAX = 5000
NO_STEP = "(no step)"
NO_WORKFLOW = "(no workflow_name)"
NO_ERROR = "(no error text)"


@dataclass(frozen=True, slots=True)
class Ended:
    """One execution that ended in a window: what the breakdowns group on."""

    execution: Execution
    status: str
    end: float
    duration_s: float | None


def _ended(ledger: Ledger, start: float | None, end: float, now: float) -> list[Ended]:
    """Retained executions that ended in (start, end] (the figures' own rule)."""
    idle = ledger.idle_timeout
    out: list[Ended] = []
    for execution in ledger.summaries():
        status = execution.status(now, idle)
        if status == RUNNING:
            continue
        finished = execution.end_ts(status)
        if finished is None or finished > end or (start is not None and finished <= start):
            continue
        out.append(Ended(execution, status, finished, execution.duration_s(status)))
    return out


def breakdown(now: Iterable[str], before: Iterable[str] | None, key: str,
              total: int | None = None, previous_total: int | None = None
              ) -> list[dict[str, Any]]:
    """Rows `{key: value, count, share, previous, previous_share, change}`, largest
    first; groups of the previous window that are gone now follow with count 0.

    share is count over `total` (default: the number of values now), previous_share the
    same in the previous window (over `previous_total`, default its number of values);
    previous, previous_share and change are None when there is no previous window
    (`--window all`, or a log that starts inside this one).
    """
    counts = Counter(now)
    previous = Counter(before) if before is not None else None
    whole = total if total is not None else sum(counts.values())
    old_whole = (previous_total if previous_total is not None
                 else sum(previous.values()) if previous is not None else 0)
    rows: list[dict[str, Any]] = []
    order = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if previous is not None:
        order += sorted(((value, 0) for value in previous if value not in counts),
                        key=lambda item: (-previous[item[0]], item[0]))
    for value, count in order:
        old = previous.get(value, 0) if previous is not None else None
        rows.append({key: value, "count": count,
                     "share": round(count / whole, 4) if whole else None,
                     "previous": old,
                     "previous_share": round(old / old_whole, 4)
                     if old is not None and old_whole else None,
                     "change": count - old if old is not None else None})
    return rows[:TOP]


def with_members(rows: list[dict[str, Any]], key: str,
                 pairs: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """Each row with the ids of the executions it counted (`execution_ids`, sorted):
    "why" -> Enter shows exactly those, not whatever else a name's text matches.
    `pairs`: (group value, execution id) for this window."""
    members: dict[str, set[str]] = defaultdict(set)
    for value, execution_id in pairs:
        members[value].add(execution_id)
    for row in rows:
        row["execution_ids"] = sorted(members.get(row[key], ()))
    return rows


def _details(ended: list[Ended], now: float, idle: float | None
             ) -> dict[str, ExecutionDetail] | None:
    """Step trees of these executions, or None when their lines were not kept."""
    with_lines = [e for e in ended if e.execution.raw]
    if ended and not with_lines:
        return None
    return {e.execution.execution_id: build_detail(e.execution, now, idle)
            for e in with_lines[:DETAILS_MAX]}


def _failed_step_parts(detail: ExecutionDetail | None) -> tuple[str | None, list[str]]:
    """The model of the step that failed, and the tools called in it."""
    if detail is None:
        return None, []
    failed = next((s for s in detail.steps if s.status == "failed"), None)
    if failed is None:
        return None, []
    tools = [str(item.event.get("tool_name")) for item in failed.items
             if item.kind == "tool_call" and isinstance(item.event.get("tool_name"), str)]
    if not tools and failed.step_type == "tool":
        tools = [failed.name]
    return failed.model, sorted(set(tools))


def explain_error_rate(current: list[Ended], previous: list[Ended] | None,
                       details: Callable[[list[Ended]], dict[str, ExecutionDetail] | None],
                       members: bool = False) -> dict[str, Any]:
    """The failed executions of the window, grouped five ways (`members`: each group
    with the ids it counted, `with_members`)."""
    failed = [e for e in current if e.status == FAILED]
    failed_before = [e for e in previous if e.status == FAILED] if previous is not None \
        else None

    def steps(group: list[Ended]) -> list[str]:
        return [e.execution.failed_step or NO_STEP for e in group]

    def errors(group: list[Ended]) -> list[str]:
        return [error_group(e.execution.first_error, e.execution.execution_id)
                if e.execution.first_error else NO_ERROR for e in group]

    def workflows(group: list[Ended]) -> list[str]:
        return [e.execution.workflow_name or NO_WORKFLOW for e in group]

    def before(pick: Callable[[list[Ended]], list[str]]) -> list[str] | None:
        return pick(failed_before) if failed_before is not None else None

    rate, weighted = _weighted_rate(current)
    out: dict[str, Any] = {
        "failed": len(failed), "ended": len(current),
        # The panel's error rate: sampled traces weighted as the figures weight them
        # (`weighted`: some did not count once, so failed/ended is not the panel's).
        "error_rate": rate, "weighted": weighted,
        "previous_failed": len(failed_before) if failed_before is not None else None,
        "previous_ended": len(previous) if previous is not None else None,
        "by_step": breakdown(steps(failed), before(steps), "step_name"),
        "by_error": breakdown(errors(failed), before(errors), "error"),
        "by_workflow": breakdown(workflows(failed), before(workflows), "workflow_name"),
        "executions": [e.execution.execution_id
                       for e in sorted(failed, key=lambda e: -e.end)[:LISTED]],
    }
    ids = [e.execution.execution_id for e in failed]
    if members:
        for name, key, pick in (("by_step", "step_name", steps),
                                ("by_error", "error", errors),
                                ("by_workflow", "workflow_name", workflows)):
            with_members(out[name], key, zip(pick(failed), ids, strict=True))
    now_details = details(failed)
    if now_details is None:
        out["by_model"] = out["by_tool"] = None
        out["note"] = "models and tools need the log lines, which were not kept"
        return out
    before_details = details(failed_before) if failed_before is not None else None
    parts_now = [_failed_step_parts(now_details.get(e.execution.execution_id))
                 for e in failed]
    parts_before = ([_failed_step_parts((before_details or {}).get(e.execution.execution_id))
                     for e in failed_before] if failed_before is not None else None)
    before_count = len(failed_before) if failed_before is not None else None
    out["by_model"] = breakdown(
        [m for m, _ in parts_now if m], [m for m, _ in parts_before if m]
        if parts_before is not None else None, "model", len(failed), before_count)
    out["by_tool"] = breakdown(
        [t for _, tools in parts_now for t in tools],
        [t for _, tools in parts_before for t in tools] if parts_before is not None
        else None, "tool_name", len(failed), before_count)
    if members:
        with_members(out["by_model"], "model",
                     ((m, i) for (m, _), i in zip(parts_now, ids, strict=True) if m))
        with_members(out["by_tool"], "tool_name",
                     ((t, i) for (_, tools), i in zip(parts_now, ids, strict=True)
                      for t in tools))
    return out


def _weighted_rate(group: list[Ended]) -> tuple[float | None, bool]:
    """The window's error rate as the figures count it (`log_figures`): a trace-only
    execution stands for its adjusted count, one of unknown sampling counts once, or
    for none when logs cover the window. Counted once each, "2 failed of 4" read 50%
    beside a panel saying 9% (the 2 successes each stood for 10); and whether any
    execution did not count once."""
    logs_cover = any(e.execution.sampling is None or e.execution.logged for e in group)
    ended = failed = 0.0
    weighted = False
    for e in group:
        weight = weight_of(e.execution.logged, e.execution.sampling)
        if weight is None:  # sampling unknown
            weight = 0.0 if logs_cover else 1.0
        weighted = weighted or weight != 1.0
        ended += weight
        if e.status == FAILED:
            failed += weight
    return (_round(failed / ended) if ended > 0 else None), weighted


def _p95(values: list[float]) -> float | None:
    return exact_quantile(sorted(values), 0.95)


def _step_p95(ledger: Ledger, name: str, start: float | None, end: float) -> float | None:
    series = ledger.step_samples.get(name)
    if series is None:
        return None
    values, _, _, _ = series.window(start, end)
    return _p95(values)


def _slow(group: list[Ended]) -> tuple[float | None, list[Ended]]:
    """The p95 of a window's durations and its executions at or above it, slowest first.

    The p95 is the figures' (`log_figures`): a trace-only execution stands for its
    adjusted count (docs/figures.md, "Sampled traces"), and one of unknown sampling
    counts once, or for none when logs cover the window. Unweighted, "10% of
    executions, 100% of errors" put p95 among the kept failures, far above the
    panel's p95, and named too few executions slow.
    """
    logs_cover = any(e.execution.sampling is None or e.execution.logged for e in group)
    timed: list[Ended] = []
    weights: list[float] = []
    for e in group:
        weight = weight_of(e.execution.logged, e.execution.sampling)
        if weight is None:  # sampling unknown
            weight = 0.0 if logs_cover else 1.0
        if e.duration_s is not None and weight > 0:
            timed.append(e)
            weights.append(weight)
    p95 = weighted_quantiles([e.duration_s or 0.0 for e in timed], weights)["p95"]
    slow = sorted((e for e in timed if p95 is not None and (e.duration_s or 0.0) >= p95),
                  key=lambda e: -(e.duration_s or 0.0))
    return p95, slow


def _step_time(slow: list[Ended], details: dict[str, ExecutionDetail]
               ) -> tuple[float, dict[str, float], Counter[str]]:
    """The slow executions' total duration, and each step's time and count in them."""
    total = sum(e.duration_s or 0.0 for e in slow if e.execution.execution_id in details)
    step_time: dict[str, float] = defaultdict(float)
    step_count: Counter[str] = Counter()
    for detail in details.values():
        for step in detail.steps:
            if step.duration_s is not None:
                step_time[step.name] += step.duration_s
                step_count[step.name] += 1
    return total, step_time, step_count


def _calls(details: dict[str, ExecutionDetail]) -> list[dict[str, Any]]:
    """The external calls (LLM steps, timed tool calls) in these executions."""
    calls: list[dict[str, Any]] = []
    for execution_id, detail in details.items():
        for step in detail.steps:
            if step.step_type == "llm" and step.duration_s is not None:
                calls.append({"kind": "llm", "name": step.model or step.name,
                              "step_name": step.name, "duration_s": _round(step.duration_s),
                              "execution_id": execution_id})
            for item in step.items:
                millis = item.event.get("duration_ms")
                if item.kind == "tool_call" and isinstance(millis, int | float) \
                        and not isinstance(millis, bool):
                    calls.append({"kind": "tool", "name": str(item.event.get("tool_name")),
                                  "step_name": step.name, "duration_s": _round(millis / 1000),
                                  "execution_id": execution_id})
    calls.sort(key=lambda call: -(call["duration_s"] or 0.0))
    return calls


def explain_latency(ledger: Ledger, current: list[Ended], previous: list[Ended] | None,
                    window: tuple[float | None, float],
                    details: Callable[[list[Ended]], dict[str, ExecutionDetail] | None],
                    members: bool = False) -> dict[str, Any]:
    """The executions at or above p95 and which steps and calls took their time; each
    step's share and count against the previous window's slow executions (`members`:
    each step with the slow executions that ran it)."""
    start, end = window
    p95, slow = _slow(current)
    previous_p95, previous_slow = _slow(previous) if previous is not None else (None, [])
    out: dict[str, Any] = {
        "p95_s": _round(p95), "previous_p95_s": _round(previous_p95), "slow_count": len(slow),
        "previous_slow_count": len(previous_slow) if previous is not None else None,
        "slow": [{"execution_id": e.execution.execution_id,
                  "workflow_name": e.execution.workflow_name,
                  "duration_s": _round(e.duration_s)} for e in slow[:LISTED]],
    }
    slow_details = details(slow)
    if slow_details is None:
        out["by_step"] = out["slowest_calls"] = None
        out["note"] = "step shares and calls need the log lines, which were not kept"
        return out
    total, step_time, step_count = _step_time(slow, slow_details)
    before: tuple[float, dict[str, float], Counter[str]] | None = None
    if previous is not None:
        before = _step_time(previous_slow, details(previous_slow) or {})
    previous_start = None if start is None or previous is None else start - (end - start)
    rows = []
    for name, spent in sorted(step_time.items(), key=lambda item: (-item[1], item[0]))[:TOP]:
        row: dict[str, Any] = {
            "step_name": name, "share": round(spent / total, 4) if total else None,
            "total_s": _round(spent), "count": step_count[name],
            "p95_s": _round(_step_p95(ledger, name, start, end)),
            "previous_p95_s": _round(_step_p95(ledger, name, previous_start, start))
            if start is not None and previous is not None else None,
            "previous": None, "previous_share": None, "change": None}
        if before is not None:
            old_total, old_time, old_count = before
            row.update(previous=old_count[name], change=step_count[name] - old_count[name],
                       previous_share=round(old_time.get(name, 0.0) / old_total, 4)
                       if old_total else None)
        rows.append(row)
    if members:
        with_members(rows, "step_name",
                     ((step.name, execution_id) for execution_id, detail in slow_details.items()
                      for step in detail.steps if step.duration_s is not None))
    out["by_step"] = rows
    out["slowest_calls"] = _calls(slow_details)[:TOP]
    return out


def explain_active(ledger: Ledger, now: float, since: float | None = None,
                   at: float | None = None, members: bool = False) -> dict[str, Any]:
    """Executions running at `at` (the window's end; None: `now`) by workflow, against
    those running at `since` (the window's start; None: no comparison), and the oldest
    of them first. At a past moment of the log, the steps open then are not known."""
    idle = ledger.idle_timeout
    summaries = list(ledger.summaries())  # read twice
    moment = now if at is None or at >= now else at
    ends = {id(e): e.end_ts(e.status(now, idle)) for e in summaries}

    def running_at(execution: Execution, when: float) -> bool:
        """Begun by then, and not ended by then (or still running)."""
        ended = ends[id(execution)]
        return execution.first_ts <= when and (ended is None or ended > when)

    running = [e for e in summaries if running_at(e, moment)]
    running.sort(key=lambda e: (e.first_ts, e.seq))
    before = None
    if since is not None:
        before = [e.workflow_name or NO_WORKFLOW for e in summaries if running_at(e, since)]
    by_workflow = breakdown([e.workflow_name or NO_WORKFLOW for e in running], before,
                            "workflow_name")
    if members:
        with_members(by_workflow, "workflow_name",
                     ((e.workflow_name or NO_WORKFLOW, e.execution_id) for e in running))
    return {
        "running": len(running),
        "previous_running": len(before) if before is not None else None,
        "by_workflow": by_workflow,
        "oldest": [{"execution_id": e.execution_id, "workflow_name": e.workflow_name,
                    "running_for_s": _round(max(moment - e.first_ts, 0.0)),
                    "open_steps": sorted(e.open_steps) if moment == now else None}
                   for e in running[:LISTED]],
    }


def queue_growth(points: Iterable[tuple[float, float]], start: float | None, end: float,
                 threshold: float | None) -> dict[str, Any]:
    """Queue depth's growth per minute over the window (least-squares slope of its
    readings) and, at that rate, the time left until it passes the threshold."""
    picked = sorted((t, v) for t, v in points if (start is None or t > start) and t <= end)
    out: dict[str, Any] = {"readings": len(picked),
                           "depth": picked[-1][1] if picked else None,
                           "growth_per_min": None, "threshold": threshold,
                           "time_to_threshold_s": None}
    if len(picked) < 2 or picked[0][0] == picked[-1][0]:
        return out
    mean_t = sum(t for t, _ in picked) / len(picked)
    mean_v = sum(v for _, v in picked) / len(picked)
    spread = sum((t - mean_t) ** 2 for t, _ in picked)
    slope = sum((t - mean_t) * (v - mean_v) for t, v in picked) / spread  # per second
    out["growth_per_min"] = _round(slope * 60.0)
    depth = picked[-1][1]
    if threshold is not None:
        if depth > threshold:
            out["time_to_threshold_s"] = 0
        elif slope > 0:
            out["time_to_threshold_s"] = _round((threshold - depth) / slope)
    return out


def explain(ledger: Ledger, *, window_s: float | None, end: float, now: float,
            thresholds: Iterable[Threshold] = (), members: bool = False) -> dict[str, Any]:
    """Every figure's breakdown over the window (end - window_s, end], and the previous
    window of the same length before it (none with window_s None: everything).
    `members` (the TUI's "why"): each group also lists the ids of the executions it
    counted, and `end` says where the window ended."""
    start = None if window_s is None else end - window_s
    current = _ended(ledger, start, end, now)
    # A previous window the log does not reach into is no data, not "0 failed of 0":
    # every group would read "+N" against nothing.
    covered = start is not None and window_s is not None and _log_reaches(ledger, start)
    previous = _ended(ledger, start - window_s, start, now) \
        if covered and start is not None and window_s is not None else None
    idle = ledger.idle_timeout

    def details(group: list[Ended]) -> dict[str, ExecutionDetail] | None:
        return _details(group, now, idle)

    limits = {t.name: t.above for t in thresholds if t.enabled}
    out: dict[str, Any] = {
        "window_s": window_s,
        "error_rate": explain_error_rate(current, previous, details, members),
        "latency_p95_s": explain_latency(ledger, current, previous, (start, end), details,
                                         members),
        "active_workflows": explain_active(ledger, now, start if covered else None, at=end,
                                           members=members),
        "queue_depth": queue_growth(ledger.queue_depth_points, start, end,
                                    limits.get("queue_depth")),
    }
    if members:
        out["end"] = end
    if start is not None and not covered:
        out["previous_note"] = "no previous window: the log starts inside this one"
    if ledger.kept.folded_count:
        out["note"] = (f"{ledger.kept.folded_count} older executions were folded into samples "
                       "and are counted in the figures but not itemised here")
    return out


def _log_reaches(ledger: Ledger, moment: float) -> bool:
    """Whether the log holds anything from before `moment` (folded executions count)."""
    oldest = ledger.kept.folded_oldest_ts
    if oldest is not None and oldest < moment:
        return True
    return any(execution.first_ts < moment for execution in ledger.summaries())


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
