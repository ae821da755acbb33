"""One asyncio event loop in a background thread, for the blocking parts of wftui.

The live monitor's sources (file tailer, scrapers) and the alert notifier run async code
while their callers (the Textual app's threads, `wftui watch`'s loop) are plain threads.
Both use this one helper, built on anyio's blocking portal, instead of each starting a
thread that runs `asyncio.run` and reaching into its loop.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from anyio.from_thread import BlockingPortal

T = TypeVar("T")


class BackgroundLoop:
    """An event loop in a daemon thread running one main coroutine, reachable from others.

    `start(main)` runs `main()` in the loop; `call(fn)` runs `fn` in the loop thread and
    waits for its result (the way to read loop-owned state safely); `call_soon(fn)`
    schedules without waiting; `stop(timeout)` waits for `main` to return (the caller
    has told it to, e.g. by setting an event through `call_soon`) and ends the loop.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._manager: AbstractContextManager[BlockingPortal] | None = None
        self._portal: BlockingPortal | None = None
        self._main: Future[None] | None = None
        self._thread_id: int | None = None

    def start(self, main: Callable[[], Awaitable[None]]) -> None:
        """Start the loop thread and run `main()` in it; returns once it is scheduled."""
        # anyio loads here, not with the module: the TUI makes its loops before the
        # first screen and starts them after it (17 ms of the first screen otherwise).
        from anyio.from_thread import start_blocking_portal

        self._manager = start_blocking_portal("asyncio", name=self.name)
        self._portal = self._manager.__enter__()
        self._thread_id = self._portal.call(threading.get_ident)
        self._main = self._portal.start_task_soon(main)

    @property
    def running(self) -> bool:
        """Whether the loop can take calls (started and not stopped)."""
        return self._portal is not None and self._main is not None and not self._main.done()

    def in_loop_thread(self) -> bool:
        """Whether the caller is the loop's own thread (which must not wait on it)."""
        return self._thread_id == threading.get_ident()

    def call(self, fn: Callable[[], T], timeout: float) -> T:
        """`fn()` run in the loop thread; TimeoutError when the loop is too busy, and
        RuntimeError when it is not running."""
        portal = self._portal
        if portal is None:
            raise RuntimeError("the background loop is not running")
        if self.in_loop_thread():
            return fn()
        return portal.start_task_soon(fn).result(timeout)

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> bool:
        """Schedule `fn(*args)` in the loop thread; False when the loop is not running."""
        portal = self._portal
        if portal is None:
            return False
        try:
            portal.start_task_soon(fn, *args)
        except RuntimeError:  # stopped in between
            return False
        return True

    def stop(self, timeout: float) -> bool:
        """Wait up to `timeout` s for `main` to return, then end the loop and its thread.

        True when it ended; False when `main` did not return in time (it is cancelled
        and the daemon thread is left to finish on its own, never waited on forever).
        """
        manager, main = self._manager, self._main
        if manager is None or main is None or self._portal is None:
            return True
        try:
            main.result(timeout)
        except TimeoutError:
            with contextlib.suppress(RuntimeError):
                self._portal.start_task_soon(self._portal.stop, True)
            return False
        except BaseException:  # noqa: BLE001 - main's own failure; the caller reports it
            pass
        self._portal = None
        manager.__exit__(None, None, None)
        return True
