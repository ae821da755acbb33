"""Termination signals as exceptions, so that cleanup code runs.

Python's default for SIGTERM and SIGHUP is to die on the spot: no `finally`, no
`with` exit. A command that started processes (reader children, a replay hook in its
own session) or holds a temporary file would leave them behind. Inside
`exit_on_signals`, those signals raise SystemExit(128 + signal number) instead (the
exit status a shell shows for a process the signal killed), and cleanup runs as it does
for ctrl+c.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

#: The signals that ask a command to end (ctrl+c is KeyboardInterrupt already).
ENDING_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def _raise_exit(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def exit_on_signals(signums: tuple[signal.Signals, ...] = ENDING_SIGNALS) -> Iterator[None]:
    """Within the block, each of `signums` raises SystemExit(128 + signum)."""
    old = {signum: signal.signal(signum, _raise_exit) for signum in signums}
    try:
        yield
    finally:
        for signum, handler in old.items():
            signal.signal(signum, handler)
