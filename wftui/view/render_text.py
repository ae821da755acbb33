"""The plain-text form of a snapshot (`wftui check --format text`, `wftui watch`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wftui.core import format as fmt
from wftui.core.figures import rounded
from wftui.core.snapshot import Snapshot
from wftui.core.thresholds import Alert
from wftui.core.timestamps import format_timestamp

# A step name is a span's name: a huge one is cut, or its line is as long as it is.
STEP_NAME_CHARS = 120


def snapshot_text(snapshot: Snapshot, marks: Mapping[str, str] | None = None) -> str:
    """A short report, one figure a line, readable in a terminal or an email.

    marks: per threshold, what follows its state ("silenced until 14:05 by ana: ...").
    """
    figures = snapshot.figures()
    end = format_timestamp(snapshot.window_end) or "no events"
    fell_back = " (no recent events: ends at the newest)" if snapshot.window_fallback else ""
    past = " (as it stood then: --at)" if snapshot.at is not None else ""
    lines = [f"window      {fmt.window(snapshot.window_s)} ending {end}{fell_back}{past}"]
    for source in snapshot.sources:
        if source.get("kind") == "file":
            detail = (f"{source['lines']} lines, {source['events']} events, "
                      f"{source['malformed']} malformed")
            long_lines = int(source.get("skipped_long_lines") or 0)
            if long_lines:  # never read: neither events nor malformed (see the warnings)
                detail += f", {long_lines} long line{'' if long_lines == 1 else 's'} skipped"
        elif source.get("kind") == "otlp":
            detail = (f"{source['spans']} spans, {source['rejected_spans']} rejected, "
                      f"{source.get('log_records', 0)} log records, "
                      f"{source.get('rejected_log_records', 0)} rejected, "
                      f"{source['refused_requests']} requests refused"
                      + (f", {fmt.visible(str(source['open']))}" if source.get("open")
                         else ""))
        else:
            detail = "up" if source.get("status") == "ok" else "down"
        problem = f" ({fmt.visible(str(source['error']))})" if source.get("error") else ""
        name = fmt.visible(str(source["name"]))
        lines.append(f"source      {name}: {source.get('status')}: {detail}{problem}")
    if snapshot.logs is not None:
        ex = snapshot.executions
        lines.append(f"executions  {fmt.count(ex['total'])} total: "
                     f"{fmt.count(ex['running'])} running, {fmt.count(ex['succeeded'])} "
                     f"succeeded, {fmt.count(ex['failed'])} failed")
    flags = snapshot.metrics_flags()
    if flags.get("since_start"):
        lines.append("metrics     since the targets started (one scrape so far), "
                     "not the window")
    if flags.get("stale"):
        lines.append("metrics     STALE: a target is down; "
                     + ("its last good values are shown" if flags.get("stale_shown")
                        else "nothing from it yet"))
    latency = figures["latency_s"]
    at_least = flags.get("latency_at_least", {})
    quantiles = "  ".join(
        f"{q} {'≥ ' if at_least.get(q) else ''}{fmt.seconds(latency[q])}"
        for q in ("p50", "p95", "p99"))
    # Figures counted from sampled traces say so (docs/figures.md, "Sampled traces").
    basis = {key: f"  (from {value})" if value not in (None, "logs", "metrics") else ""
             for key, value in snapshot.basis().items()}
    lines.append(f"error rate  {fmt.percent(figures['error_rate'])}{basis['error_rate']}")
    lines.append(f"latency     {quantiles}{basis['latency_s']}")
    lines.append(f"throughput  {fmt.rate_per_min(figures['throughput_per_min'])}"
                 f"{basis['throughput_per_min']}")
    lines.append(f"active      {fmt.count(figures['active_workflows'])}")
    lines.append(f"queue depth {fmt.count(figures['queue_depth'])}")
    for name, stats in figures["step_latency_s"].items():
        # A metrics step quantile in the +Inf bucket is a lower bound, as above.
        beyond = stats.get("at_least") or {}
        step_quantiles = "  ".join(
            f"{q} {'≥ ' if beyond.get(q) else ''}{fmt.seconds(stats[q])}"
            for q in ("p50", "p95", "p99"))
        shown = fmt.clip(fmt.visible(name), STEP_NAME_CHARS) or "(unnamed step)"
        lines.append(f"step        {shown}: {step_quantiles}  "
                     f"({_done(stats['count'])} done)")
    for state in snapshot.thresholds:
        mark = {"firing": "FIRING", "pending": "pending", "no_data": "no data"}.get(
            state.state, "ok")
        if marks and state.name in marks:
            mark += f" · {marks[state.name]}"
        quantile = state.name.removeprefix("latency_").removesuffix("_s")
        bound = "≥ " if state.value is not None and at_least.get(quantile) else ""
        line = (f"threshold   {state.name}: {mark}, value {bound}"
                f"{fmt.threshold_figure(state.name, state.value)} (breach above "
                f"{fmt.threshold_figure(state.name, state.threshold)})")
        if state.state == "firing":
            line += f" -- {state.action}"
        lines.append(line)
    for warning in snapshot.warnings:
        lines.append(f"warning     {fmt.visible(warning)}")
    return "\n".join(lines) + "\n"


def _done(count: float | None) -> str:
    """How many steps ended: a Prometheus server's `increase()` extrapolates to the
    window's edges (176.887402), which is an estimate of a whole number: ≈177."""
    if count is None or float(count).is_integer():
        return fmt.count(count, "?")
    return f"≈{round(count):,}"


def alert_entry(alert: Alert) -> dict[str, Any]:
    """An alert of `check --alerts` as JSON: when it fired and cleared (null: still
    firing at the end), its worst value, and how far apart the log was judged (a time
    judged along a log is the first moment judged past the crossing)."""
    return {"name": alert.name, "fired_at": format_timestamp(alert.fired_at),
            "cleared_at": format_timestamp(alert.cleared_at),
            "peak": rounded(alert.peak),
            "judged_every_s": rounded(alert.fired_within_s, 3)}


def alert_lines(alerts: list[Alert]) -> list[str]:
    """`check --alerts --format text`: one line an alert, oldest first."""
    if not alerts:
        return ["alerts      none fired along the log"]
    lines = []
    for alert in alerts:
        near = "≈" if alert.fired_within_s is not None else ""
        cleared = (f"cleared {near}{format_timestamp(alert.cleared_at)}"
                   if alert.cleared_at is not None else "still firing at the end")
        lines.append(f"alert       {alert.name} fired {near}{format_timestamp(alert.fired_at)}"
                     f" · {cleared} · peak {fmt.threshold_figure(alert.name, alert.peak)}")
    return lines
