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

from wftui.core.history import LogHistory, Moment, alerts_along
from wftui.core.history_parts import gather
from wftui.core.snapshot import Snapshot
from wftui.core.thresholds import FIRING, OK, PENDING, Alert, ThresholdEngine, Transition
from wftui.core.travel import snapshot_at

if TYPE_CHECKING:
    from wftui.live import LiveMonitor

# A growing log's history is rebuilt at most this often (a build reads every summary).
REBUILD_S = 5.0


class MonitorHistory:
    """The past of the monitor's log, computed on demand and cached."""

    def __init__(self, monitor: LiveMonitor) -> None:
        self.monitor = monitor
        self.judged: list[Moment] = []  # the thresholds along the log, once judged
        self.announce: list[Transition] = []
        self._built: tuple[int, float, LogHistory] | None = None  # version, when, what
        self._past: tuple[tuple[Any, ...], Snapshot] | None = None
        self._alerts: tuple[tuple[Any, ...], tuple[Alert, ...]] | None = None
        self._guard = threading.Lock()  # one build at a time (UI and reader threads)

    def log_history(self) -> LogHistory:
        """The log's history as of now (rebuilt when the log has grown, at most every
        REBUILD_S seconds)."""
        monitor = self.monitor
        with self._guard:
            built = self._built
            version = monitor.ledger.version
            if built is not None and (built[0] == version
                                      or time.monotonic() - built[1] < REBUILD_S):
                return built[2]
            with monitor._lock:  # the copy only: the sorting needs no lock
                parts = gather(monitor.ledger, monitor.clock().now)
            history = LogHistory.of_parts(parts)
            self._built = (version, time.monotonic(), history)
            return history

    def judge_backlog(self) -> None:
        """Judge the thresholds along the whole log read so far, at log times, on a
        fresh engine that then replaces the monitor's: alerts carry the log's times."""
        monitor = self.monitor
        engine = ThresholdEngine(monitor.settings.thresholds)
        self.judged = self.log_history_now().judge(engine, monitor.settings.window_s)
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
