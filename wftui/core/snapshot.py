"""Immutable snapshots of everything the monitor knows, for the UI, `check` and `watch`.

The UI renders snapshots and never reaches into the ledger; `wftui check` prints one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from wftui.core import format as fmt
from wftui.core.clock import LogClock
from wftui.core.execution import ExecutionRow
from wftui.core.figures import Figures, log_figures, rounded
from wftui.core.ledger import Ledger, MalformedLine
from wftui.core.sampling import FROM_LOGS, FROM_METRICS, FROM_UNKNOWN_TRACES
from wftui.core.thresholds import Alert, ThresholdEngine, ThresholdState, Transition
from wftui.core.timestamps import format_timestamp

# Figures that come from metrics when both families are read (docs/figures.md).
METRICS_PREFERRED = ("error_rate", "latency_s", "active_workflows", "queue_depth")
# Figures counted from executions, which sampled traces weight (`basis` says how).
COUNTED = ("error_rate", "latency_s", "throughput_per_min")
QUANTILES = ("p50", "p95", "p99")
# A window ending this far ahead of now is said (less is a sender's clock jitter).
AHEAD_SAID_S = 1.0


def metrics_quantiles(latency: Any) -> dict[str, Any] | None:
    """The metrics' latency quantiles, or None when they give none (no execution ended
    in the scraped window, or since the target started): then the logs' stand. Only the
    quantiles count: the `at_least` flags beside them are there even when every
    quantile is None."""
    if not isinstance(latency, dict):
        return None
    quantiles = {q: latency.get(q) for q in QUANTILES}
    return quantiles if any(v is not None for v in quantiles.values()) else None


def metrics_given(metrics: dict[str, Any]) -> set[str]:
    """The figures of METRICS_PREFERRED that the metrics give (a value; latency: its
    quantiles), where the panels show theirs rather than the log's."""
    return {key for key in METRICS_PREFERRED
            if (metrics_quantiles(metrics.get(key)) if key == "latency_s"
                else metrics.get(key)) is not None}


