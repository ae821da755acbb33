"""A failure as one line an operator can read: no traceback, no control characters.

Kept free of httpx and prometheus_client: commands say what failed (a bad flag, a hook
that crashed) without loading the scrapers they may never use.
"""

from __future__ import annotations

# Control characters from a server's text (reason phrase, a quoted exposition line) must
# not reach a terminal: C0 become the visible control pictures, DEL and C1 a replacement.
_CONTROLS = {**{c: 0x2400 + c for c in range(32)}, 0x7F: 0x2421,
             **{c: 0xFFFD for c in range(0x80, 0xA0)}}


def clean_line(text: str, limit: int = 300) -> str:
    """One line of at most ``limit`` characters, whitespace runs collapsed, controls shown."""
    return " ".join(text.split()).translate(_CONTROLS)[:limit]


def innermost(error: BaseException) -> BaseException:
    """The first error inside (nested) exception groups: the one worth a line."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


def one_line(error: BaseException) -> str:
    """An exception as one short line (never a traceback); a group shows its first error."""
    error = innermost(error)
    text = clean_line(str(error))
    name = type(error).__name__
    return clean_line(f"{name}: {text}") if text else name
