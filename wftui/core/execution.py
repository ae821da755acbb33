"""One workflow execution as the core keeps it: a running summary plus its raw lines.

The summary is what the figures and the executions table need, updated per event in
O(1). The raw lines are kept so the step tree (`wftui.core.steps`) can be built on
demand, exactly as logged, without holding a parsed dict per event in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wftui.core.step_nesting import StepNesting
    from wftui.core.step_twins import StepTwins

RUNNING = "running"
NO_LINES: tuple[bytes, ...] = ()
SUCCEEDED = "succeeded"
FAILED = "failed"


class Execution:
    """All events of one execution_id: summary fields and the raw lines behind them."""

    __slots__ = (
        "execution_id", "workflow_name", "replay_of", "replays", "first_ts", "last_ts",
        "complete_ts", "complete_status", "complete_duration_ms", "error_ts", "failed",
        "failed_step", "first_error", "open_steps", "steps", "errors", "input_tokens",
        "output_tokens", "cost_usd", "raw", "read_times", "seq", "early_completes",
        "raw_dropped", "failed_steps", "logged", "sampling", "twins", "nesting",
        "kept_at",
    )

    def __init__(self, execution_id: str, ts: float, seq: int,
                 keep_raw: bool = True) -> None:
        self.execution_id = execution_id
        self.workflow_name: str | None = None
        self.replay_of: str | None = None
        self.replays: list[str] = []
        self.first_ts = ts
        self.last_ts = ts
        self.complete_ts: float | None = None
        self.complete_status: str | None = None
        self.complete_duration_ms: float | None = None
        self.error_ts: float | None = None
        self.failed = False
        self.failed_step: str | None = None
        self.first_error: str | None = None
        # step_name -> start time (or times, when several of one name overlap) of the
        # steps not yet completed: for pairing and for the idle rule
        self.open_steps: dict[str, float | list[float]] = {}
        # step_name -> completions read before their start (events from two sources):
        # (time, failed, whether the step's sample waits for the start)
        self.early_completes: dict[str, list[tuple[float, bool, bool]]] | None = None
        self.steps = 0
        self.errors = 0  # `error` events
        # step_complete with success false: the errors column shows the larger of the
        # two (a failure logged both ways is one error, one logged either way counts)
        self.failed_steps = 0
        self.input_tokens = 0
        self.output_tokens = 0
        # None until a step tells a cost: nothing priced is no cost, and a model priced
        # at 0 (self-hosted) costs $0, which a sum from 0 could not tell apart.
        self.cost_usd: float | None = None
        # A ledger that keeps no lines (`check`) shares one empty, immutable sequence:
        # a list each would cost ~17 MB per 300k executions.
        self.raw: list[bytes] | tuple[bytes, ...] = [] if keep_raw else NO_LINES
        self.raw_dropped = 0  # lines not kept (folded while running, or past the cap)
        # index in raw -> time read, for the rare events logged without a timestamp
        self.read_times: dict[int, float] | None = None
        self.seq = seq  # read order of the first event: newest-first lists sort on it
        # When it (last) entered the retained executions: their order (a woken dormant
        # one goes last again, its `seq` unchanged). The table breaks ties on it.
        self.kept_at = 0
        # Sampled traces (`wftui.core.sampling`): whether any of its events came from a
        # log (logs cover every execution: it then counts once, whatever its trace
        # says), and what its trace said: None (no span read), UNKNOWN, or how many
        # executions it stands for. `sample_weight` reads the two.
        self.logged = False
        self.sampling: float | str | None = None
        # Its completed steps not yet matched, once it has both logged and traced ones
        # (in `check` reading spans: from its first): one step both logged and traced
        # counts once (`wftui.core.step_twins`).
        self.twins: StepTwins | None = None
        # Its steps' ids, once a step carries one: `steps` counts the top-level ones,
        # and a span sent again is not counted again (`wftui.core.step_nesting`); a
        # root span that came alone keeps only its id here (a str).
        self.nesting: StepNesting | str | None = None

    def copy(self) -> Execution:
        """A copy that later events do not change (to build a step tree outside a lock)."""
        twin = Execution.__new__(Execution)
        for name in Execution.__slots__:
            setattr(twin, name, getattr(self, name))
        twin.raw = list(self.raw)
        twin.replays = list(self.replays)
        twin.open_steps = dict(self.open_steps)
        twin.read_times = dict(self.read_times) if self.read_times is not None else None
        return twin

    def status(self, now: float, idle_timeout: float | None) -> str:
        """failed / succeeded / running, with the idle rule for logs without a completion.

        A running execution with no open step and no event for `idle_timeout` seconds
        counts as succeeded (docs/log-format.md).
        """
        if self.failed:
            return FAILED
        if self.complete_status == "success":
            return SUCCEEDED
        if (idle_timeout is not None and now - self.last_ts >= idle_timeout
                and not self.open_steps):
            return SUCCEEDED
        return RUNNING

    def end_ts(self, status: str) -> float | None:
        """When it ended: the completion's time, else the error's, else the last event's."""
        if status == RUNNING:
            return None
        if self.complete_ts is not None:
            return self.complete_ts
        if self.error_ts is not None:
            return self.error_ts
        return self.last_ts

    def duration_s(self, status: str) -> float | None:
        """workflow_complete's duration_ms if given, else end time minus first event."""
        if self.complete_duration_ms is not None:
            return self.complete_duration_ms / 1000.0
        end = self.end_ts(status)
        if end is None:
            return None
        return max(end - self.first_ts, 0.0)

    def ended(self, status: str) -> tuple[float | None, float | None]:
        """(end_ts, duration_s) as they give them, each worked out once: a big log's
        first refresh builds 50,000 rows, and its merge folds 80,000 executions."""
        end = None if status == RUNNING else self.end_ts(status)
        if self.complete_duration_ms is not None:
            return end, self.complete_duration_ms / 1000.0
        return end, None if end is None else max(end - self.first_ts, 0.0)

    def row(self, now: float, idle_timeout: float | None) -> ExecutionRow:
        """An immutable row for tables and JSON output."""
        # The row's fields in their order (keywords cost a third more).
        status = self.status(now, idle_timeout)
        first = self.first_ts
        end, duration = self.ended(status)
        return ExecutionRow(
            self.execution_id, self.workflow_name, status, first, end, duration,
            self.steps, max(self.errors, self.failed_steps), self.input_tokens,
            self.output_tokens, self.cost_usd, self.failed_step, self.first_error,
            self.replay_of, tuple(self.replays), self.seq,
            max(now - first, 0.0) if status == RUNNING else None)


