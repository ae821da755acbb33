"""The running service: a ticket producer, a work queue, N workers, replay and incidents.

Everything here runs on one asyncio event loop. The HTTP server (server.py) runs in
threads of its own and talks to the loop only through the thread-safe methods marked
below, so /health still answers, honestly, when the loop itself is stuck.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .history import find_context
from .logger import WorkflowLogger, utc_timestamp
from .metrics import WorkflowMetrics
from .tracing import StepTracer
from .workflow import INCIDENTS, WORKFLOW_NAME, Incident, SupportTicketWorkflow, make_ticket

# What an execution id may look like when it comes in over HTTP (docs/reliability.md).
EXECUTION_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")
# The queue stops growing here: the backlog incident must not eat the machine's memory.
QUEUE_CAPACITY = 50_000
# Contexts kept for replay (a `db.get_execution` lookup), oldest forgotten first.
STORED_CONTEXTS = 20_000
# /health says "unhealthy" when work is waiting and no step ended for this long (longer
# than the slow-tool incident's slowest call at speed 1, which is slow, not stuck)...
STUCK_AFTER_S = 150.0
# ...or when the event loop has not ticked for this long.
LOOP_STALL_S = 5.0


@dataclass(frozen=True)
class ServiceConfig:
    """How fast tickets come, how many workers take them, and how fast time runs."""

    rate: float = 4.0  # tickets per second (real time), before any incident multiplier
    workers: int = 32
    speed: float = 1.0  # every simulated wait is divided by this
    incident: str = "none"
    seed: int | None = None
    queue_depth_interval_s: float = 1.0
    stuck_after_s: float = STUCK_AFTER_S
    first_number: int = 1  # EXEC-<n> numbering starts here (after the log's last one)
    otlp_endpoint: str | None = None  # send steps as spans here (OTLP/HTTP traces URL)


class ReplayError(Exception):
    """A replay request that cannot be honoured; `status` is the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class DemoService:
    """The support-ticket service: produces tickets, runs executions, answers replays."""

    def __init__(
        self, config: ServiceConfig, logger: WorkflowLogger, metrics: WorkflowMetrics
    ) -> None:
        if config.incident not in INCIDENTS:
            raise ValueError(f"unknown incident {config.incident!r}")
        self.config = config
        self.logger = logger
        self.metrics = metrics
        self._incident: Incident = INCIDENTS[config.incident]
        # Tickets come from their own generator so a seed reproduces the same stream.
        self._ticket_rng = random.Random(config.seed)
        self._numbers = itertools.count(config.first_number)
        self.tracer = StepTracer(config.otlp_endpoint) if config.otlp_endpoint else None
        self.workflow = SupportTicketWorkflow(
            logger,
            metrics,
            random.Random(None if config.seed is None else config.seed + 1),
            speed=config.speed,
            incident=lambda: self._incident,
            on_progress=self._progressed,
            tracer=self.tracer,
        )
        self._contexts: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._replay_counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._queue: asyncio.Queue[tuple[str, dict[str, Any]]] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._busy = 0  # executions running now (workers' and replays')
        self._idle = asyncio.Event()
        self._last_progress = time.monotonic()
        self._last_tick = time.monotonic()

    # -- thread-safe (called from the HTTP threads) --------------------------------

    @property
    def incident(self) -> str:
        """The incident that is on (``none`` when the service runs normally)."""
        return self._incident.name

    def set_incident(self, name: str) -> Incident:
        """Switch the incident live; executions that start from now on follow it."""
        if name not in INCIDENTS:
            raise ValueError(f"unknown incident {name!r}; known: {', '.join(INCIDENTS)}")
        # One attribute assignment: atomic under the GIL, read at each step.
        self._incident = INCIDENTS[name]
        return self._incident

    def health(self) -> tuple[int, dict[str, Any]]:
        """The article's health check: (HTTP status, JSON body)."""
        now = time.monotonic()
        depth = self._queue.qsize() if self._queue is not None else 0
        body: dict[str, Any] = {"status": "healthy", "timestamp": utc_timestamp()}
        if now - self._last_tick > LOOP_STALL_S:
            body.update(
                status="unhealthy", detail=f"event loop stalled for {now - self._last_tick:.0f} s"
            )
            return 503, body
        if (depth or self._busy) and now - self._last_progress > self.config.stuck_after_s:
            body.update(
                status="unhealthy",
                detail=f"workers stuck: no step finished for "
                f"{now - self._last_progress:.0f} s with {depth} queued",
            )
            return 503, body
        if self._incident.name != "none":
            body.update(
                status="degraded",
                message=f"incident {self._incident.name}: {self._incident.description}",
            )
        return 200, body

    def replay_threadsafe(
        self, execution_id: object, context: Mapping[str, Any] | None, timeout: float = 10.0
    ) -> str:
        """Start a replay from another thread; returns the new execution id.

        `execution_id` comes straight from a request body: `replay` checks what it is.
        """
        loop = self._loop
        if loop is None or loop.is_closed():
            raise ReplayError(503, "the service is not running")
        coro = self.replay(execution_id, context)
        try:
            future = asyncio.run_coroutine_threadsafe(coro, loop)
        except RuntimeError:  # the loop closed in between: shutting down
            coro.close()
            raise ReplayError(503, "the service is shutting down") from None
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise ReplayError(503, "the service did not accept the replay in time") from None

    # -- on the loop ---------------------------------------------------------------

    async def replay(self, execution_id: object, context: Mapping[str, Any] | None = None
                     ) -> str:
        """Re-run an execution with its stored context (or `context`) as `<id>-replay`.

        Repeats are `<id>-replay-2`, `-3`, .... The replay starts at once, ahead of the
        queue: an operator debugging a failure should not wait behind a backlog.
        """
        if not isinstance(execution_id, str) or not EXECUTION_ID_RE.fullmatch(execution_id):
            raise ReplayError(
                400,
                "execution_id must be 1-128 letters, digits or _.:- and must not start with '-'",
            )
        if context is None:
            with self._lock:
                stored = self._contexts.get(execution_id)
            if stored is None:  # evicted, or from an earlier run: look in the log
                stored = await asyncio.to_thread(find_context, self.logger.path, execution_id)
            if stored is None:
                raise ReplayError(
                    404, f"no stored context for {execution_id}; post the context with the request"
                )
            context = stored
        elif not isinstance(context, Mapping):
            raise ReplayError(400, "context must be a JSON object")
        with self._lock:
            count = self._replay_counts.get(execution_id, 0) + 1
            self._replay_counts[execution_id] = count
        new_id = f"{execution_id}-replay" if count == 1 else f"{execution_id}-replay-{count}"
        self._remember(new_id, dict(context))
        self._spawn(self._run_one(new_id, dict(context), replay_of=execution_id))
        return new_id

    def _remember(self, execution_id: str, context: dict[str, Any]) -> None:
        with self._lock:
            self._contexts[execution_id] = context
            while len(self._contexts) > STORED_CONTEXTS:
                self._contexts.popitem(last=False)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _progressed(self) -> None:
        self._last_progress = time.monotonic()

    async def _run_one(
        self, execution_id: str, context: dict[str, Any], replay_of: str | None = None
    ) -> None:
        self._busy += 1
        self._idle.clear()
        try:
            await self.workflow.execute(execution_id, context, replay_of=replay_of)
        finally:
            self._busy -= 1
            if not self._busy:
                self._idle.set()

    async def _producer(self, queue: asyncio.Queue[tuple[str, dict[str, Any]]]) -> None:
        next_at = time.monotonic()
        while True:
            rate = self.config.rate * self._incident.arrival_multiplier
            # Poisson arrivals: exponential gaps, scheduled against a clock so that
            # a backlog's high rate is not capped by sleep granularity.
            next_at += self._ticket_rng.expovariate(rate)
            delay = next_at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            number = next(self._numbers)
            execution_id = f"EXEC-{number:06d}"
            ticket = make_ticket(self._ticket_rng, number)
            self._remember(execution_id, ticket)
            await queue.put((execution_id, ticket))  # waits once the queue is full
            if delay < -1.0:
                next_at = time.monotonic()  # fell far behind (full queue): do not burst

    async def _worker(self, queue: asyncio.Queue[tuple[str, dict[str, Any]]]) -> None:
        while True:
            execution_id, ticket = await queue.get()
            self._progressed()
            try:
                await self._run_one(execution_id, ticket)
            finally:
                queue.task_done()

    async def _reporter(self, queue: asyncio.Queue[tuple[str, dict[str, Any]]]) -> None:
        """Queue depth to the log and the gauge, and the loop heartbeat for /health."""
        next_report = 0.0
        while True:
            now = time.monotonic()
            self._last_tick = now
            if now >= next_report:
                depth = queue.qsize()
                self.metrics.workflow_queue_depth.set(depth)
                self.logger.log_queue_depth(depth)
                next_report = now + self.config.queue_depth_interval_s
            await asyncio.sleep(min(0.5, self.config.queue_depth_interval_s))

    async def run(self, stop: asyncio.Event) -> None:
        """Run until `stop` is set, then let executions in flight end (briefly)."""
        self._loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue(QUEUE_CAPACITY)
        self._queue = queue
        self._last_progress = self._last_tick = time.monotonic()
        background = [
            asyncio.create_task(self._producer(queue)),
            asyncio.create_task(self._reporter(queue)),
        ]
        workers = [asyncio.create_task(self._worker(queue)) for _ in range(self.config.workers)]
        try:
            await stop.wait()
        finally:
            for task in background:
                task.cancel()
            # Executions in flight get a moment to finish; the rest are cancelled and
            # logged as failures, so the log never holds an execution left open forever.
            while not queue.empty():  # tickets not started are dropped, not begun
                queue.get_nowait()
                queue.task_done()
            if self._busy:
                with contextlib.suppress(TimeoutError):
                    # Real seconds, scaled like the steps: at --speed 20 executions
                    # end 20 times sooner.
                    grace = max(0.2, 2.0 / self.config.speed)
                    await asyncio.wait_for(self._idle.wait(), timeout=grace)
            in_flight = [t for t in self._tasks if not t.done()]
            for task in workers + in_flight:
                task.cancel()
            await asyncio.gather(*background, *workers, *in_flight, return_exceptions=True)
            self._loop = None

    def describe(self) -> dict[str, Any]:
        """Settings and state, for the start-up banner and GET /incident."""
        return {
            "workflow_name": WORKFLOW_NAME,
            "incident": self.incident,
            "rate": self.config.rate,
            "workers": self.config.workers,
            "speed": self.config.speed,
        }
