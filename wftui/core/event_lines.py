"""Event lines that come with the events they say (the lines made of spans).

The OTLP reader writes each span as event lines (kept as the execution's raw lines,
which the step tree, export and replay read) and knows, as it writes them, every field
the ledger would decode back out of them. Handing the ledger those events with the
lines saves it decoding what was just encoded: about a fifth of the cost of folding a
span (bench/otlp.py). A line without its event (None) is decoded as any other line,
and so is every line once the list is copied: the events only ever save time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, SupportsIndex

from wftui.core.parse import LogEvent


class EventLines(list[bytes]):
    """Lines, and in `events` the event each one says (None: decode the line)."""

    __slots__ = ("events",)

    def __init__(self) -> None:
        super().__init__()
        self.events: list[LogEvent | None] = []

    def add(self, line: bytes, event: LogEvent | None) -> None:
        """A line with the event it says."""
        list.append(self, line)  # not super(): this is the span reader's hot path
        self.events.append(event)

    # Every way in keeps `events` beside the lines.
    def append(self, line: bytes) -> None:
        super().append(line)
        self.events.append(None)

    def extend(self, lines: Iterable[bytes]) -> None:
        if isinstance(lines, EventLines):
            super().extend(lines)
            self.events.extend(lines.events)
            return
        lines = list(lines)
        super().extend(lines)
        self.events.extend([None] * len(lines))

    def insert(self, index: SupportsIndex, line: bytes) -> None:
        super().insert(index, line)
        self.events.insert(index, None)

    def __iadd__(self, lines: Iterable[bytes]) -> EventLines:  # type: ignore[override,misc]
        self.extend(lines)
        return self

    # Any other change forgets the events (the lines are then decoded).
    def __setitem__(self, index: Any, value: Any) -> None:
        self.events = []
        super().__setitem__(index, value)

    def __delitem__(self, index: Any) -> None:
        self.events = []
        super().__delitem__(index)

    def pop(self, index: SupportsIndex = -1) -> bytes:
        self.events = []
        return super().pop(index)

    def remove(self, line: bytes) -> None:
        self.events = []
        super().remove(line)

    def clear(self) -> None:
        self.events = []
        super().clear()

    def sort(self, *args: Any, **kwargs: Any) -> None:
        self.events = []
        super().sort(*args, **kwargs)

    def reverse(self) -> None:
        self.events = []
        super().reverse()

    def __imul__(self, count: SupportsIndex) -> EventLines:
        self.events = []
        super().__imul__(count)
        return self


def events_of(lines: list[bytes]) -> list[LogEvent | None] | None:
    """The events beside `lines` when they still line up with them, else None."""
    if type(lines) is EventLines and len(lines.events) == len(lines):
        return lines.events
    return None
