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


def lines_of(value: Any) -> list[str]:
    """A multi-line value (a traceback) as safe lines, newlines kept as line breaks."""
    if value is None:
        return []
    text = value if isinstance(value, str) else str(value)
    return [safe(line) for line in text.replace("\r\n", "\n").split("\n")]
