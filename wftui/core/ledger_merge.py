"""One ledger from a log read in parts: the later part's ledger merged into the earlier.

`wftui check` reads a big file in parts, one process per core (`wftui.sources.split`).
Each later part is read into a ledger of its own that folds nothing (an execution there
may have begun in an earlier part), and is merged here, in file order, into the ledger
of everything before it. The merge does what reading the lines in one go would have
done: an execution that spans the cut is one execution; a completion whose start was
before the cut closes that start; counts add up; the newest queue depth wins; retention
applies to the merged whole.

Where the two can differ (tests/core/test_ledger_merge.py checks they do not elsewhere):
- an execution that keeps logging, or stays running, after `retention` newer ones have
  begun: which executions count as folded, dormant or late may differ, and with them
  the step samples of those late events (a merge joins an execution's events across
  the cut at once, reading in one go folds it in the middle of them);
- a step whose starts and completions pair differently when read in order: a step name
  running twice at once, or a completion read before its start, on both sides of the
  cut, without duration_ms: each part pairs its own first.
The merged ledger keeps no raw lines: parts are for ledgers that keep none (`check`).
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from wftui.core.execution import (
    Execution,
    from_summary,
    note_early_completion,
    pop_start,
    push_start,
    summary_values,
)
from wftui.core.ledger import Ledger, MalformedLine, SourceCounts

# Ledger counters that simply add up across parts.
_SUMS = ("late_events", "future_events", "malformed_total", "events_total",
         "unknown_events")


def part_ledger(ledger: Ledger) -> Ledger:
    """A ledger for a later part: `ledger`'s settings, but it folds nothing (its
    executions may have begun before the cut) and keeps no raw lines."""
    return Ledger(retention=sys.maxsize, idle_timeout=ledger.idle_timeout,
                  sample_cap=ledger.sample_cap, malformed_kept=ledger.malformed.maxlen or 1,
                  keep_raw=False, mapping=ledger.mapping)


# Summaries per piece: pieces cross the pipe while the reader pickles the next one,
# and neither side ever holds every summary twice.
PIECE_EXECUTIONS = 5_000


def export_pieces(ledger: Ledger, size: int = PIECE_EXECUTIONS) -> Iterator[tuple[str, Any]]:
    """A part's ledger as plain values (for pickle), in pieces: ("head", ...), then
    ("executions", [summary values...]) as many as needed, then ("tail", ...).
    The ledger must not have folded anything (`part_ledger`)."""
    assert not ledger.kept.folded_count and not ledger.dormant, "a part's ledger folds nothing"
    for series in ledger.step_samples.values():
        series.check_order()  # here, in the part's process: see `SampleSeries.extend`
    yield "head", {"step_samples": ledger.step_samples, "newest_ts": ledger.newest_ts,
                   "future_newest_ts": ledger.future_newest_ts,
                   "untimed_newest_ts": ledger.untimed_newest_ts}
    executions = iter(ledger.executions.values())
    while piece := [summary_values(execution) for execution in islice(executions, size)]:
        yield "executions", piece
    yield "tail", {
        "pending_replays": ledger.waiting_replays(),
        "queue_depth": (ledger.queue_depth, ledger.queue_depth_ts),
        "queue_history": ledger.queue_history.readings(),
        "malformed": [(m.source, m.lineno, m.reason, m.text) for m in ledger.malformed],
        "sources": {name: (c.events, c.malformed, c.untimed, c.untimed_example)
                    for name, c in ledger.sources.items()},
        "sums": {name: getattr(ledger, name) for name in _SUMS},
        "unknown": ledger.unknown, "seen_fields": ledger.seen_fields,
        "seen_values": ledger.seen_values,
    }


def merge_part(ledger: Ledger, pieces: Iterable[tuple[str, Any]], line_offset: int = 0
               ) -> None:
    """Fold a later part (the pieces of `export_pieces`, in order) into `ledger`, as if
    its lines had been read after the ledger's. line_offset: the lines before the part,
    when it numbered its own from 1."""
    merge: PartMerge | None = None
    for kind, value in pieces:
        if kind == "head":
            merge = PartMerge(ledger, value, line_offset)
        elif merge is None:
            raise ValueError("a part's pieces must start with its head")
        elif kind == "executions":
            merge.executions(value)
        else:
            merge.finish(value)


class PartMerge:
    """One later part merged into a ledger piece by piece, as the pieces arrive."""

    def __init__(self, ledger: Ledger, head: dict[str, Any], line_offset: int = 0) -> None:
        self.ledger = ledger
        self.line_offset = line_offset
        self.newest: float | None = head["newest_ts"]
        future = head["future_newest_ts"]
        if future is not None and (ledger.future_newest_ts is None
                                   or future > ledger.future_newest_ts):
            ledger.future_newest_ts = future
        untimed = head["untimed_newest_ts"]
        if untimed is not None and (ledger.untimed_newest_ts is None
                                    or untimed > ledger.untimed_newest_ts):
            ledger.untimed_newest_ts = untimed
        # Step series first, so that steps closed across the cut add to the merged
        # series after the part's own samples (names keep their order of appearance).
        for name, series in head["step_samples"].items():
            ledger.steps.series_for(name).extend(series)

    def executions(self, piece: list[tuple[Any, ...]]) -> None:
        ledger, newest = self.ledger, self.newest
        ledger.changes.lost()  # joined in bulk, not noted one by one: rows are rebuilt
        for values in piece:
            later = from_summary(values, seq=0)  # adopt numbers it
            earlier = ledger.take_back(later.execution_id)
            if earlier is None and ledger.was_folded(later.execution_id):
                ledger.late_events += later.raw_dropped  # its events, none kept
                continue
            if earlier is None:
                # Folding (in adopt) judges "running" at the clock of the moment this
                # one began, as one go would (its first event, if not from the future).
                if newest is not None and (ledger.newest_ts is None
                                           or later.first_ts > ledger.newest_ts):
                    ledger.newest_ts = min(later.first_ts, newest)
                ledger.adopt(later)
            else:
                _join(ledger, earlier, later)

    def finish(self, tail: dict[str, Any]) -> None:
        ledger, newest = self.ledger, self.newest
        if newest is not None and (ledger.newest_ts is None or newest > ledger.newest_ts):
            ledger.newest_ts = newest
        # Replays whose original the part had not seen, in the order it read them:
        # linked now to an original before the cut (or still waiting for it).
        for original, replay_ids in tail["pending_replays"].items():
            for replay_id in replay_ids:
                ledger.link_replay(original, replay_id)
        depth, depth_ts = tail["queue_depth"]
        if depth_ts is not None and (ledger.queue_depth_ts is None
                                     or depth_ts >= ledger.queue_depth_ts):
            ledger.queue_depth, ledger.queue_depth_ts = depth, depth_ts
        ledger.queue_history.extend(tail["queue_history"])
        for name, total in tail["sums"].items():
            setattr(ledger, name, getattr(ledger, name) + total)
        ledger.not_understood.merge(tail["unknown"], tail["seen_fields"], tail["seen_values"])
        kept: deque[MalformedLine] = ledger.malformed
        kept.extend(MalformedLine(source, lineno + self.line_offset, reason, text)
                    for source, lineno, reason, text in tail["malformed"])
        for name, (events, malformed, untimed, example) in tail["sources"].items():
            counts = ledger.sources.setdefault(name, SourceCounts())
            counts.events += events
            counts.malformed += malformed
            counts.untimed += untimed
            counts.untimed_example = counts.untimed_example or example
        ledger.version += 1


def _join(ledger: Ledger, earlier: Execution, later: Execution) -> None:
    """One execution seen on both sides of the cut: `later`'s events after `earlier`'s."""
    earlier.first_ts = min(earlier.first_ts, later.first_ts)
    earlier.last_ts = max(earlier.last_ts, later.last_ts)
    if later.complete_ts is not None:  # the last workflow_complete read wins
        earlier.complete_ts = later.complete_ts
        earlier.complete_status = later.complete_status
    if later.complete_duration_ms is not None:
        earlier.complete_duration_ms = later.complete_duration_ms
    if later.error_ts is not None and (earlier.error_ts is None
                                       or later.error_ts < earlier.error_ts):
        earlier.error_ts = later.error_ts
    earlier.failed = earlier.failed or later.failed
    if earlier.failed_step is None:
        earlier.failed_step = later.failed_step
    if earlier.first_error is None:
        earlier.first_error = later.first_error
    if later.workflow_name is not None:
        earlier.workflow_name = later.workflow_name
    if later.replay_of is not None:
        earlier.replay_of = later.replay_of
    earlier.replays.extend(r for r in later.replays if r not in earlier.replays)
    earlier.steps += later.steps
    earlier.errors += later.errors
    earlier.failed_steps += later.failed_steps
    earlier.input_tokens += later.input_tokens
    earlier.output_tokens += later.output_tokens
    if later.cost_usd is not None:  # None: nothing priced there (0.0 is a cost)
        earlier.cost_usd = (later.cost_usd if earlier.cost_usd is None
                            else earlier.cost_usd + later.cost_usd)
    earlier.raw_dropped += later.raw_dropped
    earlier.logged = earlier.logged or later.logged
    if later.sampling is not None and (earlier.sampling is None
                                       or type(later.sampling) is float):
        earlier.sampling = later.sampling  # the root's word wins over a child's
    _pair_steps(ledger, earlier, later)


def _pair_steps(ledger: Ledger, earlier: Execution, later: Execution) -> None:
    """Completions after the cut close starts before it; starts after it close
    completions read before their start (both as `Ledger.ingest_lines` pairs them)."""
    open_steps = earlier.open_steps
    for key, waiting in (later.early_completes or {}).items():
        for completed, failed, waits in waiting:
            start = open_steps.pop(key, None)
            if isinstance(start, list):
                start = pop_start(open_steps, key, start)
            if start is None:
                note_early_completion(earlier, key, completed, failed, waits)
            elif waits:  # its sample waited for the start (no duration_ms)
                ledger.steps.series_for(key).add(completed, completed - start, failed)
    for key, starts in later.open_steps.items():
        for start in starts if isinstance(starts, list) else [starts]:
            early = earlier.early_completes
            if early and key in early and ledger.steps.close_early(earlier, key, start):
                continue
            if key in open_steps:
                push_start(open_steps, key, start)
            else:
                open_steps[key] = start
