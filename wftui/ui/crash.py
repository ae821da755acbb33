"""An unexpected error's traceback goes to a file; the operator gets one line."""

from __future__ import annotations

import re
import tempfile
import traceback

# Colours and links (CSI and OSC sequences): Textual's report comes coloured in a
# terminal, each line starting with one, so the box's last line did not begin with "╰"
# and the whole traceback went over the operator's terminal.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


def _write(text: str) -> str | None:
    try:
        with tempfile.NamedTemporaryFile("w", prefix="wftui-crash-", suffix=".txt",
                                         delete=False) as handle:
            handle.write(text)
            return handle.name
    except OSError:
        return None


def crash_report(error: BaseException) -> str | None:
    """Write the traceback of an unexpected error to a file; return its path."""
    return _write("".join(traceback.format_exception(error)))


def textual_crash(printed: str) -> tuple[str, str | None] | None:
    """Textual's own report of an error in an event handler (the traceback it prints
    on stderr as the app ends): the error as one line, and the file it was saved to.

    Textual has no public hook for errors in handlers: it ends the app with return
    code 1 and prints a traceback, which the CLI captures and hands here. None when
    `printed` holds no traceback.
    """
    printed = _ESCAPES.sub("", printed)
    lines = printed.rstrip().splitlines()
    # Rich draws each traceback in a box; the error itself is the text after the last.
    ends = [n for n, line in enumerate(lines) if line.lstrip().startswith("╰")]
    if not ends:
        return None
    error = " ".join(line.strip() for line in lines[ends[-1] + 1:] if line.strip())
    if not error:
        return None
    return error, _write(printed)
