"""The ledger: every event read, folded into executions, step samples and counts.

`Ledger.ingest_lines` is the hot path of the whole tool (one call per batch of lines),
so it is written flat: local names, no per-line Python function calls on the clean
path, one typed `LogEvent` per line (`wftui.core.parse`) thrown away once summarised.
Memory is bounded: the most recent `retention` executions keep their raw lines; older
ones are folded into compact samples (`SampleSeries`) that the figures still count.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from wftui.core.changes import ExecutionChanges
from wftui.core.error_text import event_error
from wftui.core.event_lines import events_of
from wftui.core.execution import (
    MAX_RAW_LINES,
    Execution,
    add_step_details,
    note_early_completion,
    note_failure,
    pop_start,
    push_start,
    trim_raw,
)
from wftui.core.mapping import LogMapping, status_words
from wftui.core.parse import (
    LogEvent,
    check_event,
    decode_event,
    event_from,
    event_time,
    excerpt,
    no_execution_id,
    read_json,
    read_line,
)
from wftui.core.quantiles import SampleSeries
from wftui.core.queue_history import QueueHistory
from wftui.core.replay_links import ReplayLinks
from wftui.core.retention import Retention
from wftui.core.sampling import stated_count
from wftui.core.step_nesting import ROOT, StepNesting, told_before
from wftui.core.step_samples import StepSamples
from wftui.core.step_twins import StepTwins, twins_from
from wftui.core.timestamps import EPOCH_NAIVE, EPOCH_UTC, MAX_EPOCH, MIN_EPOCH, parse_timestamp
from wftui.core.unknown_input import UnknownInput

# Events stamped further than this ahead of the clock do not move the window's end.
FUTURE_TOLERANCE_S = 300.0
# Queue depth readings kept for its growth rate.
QUEUE_POINTS_KEPT = 4096


@dataclass(frozen=True, slots=True)
class MalformedLine:
    """A line that could not be read as an event: where it is and why."""

    source: str
    lineno: int
    reason: str
    text: str


@dataclass(slots=True)
class SourceCounts:
    """Per-source outcome of every non-empty line: an event, or malformed."""

    events: int = 0
    malformed: int = 0
    # An OTLP JSON file's lines read as requests (`LineRouter`): its events are made of
    # their spans, so they do not count its lines.
    requests: int = 0
    otlp: bool = False  # read as an OTLP file (its lines are requests, not events)
    # Events read after the fact with no time wftui can read (absent, or text such as
    # "07/11/2026 08:00:05"): placed at the newest time before them, or at the time read.
    # The operator is told (`understood.log_warnings`): a month-old log whose times are
    # not understood would otherwise read as live, with nothing said.
    untimed: int = 0
    untimed_example: str | None = None  # the first unreadable time, as the log wrote it


# The fields figures read, each of one JSON type (docs/log-format.md): a value of
# another type is read as absent, and counted (`Ledger._note_wrong_types`).
TYPED_FIELDS = ("success", "status", "duration_ms", "input_tokens", "output_tokens",
                "cost_usd", "value")
#: Those read from one kind of event only: elsewhere the field is the log's own (a
#: step's HTTP status of 200, a result "ok"), no figure goes without it.
READ_ONLY_FROM = {"success": "step_complete", "status": "workflow_complete",
                  "value": "queue_depth"}


def json_kind(value: Any) -> str:
    """A JSON value's type in the operator's words."""
    if type(value) is str:
        return "text"
    if type(value) is bool:
        return "true/false"
    if type(value) is float:
        return "a number with a fraction"
    if type(value) is int:
        return "a number"
    return "an object" if type(value) is dict else "a list"


def _nest(execution: Execution, step_id: str | None, parent_id: str | None) -> None:
    """A logged step with ids was counted: steps with ids may nest, and the table counts
    the top level, so those now known to be inside another are taken back. (A whole
    step's, a span's above all, is this inline in `Ledger.ingest_lines`.)"""
    nesting = execution.nesting
    if type(nesting) is not StepNesting:
        nesting = _nesting(execution)
    execution.steps -= nesting.started(step_id, parent_id) or 0  # (None: spans only)


def _nesting(execution: Execution) -> StepNesting:
    """The execution's first step with ids: its nesting begins (with its root span's
    id, when only that was kept)."""
    nesting = execution.nesting = StepNesting(cast("str | None", execution.nesting))
    return nesting


def _take_back(execution: Execution, keep_raw: bool) -> None:
    """The line just kept (or counted as not kept) was a span sent again: read, but
    neither counted nor kept twice (the step tree would show it twice)."""
    if keep_raw:
        raw = execution.raw
        if execution.read_times:
            execution.read_times.pop(len(raw) - 1, None)
        raw.pop()  # type: ignore[union-attr]  # keep_raw: a list
    else:
        execution.raw_dropped -= 1


def _root_folded(execution: Execution, root_id: str) -> None:
    """The root span's lines were folded (its `workflow_complete`, the last of them):
    sent again, they are not counted again (`step_nesting.told_before`)."""
    nesting = execution.nesting
    if nesting is None:
        execution.nesting = root_id  # a root alone keeps its id, no more
        return
    if isinstance(nesting, str):
        if nesting == root_id:
            return
        nesting = execution.nesting = StepNesting(nesting)
    nesting.ids[root_id] = nesting.ids.get(root_id, 0) | ROOT


class Ledger:
    """Executions and figures' raw material from log events, across all sources."""

    def __init__(self, *, retention: int = 50_000, idle_timeout: float | None = 30.0,
                 sample_cap: int = 1_000_000, malformed_kept: int = 1000,
                 keep_raw: bool = True, step_marks: bool = False,
                 mapping: LogMapping | None = None) -> None:
        self.retention = max(retention, 1)
        # The log's shape when it is not ours (`wftui.core.mapping`): its typed decoder
        # and status words; what was not understood is counted for warnings.
        self.mapping = mapping
        self._decode = mapping.decode if mapping is not None else decode_event
        self._event_type = mapping.event_type if mapping is not None else LogEvent
        self.status_words = status_words(mapping.statuses if mapping is not None else None)
        self.not_understood = UnknownInput()
        # The same containers (never rebound): read by core/understood.py for warnings.
        self.unknown = self.not_understood.words
        self.seen_fields = self.not_understood.fields
        self.seen_values = self.not_understood.values
        # Raw lines feed the step tree; a one-shot `check` shows none, so it counts
        # them (in raw_dropped) instead of keeping them: less memory, less work.
        self.keep_raw = keep_raw
        # A step both logged and traced counts once (`wftui.core.step_twins`). With its
        # lines kept, an execution's step marks are rebuilt from them when its first step
        # of the other kind comes (`_twins`); without them (`check` reading spans beside
        # logs) they are kept from its first completed step on.
        self.step_marks = step_marks and not keep_raw
        self.idle_timeout = idle_timeout
        self.sample_cap = sample_cap
        # Which executions changed since the table last looked (`wftui.core.changes`).
        self.changes = ExecutionChanges()
        self.kept = Retention(self.retention, idle_timeout, sample_cap, keep_raw,
                              self.changes)
        # The same containers as `kept`'s (never rebound): read by figures and snapshots.
        self.executions: dict[str, Execution] = self.kept.executions
        self.dormant = self.kept.dormant
        self.folded = self.kept.folded
        self.links = ReplayLinks(self.retention)
        self.late_events = 0
        self.future_events = 0  # stamped beyond now + FUTURE_TOLERANCE_S
        self.future_newest_ts: float | None = None
        # The newest read time standing for an event's missing (or unusable) time: it
        # places the window only in a log with no time of its own (one such line must
        # not make an old log "live", its window ending today).
        self.untimed_newest_ts: float | None = None
        # Lines read as they are written (a monitor following its files): one without a
        # time of its own takes the time it was read. Until then (a log read after the
        # fact: `check`, the backlog) it is placed at the newest time read before it.
        self.live_lines = False
        self.steps = StepSamples(sample_cap)
        self.step_samples: dict[str, SampleSeries] = self.steps.series  # never rebound
        self.queue_depth: float | None = None
        self.queue_depth_ts: float | None = None
        # Recent readings (time, value): how fast the queue grows (`wftui.core.explain`).
        self.queue_depth_points: deque[tuple[float, float]] = deque(maxlen=QUEUE_POINTS_KEPT)
        # Every reading over the log's time (thinned): the queue depth at a past moment.
        self.queue_history = QueueHistory()
        self.newest_ts: float | None = None
        self.malformed: deque[MalformedLine] = deque(maxlen=malformed_kept)
        self.malformed_total = 0
        self.events_total = 0
        self.unknown_events = 0
        self.sources: dict[str, SourceCounts] = {}
        self.version = 0  # bumped per ingested batch: readers know when to re-render

    # -- ingestion ---------------------------------------------------------------------

    def ingest_lines(self, source: str, first_lineno: int, lines: list[bytes],
                     read_time: float | None = None) -> None:
        """Read consecutive lines of one source (empty ones skipped, not counted)."""
        counts = self.sources.get(source)
        if counts is None:
            counts = self.sources[source] = SourceCounts()
        decode = self._decode
        executions = self.executions
        kept = self.kept
        dormant = kept.dormant
        folded_ids = kept.folded_ids
        close_early = self.steps.close_early
        changed = self.changes.adder()  # per event: the table rebuilds only these rows
        apply = self._apply
        step_samples = self.step_samples
        sample_cap = self.sample_cap
        # The epoch to subtract from an event's datetime: naive ones are UTC; a log
        # stamps all events the same way, so the other kind costs one retry per switch.
        epoch, other_epoch = EPOCH_NAIVE, EPOCH_UTC
        min_epoch, max_epoch = MIN_EPOCH, MAX_EPOCH
        fallback_ts = read_time if read_time is not None else time.time()
        newest = self.newest_ts if self.newest_ts is not None else float("-inf")
        horizon = max(fallback_ts, time.time()) + FUTURE_TOLERANCE_S
        keep_raw = self.keep_raw
        step_marks = self.step_marks
        skipped = 0  # blank or malformed lines; the rest are events (late ones too)
        untimed = -1  # the last line without a time of its own, placed in the log
        live_lines = self.live_lines
        # Lines made of spans come with their events (`EventLines`): not decoded again.
        # A mapped log's decoder reads other fields: its lines are always decoded.
        told: list[Any] | None = events_of(lines) if self.mapping is None else None
        event: Any  # a LogEvent, or the mapped shape's event (the same attributes)
        # The execution whose root span's workflow_start was just read as sent again.
        resent: Execution | None = None
        for lineno, raw in enumerate(lines, first_lineno):
            event = told[lineno - first_lineno] if told is not None else None
            if event is not None:
                execution_id = event.execution_id
            else:
                try:
                    event = decode(raw)
                    execution_id = event.execution_id
                except Exception:  # odd types, odd JSON, deep nesting: the tolerant path
                    execution_id = None
            if execution_id is None:
                odd_event, odd = self._read_odd(source, lineno, raw, fallback_ts, newest)
                if odd_event is None:
                    skipped += odd
                    continue
                event = odd_event
                execution_id = event.execution_id
                assert execution_id is not None  # _read_odd returns events of executions
            kind = event.event
            # Timestamps: the typed decoder read RFC 3339 text in C; epoch numbers (and
            # what `event_from` read) are epoch seconds already, checked once more here.
            stamp = event.timestamp
            if type(stamp) is datetime:
                try:
                    ts = (stamp - epoch).total_seconds()
                except TypeError:  # naive after aware, or aware after naive
                    epoch, other_epoch = other_epoch, epoch
                    ts = (stamp - epoch).total_seconds()
                if not min_epoch <= ts <= max_epoch:  # year 0001 is a broken clock
                    ts = fallback_ts  # identity marks "no timestamp" below
            elif type(stamp) is float and min_epoch <= stamp <= max_epoch:
                ts = stamp  # epoch seconds (OTLP spans' lines): no call needed
            else:  # absent, or epoch ms/us/ns told apart by magnitude, or odd text
                parsed = parse_timestamp(stamp)
                ts = fallback_ts if parsed is None else parsed
            if ts is fallback_ts and not live_lines:
                # No time of its own, in a log read after the fact: it is placed at the
                # newest time read before it, not at the time it was read (in yesterday's
                # log, that was today: its execution ran on to today). Only a log with
                # no time at all has the read time, and it places the window then.
                untimed = lineno
                ts = self._untimed_at(ts, newest)
                counts.untimed += 1
                if counts.untimed_example is None and counts.untimed <= 100:
                    counts.untimed_example = self._time_as_written(raw)
            elif ts > newest:
                if ts <= horizon:
                    newest = ts
                else:
                    # A clock far ahead must not drag the window end (and every figure)
                    # into the future: the event counts, the window ignores its time
                    # (unless every event is that far ahead: see `window_anchor`).
                    self.future_events += 1
                    if self.future_newest_ts is None or ts > self.future_newest_ts:
                        self.future_newest_ts = ts
            if kind == "queue_depth":  # the log's gauge, never part of an execution
                self._queue_depth(event.value, ts)
                continue
            execution = executions.get(execution_id)
            if execution is None and dormant:
                execution = kept.wake(execution_id, self._clock())
            if execution is None:
                if execution_id in folded_ids:
                    # An event of an execution already folded away: counted as an
                    # event (it was read), but its summary is gone.
                    self.late_events += 1
                    continue
                if newest > (self.newest_ts if self.newest_ts is not None else -math.inf):
                    self.newest_ts = newest  # folding (in adopt) measures from it
                execution = Execution(execution_id, ts, 0, keep_raw)
                self.adopt(execution)
            if changed is not None:
                changed(execution_id)
            if not keep_raw:
                execution.raw_dropped += 1
            else:
                if untimed == lineno or ts is fallback_ts:
                    # The step tree re-reads raw lines; it needs the time given to this.
                    if execution.read_times is None:
                        execution.read_times = {}
                    execution.read_times[len(execution.raw)] = ts
                raw_lines = execution.raw
                raw_lines.append(raw)  # type: ignore[union-attr]  # keep_raw: a list
                if len(raw_lines) > MAX_RAW_LINES:
                    trim_raw(execution)
            if ts > execution.last_ts:
                execution.last_ts = ts
            elif ts < execution.first_ts:
                execution.first_ts = ts
            if kind == "step_start":
                execution.steps += 1
                step_id = event.step_id
                if step_id is not None or event.parent_step_id is not None:
                    _nest(execution, step_id, event.parent_step_id)
                key = event.step_name or ""
                open_steps = execution.open_steps
                early = execution.early_completes
                if early and key in early and close_early(execution, key, ts):
                    pass  # its completion was read first (another file): already closed
                elif key in open_steps:
                    push_start(open_steps, key, ts)
                else:
                    open_steps[key] = ts
            elif kind == "step_complete":
                key = event.step_name or ""
                began = event.start_timestamp
                if began is not None and not (type(began) is float
                                              and min_epoch <= began <= max_epoch):
                    # As `timestamp` is read: epoch ms/us/ns by magnitude, RFC 3339
                    # text; one not a time is absent (as the step tree reads it).
                    began = event_time(began)
                traced = event.span_status is not None  # a span's step
                if began is None:
                    start = execution.open_steps.pop(key, None)
                    if isinstance(start, list):
                        start = pop_start(execution.open_steps, key, start)
                else:
                    # A whole step in one line (a span's): counted as its start would
                    # be (above); an open start of its name is another step's.
                    start = began
                    if began < execution.first_ts:  # it ran from its start (a span's)
                        execution.first_ts = began
                    execution.steps += 1
                    step_id = event.step_id
                    if step_id is not None or event.parent_step_id is not None:
                        # `_nest`, inline: every span passes here.
                        nesting = execution.nesting
                        if type(nesting) is not StepNesting:
                            nesting = _nesting(execution)
                        inside = nesting.started(step_id, event.parent_step_id, traced)
                        if inside is None:
                            # A span this execution folded before, sent again (OTLP is
                            # delivered at least once: an export retried after its
                            # answer was lost, a Collector's retry): its step, tokens,
                            # cost and latency counted once. Told where its id is looked
                            # up anyway: a span costs next to nothing more for it.
                            execution.steps -= 1
                            _take_back(execution, keep_raw)
                            continue
                        execution.steps -= inside
                duration = event.duration_ms
                seconds: float | None
                if duration is not None and duration >= 0:
                    seconds = duration / 1000.0
                else:
                    seconds = ts - start if start is not None else None
                failed = event.success is False
                twins = execution.twins
                if twins is None:
                    if keep_raw:
                        if execution.logged if traced else execution.sampling is not None:
                            twins = self._twins(execution)  # its first of the other kind
                    elif step_marks:
                        twins = execution.twins = StepTwins()
                if not traced:  # a logged step: see Execution.logged
                    execution.logged = True
                elif type(execution.sampling) is not float:
                    # Unknown until a root says; another service's root, read as a
                    # step, may say it (`SpanReader._span_lines`).
                    execution.sampling = stated_count(event.sampling)
                if twins is not None and (
                        twins.span_done(key, ts - seconds if seconds is not None else ts, ts)
                        if traced else twins.logged_done(key, ts if start is None else start)):
                    # Logged and traced: counted, sampled (and its tokens added) when its
                    # twin was read; a failure only its second says still fails the run.
                    execution.steps -= 1
                    if failed and not execution.failed:
                        execution.failed = True
                        note_failure(execution, event)
                    continue
                if traced and event.span_status == "error":
                    # A failed span under a root that may still succeed (a retried call):
                    # not a failed run, but the errors column counts it.
                    execution.failed_steps += 1
                if failed or event.input_tokens is not None \
                        or event.output_tokens is not None or event.cost_usd is not None:
                    add_step_details(execution, event, failed)
                if start is None and began is None:
                    note_early_completion(execution, key, ts, failed, seconds is None)
                    if seconds is None:
                        continue  # its sample waits for the start (StepSamples.close_early)
                series = step_samples.get(key)
                if series is None:
                    series = self.steps.series_for(key)
                if failed or seconds is None or len(series.times) >= sample_cap:
                    series.add(ts, seconds, failed)
                else:  # SampleSeries.add inlined for the common case
                    series.times.append(ts)
                    series.values.append(seconds)
            elif kind != "tool_call" and kind != "branch_decision":
                if resent is execution and (event.sampling is not None
                                            or kind == "span_event"):
                    # The rest of that root's lines (they come together, up to its
                    # workflow_complete): its span events, and its error, which names
                    # no step when the root is its own step (an LLM call alone).
                    if kind == "workflow_complete":
                        resent = None
                    _take_back(execution, keep_raw)
                    continue
                if event.sampling is not None and execution.complete_ts is not None \
                        and execution.nesting is not None \
                        and told_before(execution.nesting, event.step_id):
                    # The root span sent again (its lines come before its completion:
                    # the first time, nothing to look up).
                    if kind == "workflow_start":
                        resent = execution
                    _take_back(execution, keep_raw)
                    continue
                apply(execution, kind, event, ts)
                if kind == "error" and execution.first_error is None and told is None:
                    # Only a traceback (structlog's log.exception): its last line is
                    # the error. Read from the line, for the rare error without text
                    # (a span's line is its whole request: its error was told already).
                    execution.first_error = event_error(self._fields(raw))
        events = len(lines) - skipped
        counts.events += events
        self.events_total += events
        # A batch of only malformed or blank lines leaves `newest` at -inf: no time seen.
        if newest != float("-inf") and (self.newest_ts is None or newest > self.newest_ts):
            self.newest_ts = newest
        self.changes.bound()
        self.version += 1

    def _twins(self, execution: Execution) -> StepTwins:
        """Start keeping an execution's step marks (`wftui.core.step_twins`), from the
        lines read before this one."""
        twins = execution.twins = twins_from(execution.raw[:-1], self._decode, event_time)
        return twins

    def _untimed_at(self, read_at: float, newest: float) -> float:
        """The time of a line with no time of its own, in a log read after the fact:
        the newest time read before it. Before any, the time it was read, which then
        places the window only in a log with no time at all (`window_anchor`)."""
        if newest != -math.inf:
            return newest
        if self.untimed_newest_ts is None or read_at > self.untimed_newest_ts:
            self.untimed_newest_ts = read_at
        return read_at

    def _fields(self, raw: bytes) -> dict[str, Any]:
        """A line read again whole, in our shape (a mapped log's fields renamed): for
        what the decoders leave out, on the rare lines that need it."""
        value = read_json(raw)
        if type(value) is not dict:
            return {}
        return self.mapping.contract_dict(value) if self.mapping is not None else value

    def _time_as_written(self, raw: bytes) -> str | None:
        """The time field of a line whose time was not read, as the log wrote it (for the
        warning; once per source: the decoders keep only times they could read)."""
        stamp = self._fields(raw).get("timestamp")
        return None if stamp is None else repr(stamp)[:60]

    def _read_odd(self, source: str, lineno: int, raw: bytes, fallback_ts: float,
                  newest: float = -math.inf) -> tuple[Any, int]:
        """A line the typed decoder refused, or one with no execution_id.

        Returns (event, 0) for an execution's event read the tolerant way; (None, 0) for
        a queue_depth event (handled here); (None, 1) for a blank line (skipped) or a
        malformed one (counted).
        """
        read, value, reason = read_line(raw, self._decode)
        if not read:
            if reason is not None:
                self._reject(source, lineno, reason, raw)
            return None, 1  # malformed (counted), or blank (skipped)
        event: Any  # a LogEvent, or the mapped shape's event (the same attributes)
        if type(value) is self._event_type:
            event = value
            if event.execution_id is None and event.event != "queue_depth":
                # An event with no id: its fields too tell what to map (structlog's
                # `run_id`), if none of the file's lines is an event.
                counts = self.sources.get(source)
                if counts is None or not counts.events:  # only while nothing was read
                    fields = read_json(raw)
                    if type(fields) is dict:
                        self.not_understood.note_fields(source, fields)
                self._reject(source, lineno, no_execution_id(event.event), raw)
                return None, 1
        else:
            if type(value) is dict:
                self.not_understood.note_fields(source, value)
                if self.mapping is not None:
                    value = self.mapping.contract_dict(value)
            reason = check_event(value)
            if reason is not None:
                self._reject(source, lineno, reason, raw)
                return None, 1
            event = event_from(value)
            self._note_wrong_types(value, event)
        if event.execution_id is not None:
            return event, 0
        ts = event_time(event.timestamp)
        if ts is None and not self.live_lines:  # as in ingest_lines: placed in the log
            self._queue_depth(event.value, self._untimed_at(fallback_ts, newest))
            return None, 0
        if ts is None:
            ts = fallback_ts  # read as it was written: then
        if ts > max(fallback_ts, time.time()) + FUTURE_TOLERANCE_S:
            self.future_events += 1  # as in ingest_lines: the window ignores its time
            if self.future_newest_ts is None or ts > self.future_newest_ts:
                self.future_newest_ts = ts
        elif self.newest_ts is None or ts > self.newest_ts:
            self.newest_ts = ts
        self._queue_depth(event.value, ts)
        return None, 0

    def _note_wrong_types(self, value: dict[str, Any], event: LogEvent) -> None:
        """Count the figures' fields this line holds in another JSON type (a boolean or a
        number written as text): they are read as absent, and the operator is told
        (`understood.log_warnings`), never left with an error rate of 0% from a log
        whose `"success": "false"` went unread."""
        for name in TYPED_FIELDS:
            found = value.get(name)
            if found is not None and getattr(event, name) is None \
                    and READ_ONLY_FROM.get(name, event.event) == event.event:
                paths = self.mapping.fields.get(name) if self.mapping is not None else None
                where = f" ({'|'.join('.'.join(path) for path in paths)})" if paths else ""
                self.not_understood.note_word("type", f"{name}{where} holds {json_kind(found)}")

    def _apply(self, execution: Execution, kind: str, event: LogEvent, ts: float) -> None:
        """Fold one event into its execution's summary (docs/log-format.md).

        step_start, step_complete, tool_call and branch_decision are handled inline in
        ingest_lines.
        """
        if kind == "error" or kind == "workflow_complete" or kind == "workflow_start":
            # A root span's lines say how its trace was sampled; a log's say nothing.
            sampling = event.sampling
            if sampling is None:
                execution.logged = True
            else:
                sampling = stated_count(sampling)
                if type(sampling) is float or execution.sampling is None:
                    execution.sampling = sampling
        if kind == "error":
            execution.errors += 1
            execution.failed = True
            if execution.error_ts is None or ts < execution.error_ts:
                execution.error_ts = ts
            note_failure(execution, event)
        elif kind == "workflow_complete":
            root_id = event.step_id
            if sampling is not None and root_id is not None:  # a root span's
                nesting = execution.nesting
                if type(nesting) is StepNesting:  # (the most: spans came before it)
                    ids = nesting.ids
                    ids[root_id] = ids.get(root_id, 0) | ROOT
                else:
                    _root_folded(execution, root_id)
            execution.complete_ts = ts
            word = event.status
            status = self.status_words.get(word) if word is not None else None
            if status is None and word is not None:
                self.not_understood.note_word("status", word)
            execution.complete_status = status or word
            duration = event.duration_ms
            if duration is not None and duration >= 0:
                execution.complete_duration_ms = duration
            if status == "failure":
                execution.failed = True
                # An execution that failed outside any step says why here only.
                if execution.first_error is None and event.error:
                    execution.first_error = event.error
        elif kind == "workflow_start":
            if event.workflow_name is not None:
                execution.workflow_name = event.workflow_name
            original = event.replay_of
            if original is not None and original != execution.execution_id:
                execution.replay_of = original
                self.links.link(self.executions, original, execution.execution_id)
                self.changes.note(original)  # its replays column
        elif kind != "span_event" and kind != "span_log":
            # (those two are wftui's own, written from OTLP spans and log records: shown
            # in their step by the tree, nothing here to fold, never "unknown")
            self.unknown_events += 1
            self.not_understood.note_word("event", kind)

    def _queue_depth(self, value: float | None, ts: float) -> None:
        if value is not None:
            self.queue_depth_points.append((ts, value))
            self.queue_history.add(ts, value)
        if value is not None and (self.queue_depth_ts is None or ts >= self.queue_depth_ts):
            self.queue_depth = value
            self.queue_depth_ts = ts

    def count_request(self, source: str, whole: bool = True) -> None:
        """A line of an OTLP JSON file read as a request (`SourceCounts.requests`).
        Not `whole` (some spans skipped): the line is counted as malformed instead
        (`reject`), once, but the source is still known to be an OTLP file."""
        counts = self.sources.get(source)
        if counts is None:
            counts = self.sources[source] = SourceCounts()
        counts.otlp = True
        if whole:
            counts.requests += 1

    def reject(self, source: str, lineno: int, reason: str, raw: bytes) -> None:
        """A line a source's own reader could not read (an OTLP file's line that does
        not decode): counted and kept as malformed, like any other."""
        self._reject(source, lineno, reason, raw)

    def _reject(self, source: str, lineno: int, reason: str, raw: bytes) -> None:
        counts = self.sources.get(source)
        if counts is None:
            counts = self.sources[source] = SourceCounts()
        counts.malformed += 1
        self.malformed_total += 1
        self.malformed.append(MalformedLine(source, lineno, reason, excerpt(raw)))

    # -- executions: retention and the merge of a log read in parts ------------------

    def _clock(self) -> float:
        """The time that judges which executions still run: the newest event read."""
        return self.newest_ts if self.newest_ts is not None else time.time()

    def adopt(self, execution: Execution) -> None:
        """Retain a new execution (folding the oldest past retention); it takes the
        replays already logged for it."""
        self.links.claim(execution)
        self.kept.adopt(execution, self._clock())

    def get(self, execution_id: str) -> Execution | None:
        """A retained execution by id (None if never seen, dormant or folded)."""
        return self.executions.get(execution_id)

    def retained(self) -> list[Execution]:
        """The retained executions in read order (a new list; the executions are live)."""
        return list(self.executions.values())

    def take_back(self, execution_id: str) -> Execution | None:
        """A retained execution, or a dormant one retained again: the one later events of
        this id join (None when it is new, or folded for good)."""
        execution = self.executions.get(execution_id)
        if execution is None and self.dormant:
            execution = self.kept.wake(execution_id, self._clock())
        return execution

    def was_folded(self, execution_id: str) -> bool:
        """Whether this id was folded away recently: its later events are late events."""
        return execution_id in self.kept.folded_ids

    def link_replay(self, original: str, replay_id: str) -> None:
        """`replay_id` replays `original` (which may not have been read yet)."""
        self.links.link(self.executions, original, replay_id)
        self.changes.note(original)

    def waiting_replays(self) -> dict[str, list[str]]:
        """Replays read before their original: original id -> replay ids (a copy)."""
        return self.links.waiting()

    def summaries(self) -> Iterator[Execution]:
        """Every execution with a summary: retained ones, then dormant ones."""
        return self.kept.summaries()

    @property
    def window_anchor(self) -> float | None:
        """Where `check`'s window ends: the newest event not stamped far in the future
        (else, when every event is, the newest of those: a skewed clock, still read)."""
        if self.newest_ts is not None:
            return self.newest_ts
        return (self.future_newest_ts if self.future_newest_ts is not None
                else self.untimed_newest_ts)

    def counts(self, now: float) -> dict[str, int]:
        """Executions seen: total, running, succeeded, failed (folded ones included)."""
        return self.kept.counts(now)
