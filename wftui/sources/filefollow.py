"""Live following for `FileTailer`: change notifications, a stat poll, and stdin in a thread.

Latency comes from watchfiles' Rust loop, which sleeps ``step`` ms between looks and
returns once a look finds no new change; with a 5 ms step an appended line reaches the
reader in about 10 ms. The periodic poll is the safety net: inotify queues overflow,
network file systems send no events, and a directory that does not exist yet cannot be
watched.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import threading
from collections.abc import Callable

from watchfiles import awatch

from wftui.sources.filereader import STREAM_CHUNK_BYTES, Handle
from wftui.sources.files import FileTailer
from wftui.sources.filestatus import Batch, FileSource

#: watchfiles tuning: look every 5 ms; group a burst for at most 50 ms before reporting.
WATCH_STEP_MS = 5
WATCH_DEBOUNCE_MS = 50
#: How long the Rust side may wait with nothing to report before Python gets control.
WATCH_TIMEOUT_MS = 1000
#: Lines per read_available() call while following, so the event loop gets control often.
FOLLOW_SLICE_LINES = 16384
#: How often the opener thread looks at each followed path for a new file. A file that
#: is at the path longer than this is held open and read, however busy the reader is.
OPEN_LOOK_S = 0.01
#: How often a thread waiting for a FIFO's first writer asks whether to stop waiting.
WRITER_LOOK_MS = 100


async def follow(
    tailer: FileTailer, on_batch: Callable[[Batch], None], stop: asyncio.Event
) -> None:
    """Deliver batches from ``tailer`` as lines are appended, until ``stop`` is set."""
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()
    for src, handle in tailer.begin_following():
        _start_stream_thread(tailer, src, handle, loop, on_batch)

    async def wake_on_stop() -> None:
        await stop.wait()
        wake.set()

    stopper = asyncio.create_task(wake_on_stop())
    watcher = _Watcher(tailer, wake)
    watcher.start()
    opener_done = threading.Event()
    opener = threading.Thread(target=_open_new_files, args=(tailer, loop, wake, opener_done),
                              name="wftui-opener", daemon=True)
    opener.start()
    next_poll = loop.time() + tailer.poll_interval
    try:
        while not stop.is_set():
            wake.clear()
            # Every round stats every file, so a round on a timeout is the poll.
            await _drain(tailer, on_batch, stop)
            if loop.time() >= next_poll:
                # A directory appeared or a symlink moved: that needs a new watcher.
                watcher.restart_if_moved()
                next_poll = loop.time() + tailer.poll_interval
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), max(0.0, next_poll - loop.time()))
    finally:
        stopper.cancel()
        opener_done.set()
        await watcher.stop()
        await asyncio.to_thread(opener.join)
        tailer.end_following()


async def _drain(
    tailer: FileTailer, on_batch: Callable[[Batch], None], stop: asyncio.Event
) -> None:
    """Read until caught up, giving the event loop a turn between slices."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        batches = tailer.read_available(FOLLOW_SLICE_LINES)
        for batch in batches:
            on_batch(batch)
        for src, handle in tailer.take_new_streams():  # a FIFO came to a followed path
            _start_stream_thread(tailer, src, handle, loop, on_batch)
        if not batches:
            return
        await asyncio.sleep(0)


def _open_new_files(tailer: FileTailer, loop: asyncio.AbstractEventLoop,
                    wake: asyncio.Event, done: threading.Event) -> None:
    """The opener thread: hold every file that comes to a followed path, at once.

    The reader may be far behind (a backlog, a slow ingest blocking the event loop);
    files renamed away meanwhile are still read, because they were opened while at the
    path (as Vector and Filebeat hold rotated files by inode).
    """
    while not done.wait(OPEN_LOOK_S):
        if tailer.look_for_new_files():
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:
                return  # the event loop is closed


