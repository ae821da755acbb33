"""Thresholds on figures, with `for` and `clear` (docs/figures.md).

A threshold is ok, pending (breached, waiting out its `for`), firing, or no_data. Once
firing it stays firing until the value is back at or below `clear` (hysteresis, so a
value hovering at the line does not page on-call every few seconds), and through a
spell of no data (which proves nothing either way).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

OK = "ok"
PENDING = "pending"
FIRING = "firing"
NO_DATA = "no_data"


@dataclass(frozen=True, slots=True)
class Threshold:
    """Breach when the figure's value is above `above`."""

    name: str  # the figure: error_rate, latency_p95_s, active_workflows, queue_depth
    above: float
    action: str
    for_s: float = 0.0
    clear: float | None = None  # back to ok at or below this; default `above`
    enabled: bool = True

    @property
    def clear_at(self) -> float:
        return self.above if self.clear is None else self.clear


DEFAULT_THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("error_rate", 0.05, "Page on-call, investigate root cause"),
    Threshold("latency_p95_s", 60.0, "Identify slow steps, check external services"),
    Threshold("active_workflows", 1000.0, "Check for backlog, scale workers"),
    Threshold("queue_depth", 10000.0, "Tasks accumulating; potential bottleneck"),
)


def watched_figure(name: str) -> str:
    """The figure a threshold watches: `latency_p95_s` watches `latency_s`."""
    return "latency_s" if name.startswith("latency_") and name.endswith("_s") else name


def threshold_value(name: str, figures: dict[str, Any]) -> float | None:
    """The figure a threshold watches, from a figures dict (`Figures.as_dict()` shape)."""
    if name.startswith("latency_") and name.endswith("_s"):
        return figures.get("latency_s", {}).get(name[len("latency_"):-2])
    value = figures.get(name)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def beyond_value(name: str, figures: dict[str, Any]) -> bool:
    """True when the figure is only a lower bound: a histogram quantile that fell in the
    `+Inf` bucket reads as the highest finite bound while the truth lies above it."""
    if not (name.startswith("latency_") and name.endswith("_s")):
        return False
    flags = figures.get("latency_s", {}).get("at_least") or {}
    return bool(flags.get(name[len("latency_"):-2]))


@dataclass(frozen=True, slots=True)
class ThresholdState:
    """Where one threshold stands at one moment."""

    name: str
    value: float | None
    threshold: float
    state: str
    action: str
    since: float | None = None  # when the current state began
    for_s: float = 0.0
    clear: float | None = None
    at_least: bool = False  # the value is a lower bound (a quantile in the +Inf bucket)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "threshold": self.threshold,
                "state": self.state, "action": self.action}


@dataclass(frozen=True, slots=True)
class Transition:
    """A threshold changed state (what `wftui watch` prints and notifies on)."""

    name: str
    before: str
    after: str
    value: float | None
    threshold: float
    action: str
    at: float
    at_least: bool = False  # the value is a lower bound (a quantile in the +Inf bucket)


@dataclass(slots=True)
class Alert:
    """One firing episode: when it fired, when it cleared, its worst value."""

    name: str
    fired_at: float
    peak: float | None
    cleared_at: float | None = None
    # Judged along an old log at moments this far apart (`LogHistory.judge`): the time
    # is the first moment judged past the crossing, which lies up to this much earlier.
    fired_within_s: float | None = None
    cleared_within_s: float | None = None