@dataclass(frozen=True)
class Snapshot:
    """What the monitor knows at one moment, over one window."""

    taken_at: float
    window_s: float | None
    window_end: float | None
    window_fallback: bool  # live window moved to the newest event (no recent events)
    sources: tuple[dict[str, Any], ...]
    executions: dict[str, int]
    logs: Figures | None
    metrics: dict[str, Any] | None
    thresholds: tuple[ThresholdState, ...]
    transitions: tuple[Transition, ...] = ()
    alerts: tuple[Alert, ...] = ()
    folded: int = 0
    late_events: int = 0
    malformed_total: int = 0
    recent_malformed: tuple[MalformedLine, ...] = ()
    rows: tuple[ExecutionRow, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)
    alert_window_s: float | None = 300.0  # the window thresholds were judged on
    # The monitor's clock (wall for a live log, the log's end for an old one); None in
    # `check`, whose clock is always the log's.
    clock: LogClock | None = None
    # The first read of the files, while it lasts (`Progress.as_dict`): the figures are
    # partial and no threshold is judged.
    reading: dict[str, Any] | None = None
    # Read, and now being judged along the log's time (the monitor's first judging, a
    # few seconds on a big log): no threshold is judged yet, none is off.
    judging: bool = False
    # A past moment of the log shown instead of now (`check --at`, history mode).
    at: float | None = None

    def figures(self, *, for_thresholds: bool = False) -> dict[str, Any]:
        """The top-level figures: logs', with metrics preferred where docs/figures.md says so.

        for_thresholds: metrics read as totals since the target started (one scrape so
        far) say nothing about a recent window, so they are left out: a service with a
        bad past must not page on-call the moment wftui starts.
        """
        merged = self.logs.as_dict() if self.logs is not None else Figures().as_dict()
        metrics = self.metrics
        if metrics is not None and for_thresholds and metrics.get("since_start") \
                and self.window_s is not None:
            if self.logs is not None and not metrics.get("stale"):
                # A figure the panel shows from the metrics (since the target started)
                # is no data to the thresholds until they have a window, as with metrics
                # alone, not the log's: an old log's end fired an alert there that the
                # first windowed scrape resolved. Where they have none, the log's stands.
                blank = Figures().as_dict()
                merged.update({key: blank[key] for key in metrics_given(metrics)})
            metrics = None
        if metrics is not None:
            if self.logs is None:
                merged.update({k: rounded(v) for k, v in metrics.items() if k in merged})
            for key in METRICS_PREFERRED:
                value = metrics.get(key)
                if key == "latency_s":
                    quantiles = metrics_quantiles(value)
                    if quantiles is not None:
                        merged[key] = rounded(quantiles)
                        if for_thresholds and isinstance(value, dict):
                            # "≥ bound" quantiles: the threshold judges them as above it.
                            merged[key]["at_least"] = dict(value.get("at_least") or {})
                elif value is not None:
                    merged[key] = rounded(value)
            if self.logs is not None and self.logs.basis == FROM_UNKNOWN_TRACES \
                    and metrics.get("throughput_per_min") is not None:
                # Traces of unknown sampling undercount: the metrics see every execution.
                merged["throughput_per_min"] = rounded(metrics["throughput_per_min"])
        return merged

    def basis(self) -> dict[str, str | None]:
        """What each counted top-level figure is based on (docs/figures.md, "Sampled
        traces"): "metrics", "logs", "traces, weighted by sampling" or "traces,
        sampling unknown" (None: neither family is read, or only spans are received and
        none counted yet)."""
        out: dict[str, str | None] = {}
        metrics = self.metrics or {}
        for key in COUNTED:
            value = metrics.get(key)
            if key == "latency_s":  # as `figures` takes the metrics' latency
                value = metrics_quantiles(value)
            if self.metrics is not None and (
                    self.logs is None or (value is not None and (
                        key in METRICS_PREFERRED or self.logs.basis == FROM_UNKNOWN_TRACES))):
                out[key] = FROM_METRICS
            elif self.logs is not None and self.logs.basis == FROM_LOGS \
                    and self.traces_only() and not self.logs.ended:
                out[key] = None  # spans are all it reads, and none counted yet
            else:
                out[key] = self.logs.basis if self.logs is not None else None
        return out

    def traces_only(self) -> bool:
        """Executions come from an OTLP receiver alone (no log file is read)."""
        kinds = {source.get("kind") for source in self.sources}
        return "otlp" in kinds and "file" not in kinds

    def metrics_flags(self) -> dict[str, Any]:
        """What qualifies the metrics figures: stale (a target down), since_start (one
        scrape so far: totals, not a window), latency_at_least (a quantile in the +Inf
        bucket: the value is the highest finite bound, the truth is at least that)."""
        if self.metrics is None:
            return {}
        latency = self.metrics.get("latency_s")
        at_least = latency.get("at_least", {}) if isinstance(latency, dict) else {}
        return {"stale": bool(self.metrics.get("stale")),
                "stale_shown": bool(self.metrics.get("stale_shown")),
                "since_start": bool(self.metrics.get("since_start")),
                "latency_at_least": {q: True for q, flag in at_least.items() if flag}}

    def to_check_dict(self) -> dict[str, Any]:
        """The `wftui check --format json` object (docs/figures.md)."""
        out: dict[str, Any] = {
            # rounded: whole numbers are integers (docs/figures.md), 300 not 300.0.
            "window_s": rounded(self.window_s),
            "window_end": format_timestamp(self.window_end),
            "sources": [dict(source) for source in self.sources],
            # No log source: executions are unknown (null), not zero.
            "executions": dict(self.executions) if self.logs is not None else None,
        }
        out.update(self.figures())
        out["basis"] = self.basis()
        out.update(self.metrics_flags())
        # The configured bounds are floats (60.0); the JSON gives whole numbers as ints.
        out["thresholds"] = [rounded(state.as_dict()) for state in self.thresholds]
        if self.logs is not None and self.metrics is not None:
            out["logs"] = self.logs.as_dict()
            out["logs"]["basis"] = self.logs.basis
            out["metrics"] = {k: rounded(v) for k, v in self.metrics.items()
                              if k in Figures().as_dict()}
        if self.at is not None:
            out["at"] = format_timestamp(self.at)  # figures as they stood then
        if self.window_fallback:
            out["window_fallback"] = True  # no recent events: the window ends at the newest
        out["folded_executions"] = self.folded
        if self.logs is not None and self.logs.approximate:
            out["approximate"] = True
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out


