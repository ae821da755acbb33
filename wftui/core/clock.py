"""Whose clock says "now": the wall's for a live log, the log's own for an old one.

A log whose newest event is older than the window is history (yesterday's log, read
for a post-mortem): "now" is then the log's end, so running ages, the idle rule,
alert times and the window all stand where the log stops, not at today's date. A live
log (events within the window) runs on the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass

# When no window is set (window "all"), a log is live if it wrote within this long.
LIVE_HORIZON_S = 300.0


@dataclass(frozen=True, slots=True)
class LogClock:
    """The moment figures are computed for, and why."""

    wall: float
    log_end: float | None  # the newest event read (None: no events)
    live: bool

    @property
    def now(self) -> float:
        """The wall clock for a live log; the log's end for history."""
        if self.live or self.log_end is None:
            return self.wall
        return self.log_end

    @property
    def behind_s(self) -> float | None:
        """How far the log's end lies behind the wall clock (None: live, or no events)."""
        if self.live or self.log_end is None:
            return None
        return max(self.wall - self.log_end, 0.0)


def log_clock(newest: float | None, wall: float, window_s: float | None) -> LogClock:
    """The clock for a log whose newest event is `newest`, seen at wall time `wall`.

    Not live when the newest event is older than the window (LIVE_HORIZON_S without
    one); no events at all is live (there is nothing to stand at).
    """
    horizon = window_s if window_s is not None else LIVE_HORIZON_S
    live = newest is None or newest >= wall - horizon
    return LogClock(wall, newest, live)
