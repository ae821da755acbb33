"""An execution's step tree, rebuilt on demand from its raw lines (docs/log-format.md).

Steps pair a `step_start` with the next `step_complete` of the same name (a whole step,
a `step_complete` with its `start_timestamp`, is open from that start to its own line);
tool calls, branch decisions and errors attach to the open step of their name (or the
latest open step), else to the execution. Everything else is kept and shown raw. A step both
logged and sent as a span is shown once (`wftui.core.step_merge`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wftui.core.error_text import event_error
from wftui.core.execution import Execution
from wftui.core.format import usage_values
from wftui.core.json_out import dumps
from wftui.core.parse import duration_ms, load_line, number, text
from wftui.core.step_merge import merge_span_steps
from wftui.core.timestamps import format_timestamp, parse_timestamp

# A log line as JSON -> the same in our shape (a mapped log).
Normalize = Callable[[dict[str, Any]], dict[str, Any]]
WHOLE_START = "whole step start"  # `_with_whole_starts`' entries (never a line's event)


@dataclass
class Item:
    """One event attached to a step or to the execution, in the order it happened."""

    kind: str  # tool_call, branch_decision, error, or an unknown event name
    ts: float
    event: dict[str, Any]


@dataclass(eq=False)  # steps are told apart by identity (two runs may look alike)
class Step:
    """One step: its start and completion, and what happened inside it."""

    name: str
    step_type: str | None
    start_ts: float | None
    end_ts: float | None = None
    duration_s: float | None = None
    success: bool | None = None
    error: str | None = None
    context_keys: list[Any] | None = None
    model: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    items: list[Item] = field(default_factory=list)
    start_event: dict[str, Any] | None = None
    complete_event: dict[str, Any] | None = None
    slowest: bool = False
    critical: bool = False
    step_id: str | None = None
    parent_step_id: str | None = None
    depth: int = 0  # 0: a step of the execution itself; 1: inside one of those; ...
    children: list[Step] = field(default_factory=list)

    @property
    def status(self) -> str:
        """ok / failed / running (started, not completed) / done (no success field)."""
        if self.success is False or any(item.kind == "error" for item in self.items):
            return "failed"
        if self.complete_event is None:
            return "running"
        return "ok" if self.success else "done"


@dataclass
class ExecutionDetail:
    """The whole story of one execution, for the step tree, export and comparison."""

    execution_id: str
    workflow_name: str | None
    status: str
    start_ts: float
    end_ts: float | None
    duration_s: float | None
    steps: list[Step]
    items: list[Item]  # attached to the execution itself (no step open)
    context: dict[str, Any] | None
    replay_of: str | None
    replays: list[str]
    input_tokens: int
    output_tokens: int
    cost_usd: float | None  # None: nothing priced
    complete_event: dict[str, Any] | None = None
    lines_not_kept: int = 0  # folded while running, or past the per-execution cap
    # The "now" it was built at (how long a running one has run); for an execution that
    # has ended, that end: a step it left open ran no longer.
    as_of: float = 0.0

    def running_for(self, start: float | None) -> float | None:
        """Seconds from `start` to when this was built (None without a start)."""
        return None if start is None else max(self.as_of - start, 0.0)

    def as_dict(self, at: float | None = None) -> dict[str, Any]:
        """JSON-able export (what `e` writes). `at`: the past moment it was built as of
        (what was logged by then), written as `as_of`: without it, a file that says
        "running" reads as the whole story of an execution the log says has ended."""
        moment = {} if at is None else {"as_of": format_timestamp(at)}
        # Sums from 0: what nothing logged is null, not 0 (the tree shows none).
        input_tokens, output_tokens, cost_usd = usage_values(
            self.input_tokens, self.output_tokens, self.cost_usd)
        return {**moment,
            "execution_id": self.execution_id, "workflow_name": self.workflow_name,
            "status": self.status, "start_ts": self.start_ts, "end_ts": self.end_ts,
            "duration_s": self.duration_s, "context": self.context,
            "replay_of": self.replay_of, "replays": self.replays,
            "input_tokens": input_tokens, "output_tokens": output_tokens,
            "cost_usd": cost_usd,
            "steps": [
                {"name": s.name, "step_type": s.step_type, "status": s.status,
                 "start_ts": s.start_ts, "end_ts": s.end_ts, "duration_s": s.duration_s,
                 "error": s.error, "slowest": s.slowest, "critical": s.critical,
                 "model": s.model, "input_tokens": s.input_tokens,
                 "output_tokens": s.output_tokens, "cost_usd": s.cost_usd,
                 "start_event": s.start_event, "complete_event": s.complete_event,
                 "step_id": s.step_id, "parent_step_id": s.parent_step_id,
                 "depth": s.depth, "events": [i.event for i in s.items]}
                for s in self.steps
            ],
            "events": [i.event for i in self.items],
            "complete_event": self.complete_event,
            "lines_not_kept": self.lines_not_kept,
        }


def _events(execution: Execution, normalize: Normalize | None = None
            ) -> list[tuple[float, int, dict[str, Any]]]:
    """(time, read order, event) for every line, sorted by time then read order;
    `normalize` rewrites a log of another shape into ours (`LogMapping.contract_dict`)."""
    out: list[tuple[float, int, dict[str, Any]]] = []
    read_times = execution.read_times or {}
    for index, raw in enumerate(execution.raw):
        event = load_line(raw)
        if type(event) is not dict:
            continue
        if normalize is not None:
            event = normalize(event)
        ts = read_times.get(index)
        if ts is None:
            ts = parse_timestamp(event.get("timestamp"))
        out.append((ts if ts is not None else execution.first_ts, index, event))
    out.sort(key=lambda entry: (entry[0], entry[1]))
    return out


def _find_open(open_steps: list[Step], step_name: Any) -> Step | None:
    """The open step of that name, else the latest open step (docs/log-format.md)."""
    if type(step_name) is str:
        for step in reversed(open_steps):
            if step.name == step_name:
                return step
    return open_steps[-1] if open_steps else None


def _owner(event: dict[str, Any], by_id: dict[str, Step], open_steps: list[Step]
           ) -> Step | None:
    """The step an event belongs to: the one its step_id names, else the open one."""
    step_id = event.get("step_id")
    if type(step_id) is str and step_id in by_id:
        return by_id[step_id]
    return _find_open(open_steps, event.get("step_name"))


def _told_twice(items: list[Item], kind: str, ts: float) -> bool:
    """Whether the execution's start or end is already shown: an execution both logged
    and traced tells it twice (the log's event and the root span's), within a second."""
    return any(item.kind == kind and abs(item.ts - ts) <= 1.0 for item in items)


def build_detail(execution: Execution, now: float, idle_timeout: float | None,
                 normalize: Normalize | None = None) -> ExecutionDetail:
    """The step tree of an execution as logged so far (a running one included);
    `normalize`: the log's mapping onto our shape, if it has one."""
    steps: list[Step] = []
    open_steps: list[Step] = []
    by_id: dict[str, Step] = {}
    items: list[Item] = []
    # A whole step in one line (a span's `step_complete` with its `start_timestamp`) is
    # opened at its start, as a `step_start` would open it, so what happened while it
    # ran lands in it (a span's log records, an error or tool call logged under its
    # name); only its own line closes it (`whole`: line -> its open step).
    whole: dict[int, Step] = {}
    context: dict[str, Any] | None = None
    complete_event: dict[str, Any] | None = None
    for ts, index, event in _with_whole_starts(_events(execution, normalize)):
        kind = event.get("event")
        step_id = text(event.get("step_id"))
        if type(kind) is tuple:  # (WHOLE_START, its completion's event)
            begun = event["start"]
            line = event["line"]
            step = Step(name=text(line.get("step_name")) or "",
                        step_type=text(line.get("step_type")), start_ts=begun,
                        step_id=step_id, parent_step_id=text(line.get("parent_step_id")))
            steps.append(step)
            open_steps.append(step)
            whole[index] = step
            if step_id is not None:
                by_id[step_id] = step
            continue
        if kind == "step_start":
            keys = event.get("context_keys")
            step = Step(name=text(event.get("step_name")) or "",
                        step_type=text(event.get("step_type")), start_ts=ts,
                        context_keys=keys if isinstance(keys, list) else None,
                        start_event=event, step_id=step_id,
                        parent_step_id=text(event.get("parent_step_id")))
            steps.append(step)
            open_steps.append(step)
            if step_id is not None:
                by_id[step_id] = step
        elif kind == "step_complete":
            name = text(event.get("step_name")) or ""
            opened = whole.pop(index, None)
            if opened is None:
                opened = _opened(open_steps, name, step_id, whole)
            if opened is None:  # a completion with no start logged: still a step
                step = Step(name=name, step_type=text(event.get("step_type")),
                            start_ts=None, step_id=step_id,
                            parent_step_id=text(event.get("parent_step_id")))
                steps.append(step)
                if step_id is not None:
                    by_id[step_id] = step
            else:
                step = opened
                open_steps.remove(step)
            _complete(step, event, ts)
        elif kind in ("tool_call", "branch_decision", "error", "span_event", "span_log"):
            owner = _owner(event, by_id, open_steps)
            item = _item(str(kind), ts, event)
            if kind == "span_event" and owner is None and item.kind == "error":
                # The root span's own exception event: written as an event only when
                # the root did not fail (a failed root's exception is its `error`
                # line), so one it got over: not an error of the execution.
                item = _got_over(item, event)
            if owner is None and kind == "branch_decision":
                steps.append(_branch_step(event, ts))
            elif owner is not None:
                owner.items.append(item)
                if item.kind == "error" and owner.error is None:
                    owner.error = event_error(item.event)
            else:
                items.append(item)
        elif kind == "workflow_start":
            raw_context = event.get("context")
            context = raw_context if isinstance(raw_context, dict) else context
            if not _told_twice(items, kind, ts):
                items.append(Item(kind, ts, event))
        elif kind == "workflow_complete":
            if not _told_twice(items, kind, ts):
                complete_event = event
                items.append(Item(kind, ts, event))
        else:
            items.append(Item(str(kind), ts, event))
    steps = _nest(merge_span_steps(steps))  # a step logged and sent as a span: one
    status = execution.status(now, idle_timeout)
    end_ts = execution.end_ts(status)
    # A step never completed in an execution that has ended ran at most to that end:
    # aged to now, it would read as running for hours, and be the slowest step.
    until = now if end_ts is None else min(now, end_ts)
    _mark_slowest_and_critical(steps, until)
    return ExecutionDetail(
        execution_id=execution.execution_id, workflow_name=execution.workflow_name,
        status=status, start_ts=execution.first_ts, end_ts=end_ts,
        duration_s=execution.duration_s(status), steps=steps, items=items, context=context,
        replay_of=execution.replay_of, replays=list(execution.replays),
        input_tokens=execution.input_tokens, output_tokens=execution.output_tokens,
        cost_usd=execution.cost_usd, complete_event=complete_event,
        lines_not_kept=execution.raw_dropped, as_of=until,
    )