def watch_targets(tailer: FileTailer) -> dict[str, set[str]]:
    """Directories to watch, each with the file names in it that matter to us."""
    targets: dict[str, set[str]] = {}
    for given in tailer.watched_paths():
        for path in {os.path.abspath(given), os.path.realpath(given)}:
            directory, name = os.path.split(path)
            if os.path.isdir(directory):
                targets.setdefault(directory, set()).add(name)
    return targets


class _Watcher:
    """Runs `watchfiles.awatch` on the directories of the followed files.

    awatch cannot add paths while running, so when the set of directories changes (a
    directory appeared, a symlink now points elsewhere) the watcher is restarted.
    """

    def __init__(self, tailer: FileTailer, wake: asyncio.Event) -> None:
        self.tailer = tailer
        self.wake = wake
        self.targets: dict[str, set[str]] = {}
        self.tasks: list[asyncio.Task[None]] = []
        self.halt = asyncio.Event()

    def start(self) -> None:
        self.targets = watch_targets(self.tailer)
        self.halt = asyncio.Event()
        self.tasks = [task for task in self.tasks if not task.done()]
        if self.targets:
            self.tasks.append(asyncio.create_task(self._run(self.targets, self.halt)))

    def restart_if_moved(self) -> None:
        if watch_targets(self.tailer) == self.targets:
            return
        self.halt.set()  # the old task ends within one step; it only sets `wake`
        self.start()

    async def stop(self) -> None:
        self.halt.set()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, targets: dict[str, set[str]], halt: asyncio.Event) -> None:
        wanted = {os.path.join(d, name) for d, names in targets.items() for name in names}

        def interesting(_change: object, path: str) -> bool:
            return path in wanted

        try:
            async for _changes in awatch(
                *targets,
                watch_filter=interesting,
                step=WATCH_STEP_MS,
                debounce=WATCH_DEBOUNCE_MS,
                rust_timeout=WATCH_TIMEOUT_MS,
                stop_event=halt,
                recursive=False,
            ):
                self.wake.set()
        except (OSError, RuntimeError) as exc:
            # Out of inotify watches, a directory removed under us...: the poll carries on.
            self.tailer.notices.append(
                f"file change notifications unavailable ({exc}); checking every "
                f"{self.tailer.poll_interval:g} s instead"
            )


def _start_stream_thread(
    tailer: FileTailer,
    src: FileSource,
    handle: Handle,
    loop: asyncio.AbstractEventLoop,
    on_batch: Callable[[Batch], None],
) -> None:
    """Read a stream (stdin, a pipe) in a daemon thread; hand chunks to the event loop.

    A daemon thread rather than the loop's executor: a read blocked on an idle pipe must
    not keep the process alive at exit.
    """
    fd = handle.fd

    def on_chunk(data: bytes, error: str | None) -> None:
        for batch in tailer.stream_chunk(src, handle, data, error):
            on_batch(batch)

    def pump() -> None:
        # A FIFO given by name may have no writer yet (`mkfifo p; wftui p`, the app
        # started after): a read would say "end" at once, and the app would then block
        # in open() with nobody reading. Linux reports neither data nor hang-up on a
        # FIFO that has never had a writer, so this waits for the first one (a pipe,
        # stdin or a FIFO whose writer came and went answers at once).
        with contextlib.suppress(OSError):
            waiter = select.poll()
            waiter.register(fd, select.POLLIN)
            while not waiter.poll(WRITER_LOOK_MS):
                if tailer.stream_given_up(src, handle):
                    # Nobody ever wrote to it; what came to the path after it is read.
                    with contextlib.suppress(RuntimeError):
                        loop.call_soon_threadsafe(on_chunk, b"", None)
                    return
        while True:
            error = None
            try:
                data = os.read(fd, STREAM_CHUNK_BYTES)
            except OSError as exc:
                # A read error ends the stream the same way EOF does, with the reason shown.
                error = exc.strerror or str(exc)
                data = b""
            try:
                loop.call_soon_threadsafe(on_chunk, data, error)
            except RuntimeError:
                return  # the event loop is closed: nobody is listening any more
            if not data:
                return

    threading.Thread(target=pump, name=f"wftui-stream-{src.status.name}", daemon=True).start()
