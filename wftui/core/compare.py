"""Comparing two executions step by step: what a replay did differently (pure).

Steps are aligned by name and order (a longest-matching-sequence alignment, so a step
that only one side ran shows up as added or missing without shifting the rest). Each
row says how the two sides differ: status, error text, branch path, duration ratio,
tokens, cost. A one-line verdict sums it up. Either side may still be running: steps
it has not reached yet are "not yet", not "missing".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from difflib import SequenceMatcher
from typing import Any

from wftui.core.error_text import event_error
from wftui.core.format import ratio as ratio_text
from wftui.core.format import seconds, usage_values
from wftui.core.steps import ExecutionDetail, Step

# A step is marked slower/faster when one side took this many times as long.
DURATION_RATIO_MARK = 1.5
OK_STATUSES = ("ok", "done")  # "done" = completed without a success field

# Difference kinds, in the order they are listed.
ADDED, MISSING, NOT_YET = "added", "missing", "not yet"
STATUS, ERROR, BRANCH = "status", "error", "branch"
SLOWER, FASTER, TOKENS, COST = "slower", "faster", "tokens", "cost"


@dataclass(frozen=True)
class StepSide:
    """One side of a row: what the step did in that execution."""

    status: str  # ok / failed / running / done
    duration_s: float | None
    error: str | None
    path_taken: str | None  # branch decisions made in the step, joined with ", "
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: float | None
    step_type: str | None


@dataclass(frozen=True)
class StepRow:
    """One aligned step: the left and right sides (None when that side lacks it)."""

    name: str
    left: StepSide | None
    right: StepSide | None
    differences: tuple[str, ...]
    duration_ratio: float | None  # right / left


@dataclass(frozen=True)
class Summary:
    """One execution's header figures."""

    execution_id: str
    workflow_name: str | None
    status: str
    duration_s: float | None
    steps: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None  # None: nothing priced
    failed_step: str | None
    error: str | None
    replay_of: str | None


@dataclass(frozen=True)
class Comparison:
    """Two executions side by side: headers, aligned rows, the verdict."""

    left: Summary
    right: Summary
    left_label: str  # "the original", "the replay", or the execution id
    right_label: str
    rows: tuple[StepRow, ...]
    verdict: str
    duration_ratio: float | None  # whole execution, right / left
    running: bool  # either side still running: the comparison will change

    @property
    def differs(self) -> bool:
        """Whether anything differs (outcome, a step's, or the step list)."""
        # Two failures at the same step with other errors (or outside any step, where
        # no row carries the error) are another outcome: the verdict says so too.
        return (self.left.status != self.right.status
                or (self.left.failed_step, self.left.error)
                != (self.right.failed_step, self.right.error)
                or any(row.differences for row in self.rows))

    def as_dict(self) -> dict[str, Any]:
        """JSON-able (`wftui diff --format json`)."""
        return {"left": _summary_dict(self.left), "right": _summary_dict(self.right),
                "left_label": self.left_label, "right_label": self.right_label,
                "verdict": self.verdict, "duration_ratio": self.duration_ratio,
                "running": self.running, "differs": self.differs,
                "rows": [{"step": row.name,
                          "left": asdict(row.left) if row.left else None,
                          "right": asdict(row.right) if row.right else None,
                          "differences": list(row.differences),
                          "duration_ratio": row.duration_ratio} for row in self.rows]}


def _summary_dict(summary: Summary) -> dict[str, Any]:
    """A header as JSON: tokens and cost nothing logged are null, as the text's "—"."""
    out = asdict(summary)
    out["input_tokens"], out["output_tokens"], out["cost_usd"] = usage_values(
        summary.input_tokens, summary.output_tokens, summary.cost_usd)
    return out


def _first_error(detail: ExecutionDetail) -> tuple[str | None, str | None]:
    """(failed step, error text) of an execution: the first failed step, else its own."""
    for step in detail.steps:
        if step.status == "failed":
            error = step.error or next((_text(i.event.get("error")) for i in step.items
                                        if i.kind == "error"), None)
            return step.name, error
    for item in detail.items:
        error = event_error(item.event)
        if item.kind == "error":
            return None, error
        if item.kind == "workflow_complete" and error is not None:
            # Whatever its status word ("timeout", "error", one of [logs.statuses]): the
            # execution failed, and this line says why (the ledger read the word).
            return None, error
    return None, None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def top_level_steps(detail: ExecutionDetail) -> int:
    """Its steps as the executions table counts them: nested ones (a tool call inside an
    agent's step, a child span) are part of their parent step."""
    return sum(1 for step in detail.steps if step.depth == 0)