def _with_whole_starts(entries: list[tuple[float, int, dict[str, Any]]]
                       ) -> list[tuple[float, int, Any]]:
    """`entries` (`_events`) with a start entry before each whole step's line (a
    `step_complete` whose `start_timestamp` reads as a time; another is a plain
    completion, as the ledger reads it): (its start, its line's index, a dict whose
    "event" is a tuple, so no line's). A start after the end (a clock skewed span)
    is entered at the end, just before its line, and still says its own start."""
    starts: list[tuple[float, int, Any]] = []
    for ts, index, event in entries:
        if event.get("event") == "step_complete":
            began = parse_timestamp(event.get("start_timestamp"))
            if began is not None:
                starts.append((min(began, ts), index, {
                    "event": (WHOLE_START,), "start": began, "line": event,
                    "step_id": event.get("step_id")}))
    if not starts:
        return entries
    # At equal times a start comes before its own line (same index: start first).
    merged: list[tuple[float, int, Any]] = [*entries, *starts]
    merged.sort(key=lambda entry: (entry[0], entry[1], type(entry[2]["event"]) is not tuple))
    return merged


def _opened(open_steps: list[Step], name: str, step_id: str | None,
            whole: dict[int, Step]) -> Step | None:
    """The open step a completion closes: the one of its step_id, else of its name;
    never a whole step (`whole`'s: only its own line closes it). By id, the open step
    that has it (not `by_id`'s: a step logged with its span's id shares it with the
    span's step, which may be the one `by_id` holds)."""
    if whole:
        wholes = {id(step) for step in whole.values()}
        open_steps = [s for s in open_steps if id(s) not in wholes]
    if step_id is not None:
        return next((s for s in reversed(open_steps) if s.step_id == step_id), None)
    named = [s for s in open_steps if s.name == name]
    # One without an id first: a step with one (a span's) is closed by its own id.
    return next((s for s in named if s.step_id is None), named[0] if named else None)


