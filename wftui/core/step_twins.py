"""One step, not two, in the counts: a step both logged and sent as a span.

The step tree merges such twins when it is built (`wftui.core.step_merge`, whose rule
this follows: the same name, the logged step started inside the span, give or take
`MATCH_SLACK_S`). The ledger counts steps and samples their latency as they are read,
so it needs the same rule as they come: the second of two twins read takes back its
count and adds no latency sample (the first one's stands).

The monitor keeps these marks only for an execution with both logged and traced steps:
it gets them when its first step of the second kind completes, read from its raw lines
(until then it held one kind only, so nothing could have been counted twice). `check`
keeps no lines: when one of its files holds spans, every execution keeps its marks from
its first completed step (`Ledger(step_marks=True)`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from wftui.core.step_merge import MATCH_SLACK_S


class StepTwins:
    """Completed steps of one execution not yet matched with their twin, by name:
    spans' (start, end) and logged steps' start. A matched mark is let go. A name's
    one mark is kept bare, several in a list: most executions run each step once, and
    `check` reading spans keeps these for every execution it holds (about 0.6 KB for
    8 steps, against 1.7 KB as lists of flagged lists)."""

    __slots__ = ("logged", "spans")

    def __init__(self) -> None:
        self.spans: dict[str, Any] = {}  # name -> (start, end), or a list of them
        self.logged: dict[str, Any] = {}  # name -> start, or a list of them

    def span_done(self, name: str, start: float, end: float) -> bool:
        """A span step completed; True when it is the twin of a logged step read before."""
        held = self.logged.get(name)
        if held is not None:
            low, high = start - MATCH_SLACK_S, end + MATCH_SLACK_S
            if type(held) is not list:
                if low <= held <= high:
                    del self.logged[name]
                    return True
            else:
                best = None  # the closest to the span's start; the first read of equals
                for index, mark in enumerate(held):
                    if low <= mark <= high and (
                            best is None or abs(mark - start) < abs(held[best] - start)):
                        best = index
                if best is not None:
                    _let_go(self.logged, name, held, best)
                    return True
        _keep(self.spans, name, (start, end))
        return False

    def logged_done(self, name: str, start: float) -> bool:
        """A logged step completed; True when it is the twin of a span read before."""
        held = self.spans.get(name)
        if held is not None:
            if type(held) is not list:
                if held[0] - MATCH_SLACK_S <= start <= held[1] + MATCH_SLACK_S:
                    del self.spans[name]
                    return True
            else:
                best = None
                for index, (low, high) in enumerate(held):
                    if low - MATCH_SLACK_S <= start <= high + MATCH_SLACK_S and (
                            best is None or abs(start - low) < abs(start - held[best][0])):
                        best = index
                if best is not None:
                    _let_go(self.spans, name, held, best)
                    return True
        _keep(self.logged, name, start)
        return False


def _keep(marks: dict[str, Any], name: str, mark: Any) -> None:
    held = marks.get(name)
    if held is None:
        marks[name] = mark
    elif type(held) is list:
        held.append(mark)
    else:
        marks[name] = [held, mark]


def _let_go(marks: dict[str, Any], name: str, held: list[Any], index: int) -> None:
    del held[index]
    if not held:
        del marks[name]


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
        # A whole step (`start_timestamp`) says its start and closes no open start, as
        # the ledger reads it.
        began = event.start_timestamp
        start = seconds_of(began) if began is not None else None
        if start is None:
            opened = starts.get(name)
            start = opened.pop(0) if opened else None
        if event.span_status is not None:
            duration = event.duration_ms
            twins.span_done(name, ts - duration / 1000.0 if duration is not None
                            and duration >= 0 else (start if start is not None else ts), ts)
        else:
            twins.logged_done(name, start if start is not None else ts)
    return twins
