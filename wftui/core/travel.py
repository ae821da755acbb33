"""The monitor at a past moment of the log: figures, thresholds, alerts and executions
as they stood then (`wftui check --at`, and the monitor's history mode).

Figures and executions come from `LogHistory` (the log's own timestamps); thresholds
are judged along the log from its start up to the moment, so `for` and `clear` play
out as they would have live, and the alerts are those fired by then.
"""

from __future__ import annotations

import sys
import time
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from wftui.core.execution import RUNNING, Execution, ExecutionRow
from wftui.core.history import LogHistory, step_latency_at
from wftui.core.json_out import dumps
from wftui.core.ledger import Ledger
from wftui.core.mapping import LogMapping
from wftui.core.parse import load_line
from wftui.core.snapshot import Snapshot
from wftui.core.steps import ExecutionDetail, Normalize, build_detail
from wftui.core.thresholds import ThresholdEngine, ThresholdState
from wftui.core.timestamps import format_timestamp, parse_timestamp

KEEP: Any = object()  # "the same window as the figures"


def counts_at(history: LogHistory, at: float) -> dict[str, int]:
    """Executions begun by `at`: total, running then, succeeded and failed by then."""
    ended = bisect_right(history.ends, at)
    failed = history.failed_before[ended]
    if history.unknown_ends:
        # Trace-only executions of unknown sampling are kept apart from the figures'
        # ends: uncounted, a trace file's moment read '3 total: 0 running, 0
        # succeeded, 0 failed' beside an error rate of 50%.
        unknown = bisect_right(history.unknown_ends, at)
        ended += unknown
        failed += history.unknown_failed_before[unknown]
    running = bisect_right(history.starts, at) - bisect_right(history.stops, at)
    return {"total": bisect_right(history.starts, at), "running": running,
            "succeeded": ended - failed, "failed": failed}


NO_QUEUE_HISTORY = "no history for queue depth"


def queue_note(history: LogHistory, at: float, queue_now: float | None) -> str | None:
    """Why a past moment has no queue depth while there is one now (None: there is
    none now either, nothing to explain)."""
    first = history.queue.first
    if first is not None and first > at:
        return (f"{NO_QUEUE_HISTORY} at {format_timestamp(at)}: the log's first reading "
                f"is at {format_timestamp(first)}")
    if first is None and queue_now is not None:
        return (f"{NO_QUEUE_HISTORY}: the log reports none, and the metrics give only "
                "the value now")
    return None


def _line_event(raw: bytes, normalize: Normalize | None) -> dict[str, Any] | None:
    """A kept line as the step tree reads it, in our shape (None: not an object)."""
    event = load_line(raw)
    if type(event) is not dict:
        return None
    return normalize(event) if normalize is not None else event


# What a whole step's start says (a span's `step_start`, before spans were one line).
_START_FIELDS = ("execution_id", "step_name", "step_type", "step_id", "parent_step_id")


def _start_line(event: dict[str, Any], start: float, mapping: LogMapping | None) -> bytes:
    """A `step_start` line for a whole step (`event`, in our shape) that began at
    `start`, in the log's own shape (`mapping`'s paths and event name) so that it is
    read as the log's other lines are."""
    line: dict[str, Any] = {}
    kind = "step_start"
    if mapping is not None:
        kind = next((theirs for theirs, ours in mapping.events.items()
                     if ours == kind), kind)
    for name, value in (("event", kind), ("timestamp", start),
                        *((name, event.get(name)) for name in _START_FIELDS)):
        if value is None:
            continue
        paths = mapping.fields.get(name) if mapping is not None else None
        path = paths[0] if paths else (name,)
        node = line
        for key in path[:-1]:
            node = node.setdefault(key, {})
            if type(node) is not dict:
                break
        else:
            node[path[-1]] = value
    return dumps(line)  # a step_id past 64 bits, as logged


