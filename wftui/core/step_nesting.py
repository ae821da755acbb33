"""Which steps are the execution's own and which are inside another step.

The executions table counts an execution's steps as its step tree shows them at the
top: a step whose `parent_step_id` names another step of the execution (a tool call's
span inside its step's span, a logged sub-step) is inside that step, not one more. A
span whose parent is the root span is a top-level step: the root is the execution,
not a step. Steps arrive in any order (a child span ends, and is exported, before its
parent), so a step whose parent is not known yet waits to be told it was nested.

Only executions whose steps carry ids keep this (`Execution.nesting`): it costs
nothing to logs without them.
"""

from __future__ import annotations


class StepNesting:
    """The step ids of one execution seen so far, and the parents not (yet) known as
    steps, with how many steps named each."""

    __slots__ = ("ids", "waiting")

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.waiting: dict[str, int] = {}

    def started(self, step_id: str | None, parent_id: str | None) -> int:
        """A step started: how many steps counted so far turn out to be inside another
        (this one, when its parent is a step already seen, and those read earlier
        whose parent is this one)."""
        inside = 0
        if parent_id is not None:
            if parent_id in self.ids:
                inside += 1
            else:
                self.waiting[parent_id] = self.waiting.get(parent_id, 0) + 1
        if step_id is not None and step_id not in self.ids:
            self.ids.add(step_id)
            inside += self.waiting.pop(step_id, 0)
        return inside
