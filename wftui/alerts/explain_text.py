"""The text form of an explanation (`wftui check --explain --format text`)."""

from __future__ import annotations

from typing import Any

from wftui.core import format as fmt


def _change(row: dict[str, Any]) -> str:
    """  (+3 vs previous window: 0, 0%): the count's change, then the previous window's
    count and share."""
    change = row.get("change")
    if change is None:
        return ""
    share = row.get("previous_share")
    was = fmt.count(row.get("previous")) + (f", {_share(share)}" if share is not None else "")
    return (f"  ({'+' if change > 0 else ''}{change:,} vs previous window: {was})" if change
            else f"  (same count as previous window: {was})")


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def _rows(title: str, rows: list[dict[str, Any]] | None, key: str) -> list[str]:
    if rows is None:
        return []
    if not rows:
        return [f"  {title}: none"]
    lines = [f"  {title}:"]
    for row in rows:
        lines.append(f"    {fmt.count(row['count']):>5}  {_share(row.get('share')):>4}  "
                     f"{fmt.visible(str(row[key]))}{_change(row)}")
    return lines


def explain_lines(explain: dict[str, Any]) -> list[str]:
    """Each figure's breakdown, a few lines each, largest groups first."""
    lines: list[str] = []
    if "error_rate" in explain:
        lines += _log_lines(explain)
    metrics = explain.get("metrics")
    if metrics is not None:
        lines += _metric_lines(metrics)
    return lines


def _metric_lines(metrics: dict[str, Any]) -> list[str]:
    """The metrics' label breakdowns: failures by workflow_name, time by step_name and
    by step_type, each against the previous window."""
    origin = " (since the targets started)" if metrics.get("since_start") else ""
    lines = [_queue_line(metrics["queue_depth"], " (metrics)")]
    failures = metrics["error_rate"]
    before = (f" (previous window {fmt.count(failures['previous_failed'])} of "
              f"{fmt.count(failures['previous_ended'])})"
              if failures.get("previous_failed") is not None else "")
    lines.append(f"why error rate (metrics{origin}): {fmt.count(failures['failed'])} failed "
                 f"of {fmt.count(failures['ended'])} ended{before}")
    lines.append("  by workflow:" if failures["by_workflow"] else "  by workflow: none")
    for row in failures["by_workflow"]:
        lines.append(f"    {fmt.count(row['count']):>5}  {_share(row['share']):>4}  "
                     f"{fmt.visible(str(row['workflow_name']))}  "
                     f"(error rate {fmt.percent(row['error_rate'])}){_change(row)}")
    latency = metrics["latency_p95_s"]
    lines.append(f"why latency p95 (metrics{origin}): time by step, largest first")
    for row in latency["by_step"]:
        at_least = "≥ " if row.get("at_least") else ""
        kind = f" ({fmt.visible(str(row['step_type']))})" if row.get("step_type") else ""
        lines.append(f"    {_share(row['share']):>4}  {fmt.visible(str(row['step_name']))}"
                     f"{kind}  p95 {at_least}{fmt.seconds(row['p95_s'])} (previous "
                     f"{fmt.seconds(row['previous_p95_s'], 'none')}); "
                     f"{fmt.count(row['count'])} calls{_change(row)}")
    if latency["by_step_type"]:
        lines.append("  time by step type:")
    for row in latency["by_step_type"]:
        lines.append(f"    {_share(row['share']):>4}  {fmt.visible(str(row['step_type']))}  "
                     f"{fmt.seconds(row['total_s'])}, {fmt.count(row['count'])} calls"
                     f"{_change(row)}")
    if metrics.get("previous_note"):
        lines.append(f"  note: {metrics['previous_note']}")
    return lines


def _log_lines(explain: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    errors = explain["error_rate"]
    before = (f" (previous window {fmt.count(errors['previous_failed'])} of "
              f"{fmt.count(errors['previous_ended'])})"
              if errors.get("previous_failed") is not None else "")
    weighted = (f"; error rate {fmt.percent(errors.get('error_rate'))} weighted by sampling"
                if errors.get("weighted") else "")  # the figure's rate, not failed/ended
    lines.append(f"why error rate: {fmt.count(errors['failed'])} failed of "
                 f"{fmt.count(errors['ended'])} ended"
                 f"{before}{weighted}")
    lines += _rows("by step", errors["by_step"], "step_name")
    lines += _rows("by error", errors["by_error"], "error")
    lines += _rows("by workflow", errors["by_workflow"], "workflow_name")
    lines += _rows("by model", errors.get("by_model"), "model")
    lines += _rows("by tool", errors.get("by_tool"), "tool_name")
    latency = explain["latency_p95_s"]
    lines.append(f"why latency p95: {fmt.seconds(latency['p95_s'])} (previous window "
                 f"{fmt.seconds(latency['previous_p95_s'])}); {fmt.count(latency['slow_count'])} "
                 "executions at or above it")
    for slow in latency["slow"][:5]:
        lines.append(f"    {fmt.seconds(slow['duration_s']):>8}  "
                     f"{fmt.visible(str(slow['execution_id']))}  "
                     f"{fmt.visible(str(slow['workflow_name'] or ''))}")
    if latency.get("by_step"):
        lines.append("  time of the slow executions by step:")
        for row in latency["by_step"]:
            lines.append(f"    {_share(row['share']):>4}  {fmt.visible(row['step_name'])}  "
                         f"p95 {fmt.seconds(row['p95_s'])} (previous "
                         f"{fmt.seconds(row['previous_p95_s'], 'none')}); in "
                         f"{fmt.count(row['count'])}{_change(row)}")
    if latency.get("slowest_calls"):
        lines.append("  slowest external calls:")
        for call in latency["slowest_calls"]:
            lines.append(f"    {fmt.seconds(call['duration_s']):>8}  {call['kind']} "
                         f"{fmt.visible(str(call['name']))} in "
                         f"{fmt.visible(str(call['step_name']))} "
                         f"({fmt.visible(str(call['execution_id']))})")
    active = explain["active_workflows"]
    before = (f" ({fmt.count(active['previous_running'])} at the window's start)"
              if active.get("previous_running") is not None else "")
    lines.append(f"why active workflows: {fmt.count(active['running'])} running{before}")
    lines += _rows("by workflow", active["by_workflow"], "workflow_name")
    if active["oldest"]:
        lines.append("  oldest first:")
        for row in active["oldest"][:5]:
            lines.append(f"    {fmt.seconds(row['running_for_s']):>8}  "
                         f"{fmt.visible(str(row['execution_id']))}  "
                         f"{fmt.visible(str(row['workflow_name'] or ''))}")
    lines.append(_queue_line(explain["queue_depth"]))
    for note in (explain.get("note"), explain.get("previous_note"), errors.get("note"),
                 latency.get("note")):
        if note:
            lines.append(f"  note: {note}")
    return lines


def _queue_line(queue: dict[str, Any], origin: str = "") -> str:
    growth = queue["growth_per_min"]
    left = queue["time_to_threshold_s"]
    rate = "not enough readings" if growth is None else f"{growth:+,.1f}/min"
    reach = ("" if left is None else "; above the threshold now" if left == 0
             else f"; reaches {fmt.count(queue['threshold'])} in {fmt.seconds(left)}")
    return f"why queue depth{origin}: {fmt.count(queue['depth'])}, growth {rate}{reach}"