def lines_by(execution: Execution, at: float, mapping: LogMapping | None = None
             ) -> list[tuple[bytes, float | None]]:
    """The execution's kept lines logged at or before `at`, in read order, each with
    the time it was read at when it had no timestamp of its own (else None). A whole
    step (one line at its end: a span's) that had begun by `at` but not ended is
    there as the `step_start` it was then."""
    normalize = mapping.contract_dict if mapping is not None else None
    read_times = execution.read_times or {}
    out: list[tuple[bytes, float | None]] = []
    for index, raw in enumerate(execution.raw):
        read_at = read_times.get(index)
        ts: float | None = read_at
        if ts is None:
            event = _line_event(raw, normalize)
            ts = None if event is None else parse_timestamp(event.get("timestamp"))
            if ts is not None and ts > at and event is not None \
                    and event.get("event") == "step_complete":
                start = parse_timestamp(event.get("start_timestamp"))
                if start is not None and start <= at:
                    out.append((_start_line(event, start, mapping), None))
                continue
        if ts is None or ts <= at:  # a line of no time is kept as the ledger kept it
            out.append((raw, read_at))
    return out


def executions_at(executions: Iterable[Execution], at: float,
                  idle_timeout: float | None, mapping: LogMapping | None = None
                  ) -> dict[str, Execution]:
    """Each execution as it stood at `at`: its kept lines logged by then, folded again
    the ledger's own way (steps, errors, tokens, cost as of then; lines kept for the
    step tree), all in one scratch ledger. One with no kept line that old is absent."""
    scratch = Ledger(retention=sys.maxsize, idle_timeout=idle_timeout, malformed_kept=1,
                     mapping=mapping)
    source = "as of"
    batch: list[bytes] = []
    wanted = []
    for execution in executions:
        wanted.append(execution.execution_id)
        for raw, read_at in lines_by(execution, at, mapping):
            if read_at is None:
                batch.append(raw)
                continue
            if batch:
                scratch.ingest_lines(source, 1, batch, at)
                batch = []
            scratch.ingest_lines(source, 1, [raw], read_at)  # stamped when it was read
    if batch:
        scratch.ingest_lines(source, 1, batch, at)
    return {key: then for key in wanted if (then := scratch.get(key)) is not None}


def ended_by(execution: Execution, at: float, log_now: float,
             idle_timeout: float | None) -> bool:
    """Had it ended by `at`, as the whole log tells (the same end the figures and the
    counts of that moment use)?"""
    status = execution.status(log_now, idle_timeout)
    end = execution.end_ts(status)
    return status != RUNNING and end is not None and end <= at


def row_at(execution: Execution, at: float, log_now: float, idle_timeout: float | None,
           then: Execution | None = None) -> ExecutionRow:
    """The executions table's row of `execution` at `at` (begun by then); `then`: the
    execution as it stood at `at` (`executions_at`), for one that had not ended.

    One that had ended by then is its final row. One that ended later (or never) was
    running then, aged to `at`, its steps, errors, tokens and cost as logged by then.
    Its status follows the whole log's end time, not what a live monitor guessed then
    (an error logged before `at` in an execution that went on is an error so far, not
    yet a failure): the row agrees with the panels and counts of that moment.
    """
    if ended_by(execution, at, log_now, idle_timeout):
        return execution.row(log_now, idle_timeout)
    base = (then or execution).row(at, idle_timeout)
    if then is None:  # no kept line that old (cut from a huge one): nothing counted
        base = replace(base, steps=0, errors=0, input_tokens=0, output_tokens=0,
                       cost_usd=None, failed_step=None, first_error=None)
    return replace(base, status=RUNNING, start_ts=execution.first_ts, end_ts=None,
                   duration_s=None, running_for_s=max(at - execution.first_ts, 0.0),
                   seq=execution.seq, replay_of=execution.replay_of,
                   replays=tuple(execution.replays))


