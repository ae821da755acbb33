"""The ledger: every event read, folded into executions, step samples and counts.

`Ledger.ingest_lines` is the hot path of the whole tool (one call per batch of lines),
so it is written flat: local names, no per-line Python function calls on the clean
path, one typed `LogEvent` per line (`wftui.core.parse`) thrown away once summarised.
Memory is bounded: the most recent `retention` executions keep their raw lines; older
ones are folded into compact samples (`SampleSeries`) that the figures still count.
"""

from __future__ import annotations

import time
from collections import Counter, OrderedDict, deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wftui.core.execution import (
    FAILED,
    MAX_RAW_LINES,
    NO_LINES,
    RUNNING,
    SUCCEEDED,
    Execution,
    note_early_completion,
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
    read_line,
)
from wftui.core.quantiles import SampleSeries
from wftui.core.timestamps import EPOCH_NAIVE, EPOCH_UTC, MAX_EPOCH, MIN_EPOCH, parse_timestamp

# Events stamped further than this ahead of the clock do not move the window's end.
FUTURE_TOLERANCE_S = 300.0
# Distinct step names tracked for per-step latency; hostile logs with endless unique
# names share one bucket past this so memory stays bounded.
MAX_STEP_NAMES = 500
OTHER_STEPS = "(other steps)"
# Distinct unknown event names / status words / refused lines' keys counted for warnings.
MAX_UNKNOWN_WORDS = 200
# Refused lines per source whose values are sampled (for a mapping suggestion).
VALUE_SAMPLE_LINES = 20_000
# Eviction prefers ended executions: it looks this far past a running one.
EVICTION_LOOKAHEAD = 64
# ... and after a scan that found none ended, folds this many oldest before scanning again.
SCAN_PAUSE = 1024


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