def window_end_for(ledger: Ledger, window_s: float | None, now: float | None,
                   ) -> tuple[float | None, bool]:
    """Where the window ends: now (live) or the newest event (check, no recent events,
    or events stamped ahead of now).

    Returns (end, fell_back). With now=None (check) the end is the newest event.
    """
    newest = ledger.window_anchor
    if now is None:
        return newest, False
    if newest is not None and newest > now:
        # Stamped ahead of this machine's clock (a sender's clock runs fast: spans
        # carry it): a window ending now would leave out every execution that ended
        # "later", their failures and durations shown nowhere but in the counts.
        return newest, False
    if newest is not None and window_s is not None and newest < now - window_s:
        return newest, True
    return now, False


def take_snapshot(ledger: Ledger | None, engine: ThresholdEngine, *,
                  window_s: float | None, now: float | None = None,
                  sources: list[dict[str, Any]] | None = None,
                  metrics: dict[str, Any] | None = None,
                  with_rows: bool = False, warnings: list[str] | None = None,
                  alerts_from: Snapshot | None = None, hold: bool = False) -> Snapshot:
    """Compute figures, evaluate thresholds and freeze it all.

    now=None is `wftui check`'s rule: the window ends at the newest event, and the idle
    timeout is measured from there too. alerts_from: a snapshot of the window the
    thresholds are judged on, whose states this one shows (no second evaluation).
    hold: the thresholds stand as `engine` last judged them, not judged at `now` (an
    old log that grew, judged along its own time up to `now` a little later: judged at
    its end now, a breach in the new lines would begin there, not when it began).
    """
    clock = time.time()
    logs: Figures | None = None
    end: float | None = now
    fell_back = False
    executions = {"total": 0, "running": 0, "succeeded": 0, "failed": 0}
    rows: tuple[ExecutionRow, ...] = ()
    if ledger is not None:
        end, fell_back = window_end_for(ledger, window_s, now)
        reference = now if now is not None else (ledger.window_anchor or clock)
        logs = log_figures(ledger, window_s, end if end is not None else reference, reference)
        executions = ledger.counts(reference)
        if with_rows:
            idle = ledger.idle_timeout
            rows = tuple(execution.row(reference, idle)
                         for execution in ledger.executions.values())
    elif end is None and metrics is not None:
        end = clock  # metrics alone (`check --metrics`): their window ends at the scrape
    if alerts_from is not None:
        states, transitions = list(alerts_from.thresholds), list(alerts_from.transitions)
        alert_window_s = alerts_from.window_s
    elif hold:
        states, transitions, alert_window_s = list(engine.standing), [], window_s
    else:
        figures_for_thresholds = Snapshot(
            clock, window_s, end, fell_back, (), executions, logs, metrics, ()
        ).figures(for_thresholds=True)
        # check's clock is the log's: the window end (thresholds primed along the log's
        # timeline by `prime_for_check` then line up with it).
        engine_time = now if now is not None else (end if end is not None else clock)
        states, transitions = engine.update(figures_for_thresholds, engine_time)
        alert_window_s = window_s
    return Snapshot(
        taken_at=clock,
        window_s=window_s,
        window_end=end,
        window_fallback=fell_back,
        sources=tuple(sources or ()),
        executions=executions,
        logs=logs,
        metrics=metrics,
        thresholds=tuple(states),
        transitions=tuple(transitions),
        alerts=tuple(engine.alerts()),
        folded=ledger.kept.folded_count if ledger is not None else 0,
        late_events=ledger.late_events if ledger is not None else 0,
        malformed_total=ledger.malformed_total if ledger is not None else 0,
        recent_malformed=tuple(ledger.malformed) if ledger is not None else (),
        rows=rows,
        warnings=tuple(warnings or ()) + ((logs.throughput_note,)
                                          if logs is not None and logs.throughput_note
                                          else ()) + _sampling_notes(logs)
        + _ahead_note(end, now),
        alert_window_s=alert_window_s,
    )


