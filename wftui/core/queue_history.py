"""The queue depth's past: the log's own readings, so a past moment has its value.

Queue depth is a gauge the log reports now and then (`queue_depth` events); its value
at a moment is the last reading at or before it. Readings are kept one per time slot
(the latest in the slot wins, with its own time), starting at one second; when more
than `cap` slots are held, slots double in width and the kept readings are thinned to
one per wider slot. Memory stays bounded (2 arrays of `cap` floats) however long the
log, and a moment's value is at worst the last reading of the slot before it.
Before the first reading kept, the queue depth is not known: None, never 0.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterable

FIRST_SLOT_S = 1.0
KEPT_READINGS = 65_536  # 1 MB: 18 hours at one reading a second before slots widen


class QueueHistory:
    """Queue depth readings over the log's time (thinned to bounded memory)."""

    __slots__ = ("cap", "slot_s", "times", "values")

    def __init__(self, cap: int = KEPT_READINGS, slot_s: float = FIRST_SLOT_S) -> None:
        self.cap = max(cap, 2)
        self.slot_s = slot_s
        self.times = array("d")
        self.values = array("d")

    def __len__(self) -> int:
        return len(self.times)

    def add(self, ts: float, value: float) -> None:
        """One reading at log time `ts` (readings come mostly in time order)."""
        times = self.times
        slot = ts // self.slot_s
        if times and times[-1] // self.slot_s == slot:
            if ts >= times[-1]:  # the latest reading of a slot stands for it
                times[-1], self.values[-1] = ts, value
            return
        if not times or ts > times[-1]:
            times.append(ts)
            self.values.append(value)
        else:
            self._insert(ts, value)
        if len(times) > self.cap:
            self._widen()

    def _insert(self, ts: float, value: float) -> None:
        """A reading older than the newest (another file's, or a merge): in its place,
        replacing its slot's reading if that one is older."""
        times, values = self.times, self.values
        index = bisect_right(times, ts)
        if index and times[index - 1] // self.slot_s == ts // self.slot_s:
            if ts > times[index - 1]:  # the latest reading of a slot stands for it
                times[index - 1], values[index - 1] = ts, value
            return
        if index < len(times) and times[index] // self.slot_s == ts // self.slot_s:
            return  # a later reading of the same slot stands for it
        times.insert(index, ts)
        values.insert(index, value)

    def _widen(self) -> None:
        """Double the slot width and keep the latest reading of each wider slot."""
        while len(self.times) > self.cap:
            self.slot_s *= 2
            times, values = array("d"), array("d")
            for ts, value in zip(self.times, self.values, strict=True):
                if times and times[-1] // self.slot_s == ts // self.slot_s:
                    times[-1], values[-1] = ts, value
                else:
                    times.append(ts)
                    values.append(value)
            self.times, self.values = times, values

    def copy(self) -> QueueHistory:
        """A copy later readings do not change (to query outside the ledger's lock)."""
        twin = QueueHistory(self.cap, self.slot_s)
        twin.times, twin.values = array("d", self.times), array("d", self.values)
        return twin

    def at(self, moment: float) -> float | None:
        """The queue depth at `moment`: the last reading kept at or before it (None:
        no reading by then)."""
        index = bisect_right(self.times, moment)
        return self.values[index - 1] if index else None

    @property
    def first(self) -> float | None:
        """When the first reading kept was taken (None: no reading)."""
        return self.times[0] if self.times else None

    def readings(self) -> list[tuple[float, float]]:
        """(time, value) of every reading kept, oldest first (for a merge)."""
        return list(zip(self.times, self.values, strict=True))

    def extend(self, readings: Iterable[tuple[float, float]]) -> None:
        """Add readings (another part of the same log)."""
        for ts, value in readings:
            self.add(ts, value)
