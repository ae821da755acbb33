"""Whose clock says "now": the wall's for a live log, the log's own for an old one.

A log whose newest event is older than the window is history (yesterday's log, read
for a post-mortem): "now" is then the log's end, so running ages, the idle rule,
alert times and the window all stand where the log stops, not at today's date. A live
log (events within the window) runs on the wall clock.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from wftui.core.timestamps import duration_seconds, format_timestamp, parse_timestamp

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
    if newest is not None and not math.isfinite(newest):
        newest = None  # no event read yet (a log of malformed lines): nothing to stand at
    horizon = window_s if window_s is not None else LIVE_HORIZON_S
    live = newest is None or newest >= wall - horizon
    return LogClock(wall, newest, live)


_EPOCH = re.compile(r"^\d{5,}(?:\.\d+)?$")
_TIME_OF_DAY = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?$")


def resolve_moment(text: str, log_start: float | None, log_end: float | None) -> float:
    """A moment of the log from what an operator types: a timestamp
    (2026-03-01T09:29:50Z; without a zone, UTC; or epoch seconds or milliseconds as a
    log writes them), a time of day on the log's last day
    (09:29, 09:29:50: the latest such time not after the log's end, UTC; past the end
    of a log that began that day, it is refused as typed), or a
    duration before the log's end (-10m, -1h30m). Raises ValueError with a one-line reason,
    also when the moment lies outside the log."""
    if log_start is None or log_end is None:
        raise ValueError("the log has no events: there is no moment to go to")
    value = text.strip()
    moment: float | None
    if value.startswith("-") and (before := duration_seconds(value[1:])) is not None:
        moment = log_end - before
    elif match := _TIME_OF_DAY.match(value):
        hours, minutes = int(match.group(1)), int(match.group(2))
        seconds = float((match.group(3) or "0") + (match.group(4) or ""))
        if hours > 23 or minutes > 59 or seconds >= 60:
            raise ValueError(f"{text!r} is not a time of day")
        day = log_end - log_end % 86400.0
        moment = day + hours * 3600 + minutes * 60 + seconds
        if moment > log_end and moment - 86400.0 >= log_start:
            moment -= 86400.0  # the day before, when the log runs over midnight
    else:
        # An epoch number as the log writes it (seconds, or milliseconds and finer,
        # told apart by magnitude), copied from a line: `1789376700`, `1789376700123`.
        # Read as text first: a date written without dashes (`20260301`, ISO 8601's
        # basic form) is all digits too, and it means that day, not August 1970.
        moment = parse_timestamp(value)
        if moment is None and _EPOCH.match(value):
            moment = parse_timestamp(float(value))
        if moment is None:
            raise ValueError(f"{text!r} is not a moment: give a timestamp "
                             "(2026-03-01T09:29:50Z), a time of day (09:29) or a "
                             "duration before the log's end (-10m)")
    if not log_start <= moment <= log_end:
        raise ValueError(f"{format_timestamp(moment)} is outside the log, which runs from "
                         f"{format_timestamp(log_start)} to {format_timestamp(log_end)}")
    return moment


def stamp(epoch: float) -> str:
    """2026-03-01 09:29:50 (UTC, as the log's times are read)."""
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def ago(behind_s: float) -> str:
    """9 days ago, 43 hours ago, 12 minutes ago (hours under two days: a log of 43 hours
    ago is not "1 day ago")."""
    for unit, size, least in (("day", 86400, 2 * 86400), ("hour", 3600, 3600),
                              ("minute", 60, 60)):
        if behind_s >= least:
            n = int(behind_s // size)
            return f"{n} {unit}{'' if n == 1 else 's'} ago"
    return "just now"


def history_warning(clock: LogClock, moment: str = "its end",
                    reading: bool = False) -> str | None:
    """The warning of an old log (None for a live one): a cron job or a sidecar reading
    the figures must be told they are history, as of `moment`, not now. `reading`: the
    log is still being read, so its newest event so far is where the read has got, not
    where the log ends (a big live log's first part is hours old)."""
    if clock.live or clock.log_end is None:
        return None
    if reading:
        return (f"the log is still being read: what is read so far ends "
                f"{stamp(clock.log_end)} UTC, {ago(clock.behind_s or 0.0)}: figures are "
                "partial, as of there, not now")
    return (f"history: the log ends {stamp(clock.log_end)} UTC, {ago(clock.behind_s or 0.0)}:"
            f" figures and alerts are as of {moment}, not now")