# -- a summary as plain values, for a log read in parts (`wftui.core.ledger_merge`) ----

# Every slot but the raw lines (a part does not keep them: `check` reads in parts) and
# the read order (`seq`, renumbered by the merge).
SUMMARY_FIELDS = (
    "execution_id", "workflow_name", "replay_of", "replays", "first_ts", "last_ts",
    "complete_ts", "complete_status", "complete_duration_ms", "error_ts", "failed",
    "failed_step", "first_error", "open_steps", "steps", "errors", "input_tokens",
    "output_tokens", "cost_usd", "early_completes", "raw_dropped", "failed_steps",
    "logged", "sampling",
)
# One C call for the whole tuple: tens of thousands of summaries cross a pipe at once.
summary_values: Any = attrgetter(*SUMMARY_FIELDS)


def from_summary(values: tuple[Any, ...], seq: int) -> Execution:
    """The Execution `summary_values` was taken from (its lines counted, not kept)."""
    execution = Execution.__new__(Execution)
    (execution.execution_id, execution.workflow_name, execution.replay_of,
     execution.replays, execution.first_ts, execution.last_ts, execution.complete_ts,
     execution.complete_status, execution.complete_duration_ms, execution.error_ts,
     execution.failed, execution.failed_step, execution.first_error, execution.open_steps,
     execution.steps, execution.errors, execution.input_tokens, execution.output_tokens,
     execution.cost_usd, execution.early_completes, execution.raw_dropped,
     execution.failed_steps, execution.logged, execution.sampling) = values
    execution.raw = NO_LINES
    execution.read_times = None
    execution.twins = None
    execution.nesting = None
    execution.seq = seq
    execution.kept_at = 0
    return execution


