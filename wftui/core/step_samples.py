"""Per-step latency samples, and the pairing of a step's start with its completion.

A step's sample is its `duration_ms`, else the time from its start to its completion.
Events from two files can bring a completion before its start (`early_completes` on the
execution): the sample then waits for the start, and `close_early` records it.
"""

from __future__ import annotations

from wftui.core.execution import Execution
from wftui.core.quantiles import SampleSeries

# Distinct step names tracked for per-step latency; hostile logs with endless unique
# names share one bucket past this so memory stays bounded.
MAX_STEP_NAMES = 500
OTHER_STEPS = "(other steps)"


class StepSamples:
    """step name -> its samples (`series`), at most MAX_STEP_NAMES names plus one."""

    def __init__(self, sample_cap: int) -> None:
        self.sample_cap = sample_cap
        self.series: dict[str, SampleSeries] = {}

    def series_for(self, key: str) -> SampleSeries:
        """The samples of one step name (past MAX_STEP_NAMES names, the shared bucket)."""
        if len(self.series) >= MAX_STEP_NAMES:
            key = OTHER_STEPS
        series = self.series.get(key)
        if series is None:
            series = self.series[key] = SampleSeries(self.sample_cap)
        return series

    def close_early(self, execution: Execution, key: str, start: float) -> bool:
        """Pair a start with a completion read before it, if that one came after the start
        in time (events are ordered by timestamp); record a sample that waited for it.

        False when the completion came before this start: a later run of the step.
        """
        early = execution.early_completes
        assert early is not None
        waiting = early[key]
        completed, failed, waits = waiting[0]
        if completed < start:
            return False  # a later run of the step: it opens as usual
        del waiting[0]
        if not waiting:
            del early[key]
        if waits:
            self.series_for(key).add(completed, completed - start, failed)
        return True
