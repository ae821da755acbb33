"""Leaving must not hang: once the app decides to exit, the process ends in bounded time.

Textual writes to the terminal through a writer thread fed by a small bounded queue,
and its shutdown waits on that queue. When the terminal dies under the app (tmux
killed, ssh dropped, the pty closed), the writer thread fails or blocks and the main
thread waits on the full queue forever. The event loop is then stuck, so signal
handlers that run on the loop (asyncio's) never run either: SIGTERM was ignored.

The guard takes SIGTERM and SIGHUP with plain Python handlers (they run in the main
thread even while it waits on that queue), asks the app to exit, and starts a timer
thread that ends the process with `os._exit` if leaving takes longer than a grace
period. A healthy exit finishes long before the timer; `close()` disarms it once
`App.run()` has returned, so the CLI's own cleanup runs normally.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

SIGNAL_GRACE_S = 4.0  # SIGTERM / SIGHUP: the terminal may be gone; leave quickly
# ... and what is flushed on the way out (Alertmanager's last push) gets this long
# after a signal, where a q gives it FLUSH_GRACE_S: an Alertmanager that hangs must not
# hold a closed terminal's process for seconds.
SIGNAL_FLUSH_S = 0.5
FLUSH_GRACE_S = 2.0
EXIT_GRACE_S = 12.0  # q and the like: the terminal is alive; the monitor may take 5 s to stop
SIGNALS = ("SIGTERM", "SIGHUP")


class ExitGuard:
    """Ends the process with `os._exit` when leaving the app takes too long."""

    def __init__(self, *, end: Callable[[int], Any] = os._exit) -> None:
        self._end = end
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._deadline: float | None = None
        self._code = 0
        self._signals = 0
        self._previous: dict[int, Any] = {}
        self._thread: threading.Thread | None = None
        self._last: list[Callable[[], object]] = []
        # Held while the process is being ended (the clear-up, then `end`): one thread
        # clears up, once; close() waits on it rather than race it.
        self._finishing = threading.RLock()
        self._finisher: int | None = None

    @property
    def signalled(self) -> bool:
        """Whether a signal asked the app to leave (then whatever is flushed on the way
        out gets only a moment: the terminal may be gone)."""
        return self._signals > 0

    @property
    def installed(self) -> bool:
        """Whether the guard handles the signals (only a real terminal run does)."""
        return bool(self._previous)

    def install(self, ask_exit: Callable[[int], object]) -> None:
        """Take SIGTERM / SIGHUP: each asks the app to exit with 128 + the signal, the
        status a shell shows for a process the signal ended, not 0, which says it quit
        by itself (`ask_exit(code)` must be safe to call from a signal handler, e.g.
        through `loop.call_soon_threadsafe`)."""
        def on_signal(signum: int, _frame: FrameType | None) -> None:
            self._signals += 1
            if self._signals > 1:
                # Asked twice: the operator means it. Not a hangup again: a dying
                # terminal may send SIGHUP more than once (to the foreground group, then
                # from its session leader), and ending at once cut short what `finally`
                # clears up; the app is leaving already, within the grace.
                if signum != getattr(signal, "SIGHUP", None):
                    self._finish(128 + signum)
                return
            self.arm(SIGNAL_GRACE_S, 128 + signum)
            with contextlib.suppress(RuntimeError):  # the loop has closed already
                ask_exit(128 + signum)

        for name in SIGNALS:
            number = getattr(signal, name, None)
            if number is None:
                continue
            with contextlib.suppress(ValueError, OSError):  # not the main thread
                self._previous[number] = signal.signal(number, on_signal)

    def arm(self, grace_s: float = EXIT_GRACE_S, code: int = 0) -> None:
        """The app is leaving: end the process if it is still here after `grace_s`.

        Arming again can only bring the deadline nearer (a signal after q).
        """
        with self._lock:
            if self._closed.is_set():
                return
            deadline = time.monotonic() + grace_s
            if self._deadline is not None and self._deadline <= deadline:
                return
            self._deadline, self._code = deadline, code
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="wftui-exit-guard",
                                                daemon=True)
                self._thread.start()

    def _watch(self) -> None:
        while True:
            with self._lock:
                left = (self._deadline or 0.0) - time.monotonic()
                code = self._code
            if left <= 0:
                break
            # short waits: a later arm() may have brought the deadline nearer
            if self._closed.wait(min(left, 0.1)):
                return
        with self._finishing:
            if not self._closed.is_set():  # close() may have come since
                self._finish(code)

    def at_end(self, last: Callable[[], object]) -> None:
        """Run `last` (quick, and safe from any thread) if the guard ends the process:
        `os._exit` skips every `finally`, such as `wftui demo` stopping its service and
        removing its directory."""
        self._last.append(last)

    def _finish(self, code: int) -> None:
        if self._finisher == threading.get_ident():
            return  # a signal during this thread's own clear-up: it ends the process next
        with self._finishing:
            self._finisher = threading.get_ident()
            try:
                lasts, self._last = self._last, []
                for last in lasts:
                    with contextlib.suppress(Exception):
                        last()
                self._end(code)
            finally:
                self._finisher = None

    def close(self) -> None:
        """`App.run()` returned: disarm, and give the signals back as they were."""
        with self._lock:
            self._closed.set()
        with self._finishing:  # the guard is ending the process: let it, unraced
            pass
        for number, previous in self._previous.items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(number, previous)
        self._previous.clear()