# -- helpers of the ledger's hot loop (kept beside the fields they change) -----------

# Raw lines kept per execution: the first RAW_HEAD_LINES and, past MAX_RAW_LINES, the
# latest ones (RAW_TRIM_LINES after the head are dropped at a time: amortised O(1)).
MAX_RAW_LINES = 20_000
RAW_HEAD_LINES = 2_000
RAW_TRIM_LINES = 5_000


def push_start(open_steps: dict[str, float | list[float]], key: str, ts: float) -> None:
    """A second step of the same name opened before the first completed: keep both."""
    current = open_steps[key]
    if type(current) is list:
        current.append(ts)
    else:
        open_steps[key] = [current, ts]  # type: ignore[list-item]


def pop_start(open_steps: dict[str, float | list[float]], key: str,
               starts: list[float]) -> float | None:
    """The earliest open start of a name (steps pair in order), the rest stay open."""
    first = starts.pop(0) if starts else None
    if len(starts) == 1:
        open_steps[key] = starts[0]
    elif starts:
        open_steps[key] = starts
    return first


def trim_raw(execution: Execution) -> None:
    """One execution logging without end: keep its first lines and its latest ones.

    The summary (status, sums, samples) is unaffected; only the step tree loses the
    middle, and says how many lines it lost.
    """
    cut = slice(RAW_HEAD_LINES, RAW_HEAD_LINES + RAW_TRIM_LINES)
    assert isinstance(execution.raw, list)  # only a ledger that keeps lines trims them
    del execution.raw[cut]
    execution.raw_dropped += RAW_TRIM_LINES
    if execution.read_times:
        execution.read_times = {
            (index if index < RAW_HEAD_LINES else index - RAW_TRIM_LINES): ts
            for index, ts in execution.read_times.items()
            if not RAW_HEAD_LINES <= index < RAW_HEAD_LINES + RAW_TRIM_LINES}


def note_early_completion(execution: Execution, key: str, completed: float, failed: bool,
                waits: bool) -> None:
    """A completion with no open start: its start may come later from another source.

    `waits` when the completion had no duration_ms: its sample waits for the start to
    know how long the step took.
    """
    if execution.early_completes is None:
        execution.early_completes = {}
    execution.early_completes.setdefault(key, []).append((completed, failed, waits))


def add_step_details(execution: Execution, event: Any, failed: bool) -> None:
    """The rarer parts of a step_complete (a `LogEvent`): a failure, tokens and cost of
    an LLM step."""
    if failed:
        execution.failed = True
        execution.failed_steps += 1  # for the errors column (Execution.row)
        note_failure(execution, event)
    count = event.input_tokens
    if count is not None and count > 0:
        execution.input_tokens += count
    count = event.output_tokens
    if count is not None and count > 0:
        execution.output_tokens += count
    cost = event.cost_usd
    if cost is not None and cost >= 0:
        total = execution.cost_usd
        execution.cost_usd = cost if total is None else total + cost


def note_failure(execution: Execution, event: Any) -> None:
    """The first failed step and the first error text an execution shows."""
    if execution.failed_step is None and event.step_name is not None:
        execution.failed_step = event.step_name
    if execution.first_error is None and event.error:
        execution.first_error = event.error


# Not frozen, on purpose: the first refresh of a big log builds one row per retained
# execution (50,000 on the 1M-line benchmark), and a frozen dataclass's __init__ writes
# each field through object.__setattr__: 5.4 us a row against 1.6 us (a quarter of a
# second of that refresh). Rows are still never changed once made (the screen's thread
# reads them while the next refresh builds); a changed copy is `dataclasses.replace`'s.
@dataclass(slots=True)
class ExecutionRow:
    """What the executions table shows of one execution, as of a snapshot."""

    execution_id: str
    workflow_name: str | None
    status: str
    start_ts: float
    end_ts: float | None
    duration_s: float | None
    steps: int
    errors: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None  # None: nothing priced (0.0: priced, and free)
    failed_step: str | None
    first_error: str | None
    replay_of: str | None
    replays: tuple[str, ...]
    seq: int
    running_for_s: float | None = None  # a running one's age so far (its duration is None)
    open_at_end: bool = False  # still running where an old log ends (not running now)
