"""The dashboard's memory: each figure's recent values, for the sparklines.

The core keeps no history of figures, so the app samples every snapshot into fixed
time buckets (the latest value in a bucket wins). Buckets make the sparkline depend
on time, not on how often snapshots happened to be taken, and keep memory bounded.
"""

from __future__ import annotations

from collections import deque

BUCKET_S = 5.0
KEPT_S = 3600.0  # an hour, so the "1h" window has a full line


class FigureHistory:
    """Per-figure values in BUCKET_S buckets over the last KEPT_S seconds."""

    def __init__(self, bucket_s: float = BUCKET_S, kept_s: float = KEPT_S) -> None:
        self.bucket_s = bucket_s
        self.kept = int(kept_s // bucket_s)
        # name -> deque of (bucket index, value or None)
        self._series: dict[str, deque[tuple[int, float | None]]] = {}

    def add(self, at: float, values: dict[str, float | None]) -> None:
        """Record one snapshot's figures at time `at` (None = no data then)."""
        bucket = int(at // self.bucket_s)
        for name, value in values.items():
            series = self._series.get(name)
            if series is None:
                series = self._series[name] = deque(maxlen=self.kept)
            if series and series[-1][0] == bucket:
                series[-1] = (bucket, value)
            elif not series or series[-1][0] < bucket:
                series.append((bucket, value))

    def series(self, name: str, end: float, span_s: float, points: int
               ) -> list[float | None]:
        """`points` values covering [end - span_s, end]: the last sample in each slice.

        A slice with no sample is None (drawn as a gap, never as 0).
        """
        if points <= 0:
            return []
        samples = self._series.get(name)
        out: list[float | None] = [None] * points
        if not samples:
            return out
        start = end - span_s
        slice_s = span_s / points
        for bucket, value in samples:
            mid = (bucket + 0.5) * self.bucket_s
            if mid < start or mid > end + self.bucket_s:
                continue
            index = min(int((mid - start) // slice_s), points - 1)
            if value is not None:
                out[index] = value
        return out