def summarize(detail: ExecutionDetail) -> Summary:
    """The header of one side."""
    failed_step, error = _first_error(detail) if detail.status == "failed" else (None, None)
    return Summary(detail.execution_id, detail.workflow_name, detail.status,
                   detail.duration_s, top_level_steps(detail), detail.input_tokens,
                   detail.output_tokens, detail.cost_usd, failed_step, error,
                   detail.replay_of)


def _side(step: Step) -> StepSide:
    paths = [str(item.event.get("path_taken")) for item in step.items
             if item.kind == "branch_decision" and item.event.get("path_taken") is not None]
    return StepSide(step.status, step.duration_s, step.error, ", ".join(paths) or None,
                    step.input_tokens, step.output_tokens, step.cost_usd, step.step_type)


def ratio(right: float | None, left: float | None) -> float | None:
    """right / left, or None when either is unknown or left is 0."""
    if right is None or left is None or left <= 0:
        return None
    return right / left


def shown_same(right: float | None, left: float | None) -> bool:
    """Both durations read the same to the operator (0.4 ms and 0.2 ms are both 0ms):
    no side was faster, whatever the ratio of what rounding hid."""
    return right is not None and left is not None and seconds(right) == seconds(left)


def _marked(value: float | None, right: float | None, left: float | None) -> bool:
    """A ratio far enough from 1 to call one side slower or faster."""
    return value is not None and not shown_same(right, left) and (
        value >= DURATION_RATIO_MARK or value <= 1 / DURATION_RATIO_MARK)


def _differences(left: StepSide, right: StepSide) -> tuple[list[str], float | None]:
    out: list[str] = []
    same_status = left.status == right.status or (left.status in OK_STATUSES
                                                  and right.status in OK_STATUSES)
    if not same_status and "running" not in (left.status, right.status):
        out.append(STATUS)
    if (left.error or right.error) and left.error != right.error \
            and "running" not in (left.status, right.status):
        out.append(ERROR)
    if left.path_taken is not None and right.path_taken is not None \
            and left.path_taken != right.path_taken:
        out.append(BRANCH)
    step_ratio = ratio(right.duration_s, left.duration_s)
    if _marked(step_ratio, right.duration_s, left.duration_s):
        out.append(SLOWER if step_ratio is not None and step_ratio > 1 else FASTER)
    if None not in (left.input_tokens, right.input_tokens, left.output_tokens,
                    right.output_tokens) and (left.input_tokens, left.output_tokens) != \
            (right.input_tokens, right.output_tokens):
        out.append(TOKENS)
    if left.cost_usd is not None and right.cost_usd is not None \
            and abs(left.cost_usd - right.cost_usd) > 1e-12:
        out.append(COST)
    return out, step_ratio


def _align(left: list[Step], right: list[Step]) -> list[tuple[Step | None, Step | None]]:
    """Pairs of steps matched by name in order; unmatched ones alone (left first)."""
    matcher = SequenceMatcher(None, [s.name for s in left], [s.name for s in right],
                              autojunk=False)
    pairs: list[tuple[Step | None, Step | None]] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            pairs += list(zip(left[i1:i2], right[j1:j2], strict=True))
        else:
            pairs += [(step, None) for step in left[i1:i2]]
            pairs += [(None, step) for step in right[j1:j2]]
    return pairs


def _rows(left: ExecutionDetail, right: ExecutionDetail) -> list[StepRow]:
    pairs = _align(left.steps, right.steps)
    last_left = max((i for i, (a, _) in enumerate(pairs) if a is not None), default=-1)
    last_right = max((i for i, (_, b) in enumerate(pairs) if b is not None), default=-1)
    rows: list[StepRow] = []
    for index, (a, b) in enumerate(pairs):
        if a is not None and b is not None:
            differences, step_ratio = _differences(_side(a), _side(b))
            rows.append(StepRow(a.name, _side(a), _side(b), tuple(differences), step_ratio))
        elif a is not None:
            # Past the right side's last step while it still runs: it may get there.
            pending = right.status == "running" and index > last_right
            rows.append(StepRow(a.name, _side(a), None, (NOT_YET if pending else MISSING,),
                                None))
        elif b is not None:
            pending = left.status == "running" and index > last_left
            rows.append(StepRow(b.name, None, _side(b), (NOT_YET if pending else ADDED,),
                                None))
    return rows


