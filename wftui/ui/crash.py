"""An unexpected error's traceback goes to a file; the operator gets one line."""

from __future__ import annotations

import tempfile
import traceback


def crash_report(error: BaseException) -> str | None:
    """Write the traceback of an unexpected error to a file; return its path."""
    try:
        with tempfile.NamedTemporaryFile("w", prefix="wftui-crash-", suffix=".txt",
                                         delete=False) as handle:
            handle.write("".join(traceback.format_exception(error)))
            return handle.name
    except OSError:
        return None
