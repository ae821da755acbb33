"""The execution view's tree: steps on a timeline, with what happened inside each.

Every label is built from `Text` pieces through `safe()`: step names, tool arguments,
errors and tracebacks come from the log and are never markup (docs/reliability.md).
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.strip import Strip
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from wftui.core.format import clock, count, dollars, seconds
from wftui.core.json_out import dumps
from wftui.core.steps import ExecutionDetail, Item, Step
from wftui.view.text import NODE_KEYS, clip, more_keys, plain, safe, traceback_lines

BAR_WIDTH = 24
MORE_STYLE = Style(bold=True, reverse=True)  # the `→` of a line cut at the right edge
STEP_ICONS = {"ok": ("✓", "green"), "failed": ("✗", "bold red"), "running": ("⟳", "cyan"),
              "done": ("•", "")}
STATUS_LOOK = {"succeeded": ("✓ succeeded", "green"), "failed": ("✗ failed", "bold red"),
               "running": ("⟳ running", "cyan")}


def _json(value: Any, width: int = 120) -> str:
    """A compact one-line JSON rendering (made safe), clipped."""
    try:
        raw = dumps(value).decode()  # an integer past 64 bits too, every digit
    except TypeError:
        raw = repr(value)
    return clip(safe(raw), width)


def timeline_bar(start: float | None, end: float | None, origin: float, span: float,
                 width: int = BAR_WIDTH, style: str = "cyan") -> Text:
    """A bar placing [start, end] on the execution's timeline [origin, origin + span]."""
    text = Text(no_wrap=True, end="")
    if start is None or span <= 0:
        text.append("·" * width, style="dim")
        return text
    first = int((start - origin) / span * width)
    last = int(((end if end is not None else origin + span) - origin) / span * width)
    first = max(0, min(first, width - 1))
    last = max(first + 1, min(last, width))
    text.append("·" * first, style="dim")
    text.append("█" * (last - first), style=style)
    text.append("·" * (width - last), style="dim")
    return text


def step_label(step: Step, origin: float, span: float, name_width: int,
               running_for: float | None = None, left_open: bool = False) -> Text:
    """icon, name, type, duration, timeline bar, and the slowest / critical marks."""
    icon, style = STEP_ICONS.get(step.status, ("?", ""))
    text = Text(no_wrap=True, end="")
    text.append(f"{icon} ", style=style)
    name = clip(safe(step.name) or "(unnamed step)", name_width)
    text.append(name.ljust(name_width), style="bold")
    text.append(f" {clip(safe(step.step_type or '-'), 8):<8}", style="magenta")
    if step.status == "running" and running_for is not None:
        duration = f"⟳ {seconds(running_for)}"  # how long it has been running so far
    else:
        duration = seconds(step.duration_s, "running" if step.status == "running" else "-")
    text.append(f" {duration:>8} ")
    bar_style = "bold red" if step.status == "failed" else (
        "yellow" if step.critical else "cyan")
    text.append_text(timeline_bar(step.start_ts, step.end_ts, origin, span, style=bar_style))
    if step.slowest:
        text.append("  ⏱ slowest", style="bold yellow")
    if step.critical:
        text.append("  ◆ critical path", style="yellow")
    if left_open and step.status == "running":
        # its execution ended without its completion: not running, but not known done
        text.append("  never completed", style="dim")
    return text


def item_label(item: Item) -> Text:
    """One event inside a step (or the execution): tool call, branch, error, or raw."""
    event = item.event
    text = Text(no_wrap=True, end="")
    text.append(f"{clock(item.ts)} ", style="dim")
    if item.kind == "tool_call":
        text.append("tool ", style="bold blue")
        text.append(plain(event.get("tool_name") or "?", "bold"))
        arguments = event.get("arguments")
        if arguments is not None:  # unknown (a span without them): no "(null)", no "()"
            text.append(plain(f"({_json(arguments, 80)})"))
        duration = event.get("duration_ms")
        if isinstance(duration, int | float) and not isinstance(duration, bool):
            text.append(f"  {seconds(duration / 1000.0)}", style="dim")
        keys = event.get("response_keys")
        result = event.get("result")  # a span's gen_ai.tool.call.result
        if isinstance(keys, list):
            text.append("  → ", style="dim")
            text.append(plain(", ".join(safe(k) for k in keys), "dim"))
        elif result is not None:
            text.append("  → ", style="dim")
            text.append(plain(_json(result, 80), "dim"))
    elif item.kind == "branch_decision":
        text.append("branch ", style="bold magenta")
        text.append(plain(event.get("branch_name") or "?", "bold"))
        text.append(" → ")
        text.append(plain(event.get("path_taken") or "?", "bold magenta"))
    elif item.kind == "error":
        text.append("error ", style="bold red")
        text.append(plain(clip(safe(event.get("error") or "(no message)"), 160), "red"))
    elif item.kind == "span_log":  # an OTLP log record: its severity and its message
        text.append("log ", style="bold yellow")
        severity = event.get("severity")
        if severity:
            text.append(plain(f"{severity} ", "yellow"))
        body = event.get("body")
        text.append(plain(clip(safe(body), 160)) if isinstance(body, str)
                    else plain(_json(body, 160)))
    elif item.kind == "workflow_start":
        text.append("workflow_start ", style="dim")
        text.append(plain(event.get("workflow_name") or "", "dim"))
    elif item.kind == "workflow_complete":
        text.append("workflow_complete ", style="dim")
        text.append(plain(event.get("status") or "?",
                          "green" if event.get("status") == "success" else "bold red"))
    else:
        text.append("event ", style="bold yellow")
        text.append(plain(item.kind, "yellow"))
        text.append(" ")
        text.append(plain(_json(event, 160)))
    return text