def rows_at(ledger: Ledger, at: float, log_now: float) -> tuple[ExecutionRow, ...]:
    """Rows of the retained executions begun by `at`, as they stood then (`row_at`);
    replays begun after `at` are not listed as replays yet."""
    idle = ledger.idle_timeout
    executions = ledger.executions
    begun = [execution for execution in executions.values() if execution.first_ts <= at]
    # Only those running at `at` are folded again (as many as were active then).
    then = executions_at((execution for execution in begun
                          if not ended_by(execution, at, log_now, idle)),
                         at, idle, ledger.mapping)
    rows = []
    for execution in begun:
        row = row_at(execution, at, log_now, idle, then.get(execution.execution_id))
        if row.replays:
            row = replace(row, replays=tuple(
                replay for replay in row.replays
                if (other := executions.get(replay)) is not None and other.first_ts <= at))
        rows.append(row)
    return tuple(rows)


def detail_at(execution: Execution, at: float, log_now: float,
              idle_timeout: float | None, mapping: LogMapping | None = None
              ) -> ExecutionDetail | None:
    """The step tree of `execution` as it stood at `at`: only what was logged by then,
    and running if it ended later (as its row at `at` says). None: not begun by then."""
    if execution.first_ts > at:
        return None
    normalize = mapping.contract_dict if mapping is not None else None
    if ended_by(execution, at, log_now, idle_timeout):
        return build_detail(execution, log_now, idle_timeout, normalize)
    then = executions_at([execution], at, idle_timeout, mapping).get(execution.execution_id)
    if then is None:
        return None
    detail = build_detail(then, at, idle_timeout, normalize)
    detail.status, detail.end_ts, detail.duration_s = RUNNING, None, None
    detail.start_ts = execution.first_ts
    detail.replay_of = execution.replay_of
    detail.replays = []  # a replay is something done after the moment
    detail.lines_not_kept = execution.raw_dropped
    return detail


def snapshot_at(ledger: Ledger, engine: ThresholdEngine, at: float,
                window_s: float | None, *, log_now: float,
                sources: tuple[dict[str, Any], ...] = (), warnings: tuple[str, ...] = (),
                with_rows: bool = False, history: LogHistory | None = None,
                alert_window_s: Any = KEEP, queue_now: float | None = None) -> Snapshot:
    """What the monitor showed at `at` (a moment of the log); `engine` should be fresh:
    it is run along the log up to `at`. log_now: the log's now (its end, or the wall
    clock for a live log), which says which executions are still running. Thresholds
    are judged on `alert_window_s` (default: `window_s`). queue_now: the queue depth
    the metrics give now (they have no past here), to say it has no history."""
    if history is None:
        history = LogHistory(ledger, log_now)
    judge_window = window_s if alert_window_s is KEEP else alert_window_s
    judged = history.judge(engine, judge_window, until=at)
    figures = history.figures_at(at, window_s, step_latency_at(ledger, at, window_s))
    states: Sequence[ThresholdState] = judged[-1].states if judged else ()
    if not judged:
        # Queue readings alone (no execution): nothing to judge along the log's time;
        # judged at `at` alone, as the log's end is, or every panel read "threshold
        # off" (the other figures are no data then, and judged so).
        states, _ = engine.update(figures.as_dict(), at)
    note = queue_note(history, at, queue_now) if figures.queue_depth is None else None
    if note is not None:
        warnings = (*warnings, note)
    if figures.throughput_note:  # as the figures of now say it
        warnings = (*warnings, figures.throughput_note)
    return Snapshot(
        taken_at=time.time(),
        window_s=window_s,
        window_end=at,
        window_fallback=False,
        sources=sources,
        executions=counts_at(history, at),
        logs=figures,
        metrics=None,
        thresholds=tuple(states),
        alerts=tuple(engine.alerts()),
        folded=ledger.kept.folded_count,
        late_events=ledger.late_events,
        malformed_total=ledger.malformed_total,
        recent_malformed=tuple(ledger.malformed),
        rows=rows_at(ledger, at, log_now) if with_rows else (),
        warnings=warnings,
        alert_window_s=judge_window,
        at=at,
    )
