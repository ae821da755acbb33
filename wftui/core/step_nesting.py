"""Which steps are the execution's own and which are inside another step; and which
spans it has already folded.

The executions table counts an execution's steps as its step tree shows them at the
top: a step whose `parent_step_id` names another step of the execution (a tool call's
span inside its step's span, a logged sub-step) is inside that step, not one more. A
span whose parent is the root span is a top-level step: the root is the execution,
not a step. Steps arrive in any order (a child span ends, and is exported, before its
parent), so a step whose parent is not known yet waits to be told it was nested.

OTLP is delivered at least once: an exporter whose request timed out, or that got a 503
after wftui had taken it, or a Collector retrying, sends the same spans again. The ids
kept here say which were spans (and which was the root span), so a span folded once is
not folded again (`started`, `told_before`): its step, tokens, cost and latency would
count twice. Logged steps are never taken for a repeat: a log is read once, and the
same id logged again is a step run again, counted as it always was.

Only executions whose steps carry ids keep this (`Execution.nesting`): it costs
nothing to logs without them. An execution whose root span came alone (no step with an
id yet) keeps only the root's id, as a str.
"""

from __future__ import annotations

# What an id was seen as (bits of `StepNesting.ids`' values): a logged step's, a span's
# step's, the execution's root span's (not a step: the spans under it are at the top).
LOGGED, TRACED, ROOT = 1, 2, 4
STEP = LOGGED | TRACED
# A span whose id is one of these was folded: TRACED or ROOT (a root resent reads as a
# step of its trace, or as the root again).
FOLDED = TRACED | ROOT


class StepNesting:
    """The step ids of one execution seen so far (with what each was seen as), and the
    parents not (yet) known as steps, with how many steps named each."""

    __slots__ = ("ids", "waiting")

    def __init__(self, root: str | None = None) -> None:
        # id -> LOGGED | TRACED | ROOT bits (a dict of n ids costs less than a set of them)
        self.ids: dict[str, int] = {} if root is None else {root: ROOT}
        self.waiting: dict[str, int] = {}

    def started(self, step_id: str | None, parent_id: str | None,
                traced: bool = False) -> int | None:
        """A step started (`traced`: a span's): how many steps counted so far turn out
        to be inside another (this one, when its parent is a step already seen, and
        those read earlier whose parent is this one). None, and nothing noted, for a
        span folded before (its id a span's, or the root's): it was sent again."""
        ids = self.ids
        if step_id in ids:  # (rare: a step's id seen before)
            return self._seen_again(step_id, parent_id, ids[step_id], traced)
        inside = 0
        if parent_id is not None:
            if parent_id in ids and ids[parent_id] & STEP:
                inside = 1
            else:
                waiting = self.waiting
                waiting[parent_id] = waiting.get(parent_id, 0) + 1
        if step_id is not None:
            ids[step_id] = TRACED if traced else LOGGED
            inside += self.waiting.pop(step_id, 0)
        return inside

    def _seen_again(self, step_id: str, parent_id: str | None, held: int,
                    traced: bool) -> int | None:
        """`started` for an id seen before: a span sent again (None), or a logged
        step's id again, a span with a logged step's id (one step: `step_twins`), a
        step with the root span's id."""
        if traced and held & FOLDED:
            return None
        ids = self.ids
        inside = 0
        if parent_id is not None:
            if parent_id in ids and ids[parent_id] & STEP:
                inside = 1
            else:
                self.waiting[parent_id] = self.waiting.get(parent_id, 0) + 1
        seen_as = TRACED if traced else LOGGED
        if not held & seen_as:
            ids[step_id] = held | seen_as
            if not held & STEP:  # the root span's id, as a step's
                inside += self.waiting.pop(step_id, 0)
        return inside


def told_before(nesting: StepNesting | str, step_id: str | None) -> bool:
    """Whether a root span's line (`workflow_start`, `error`, `workflow_complete`)
    repeats the root already folded into this execution (`Ledger._apply`)."""
    if step_id is None:
        return False
    if isinstance(nesting, str):  # only the root's id
        return step_id == nesting
    return bool(nesting.ids.get(step_id, 0) & ROOT)