class StepTree(Tree[str]):
    """The step-by-step tree of one execution; `show()` rebuilds it in place."""

    BINDINGS = [
        Binding("space", "toggle_node", "Fold / unfold", show=False,
                tooltip="fold or unfold the node under the cursor (enter too)"),
        Binding("j,down", "cursor_down", "Down", show=False),
        Binding("k,up", "cursor_up", "Up", show=False),
    ]
    DEFAULT_CSS = "StepTree { height: 1fr; }"

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(Text("execution"), data="root", id=id)
        self.show_root = True
        self.guide_depth = 3

    def show(self, detail: ExecutionDetail, now: float, *, open_at_end: bool = False) -> None:
        """Rebuild from a detail, keeping which nodes were open and where the cursor is
        (open_at_end: `now` is where an old log ends, and a running execution is open
        there, not running now)."""
        opened = {node.data for node in self._walk(self.root) if node.is_expanded}
        cursor = self.cursor_node.data if self.cursor_node is not None else None
        first = not self.root.children
        self.clear()
        end = detail.end_ts or max([s.end_ts or s.start_ts or detail.start_ts
                                    for s in detail.steps] + [now if detail.status ==
                                                              "running" else detail.start_ts])
        span = max(end - detail.start_ts, 1e-6)
        root = self.root
        root.set_label(self._root_label(detail, open_at_end))
        root.data = "root"
        self._add_context(root, detail)
        name_width = min(max([len(safe(s.name)) for s in detail.steps] + [8]), 28)
        # Steps come in tree order with their depth: the latest node at each depth is
        # where a deeper step goes (spans, and logged steps with parent_step_id, nest).
        path: list[TreeNode[str]] = []
        for index, step in enumerate(detail.steps):
            key = f"step:{index}"
            depth = min(step.depth, len(path))
            parent = path[depth - 1] if depth else root
            node = parent.add(step_label(step, detail.start_ts, span, name_width,
                                         detail.running_for(step.start_ts),
                                         left_open=detail.end_ts is not None), data=key)
            del path[depth:]
            path.append(node)
            self._add_step_children(node, step, key)
            if first and (step.status == "failed" or step.slowest):
                for opened_node in path:  # its ancestors too, or it stays hidden
                    opened_node.expand()
        if detail.items:
            events = root.add(Text(f"execution events ({len(detail.items)})", style="bold"),
                              data="events")
            for index, item in enumerate(detail.items):
                self._add_item(events, item, f"events:{index}")
            if first and any(i.kind not in ("workflow_start", "workflow_complete")
                             for i in detail.items):
                events.expand()
        root.expand()
        for node in self._walk(root):
            if node.data in opened:
                node.expand()
            if node.data == cursor:
                self.move_cursor(node, animate=False)

    @staticmethod
    def _root_label(detail: ExecutionDetail, open_at_end: bool = False) -> Text:
        text = Text(no_wrap=True, end="")
        text.append(plain(detail.execution_id, "bold"))
        text.append("  ")
        text.append(plain(detail.workflow_name or "(workflow not named)"))
        label, style = STATUS_LOOK.get(detail.status, (detail.status, ""))
        running = detail.duration_s is None and detail.status == "running"
        if running and open_at_end:
            label = "◌ open at end of log"  # as its row: aged to the log's end
        text.append(f"  {label}", style=style)
        text.append(f"  started {clock(detail.start_ts)}")
        if running and open_at_end:
            text.append(f"  ran {seconds(detail.running_for(detail.start_ts))} to the "
                        "log's end", style="cyan")
        elif running:
            text.append(f"  running for {seconds(detail.running_for(detail.start_ts))}",
                        style="cyan")
        else:
            text.append(f"  took {seconds(detail.duration_s)}")
        tokens = detail.input_tokens + detail.output_tokens
        if tokens:
            text.append(f"  {tokens:,} tokens", style="dim")
        if detail.cost_usd is not None:  # None: nothing priced (no cost shown, not $0)
            text.append(f"  {dollars(detail.cost_usd)}", style="dim")
        return text

    def _add_context(self, root: TreeNode[str], detail: ExecutionDetail) -> None:
        if detail.lines_not_kept:
            # Counted, not kept (folded while running, past the per-execution cap, or
            # a big log's lines that could not be read again): the tree is not whole.
            lines = detail.lines_not_kept
            root.add_leaf(Text(f"⚠ {lines:,} of its line{'s' if lines != 1 else ''} "
                               "not kept: steps logged there are not in this tree",
                               style="yellow"), data="lines_not_kept")
        if detail.replay_of:
            label = Text("↻ replay of ", style="bold")
            label.append(plain(detail.replay_of, "bold cyan"))
            root.add_leaf(label, data="replay_of")
        if detail.replays:
            label = Text(f"⟲ replayed {len(detail.replays)}×: ", style="bold")
            label.append(plain(", ".join(safe(r) for r in detail.replays), "bold cyan"))
            root.add_leaf(label, data="replays")
        if detail.context is not None:
            keys = len(detail.context)
            node = root.add(Text(f"context ({keys} key{'s' if keys != 1 else ''})",
                                 style="bold"),
                            data="context")
            for key, value in islice(detail.context.items(), NODE_KEYS):
                label = plain(key, "bold")
                label.append(": ")
                label.append(plain(_json(value, 160)))
                node.add_leaf(label, data=f"context:{safe(key)}")
            if (more := more_keys(keys, "keys")) is not None:
                node.add_leaf(Text(more, style="dim"), data="context:…")

    def _add_step_children(self, node: TreeNode[str], step: Step, key: str) -> None:
        if step.context_keys:
            label = Text("context keys: ", style="dim")
            label.append(plain(", ".join(safe(k) for k in step.context_keys)))
            node.add_leaf(label, data=f"{key}:keys")
        if step.model or step.input_tokens or step.cost_usd is not None:
            label = Text("model ", style="dim")
            label.append(plain(step.model or "?"))
            # What nothing logged (a failed call's usage) is left out, never shown as 0.
            if step.input_tokens is not None or step.output_tokens is not None:
                label.append(f"  {count(step.input_tokens, '?')} in / "
                             f"{count(step.output_tokens, '?')} out", style="dim")
            if step.cost_usd is not None:  # $0 for a model priced at 0
                label.append(f"  {dollars(step.cost_usd)}", style="dim")
            node.add_leaf(label, data=f"{key}:model")
        for index, item in enumerate(step.items):
            self._add_item(node, item, f"{key}:{index}")
        if step.error and not any(i.kind == "error" for i in step.items):
            label = Text("error ", style="bold red")
            label.append(plain(clip(safe(step.error), 160), "red"))
            node.add_leaf(label, data=f"{key}:error")

    def _add_item(self, parent: TreeNode[str], item: Item, key: str) -> None:
        event = item.event
        if item.kind == "error" and event.get("traceback"):
            node = parent.add(item_label(item), data=key, expand=True)
            for index, line in enumerate(traceback_lines(event.get("traceback"))):
                node.add_leaf(Text(line, style="red", no_wrap=True), data=f"{key}:{index}")
        elif item.kind == "tool_call" and isinstance(event.get("arguments"), dict) \
                and event["arguments"]:
            node = parent.add(item_label(item), data=key)
            for name, value in islice(event["arguments"].items(), NODE_KEYS):
                label = plain(name, "bold")
                label.append(" = ")
                label.append(plain(_json(value, 200)))
                node.add_leaf(label, data=f"{key}:{safe(name)}")
            if (more := more_keys(len(event["arguments"]), "arguments")) is not None:
                node.add_leaf(Text(more, style="dim"), data=f"{key}:…")
            if event.get("result") is not None:  # what the tool answered, at more length
                label = Text("→ result = ", style="dim")
                label.append(plain(_json(event["result"], 200)))
                node.add_leaf(label, data=f"{key}:→result")
        else:
            parent.add_leaf(item_label(item), data=key)

    def render_line(self, y: int) -> Strip:
        """A line that goes on past the right edge ends in `→`: the key scrolls to it."""
        strip = super().render_line(y)
        # The lines' room: a vertical scrollbar takes columns from it (`size` counts
        # them, and a `→` put there would be drawn under the scrollbar).
        width = self.scrollable_content_region.width
        scroll_x, scroll_y = self.scroll_offset
        node = self.get_node_at_line(y + scroll_y)
        if node is None or width < 2:
            return strip
        depth = 0
        ancestor = node.parent
        while ancestor is not None:
            depth += 1
            ancestor = ancestor.parent
        # As Tree lays lines out: one guide per level below the root (when shown).
        guides = max(0, depth + 1 - (1 if self.show_root else 2)) * self.guide_depth
        if guides + self.get_label_width(node) - scroll_x <= width:
            return strip
        return Strip.join([strip.crop(0, width - 1),
                           Strip([Segment("→", MORE_STYLE)], 1)])

    def _walk(self, node: TreeNode[str]) -> list[TreeNode[str]]:
        out = [node]
        for child in node.children:
            out.extend(self._walk(child))
        return out
