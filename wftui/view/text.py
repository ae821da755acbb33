"""Turning log-derived text into something safe to put on screen.

Log text is hostile (docs/reliability.md): it may carry terminal control
sequences or look like markup. Everything shown here goes through `visible()` and
into a `rich.text.Text`, which Textual renders literally: no markup is parsed.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

# clip lives in core (the check command's text form cuts names without Rich loaded); the
# view's modules take it from here with the rest of their text helpers.
from wftui.core.format import ELLIPSIS, clip, visible  # noqa: F401


def safe(value: Any) -> str:
    """Any value as one line of visible text: controls (newlines too) become symbols."""
    if value is None:
        return ""
    return visible(value if isinstance(value, str) else str(value)).replace("\t", " ")


def plain(value: Any, style: str = "") -> Text:
    """A Text of log-derived content, never parsed as markup."""
    return Text(safe(value), style=style, no_wrap=True, end="")


def clip_left(value: str, width: int) -> str:
    """At most `width` cells, cut at the start: a path's file name stays visible."""
    if width <= 0:
        return ""
    if len(value) <= width:
        return value
    return ELLIPSIS + value[len(value) - width + 1:]


# A traceback in the step tree keeps this many lines at each end: one of 300,000 lines
# (a line under 1 MiB holds that many) was 300,000 tree nodes, and x froze the UI for
# 14 s and 500 MB. The export (e) keeps it whole.
TRACEBACK_ENDS = 200


def traceback_lines(value: Any, ends: int = TRACEBACK_ENDS) -> list[str]:
    """A traceback as the tree shows it: safe lines (no final empty one), its first and
    last `ends` lines when it has more, with how many between are not shown."""
    if value is None:
        return []
    text = value if isinstance(value, str) else str(value)
    lines = text.replace("\r\n", "\n").split("\n")
    while lines and not lines[-1].strip():  # a final newline is no line of its own
        lines.pop()
    if len(lines) > 2 * ends + 1:
        left = len(lines) - 2 * ends
        return [*(safe(line) for line in lines[:ends]),
                f"… {left:,} lines not shown (e exports them all)",
                *(safe(line) for line in lines[-ends:])]
    return [safe(line) for line in lines]


# Keys of a context or of a tool call's arguments shown in the step tree, each a node:
# a line under 1 MiB holds 60,000, and such a context took 10 s to open, x 19 s more.
NODE_KEYS = 200


def more_keys(total: int, what: str) -> str | None:
    """The line that says how many keys past NODE_KEYS are not shown (None: none)."""
    if total <= NODE_KEYS:
        return None
    return f"… {total - NODE_KEYS:,} more {what} (e exports them all)"