def _item(kind: str, ts: float, event: dict[str, Any]) -> Item:
    """An event inside a step. A span's exception event and a log record of ERROR or
    above are the step's error (shown with the stack trace as the traceback)."""
    if kind == "span_event" and event.get("name") == "exception":
        attrs = event.get("attributes")
        attrs = attrs if isinstance(attrs, dict) else {}
        kind_text, message = attrs.get("exception.type"), attrs.get("exception.message")
        error = ": ".join(str(part) for part in (kind_text, message) if part is not None)
        return Item("error", ts, {**event, "error": error or "exception",
                                  "traceback": attrs.get("exception.stacktrace")})
    if kind == "span_event":  # shown as the event it names, its attributes as fields
        attrs = event.get("attributes")
        name = text(event.get("name")) or "span_event"
        return Item(name, ts, {**(attrs if isinstance(attrs, dict) else {}), "event": name})
    if kind == "span_log" and event.get("marks_error") is True:
        body = event.get("body")
        return Item("error", ts, {**event, "error": body if isinstance(body, str)
                                  else dumps(body).decode()})
    return Item(kind, ts, event)


def _branch_step(event: dict[str, Any], ts: float) -> Step:
    """A branch decision taken between steps: a node where it happened."""
    step = Step(name=text(event.get("branch_name")) or "branch", step_type="branch",
                start_ts=ts, end_ts=ts, duration_s=0.0, complete_event=event,
                step_id=text(event.get("step_id")),
                parent_step_id=text(event.get("parent_step_id")))
    step.items.append(Item("branch_decision", ts, event))
    return step