def labels(left: ExecutionDetail, right: ExecutionDetail) -> tuple[str, str]:
    """"the original"/"the replay" when one replays the other, else the two ids."""
    if right.replay_of == left.execution_id:
        return "the original", "the replay"
    if left.replay_of == right.execution_id:
        return "the replay", "the original"
    return left.execution_id, right.execution_id


def compare(left: ExecutionDetail, right: ExecutionDetail) -> Comparison:
    """The comparison of `left` (usually the original) with `right` (the replay)."""
    left_label, right_label = labels(left, right)
    rows = tuple(_rows(left, right))
    left_summary, right_summary = summarize(left), summarize(right)
    whole = ratio(right.duration_s, left.duration_s)
    verdict = _verdict(left_summary, right_summary, left_label, right_label, rows, whole,
                       right, left)
    return Comparison(left_summary, right_summary, left_label, right_label, rows, verdict,
                      whole, "running" in (left.status, right.status))


def _where(summary: Summary) -> str:
    return f"at {summary.failed_step}" if summary.failed_step else "(outside any step)"


def _verdict(a: Summary, b: Summary, la: str, lb: str, rows: tuple[StepRow, ...],
             whole: float | None, right: ExecutionDetail, left: ExecutionDetail) -> str:
    if b.status == "running" or a.status == "running":
        return _running_verdict(a, b, la, lb, rows, right, left)
    if a.status == "failed" and b.status == "succeeded":
        return f"{lb} succeeded where {la} failed {_where(a)}"
    if a.status == "succeeded" and b.status == "failed":
        return f"{lb} failed {_where(b)} where {la} succeeded"
    if a.status == "failed" and b.status == "failed":
        if a.failed_step != b.failed_step:
            return f"both failed: {la} {_where(a)}, {lb} {_where(b)}"
        if a.error == b.error:
            return f"both failed {_where(a)} with the same error"
        return f"both failed {_where(a)}, with different errors"
    branch = next((row for row in rows if BRANCH in row.differences), None)
    if branch is not None and branch.left and branch.right:
        return (f"both succeeded; {lb} took a different path at {branch.name} "
                f"({branch.right.path_taken} instead of {branch.left.path_taken})")
    changed = [row for row in rows if {ADDED, MISSING} & set(row.differences)]
    if changed:
        return f"both succeeded, but their steps differ ({_step_changes(rows)})"
    notes = []
    if whole is not None and _marked(whole, b.duration_s, a.duration_s):
        notes.append(f"{lb} took {ratio_text(whole)}x as long")
    tokens_a, tokens_b = a.input_tokens + a.output_tokens, b.input_tokens + b.output_tokens
    if tokens_a != tokens_b:
        notes.append(f"{lb} used {tokens_b:,} tokens (vs {tokens_a:,})")
    if a.cost_usd is not None and b.cost_usd is not None \
            and abs(a.cost_usd - b.cost_usd) >= 0.00005:
        notes.append(f"cost ${b.cost_usd:.4f} (vs ${a.cost_usd:.4f})")
    if notes:
        return "both succeeded along the same steps; " + ", ".join(notes)
    return "both succeeded along the same steps, with no notable difference"


def _step_changes(rows: tuple[StepRow, ...]) -> str:
    parts = [f"{row.name} {row.differences[0]}" for row in rows
             if row.differences and row.differences[0] in (ADDED, MISSING)]
    return ", ".join(parts[:4]) + (", ..." if len(parts) > 4 else "")


def _running_verdict(a: Summary, b: Summary, la: str, lb: str, rows: tuple[StepRow, ...],
                     right: ExecutionDetail, left: ExecutionDetail) -> str:
    if a.status == "running" and b.status == "running":
        return f"both are still running ({la}: {top_level_steps(left)} steps so far, " \
               f"{lb}: {top_level_steps(right)})"
    ended, run_label, run_detail = (a, lb, right) if b.status == "running" else (b, la, left)
    ended_label = la if ended is a else lb
    now = run_detail.steps[-1].name if run_detail.steps else None
    text = f"{run_label} is still running" + (f", now at {now}" if now else ", no step yet")
    if ended.status == "failed" and ended.failed_step:
        row = next((r for r in rows if r.name == ended.failed_step), None)
        side = (row.right if ended is a else row.left) if row else None
        if side is not None and side.status in OK_STATUSES:
            return f"{text}; it has passed {ended.failed_step}, where {ended_label} failed"
    if any(STATUS in row.differences for row in rows):
        first = next(row for row in rows if STATUS in row.differences)
        return f"{text}; so far it differs at {first.name} (status)"
    return text