@dataclass
class ThresholdEngine:
    """Keeps each threshold's state across snapshots and the history of alerts."""

    thresholds: tuple[Threshold, ...] = DEFAULT_THRESHOLDS
    history_kept: int = 200
    _state: dict[str, tuple[str, float | None]] = field(default_factory=dict)
    _breach_since: dict[str, float] = field(default_factory=dict)
    history: list[Alert] = field(default_factory=list)
    _grid: tuple[float, float] | None = None  # (step, until): see `judging_along`
    # The states the last `update` returned: shown again while an old log that grew is
    # not yet judged along its time up to its new end (`take_snapshot(hold=True)`).
    standing: list[ThresholdState] = field(default_factory=list)

    def set_thresholds(self, thresholds: tuple[Threshold, ...]) -> None:
        """New thresholds (a reloaded config): states of kept names carry on."""
        # Names gone or disabled are let go at the next `update`, which knows the time.
        self.thresholds = thresholds

    def update(self, figures: dict[str, Any], now: float
               ) -> tuple[list[ThresholdState], list[Transition]]:
        """Evaluate every enabled threshold at `now`; returns states and what changed."""
        states: list[ThresholdState] = []
        transitions: list[Transition] = []
        judged = {t.name for t in self.thresholds if t.enabled}
        for name in [name for name in self._state if name not in judged]:
            # Disabled by a reloaded config: no longer judged, so its alert ends now
            # (not "firing" for ever) and, enabled again, it starts afresh.
            self._state.pop(name)
            self._breach_since.pop(name, None)
            self._record(name, FIRING, OK, None, now)
        for threshold in self.thresholds:
            if not threshold.enabled:
                continue
            value = threshold_value(threshold.name, figures)
            first = threshold.name not in self._state
            before, since = self._state.get(threshold.name, (OK, None))
            beyond = beyond_value(threshold.name, figures)
            after = self._next_state(threshold, value, before, now, beyond)
            if after != before or since is None:
                since = now
            self._state[threshold.name] = (after, since)
            # The first evaluation only announces a breach; "ok -> no_data" at start-up
            # is not news.
            if after != before and (not first or after in (PENDING, FIRING)):
                transitions.append(Transition(threshold.name, before, after, value,
                                              threshold.above, threshold.action, now,
                                              beyond))
            self._record(threshold.name, before, after, value, now)
            states.append(ThresholdState(threshold.name, value, threshold.above, after,
                                         threshold.action, since, threshold.for_s,
                                         threshold.clear, beyond))
        self.standing = states
        return states, transitions

    def _next_state(self, threshold: Threshold, value: float | None, before: str,
                    now: float, beyond: bool = False) -> str:
        if value is None:
            if before == FIRING:
                # Keep the last state: data that stops (a target down, a quiet log) has
                # not shown the breach is over; resolving here would page "all clear".
                return FIRING
            self._breach_since.pop(threshold.name, None)
            return NO_DATA
        # A lower bound (`beyond`) at the line is above it: p95 "≥ 60 s" breaches 60 s.
        if before == FIRING:
            if value > threshold.clear_at or (beyond and value >= threshold.clear_at):
                return FIRING
            self._breach_since.pop(threshold.name, None)
            return OK
        if value < threshold.above or (value == threshold.above and not beyond):
            self._breach_since.pop(threshold.name, None)
            return OK
        began = self._breach_since.setdefault(threshold.name, now)
        # (a microsecond's slack: judged at `runs_out`'s moment, began + for - began may
        # round to a hair under `for`, and it would wait a whole step more)
        return FIRING if now - began >= threshold.for_s - 1e-6 else PENDING

    def runs_out(self) -> float | None:
        """When the first pending threshold's `for` runs out, if it stays breached
        (None: none pending). Judged along a log, that moment is judged too: the grid's
        next moment could be a step later, after the breach was first seen up to a step
        late, and the alert fired up to two steps after its `for`."""
        due = [self._breach_since[threshold.name] + threshold.for_s
               for threshold in self.thresholds
               if threshold.enabled and threshold.name in self._breach_since
               and self._state.get(threshold.name, (OK, None))[0] == PENDING]
        return min(due, default=None)

    def judging_along(self, step_s: float, until: float) -> None:
        """From now until `until`, moments are judged `step_s` apart (along a log): the
        alerts' times are known to within that."""
        self._grid = (step_s, until)

    def _within(self, now: float) -> float | None:
        grid = self._grid
        # The finest grid (a second, up to rounding) is as exact as a time of day shows.
        if grid is None or now > grid[1] + 1e-6 or grid[0] < 2.0:
            return None
        return grid[0]

    def _record(self, name: str, before: str, after: str, value: float | None,
                now: float) -> None:
        if after == FIRING and before != FIRING:
            self.history.append(Alert(name, now, value, fired_within_s=self._within(now)))
            del self.history[: max(len(self.history) - self.history_kept, 0)]
            return
        open_alert = next((a for a in reversed(self.history)
                           if a.name == name and a.cleared_at is None), None)
        if open_alert is None:
            return
        if after == FIRING:
            if value is not None and (open_alert.peak is None or value > open_alert.peak):
                open_alert.peak = value
        else:
            open_alert.cleared_at = now
            open_alert.cleared_within_s = self._within(now)

    def alerts(self) -> list[Alert]:
        """History, newest first (copies: the UI must not change the engine's state)."""
        return [replace(alert) for alert in reversed(self.history)]