class Ledger:
    """Executions and figures' raw material from log events, across all sources."""

    def __init__(self, *, retention: int = 50_000, idle_timeout: float | None = 30.0,
                 sample_cap: int = 1_000_000, malformed_kept: int = 1000,
                 keep_raw: bool = True, mapping: LogMapping | None = None) -> None:
        self.retention = max(retention, 1)
        # The log's shape when it is not ours (`wftui.core.mapping`): its typed decoder
        # and status words; what was not understood is counted for warnings.
        self.mapping = mapping
        self._decode = mapping.decode if mapping is not None else decode_event
        self._event_type = mapping.event_type if mapping is not None else LogEvent
        self.status_words = status_words(mapping.statuses if mapping is not None else None)
        self.unknown = Counter[tuple[str, str]]()  # ("event"|"status", word) -> count
        self.seen_fields: dict[str, Counter[str]] = {}  # source -> keys of refused lines
        # source -> key -> a few of its values (to suggest a mapping: core/understood.py)
        self.seen_values: dict[str, dict[str, Counter[Any]]] = {}
        # Raw lines feed the step tree; a one-shot `check` shows none, so it counts
        # them (in raw_dropped) instead of keeping them: less memory, less work.
        self.keep_raw = keep_raw
        self.idle_timeout = idle_timeout
        self.executions: dict[str, Execution] = {}
        self._order: deque[str] = deque()
        self.sample_cap = sample_cap
        # Folded executions: (end time, duration, failed), plus those folded unfinished.
        self.folded = SampleSeries(sample_cap)
        self.folded_count = 0
        # Executions still running when their turn to fold came: their raw lines are
        # dropped but their summary stays here, so a late completion still counts; the
        # oldest past `retention` of them are given up on (lost_running, last seen running).
        self.dormant: OrderedDict[str, Execution] = OrderedDict()
        self.lost_running = 0
        self.folded_oldest_ts: float | None = None  # earliest first event folded away
        # Recently folded ids, to recognise their late events (a set for lookups, a deque
        # for age: deleting from the front of a dict is quadratic in CPython).
        self._folded_ids: set[str] = set()
        self._folded_order: deque[str] = deque()
        self.late_events = 0
        self.future_events = 0  # stamped beyond now + FUTURE_TOLERANCE_S
        self.future_newest_ts: float | None = None
        self.step_samples: dict[str, SampleSeries] = {}
        self.queue_depth: float | None = None
        self.queue_depth_ts: float | None = None
        self.newest_ts: float | None = None
        self.malformed: deque[MalformedLine] = deque(maxlen=malformed_kept)
        self.malformed_total = 0
        self.events_total = 0
        self.unknown_events = 0
        self.sources: dict[str, SourceCounts] = {}
        self._pending_replays: dict[str, list[str]] = {}
        self._seq = 0
        self._scan_pause = 0
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
        skipped = 0  # blank or malformed lines; the rest are events (late ones too)
        for lineno, raw in enumerate(lines, first_lineno):
            try:
                event = decode(raw)
                execution_id = event.execution_id
            except Exception:  # odd types, odd JSON, deep nesting: the tolerant path
                execution_id = None
            if execution_id is None:
                event, odd = self._read_odd(source, lineno, raw, fallback_ts)
                if event is None:
                    skipped += odd
                    continue
                execution_id = event.execution_id
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
            else:
                ts = parse_timestamp(stamp)
                if ts is None:
                    ts = fallback_ts
            if ts > newest:
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
            if execution is None and self.dormant:
                execution = self._wake(execution_id)
            if execution is None:
                if execution_id in self._folded_ids:
                    # An event of an execution already folded away: counted as an
                    # event (it was read), but its summary is gone.
                    self.late_events += 1
                    continue
                if self.newest_ts is None or newest > self.newest_ts:
                    self.newest_ts = newest  # folding (in _new_execution) measures from it
                execution = self._new_execution(execution_id, ts)
            if not keep_raw:
                execution.raw_dropped += 1
            else:
                if ts is fallback_ts:
                    # The step tree re-reads raw lines; it needs the time this was read.
                    if execution.read_times is None:
                        execution.read_times = {}
                    execution.read_times[len(execution.raw)] = ts
                raw_lines = execution.raw
                raw_lines.append(raw)
                if len(raw_lines) > MAX_RAW_LINES:
                    trim_raw(execution)
            if ts > execution.last_ts:
                execution.last_ts = ts
            elif ts < execution.first_ts:
                execution.first_ts = ts
            if kind == "step_start":
                execution.steps += 1
                key = event.step_name or ""
                open_steps = execution.open_steps
                early = execution.early_completes
                if early and key in early and self._close_early(execution, key, ts):
                    pass  # its completion was read first (another file): already closed
                elif key in open_steps:
                    push_start(open_steps, key, ts)
                else:
                    open_steps[key] = ts
            elif kind == "step_complete":
                key = event.step_name or ""
                start = execution.open_steps.pop(key, None)
                if type(start) is list:
                    start = pop_start(execution.open_steps, key, start)
                duration = event.duration_ms
                if duration is not None and duration >= 0:
                    seconds = duration / 1000.0
                else:
                    seconds = ts - start if start is not None else None
                failed = event.success is False
                if failed or event.input_tokens is not None \
                        or event.output_tokens is not None or event.cost_usd is not None:
                    self._step_details(execution, event, failed)
                if start is None:
                    note_early_completion(execution, key, ts, failed, seconds is None)
                    if seconds is None:
                        continue  # its sample waits for the start (_close_early)
                series = step_samples.get(key)
                if series is None:
                    series = self._step_series(key)
                if failed or seconds is None or len(series.times) >= sample_cap:
                    series.add(ts, seconds, failed)
                else:  # SampleSeries.add inlined for the common case
                    series.times.append(ts)
                    series.values.append(seconds)
            elif kind != "tool_call" and kind != "branch_decision":
                apply(execution, kind, event, ts)
        events = len(lines) - skipped
        counts.events += events
        self.events_total += events
        if self.newest_ts is None or newest > self.newest_ts:
            self.newest_ts = newest
        self.version += 1

    def _read_odd(self, source: str, lineno: int, raw: bytes,
                  fallback_ts: float) -> tuple[Any, int]:
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
                self._reject(source, lineno, no_execution_id(event.event), raw)
                return None, 1
        else:
            if type(value) is dict:
                self._note_fields(source, value)
                if self.mapping is not None:
                    value = self.mapping.contract_dict(value)
            reason = check_event(value)
            if reason is not None:
                self._reject(source, lineno, reason, raw)
                return None, 1
            event = event_from(value)
        if event.execution_id is not None:
            return event, 0
        ts = event_time(event.timestamp)
        if ts is None:
            ts = fallback_ts
        if ts > max(fallback_ts, time.time()) + FUTURE_TOLERANCE_S:
            self.future_events += 1  # as in ingest_lines: the window ignores its time
            if self.future_newest_ts is None or ts > self.future_newest_ts:
                self.future_newest_ts = ts
        elif self.newest_ts is None or ts > self.newest_ts:
            self.newest_ts = ts
        self._queue_depth(event.value, ts)
        return None, 0

    def _apply(self, execution: Execution, kind: str, event: LogEvent, ts: float) -> None:
        """Fold one event into its execution's summary (docs/log-format.md).

        step_start, step_complete, tool_call and branch_decision are handled inline in
        ingest_lines.
        """
        if kind == "error":
            execution.errors += 1
            execution.failed = True
            if execution.error_ts is None or ts < execution.error_ts:
                execution.error_ts = ts
            self._note_failure(execution, event)
        elif kind == "workflow_complete":
            execution.complete_ts = ts
            word = event.status
            status = self.status_words.get(word) if word is not None else None
            if status is None and word is not None:
                self._note_unknown("status", word)
            execution.complete_status = status or word
            duration = event.duration_ms
            if duration is not None and duration >= 0:
                execution.complete_duration_ms = duration
            if status == "failure":
                execution.failed = True
        elif kind == "workflow_start":
            if event.workflow_name is not None:
                execution.workflow_name = event.workflow_name
            original = event.replay_of
            if original is not None and original != execution.execution_id:
                self._link_replay(original, execution)
        else:
            self.unknown_events += 1
            self._note_unknown("event", kind)

    def _note_unknown(self, what: str, word: str) -> None:
        """Count an event name or status word we do not know (a bounded number of them)."""
        key = (what, word[:100])
        if key in self.unknown or len(self.unknown) < MAX_UNKNOWN_WORDS:
            self.unknown[key] += 1

    def _note_fields(self, source: str, value: dict[str, Any]) -> None:
        """The keys of a line read as JSON the typed decoder refused: if none of a file's
        lines is an event, they tell the operator what to map."""
        seen = self.seen_fields.get(source)
        if seen is None:
            seen = self.seen_fields[source] = Counter()
        for key in list(value)[:50]:
            if key in seen or len(seen) < MAX_UNKNOWN_WORDS:
                seen[key[:100]] += 1
        values = self.seen_values.setdefault(source, {})
        sampled = values.setdefault("", Counter())  # "" holds the count of lines sampled
        if sampled[""] >= VALUE_SAMPLE_LINES:
            return
        sampled[""] += 1
        for key, item in list(value.items())[:50]:
            if not key:
                continue
            if type(item) is str and len(item) <= 100 or type(item) in (int, float):
                kept = values.get(key)
                if kept is None:
                    if len(values) >= 50:
                        continue
                    kept = values[key] = Counter()
                if item in kept or len(kept) < 20:
                    kept[item] += 1

    def _step_details(self, execution: Execution, event: LogEvent, failed: bool) -> None:
        """The rarer parts of a step_complete: a failure, tokens and cost of an LLM step."""
        if failed:
            execution.failed = True
            execution.failed_steps += 1  # for the errors column (Execution.row)
            self._note_failure(execution, event)
        count = event.input_tokens
        if count is not None and count > 0:
            execution.input_tokens += count
        count = event.output_tokens
        if count is not None and count > 0:
            execution.output_tokens += count
        cost = event.cost_usd
        if cost is not None and cost > 0:
            execution.cost_usd += cost

    def _close_early(self, execution: Execution, key: str, start: float) -> bool:
        """Pair a start with a completion read before it, if that one came after the start
        in time (docs/log-format.md orders by timestamp); record a sample that waited for it."""
        early = execution.early_completes
        assert early is not None
        waiting = early[key]
        completed, failed, waits = waiting[0]
        if completed < start:
            return False  # a later run of the step: it opens as usual
        del waiting[0]
        if not waiting:
            del early[key]
        if waits:
            series = self.step_samples.get(key) or self._step_series(key)
            series.add(completed, completed - start, failed)
        return True

    def _step_series(self, key: str) -> SampleSeries:
        if len(self.step_samples) >= MAX_STEP_NAMES:
            key = OTHER_STEPS
        series = self.step_samples.get(key)
        if series is None:
            series = self.step_samples[key] = SampleSeries(self.sample_cap)
        return series

    @staticmethod
    def _note_failure(execution: Execution, event: LogEvent) -> None:
        if execution.failed_step is None and event.step_name is not None:
            execution.failed_step = event.step_name
        if execution.first_error is None and event.error:
            execution.first_error = event.error

    def _queue_depth(self, value: float | None, ts: float) -> None:
        if value is not None and (self.queue_depth_ts is None or ts >= self.queue_depth_ts):
            self.queue_depth = value
            self.queue_depth_ts = ts

    def _reject(self, source: str, lineno: int, reason: str, raw: bytes) -> None:
        counts = self.sources.get(source)
        if counts is None:
            counts = self.sources[source] = SourceCounts()
        counts.malformed += 1
        self.malformed_total += 1
        self.malformed.append(MalformedLine(source, lineno, reason, excerpt(raw)))

    # -- executions and retention ------------------------------------------------------

    def _new_execution(self, execution_id: str, ts: float) -> Execution:
        execution = Execution(execution_id, ts, 0, self.keep_raw)
        self._adopt(execution)
        return execution

    def _adopt(self, execution: Execution) -> None:
        """Retain a new execution, numbered in read order (folding the oldest past it)."""
        self._seq += 1
        execution.seq = self._seq
        execution_id = execution.execution_id
        self.executions[execution_id] = execution
        self._order.append(execution_id)
        waiting = self._pending_replays.pop(execution_id, None)
        if waiting:  # replays logged before their original come first (and once: an
            # execution a merge brings may have linked one already)
            execution.replays = waiting + [r for r in execution.replays if r not in waiting]
        if len(self.executions) > self.retention:
            self._fold_one()

    def _link_replay(self, original: str, replay: Execution) -> None:
        replay.replay_of = original
        self._link_replay_id(original, replay.execution_id)

    def _link_replay_id(self, original: str, replay_id: str) -> None:
        target = self.executions.get(original)
        if target is not None:
            if replay_id not in target.replays:
                target.replays.append(replay_id)
        elif len(self._pending_replays) < self.retention:
            waiting = self._pending_replays.setdefault(original, [])
            if replay_id not in waiting:
                waiting.append(replay_id)

    def _fold_one(self) -> None:
        """Fold the oldest execution, preferring one that has ended, into the samples.

        Runs once per new execution past retention (and per execution a merge brings),
        so it is written with locals and one status check per execution looked at.
        """
        now = self.newest_ts if self.newest_ts is not None else time.time()
        idle = self.idle_timeout
        executions, order = self.executions, self._order
        status = None  # of the execution at the front of `order`, once known
        if self._scan_pause > 0:
            # The last scan found only running executions: a flood of them. Scanning
            # again for each new one would cost 64 status checks per line; fold the
            # oldest for a while instead.
            self._scan_pause -= 1
        else:
            for _ in range(min(EVICTION_LOOKAHEAD, len(order) - 1)):
                status = executions[order[0]].status(now, idle)
                if status != RUNNING:
                    break
                order.rotate(-1)
            else:
                self._scan_pause = SCAN_PAUSE
                status = None  # rotated past the last one checked
        execution = executions.pop(order.popleft())
        if self.folded_oldest_ts is None or execution.first_ts < self.folded_oldest_ts:
            self.folded_oldest_ts = execution.first_ts
        if status is None:
            status = execution.status(now, idle)
        dormant = self.dormant
        if status == RUNNING:
            execution.raw_dropped += len(execution.raw)
            execution.raw = [] if self.keep_raw else NO_LINES  # woken, it logs on
            execution.read_times = None
            dormant[execution.execution_id] = execution
            if len(dormant) > self.retention:
                oldest = dormant.popitem(last=False)[1]
                self._settle(oldest, oldest.status(now, idle))
        else:
            self._settle(execution, status)
        # Dormant executions that have ended since are folded as they come up.
        for _ in range(2):
            if not dormant:
                break
            oldest = next(iter(dormant.values()))
            status = oldest.status(now, idle)
            if status == RUNNING:
                break
            dormant.popitem(last=False)
            self._settle(oldest, status)

    def _settle(self, execution: Execution, status: str) -> None:
        """Fold an execution into the samples for good (or give up on a running one)."""
        if status == RUNNING:
            self.lost_running += 1
        else:
            end = execution.end_ts(status)
            assert end is not None
            self.folded.add(end, execution.duration_s(status), status == FAILED)
        self.folded_count += 1
        execution_id = execution.execution_id
        self._folded_ids.add(execution_id)
        order = self._folded_order
        order.append(execution_id)
        if len(order) > self.retention:
            self._folded_ids.discard(order.popleft())

    def _wake(self, execution_id: str) -> Execution | None:
        """A dormant execution has news: it is retained again (its early lines are gone)."""
        execution = self.dormant.pop(execution_id, None)
        if execution is not None:
            self.executions[execution_id] = execution
            self._order.append(execution_id)
            if len(self.executions) > self.retention:
                self._fold_one()
        return execution

    def summaries(self) -> Iterator[Execution]:
        """Every execution with a summary: retained ones, then dormant ones."""
        yield from self.executions.values()
        yield from self.dormant.values()

    @property
    def window_anchor(self) -> float | None:
        """Where `check`'s window ends: the newest event not stamped far in the future
        (else, when every event is, the newest of those: a skewed clock, still read)."""
        return self.newest_ts if self.newest_ts is not None else self.future_newest_ts

    def source_entry(self, status: dict[str, Any]) -> dict[str, Any]:
        """A file's entry in a snapshot's `sources`: the tailer's facts plus our counts."""
        counts = self.sources.get(status["name"])
        events = counts.events if counts else 0
        malformed = counts.malformed if counts else 0
        entry: dict[str, Any] = {"kind": "file", "name": status["name"],
                                 "lines": events + malformed, "events": events,
                                 "malformed": malformed, "status": status.get("status"),
                                 "error": status.get("error")}
        for key, value in status.items():
            entry.setdefault(key, value)
        return entry

    def counts(self, now: float) -> dict[str, int]:
        """Executions seen: total, running, succeeded, failed (folded ones included)."""
        tally = {RUNNING: self.lost_running, SUCCEEDED: 0, FAILED: 0}
        idle = self.idle_timeout
        for execution in self.summaries():
            tally[execution.status(now, idle)] += 1
        folded_failed = self.folded.failed_count()
        tally[FAILED] += folded_failed
        tally[SUCCEEDED] += len(self.folded) - folded_failed
        return {"total": len(self.executions) + len(self.dormant) + self.folded_count,
                "running": tally[RUNNING],
                "succeeded": tally[SUCCEEDED], "failed": tally[FAILED]}
