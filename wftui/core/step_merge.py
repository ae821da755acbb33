"""One step, not two, when an application both logs a step and sends it as a span.

A span's step lines are told apart by their completion's `span_status`. A logged step
and a span step are the same step when the logged one carries the span's id as its
`step_id`, or when it has the span's name and started inside the span (give or take
`MATCH_SLACK_S`, for clocks and for where the log line was written). The logged step
stays (its start and completion events are the application's own words, which export
and replay read); the span adds its place in the tree (`step_id`, `parent_step_id`),
what happened inside it, and whatever the log did not say (type, model, tokens, cost,
a failure).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wftui.core.steps import Step

# How far (seconds) a logged step's start may lie outside its span and still match.
MATCH_SLACK_S = 1.0


def is_span_step(step: Step) -> bool:
    """Whether a step was read from a span (its completion says the span's status)."""
    return step.complete_event is not None and "span_status" in step.complete_event


def merge_span_steps(steps: list[Step]) -> list[Step]:
    """`steps` with each span step that matches a logged step folded into it."""
    spans = [s for s in steps if is_span_step(s)]
    if not spans or len(spans) == len(steps):
        return steps  # only one kind: nothing to merge (the common case)
    logged = [s for s in steps if not is_span_step(s)]
    by_id = {s.step_id: s for s in logged if s.step_id is not None}
    by_name: dict[str, list[Step]] = {}  # thousands of steps: no pairwise search
    for step in logged:
        by_name.setdefault(step.name, []).append(step)
    taken: set[int] = set()
    merged: set[int] = set()
    renamed: dict[str, str] = {}  # a logged step's own id -> its span's id
    for span in spans:
        match = by_id.get(span.step_id) if span.step_id is not None else None
        if match is None or id(match) in taken:
            match = _by_name_and_time(span, by_name.get(span.name, []), taken)
        if match is None:
            continue
        taken.add(id(match))
        merged.add(id(span))
        if match.step_id is not None and span.step_id is not None \
                and match.step_id != span.step_id:
            renamed[match.step_id] = span.step_id
        _fold(span, match)
    for step in steps:  # children logged under a logged step's own id follow it
        if step.parent_step_id in renamed:
            step.parent_step_id = renamed[step.parent_step_id]
    return [s for s in steps if id(s) not in merged]


def _when(step: Step) -> float | None:
    return step.start_ts if step.start_ts is not None else step.end_ts


def _by_name_and_time(span: Step, named: list[Step], taken: set[int]) -> Step | None:
    """Of the logged steps of the span's name (`named`), the untaken one that started
    inside it (nearest the span's start when several did)."""
    start = span.start_ts
    end = span.end_ts if span.end_ts is not None else start
    if start is None or end is None:
        return None
    best: Step | None = None
    best_gap = 0.0
    for step in named:
        when = _when(step)
        if id(step) in taken or when is None:
            continue
        if not start - MATCH_SLACK_S <= when <= end + MATCH_SLACK_S:
            continue
        gap = abs(when - start)
        if best is None or gap < best_gap:
            best, best_gap = step, gap
    return best


def _fold(span: Step, step: Step) -> None:
    """What the span says and the logged step does not, into the logged step."""
    step.step_id = span.step_id if span.step_id is not None else step.step_id
    if step.parent_step_id is None:
        step.parent_step_id = span.parent_step_id
    if step.start_ts is None:
        step.start_ts = span.start_ts
    if step.end_ts is None:
        step.end_ts, step.duration_s = span.end_ts, span.duration_s
    if step.duration_s is None:
        step.duration_s = span.duration_s
    step.step_type = step.step_type or span.step_type
    if span.success is False:
        step.success = False
    elif step.success is None and step.complete_event is not None:
        step.success = span.success
    if step.complete_event is None:  # the log never said it ended; the span did
        step.complete_event = span.complete_event
        step.success = span.success
    step.error = step.error or span.error
    if step.model is None:
        step.model = span.model
    if step.input_tokens is None and step.output_tokens is None:
        step.input_tokens, step.output_tokens = span.input_tokens, span.output_tokens
    if step.cost_usd is None:
        step.cost_usd = span.cost_usd
    if span.items:
        step.items = sorted(step.items + span.items, key=lambda item: item.ts)
