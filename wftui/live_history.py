"""The live monitor's memory of the log's past: history rebuilt from the log's own
timestamps, thresholds judged along it, and snapshots of past moments (time travel).

Kept beside `wftui.live` (which owns the reading and the lock) so the monitor's
engine stays small: `LiveMonitor` calls `judge_backlog` once the backlog is read,
`series` for the sparklines and charts, and `snapshot_at` for a past moment.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from wftui.core.clock import LogClock
from wftui.core.history import LogHistory, Moment, alerts_along, judge_grid
from wftui.core.history_parts import gather
from wftui.core.snapshot import Snapshot
from wftui.core.thresholds import (
    FIRING,
    OK,
    PENDING,
    Alert,
    ThresholdEngine,
    Transition,
    watched_figure,
)
from wftui.core.travel import snapshot_at

if TYPE_CHECKING:
    from wftui.live import LiveMonitor

# A growing log's history is rebuilt at most this often (a build reads every summary).
REBUILD_S = 5.0
# ... and, for judging lines appended to an old log, as soon as this many times its last
# build's time has passed (a small log's at once: its thresholds wait for no timer).
REBUILD_COST_SHARE = 10.0
# With metrics attached, the thresholds wait for their first scrape at most this long.
FIRST_SCRAPE_WAIT_S = 10.0




class MonitorHistory:
    """The past of the monitor's log, computed on demand and cached."""

    def __init__(self, monitor: LiveMonitor) -> None:
        self.monitor = monitor
        self.judged: list[Moment] = []  # the thresholds along the log, once judged
        self.announce: list[Transition] = []
        # version, when, how long it took, what
        self._built: tuple[int, float, float, LogHistory] | None = None
        self._past: tuple[tuple[Any, ...], Snapshot] | None = None
        self._alerts: tuple[tuple[Any, ...], tuple[Alert, ...]] | None = None
        self._guard = threading.Lock()  # one build at a time (UI and reader threads)
        # How far along the log's time the monitor's engine has judged it: the end of
        # the backlog, then the newest event each judging saw (None: no event yet).
        self.judged_to: float | None = None
        self._catching = threading.Lock()  # one `judge_appended` at a time

    def log_history(self, eager: bool = False, fresh: bool = False) -> LogHistory:
        """The log's history as of now (rebuilt when the log has grown, at most every
        REBUILD_S seconds; eager: sooner when a build is cheap, `REBUILD_COST_SHARE`;
        fresh: whenever it has grown)."""
        monitor = self.monitor
        with self._guard:
            built = self._built
            version = monitor.ledger.version
            wait = REBUILD_S if built is None or not eager else min(
                REBUILD_S, REBUILD_COST_SHARE * built[2])
            if fresh:
                wait = 0.0
            if built is not None and (built[0] == version
                                      or time.monotonic() - built[1] < wait):
                return built[3]
            started = time.monotonic()
            with monitor._lock:  # the copy only: the sorting needs no lock
                parts = gather(monitor.ledger, monitor.clock().now)
            history = LogHistory.of_parts(parts)
            now = time.monotonic()
            self._built = (version, now, now - started, history)
            return history

    def judge_backlog(self) -> None:
        """Judge the thresholds along the whole log read so far, at log times, on a
        fresh engine that then replaces the monitor's: alerts carry the log's times."""
        monitor = self.monitor
        thresholds = monitor.settings.thresholds
        if monitor.metrics is not None:
            # Not before the metrics first answered (or failed to): judged meanwhile on
            # the log's figures (the panels showed them), an alert fired that the
            # metrics' figures then resolved. Until then the screen says "judging".
            monitor.metrics_answered.wait(FIRST_SCRAPE_WAIT_S)
            # With metrics attached, the thresholds on figures the metrics give judge
            # theirs, which have no past (as lines appended later, `behind`): judged on
            # the log's past, an alert fired at start that the first snapshot resolved.
            # Only those the metrics do give now: a figure they lack (no queue gauge, a
            # target down) is the log's on the panel, and judged along the log's time.
            given = monitor.metrics_given()
            thresholds = tuple(threshold for threshold in thresholds
                               if watched_figure(threshold.name) not in given)
        engine = ThresholdEngine(thresholds)
        self.judged = self.log_history_now().judge(engine, monitor.settings.window_s)
        # (the others start at the first snapshot, in the configured order)
        engine.set_thresholds(monitor.settings.thresholds)
        # What stands at the end of the backlog is news, as it was when the whole
        # backlog was judged at once: the next snapshot announces it (notifications).
        final = self.judged[-1].states if self.judged else ()
        # In the order they happened (the log's time), not the thresholds' order.
        # Each carries the value it crossed with, at its moment (`since`), not the
        # value at the backlog's end: a line "fired at T, value V" must say what T saw.
        crossed: dict[tuple[str, float | None], float | None] = {
            (state.name, moment.at): state.value
            for moment in self.judged for state in moment.states}
        self.announce = sorted((Transition(state.name, OK, state.state,
                                           crossed.get((state.name, state.since), state.value),
                                           state.threshold, state.action, state.since or 0.0)
                                for state in final if state.state in (PENDING, FIRING)),
                               key=lambda transition: transition.at)
        with monitor._lock:
            monitor.engine = engine
            self.judged_to = self.judged[-1].at if self.judged else None

    def judge_appended(self, clock: LogClock) -> tuple[Transition, ...]:
        """Lines appended to an old log (a shipper delivering a backlog hours late) are
        judged along the log's own time, as the backlog was, from where judging got to
        up to the history's end: judged only at the log's end, which stands still, a
        breach stayed pending for ever (its `for` never ran out). Only the moments
        past `judged_to`, on the monitor's engine, so it stays cheap while lines come;
        the history is rebuilt when that costs a small share of the time (at most every
        REBUILD_S), and until it reaches the log's end the snapshots hold the thresholds
        as last judged (`behind`). Returns the transitions, in the log's time (a live
        log keeps the wall clock: none)."""
        monitor = self.monitor
        if clock.live or not self.behind(clock):
            return ()
        with self._catching:
            after = self.judged_to
            # Once no source can bring more (a pipe at its end), judged to the end now:
            # `watch` prints its final snapshot, and exits by it, then.
            history = self.log_history(eager=True, fresh=not monitor.may_bring_more())
            engine = monitor.engine
            window_s = monitor.settings.window_s
            grid, step = history.moments_to_judge(engine, window_s, after=after)
            if not grid:
                if history.start is None and history.end is not None:
                    # Events but no execution (a queue's readings alone): nothing to
                    # judge along the log's time; judged at its end, as the snapshot
                    # does, or its thresholds were held, never shown, for ever.
                    with monitor._lock:
                        if monitor.engine is engine and self.judged_to == after:
                            self.judged_to = history.end
                return ()
            # The figures without the lock (the history is the monitor's own copy); a
            # moment where a `for` runs out between two of them is computed as judged.
            figures = {at: history.figures_at(at, window_s).as_dict() for at in grid}
            transitions: list[Transition] = []
            with monitor._lock:
                if monitor.engine is not engine or self.judged_to != after:
                    return ()  # judged meanwhile (a reloaded log): the next snapshot
                if step is not None:
                    engine.judging_along(step, grid[-1])
                for _, _, changed in judge_grid(engine, grid, lambda at: figures.get(at) or
                                                history.figures_at(at, window_s).as_dict()):
                    transitions += changed
                self.judged_to = grid[-1]
            return tuple(transitions)

    def behind(self, clock: LogClock) -> bool:
        """An old log whose newest events are not judged along its time yet. Never
        with metrics attached: the thresholds judge their figures (error rate,
        latency, ... come from them), which have no past; judged along the log's own
        figures, an alert fired on them and the next snapshot cleared it, each time
        lines came."""
        return (not clock.live and clock.log_end is not None
                and self.monitor.metrics is None
                and (self.judged_to is None or clock.log_end - self.judged_to > 1e-6))

    def judged_at(self, clock: LogClock) -> None:
        """The engine judged the log as `clock` saw it (its newest event included)."""
        if clock.log_end is not None and (self.judged_to is None
                                          or clock.log_end > self.judged_to):
            self.judged_to = clock.log_end

    def take_announcements(self) -> tuple[Transition, ...]:
        """Transitions left to announce from judging the backlog (once)."""
        announce, self.announce = self.announce, []
        return tuple(announce)

    def log_history_now(self) -> LogHistory:
        """A history built now, whatever the cache holds."""
        with self._guard:
            self._built = None
        return self.log_history()

    def series(self, window_s: float | None, span_s: float, points: int,
               end: float | None = None) -> list[tuple[float, dict[str, Any]]]:
        """(moment, figures) at `points` moments over the `span_s` seconds ending at
        `end` (default: the monitor's now): the figures over `window_s` at each."""
        history = self.log_history()
        if end is None:
            end = self.monitor.clock().now
        return history.series(end - span_s, end, points, window_s)

    def log_alerts(self) -> tuple[Alert, ...]:
        """The alerts the whole log says, judged along its time as a past moment is
        (the same grid): at the moment one fired, a past snapshot shows it firing. A
        live alert may have fired at another moment (judged on metrics, or as lines
        came): `t` leads to these. Kept until the log changes."""
        monitor = self.monitor
        key = (monitor.ledger.version, monitor.settings.window_s, monitor.settings.thresholds)
        if self._alerts is not None and self._alerts[0] == key:
            return self._alerts[1]
        history = self.log_history()
        with monitor._lock:
            alerts = tuple(alerts_along(history, monitor.settings.thresholds,
                                        monitor.settings.window_s))
        self._alerts = (key, alerts)
        return alerts

    def snapshot_at(self, at: float, window_s: float | None, *, with_rows: bool,
                    sources: list[dict[str, Any]], warnings: list[str],
                    queue_now: float | None = None) -> Snapshot:
        """The monitor as it stood at `at` (a moment of the log): figures, thresholds
        judged along the log up to then, alerts fired by then, executions then
        (queue_now: the metrics' queue depth now, which has no past here)."""
        monitor = self.monitor
        key = (at, window_s, with_rows, monitor.ledger.version,
               monitor.settings.thresholds, queue_now is None)
        past = self._past
        if past is not None and past[0] == key:
            return past[1]
        history = self.log_history()
        engine = ThresholdEngine(monitor.settings.thresholds)
        with monitor._lock:
            snapshot = snapshot_at(monitor.ledger, engine, at, window_s,
                                   log_now=monitor.clock().now, sources=tuple(sources),
                                   warnings=tuple(warnings), with_rows=with_rows,
                                   history=history,
                                   alert_window_s=monitor.settings.window_s,
                                   queue_now=queue_now)
        self._past = (key, snapshot)
        return snapshot