def _nest(steps: list[Step]) -> list[Step]:
    """Steps in tree order (parents before children, siblings by start), with depths.

    A parent_step_id naming no step here (a root span, a step not logged) leaves the
    step at the top; a cycle in hostile ids is broken where it closes.
    """
    by_id = {s.step_id: s for s in steps if s.step_id is not None}
    top: list[Step] = []
    for step in steps:
        step.children = []
    for step in steps:
        parent = by_id.get(step.parent_step_id) if step.parent_step_id else None
        if parent is None or parent is step:
            top.append(step)
        else:
            parent.children.append(step)
    ordered: list[Step] = []
    placed: set[int] = set()

    def start_of(step: Step) -> float:
        return step.start_ts if step.start_ts is not None else (step.end_ts or 0.0)

    # A stack pops the last pushed first: push each sorted list reversed (stable ties).
    stack: list[tuple[Step, int]] = [(s, 0) for s in reversed(sorted(top, key=start_of))]
    while stack:
        step, depth = stack.pop()
        if id(step) in placed:
            continue
        placed.add(id(step))
        step.depth = depth
        ordered.append(step)
        for child in reversed(sorted(step.children, key=start_of)):
            stack.append((child, depth + 1))
    for step in steps:  # only steps in a parent cycle are left: shown at the top
        if id(step) not in placed:
            placed.add(id(step))
            step.depth = 0
            step.children = [c for c in step.children if id(c) not in placed]
            ordered.append(step)
    return ordered