def _ahead_note(end: float | None, now: float | None) -> tuple[str, ...]:
    """Said when the window ends ahead of now (`window_end_for`): whose clock is off."""
    if end is None or now is None or end - now < AHEAD_SAID_S:
        return ()
    return (f"events are stamped up to {fmt.seconds(end - now)} ahead of this machine's "
            "clock (a sender's clock runs fast?): the window ends at the newest of them",)


def _sampling_notes(logs: Figures | None) -> tuple[str, ...]:
    """What the operator must know of how traces were counted (none for logs)."""
    if logs is None:
        return ()
    # Ended, listed in the table, and nothing in the figures ("no traffic" when they are
    # all there is): as docs/figures.md counts them, but never without saying why.
    said = (f"{logs.not_sampled:,} trace-only execution(s) not counted: their traces say "
            "they were not sampled (tracestate ot=p:63, adjusted count 0)",
            ) if logs.not_sampled else ()
    if logs.unknown_left_out:
        return (*said, f"{logs.unknown_left_out:,} trace-only execution(s) of unknown "
                "sampling not counted: logs cover the window")
    if logs.basis == FROM_UNKNOWN_TRACES:
        return (*said, "figures from traces, sampling unknown: spans do not say how they "
                "were sampled (tracestate ot=th:, sample_rate); counts may be biased")
    return said


# Figures whose past is recomputed from the log's executions (those that ended by then).
REPLAYABLE = ("error_rate", "latency_s")
# ... and from its history (begun and not ended by then; the last reading by then), as
# `check --at` and the monitor judge them: left out, a one-shot check kept a queue that
# had read 500 for minutes pending while `--at` its very end said firing.
FROM_HISTORY = ("active_workflows", "queue_depth")
PRIME_STEPS = 30


def prime_for_check(ledger: Ledger, engine: ThresholdEngine, window_s: float | None) -> None:
    """Let `for` mean something in a one-shot check: evaluate the log's figures at moments
    across the longest `for` before the window end, so a breach that has held that long
    is firing (exit 1) rather than forever pending."""
    from wftui.core.history import LogHistory  # (history is only needed here)

    end = ledger.window_anchor
    longest = max((t.for_s for t in engine.thresholds if t.enabled), default=0.0)
    if end is None or longest <= 0:
        return
    history = LogHistory(ledger, end)
    for step in range(PRIME_STEPS):
        moment = end - longest + step * longest / PRIME_STEPS
        past = log_figures(ledger, window_s, moment, moment).as_dict()
        then = history.figures_at(moment, window_s).as_dict()
        engine.update({key: past[key] for key in REPLAYABLE}
                      | {key: then[key] for key in FROM_HISTORY}, moment)


def file_source_entry(ledger: Ledger, status: dict[str, Any]) -> dict[str, Any]:
    """A file's entry in a snapshot's `sources`: the tailer's facts plus our counts."""
    counts = ledger.sources.get(status["name"])
    events = counts.events if counts else 0
    malformed = counts.malformed if counts else 0
    # An OTLP file's lines are requests; its events are made of their spans.
    lines = (counts.requests if counts and counts.otlp else events) + malformed
    entry: dict[str, Any] = {"kind": "file", "name": status["name"],
                             "lines": lines, "events": events,
                             "malformed": malformed, "status": status.get("status"),
                             "error": status.get("error")}
    for key, value in status.items():
        entry.setdefault(key, value)
    return entry
