"""One step, not two, in the counts: a step both logged and sent as a span.

The step tree merges such twins when it is built (`wftui.core.step_merge`, whose rule
this follows: the same name, the logged step started inside the span, give or take
`MATCH_SLACK_S`). The ledger counts steps and samples their latency as they are read,
so it needs the same rule as they come: the second of two twins read takes back its
count and adds no latency sample (the first one's stands).

Only an execution with both logged and traced steps keeps these marks: it gets them
when its first step of the second kind completes, read from its raw lines (until then
it held one kind only, so nothing could have been counted twice).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from wftui.core.step_merge import MATCH_SLACK_S


class StepTwins:
    """Completed steps of one execution by name: spans' (start, end, twin found) and
    logged steps' (start, twin found)."""

    __slots__ = ("logged", "spans")

    def __init__(self) -> None:
        self.spans: dict[str, list[list[Any]]] = {}
        self.logged: dict[str, list[list[Any]]] = {}

    def span_done(self, name: str, start: float, end: float) -> bool:
        """A span step completed; True when it is the twin of a logged step read before."""
        best = None
        for mark in self.logged.get(name, ()):
            if not mark[1] and start - MATCH_SLACK_S <= mark[0] <= end + MATCH_SLACK_S \
                    and (best is None or abs(mark[0] - start) < abs(best[0] - start)):
                best = mark
        if best is not None:
            best[1] = True
            return True
        self.spans.setdefault(name, []).append([start, end, False])
        return False

    def logged_done(self, name: str, start: float) -> bool:
        """A logged step completed; True when it is the twin of a span read before."""
        best = None
        for mark in self.spans.get(name, ()):
            if not mark[2] and mark[0] - MATCH_SLACK_S <= start <= mark[1] + MATCH_SLACK_S \
                    and (best is None or abs(start - mark[0]) < abs(start - best[0])):
                best = mark
        if best is not None:
            best[2] = True
            return True
        self.logged.setdefault(name, []).append([start, False])
        return False


def twins_from(raw: Iterable[bytes], decode: Callable[[bytes], Any],
               seconds_of: Callable[[Any], float | None]) -> StepTwins:
    """The marks of the steps completed in an execution's raw lines (one kind only)."""
    twins = StepTwins()
    starts: dict[str, list[float]] = {}
    for line in raw:
        try:
            event = decode(line)
        except Exception:  # a line the ledger read the tolerant way: not a step's
            continue
        kind = event.event
        if kind != "step_start" and kind != "step_complete":
            continue
        ts = seconds_of(event.timestamp)
        if ts is None:
            continue
        name = event.step_name or ""
        if kind == "step_start":
            starts.setdefault(name, []).append(ts)
            continue
        opened = starts.get(name)
        start = opened.pop(0) if opened else None
        if event.span_status is not None:
            duration = event.duration_ms
            twins.span_done(name, ts - duration / 1000.0 if duration is not None
                            and duration >= 0 else (start if start is not None else ts), ts)
        else:
            twins.logged_done(name, start if start is not None else ts)
    return twins
