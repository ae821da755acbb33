"""The live monitor's engine, shared by the TUI and `wftui watch`: no UI in here.

Files are read in one background thread running its own asyncio loop, and metrics are
scraped in another (a busy ingest must not eat a scrape's deadline); each batch of lines
is ingested under a lock. Readers
call `snapshot()` from any thread: it takes the lock only to compute figures, so the
UI never waits on IO.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from wftui.config import Settings
from wftui.core.execution import Execution
from wftui.core.ledger import Ledger
from wftui.core.mapping import build_mapping
from wftui.core.snapshot import Snapshot, take_snapshot
from wftui.core.steps import ExecutionDetail, build_detail
from wftui.core.thresholds import ThresholdEngine
from wftui.core.understood import annotate, log_warnings
from wftui.sources.connect import MetricFamily

KEEP = object()  # "the configured window" (None already means "all")


class LiveMonitor:
    """Follows files and metrics targets; hands out snapshots and execution trees."""

    def __init__(self, settings: Settings, files: Sequence[str] = (), *,
                 metrics: MetricFamily | None = None, from_end: bool = False) -> None:
        from wftui.sources.files import FileTailer

        self.settings = settings
        self.ledger = Ledger(retention=settings.retention, idle_timeout=settings.idle_timeout_s,
                             mapping=build_mapping(settings.section("logs")))
        self.engine = ThresholdEngine(settings.thresholds)
        self.tailer = FileTailer(list(files), from_end=from_end) if files else None
        self.metrics = metrics
        self.window_s = settings.window_s
        self.errors: list[str] = []  # a source task that died: said on screen, not raised
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._metrics_version = 0
        self._last_metrics: dict[float | None, dict[str, Any]] = {}
        self._last_targets: list[dict[str, Any]] = []  # shown while the loop is busy
        self._metrics_loop: asyncio.AbstractEventLoop | None = None
        self._metrics_stop: asyncio.Event | None = None
        self._metrics_thread: threading.Thread | None = None
        self._metrics_ready = threading.Event()
        self.on_change: Callable[[], None] | None = None

    # -- running -----------------------------------------------------------------------

    def start(self) -> None:
        """Start reading in the background; returns once the loop is running."""
        self._thread = threading.Thread(target=self._run, name="wftui-sources", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self.metrics is not None:
            self._metrics_thread = threading.Thread(target=self._run_metrics,
                                                    name="wftui-metrics", daemon=True)
            self._metrics_thread.start()
            self._metrics_ready.wait(10)

    def _run(self) -> None:
        asyncio.run(self._main())

    def _run_metrics(self) -> None:
        asyncio.run(self._metrics_main())

    async def _metrics_main(self) -> None:
        assert self.metrics is not None
        self._metrics_loop = asyncio.get_running_loop()
        self._metrics_stop = asyncio.Event()
        self._metrics_ready.set()
        task = asyncio.create_task(self._guard("metrics", self.metrics.run(
            self._metrics_stop, self._metrics_updated)))
        await self._metrics_stop.wait()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await self.metrics.aclose()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._ready.set()
        tasks = []
        if self.tailer is not None:
            from wftui.sources.filefollow import follow

            tasks.append(asyncio.create_task(self._guard("files", follow(
                self.tailer, self._ingest, self._stop))))
        await self._stop.wait()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.tailer is not None:
            self.tailer.close()

    async def _guard(self, name: str, job: Any) -> None:
        """Run a source; if it dies, say so instead of taking the process down."""
        try:
            await job
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - shown to the operator as one line
            self.errors.append(f"{name} stopped: {type(error).__name__}: {error}")

    def _ingest(self, batch: Any) -> None:
        with self._lock:
            self.ledger.ingest_lines(batch.source, batch.first_lineno, batch.lines,
                                     time.time())
        if self.on_change is not None:
            self.on_change()

    def _metrics_updated(self) -> None:
        self._metrics_version += 1
        if self.on_change is not None:
            self.on_change()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop reading and wait for the background thread to finish."""
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stop.set)
        loop, stop = self._metrics_loop, self._metrics_stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(timeout)
        if self._metrics_thread is not None:
            self._metrics_thread.join(timeout)

    # -- reading -----------------------------------------------------------------------

    @property
    def version(self) -> int:
        """Changes whenever anything new was read: skip re-rendering when it has not."""
        return self.ledger.version * 1_000_003 + self._metrics_version

    def sources(self, now: float | None = None) -> list[dict[str, Any]]:
        """Every source's health: files (tailer facts + counts), then metrics targets."""
        entries: list[dict[str, Any]] = []
        if self.tailer is not None:
            with self._lock:  # annotate reads the ledger's counters of unknown things
                for status in self.tailer.statuses:
                    entries.append(annotate(self.ledger.source_entry(status.as_dict()),
                                            self.ledger))
        metrics = self.metrics
        if metrics is not None:
            targets = self._in_loop(lambda: metrics.target_statuses(now), None)
            if targets is None:  # the loop was busy: the last known, never a vanished source
                targets = self._last_targets
            else:
                self._last_targets = targets
            entries.extend(targets)
        return entries

    def _in_loop(self, job: Callable[[], Any], default: Any) -> Any:
        """Run a read of the metrics' state inside their loop's thread (it is not
        thread-safe)."""
        loop = self._metrics_loop
        if loop is None or loop.is_closed() \
                or threading.current_thread() is self._metrics_thread:
            return job()

        async def call() -> Any:
            return job()

        try:
            return asyncio.run_coroutine_threadsafe(call(), loop).result(timeout=2.0)
        except (FutureTimeout, RuntimeError):
            return default

    def _metric_figures(self, window: float | None, now: float) -> dict[str, Any] | None:
        if self.metrics is None:
            return None
        metrics = self.metrics
        figures = self._in_loop(lambda: metrics.figures(window, now), None)
        if figures is None:  # the loop was busy: the last answer, not a gap
            return self._last_metrics.get(window)
        self._last_metrics[window] = figures
        return figures

    def snapshot(self, window_s: Any = KEEP, *, with_rows: bool = False,
                 now: float | None = None) -> Snapshot:
        """Figures over the window ending now; rows of the executions table if asked.

        Thresholds are always judged on the configured window: browsing another window
        on screen must not clear (or fire) an alert.
        """
        window = self.window_s if window_s is KEEP else window_s
        alert_window = self.settings.window_s
        now = time.time() if now is None else now
        metric_figures = self._metric_figures(window, now)
        alert_metrics = (metric_figures if window == alert_window
                         else self._metric_figures(alert_window, now))
        sources = self.sources(now)
        warnings = list(self.errors)
        if metric_figures:
            warnings += list(metric_figures.get("warnings", []))
        ledger = self.ledger if self.tailer is not None else None
        with self._lock:
            if ledger is not None:
                warnings += log_warnings(ledger)
            alerts = None
            if window != alert_window:
                alerts = take_snapshot(ledger, self.engine, window_s=alert_window, now=now,
                                       metrics=alert_metrics)
            return take_snapshot(ledger, self.engine, window_s=window, now=now,
                                 sources=sources, metrics=metric_figures,
                                 with_rows=with_rows, warnings=warnings, alerts_from=alerts)

    @property
    def idle_timeout(self) -> float | None:
        """How long a running execution may stay silent before it counts as failed."""
        return self.ledger.idle_timeout

    def executions_copy(self) -> list[Execution]:
        """The retained executions in first-seen order: a list taken under the lock
        (the executions in it keep changing as lines arrive; `detail` copies one)."""
        with self._lock:
            return list(self.ledger.executions.values())

    def detail(self, execution_id: str, now: float | None = None) -> ExecutionDetail | None:
        """The step tree of one retained execution (None if unknown or folded)."""
        with self._lock:  # copy under the lock, build outside it: ingestion never waits
            execution = self.ledger.executions.get(execution_id)
            if execution is None:
                return None
            execution = execution.copy()
        mapping = self.ledger.mapping
        return build_detail(execution, time.time() if now is None else now,
                            self.ledger.idle_timeout,
                            mapping.contract_dict if mapping is not None else None)

    def set_settings(self, settings: Settings) -> None:
        """A reloaded config: thresholds take effect at the next snapshot."""
        with self._lock:  # the engine is updated under the lock by snapshot()
            self.settings = settings
            self.engine.set_thresholds(settings.thresholds)