def _complete(step: Step, event: dict[str, Any], ts: float) -> None:
    step.complete_event = event
    step.end_ts = ts
    millis = duration_ms(event.get("duration_ms"))
    if millis is not None:
        step.duration_s = millis / 1000.0
        if step.start_ts is None:
            step.start_ts = ts - step.duration_s
    elif step.start_ts is not None:
        step.duration_s = max(ts - step.start_ts, 0.0)
    if step.step_type is None:
        step.step_type = text(event.get("step_type"))
    success = event.get("success")
    step.success = success if isinstance(success, bool) else None
    if event.get("span_status") is not None:  # a span: its status, not `success`
        step.success = event.get("span_status") != "error"
    step.error = text(event.get("error")) or step.error
    step.model = text(event.get("model"))
    tokens_in, tokens_out = event.get("input_tokens"), event.get("output_tokens")
    step.input_tokens = tokens_in if type(tokens_in) is int else None
    step.output_tokens = tokens_out if type(tokens_out) is int else None
    step.cost_usd = number(event.get("cost_usd"))
    tool = text(event.get("tool_name"))
    if tool is not None and event.get("event") == "step_complete":
        step.items.append(Item("tool_call", step.start_ts or ts, {
            "event": "tool_call", "tool_name": tool, "arguments": event.get("arguments"),
            "result": event.get("result")}))
    handled = event.get("span_status") == "ok"
    for raw in event.get("span_events") or ():
        if isinstance(raw, dict):
            stamp = number(raw.get("timestamp"))
            item = _item("span_event", stamp if stamp is not None else ts, raw)
            if handled and item.kind == "error":
                # An exception the span recorded and got over (its status is not
                # ERROR: a retry inside the call): an event of the step, not its error,
                # which would show the step failed where the counts say it did not.
                item = _got_over(item, raw)
            step.items.append(item)


def _got_over(item: Item, raw: dict[str, Any]) -> Item:
    """A span's exception event as an event (`exception`), not as an error."""
    attrs = raw.get("attributes")
    return Item("exception", item.ts,
                {**(attrs if isinstance(attrs, dict) else {}), "event": "exception"})


def _mark_slowest_and_critical(steps: list[Step], now: float) -> None:
    """Mark the slowest step and the chain of steps that decided the end time.

    A step still open counts with how long it has run by `now`: one open for a minute is
    slower than a finished one of 300 ms. The critical path is walked back from the
    step that ended last: each time, the step that ended latest before the current one
    started (the one it waited for).
    """
    def taken(step: Step) -> float | None:
        if step.duration_s is not None:
            return step.duration_s
        if step.status == "running" and step.start_ts is not None:
            return max(now - step.start_ts, 0.0)
        return None

    timed = [(took, index) for index, s in enumerate(steps)
             if (took := taken(s)) is not None]
    if timed:
        steps[max(timed, key=lambda pair: pair[0])[1]].slowest = True
    ended = sorted((s for s in steps if s.end_ts is not None and s.start_ts is not None),
                   key=lambda s: s.end_ts or 0.0)
    if not ended:
        return
    ends = [s.end_ts or 0.0 for s in ended]
    # Walk back by bisection over end times: O(n log n) even for thousands of steps.
    # Each predecessor comes from strictly before the current one, so the walk ends.
    index = len(ended) - 1
    while True:
        current = ended[index]
        current.critical = True
        index = bisect_right(ends, (current.start_ts or 0.0) + 1e-6, 0, index) - 1
        if index < 0:
            return
