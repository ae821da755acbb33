"""A real OTLP receiver on a loopback port, folding into a real ledger."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers import free_port, wait_for
from wftui.core.ledger import Ledger
from wftui.core.spans import SpanReader
from wftui.sources.otlp.receiver import OtlpReceiver, ReceiverLimits


class Running:
    """A receiver serving in its own thread; its lines go into `ledger`."""

    def __init__(self, **kwargs: Any) -> None:
        self.port = free_port()
        self.reader = SpanReader(kwargs.pop("prices", None), hold_s=kwargs.pop("hold_s", 5.0))
        # A closed gate holds the fold (ingest falling behind); open by default.
        self.gate = threading.Event()
        self.gate.set()
        self.receiver = OtlpReceiver("127.0.0.1", self.port, reader=self.reader, **kwargs)
        self.ledger = Ledger(idle_timeout=30.0)
        self.lock = threading.Lock()
        self.lines: list[bytes] = []
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _sink(self, source: str, lines: list[bytes]) -> None:
        self.gate.wait(30)
        with self.lock:
            self.lines.extend(lines)
            self.ledger.ingest_lines(source, len(self.lines) - len(lines) + 1, lines)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._stop = asyncio.Event()
        self._loop.run_until_complete(self.receiver.run(self._sink, self._stop))

    def start(self) -> Running:
        self._thread.start()
        wait_for(lambda: self.receiver.listening, "the receiver to listen")
        return self

    def stop(self) -> None:
        self.gate.set()
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        if not self._thread.is_alive():
            self._loop.close()

    def executions(self) -> dict[str, Any]:
        with self.lock:
            return dict(self.ledger.executions)

    def wait_executions(self, count: int, done: bool = True) -> None:
        def ready() -> bool:
            with self.lock:
                known = self.ledger.executions.values()
                return len(known) >= count and (not done or all(
                    e.complete_status is not None for e in known))
        wait_for(ready, f"{count} executions")

    def wait_spans(self, count: int) -> None:
        """Until `count` spans were read and every request taken is folded."""
        wait_for(lambda: self.reader.spans >= count and self.receiver.unfolded_bytes == 0
                 and not self.receiver.fold_failures, f"{count} spans folded")


@pytest.fixture
def receiving() -> Iterator[Running]:
    running = Running().start()
    yield running
    running.stop()


@pytest.fixture
def make_receiver() -> Iterator[Any]:
    started: list[Running] = []

    def make(**kwargs: Any) -> Running:
        running = Running(**kwargs).start()
        started.append(running)
        return running

    yield make
    for running in started:
        running.stop()


__all__ = ["ReceiverLimits", "Running"]
