"""The live monitor's engine, shared by the TUI and `wftui watch`: no UI in here.

Files and the OTLP receiver are read in one background event loop
(`wftui.background`), and metrics are scraped in another (a busy ingest must not eat a
scrape's deadline); each batch of lines is ingested under a lock. Readers
call `snapshot()` from any thread: it takes the lock only to compute figures, so the
UI never waits on IO.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from wftui.background import BackgroundLoop
from wftui.config import Settings
from wftui.core.clock import LogClock, log_clock
from wftui.core.execution import Execution
from wftui.core.ledger import Ledger
from wftui.core.mapping import build_mapping
from wftui.core.snapshot import Snapshot, file_source_entry, metrics_given, take_snapshot
from wftui.core.steps import ExecutionDetail, build_detail
from wftui.core.thresholds import Alert, ThresholdEngine
from wftui.core.travel import detail_at
from wftui.core.understood import annotate, log_warnings
from wftui.live_history import MonitorHistory
from wftui.sources.filestatus import long_line_warnings
from wftui.sources.otlp.files import LineRouter
from wftui.sources.otlp.options import configured_prices

if TYPE_CHECKING:  # loaded only when asked for: the catch-up, the scrapers (httpx, ...)
    from wftui.sources.catchup import CatchUpPlan
    from wftui.sources.connect import MetricFamily

KEEP = object()  # "the configured window" (None already means "all")
SHOWN_WAIT_S = 5.0  # judging the backlog waits this long at most for the screen
# What reads executions' lines (step trees, the text filter, "why", a past moment's
# rows) waits this long at most for the catch-up's second read to keep them.
LINES_WAIT_S = 30.0
# While the backlog is read, partial figures are recomputed at most this often (or 10
# times what the last computation took, if more); in between a snapshot reuses them
# with fresh progress. Each computation holds the ledger's lock, which the merge of the
# readers' parts waits on: at 2 Hz they took ~2 s of a 7 s catch-up of a 1M-line log.
PARTIAL_FIGURES_S = 2.0
# Traces of followed OTLP JSON files waiting for a name are looked at this often (as
# the receiver's: FLUSH_EVERY_S); each waits its `hold_s` (5 s) from when it was read.
HELD_TRACES_EVERY_S = 1.0


class LiveMonitor:
    """Follows files and metrics targets; hands out snapshots and execution trees."""

    def __init__(self, settings: Settings, files: Sequence[str] = (), *,
                 metrics: MetricFamily | None = None, from_end: bool = False,
                 otlp: Any = None) -> None:
        from wftui.sources.catchup import Progress, backlog_bytes
        from wftui.sources.files import FileTailer
        from wftui.sources.split import keep_big_blocks_apart

        keep_big_blocks_apart()  # a monitor runs for long: what it frees goes back

        self.settings = settings
        self.ledger = Ledger(retention=settings.retention, idle_timeout=settings.idle_timeout_s,
                             mapping=build_mapping(settings.section("logs")))
        self.engine = ThresholdEngine(settings.thresholds)
        self.tailer = FileTailer(list(files), from_end=from_end) if files else None
        self.metrics = metrics
        self.otlp = otlp  # an OtlpReceiver (wftui.sources.otlp.receiver), or None
        # Followed OTLP JSON files are read as requests (priced by [otlp.prices]).
        self.router = LineRouter(self.ledger, configured_prices(settings))
        self._otlp_lines = 0
        self.window_s = settings.window_s
        self.errors: list[str] = []  # a source task that died: said on screen, not raised
        self._lock = threading.Lock()
        self._background = BackgroundLoop("wftui-sources")
        self._stop: asyncio.Event | None = None
        self._metrics_version = 0
        self.metrics_answered = threading.Event()  # a first scrape round is done
        self._last_metrics: dict[float | None, dict[str, Any]] = {}
        self._last_targets: list[dict[str, Any]] = []  # shown while the loop is busy
        self._metrics_background = BackgroundLoop("wftui-metrics")
        self._metrics_stop: asyncio.Event | None = None
        self.on_change: Callable[[], None] | None = None
        # The first read of what the files hold (None: nothing to catch up on, e.g.
        # stdin): figures before it is done are partial, and thresholds wait for it.
        backlog = backlog_bytes(self.tailer) if self.tailer is not None else None
        self.progress = Progress(backlog) if backlog is not None else None
        self._stop_reading = threading.Event()
        self.history = MonitorHistory(self)
        # Thresholds wait until the backlog is read and judged along the log's time.
        self.judged = self.progress is None
        # A screen that shows the monitor sets this to an event, and sets the event once
        # it has shown the whole log read: judging the backlog (a second's work on a
        # 1M-line log) waits for it, or it would double the time to that first screen.
        self.read_shown: threading.Event | None = None
        # Set once the retained executions' lines are kept: a big log's catch-up keeps
        # them after its whole figures are on screen (`LinesToKeep`).
        self._lines_kept = threading.Event()
        if self.tailer is None:
            self._lines_kept.set()
        self._plan: CatchUpPlan | None = None  # a catch-up in parts started early
        # Taken once, by the read or by a stop (which then ends it): never by both, or
        # a stop would close a gzip log's unpacked copy under the read.
        self._plan_taken = threading.Lock()
        # The last partial snapshot while reading: (what it answered, when, cost, it).
        self._partial: tuple[tuple[Any, ...], float, float, Snapshot] | None = None

    # -- running -----------------------------------------------------------------------

    def start(self) -> None:
        """Start reading in the background; returns once the loop is running."""
        self._stop = asyncio.Event()  # binds to the loop at its first use there
        self._background.start(self._main)
        if self.metrics is not None:
            self._metrics_stop = asyncio.Event()
            self._metrics_background.start(self._metrics_main)

    def start_readers_early(self) -> None:
        """Fork the readers of a big log's first parts now, ahead of `start`: the TUI
        does so before it draws its first screen (and starts the rest once it is
        drawn), so that the core the first screen leaves idle reads meanwhile."""
        from wftui.sources.catchup import plan_catch_up, start_early

        if self.tailer is None or self.progress is None or self._plan is not None:
            return
        plan = plan_catch_up(self.tailer)
        if plan is not None:
            start_early(plan, self.ledger, self.progress)
            self._plan = plan

    async def _metrics_main(self) -> None:
        assert self.metrics is not None and self._metrics_stop is not None
        task = asyncio.create_task(self._guard("metrics", self.metrics.run(
            self._metrics_stop, self._metrics_updated)))
        await self._metrics_stop.wait()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await self.metrics.aclose()

    async def _main(self) -> None:
        assert self._stop is not None
        tasks = []
        if self.tailer is not None:
            tasks.append(asyncio.create_task(self._guard("files", self._read_files())))
            tasks.append(asyncio.create_task(self._guard("otlp files", self._release_held())))
        if self.otlp is not None:
            tasks.append(asyncio.create_task(self._guard("otlp receiver", self.otlp.run(
                self._ingest_spans, self._stop))))
        await self._stop.wait()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.tailer is not None:
            self.tailer.close()

    async def _release_held(self) -> None:
        """Traces of followed OTLP JSON files held for a name are looked at every
        second (a line read looks too): a quiet file has no next line to do it."""
        while True:
            await asyncio.sleep(HELD_TRACES_EVERY_S)
            if not self.router.readers:
                continue
            with self._lock:
                released = self.router.release_held(time.time())
            if released:
                self._changed()

    async def _guard(self, name: str, job: Any) -> None:
        """Run a source; if it dies, say so instead of taking the process down."""
        try:
            await job
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - shown to the operator as one line
            self.errors.append(f"{name} stopped: {type(error).__name__}: {error}")

    async def _read_files(self) -> None:
        """Catch up on what the files hold (in parts when one is big), then follow."""
        from wftui.sources.split import give_back_freed_memory

        assert self.tailer is not None and self._stop is not None
        if self.progress is not None:
            try:
                if not await self._read_backlog():
                    return
            finally:
                self._lines_kept.set()  # kept, or never to be: nothing waits longer
            # Judged along the log's time, as a monitor watching it live would have:
            # alerts carry the moments the log says they fired.
            await asyncio.to_thread(self.history.judge_backlog)
            self.judged = True
            self._changed()
            give_back_freed_memory()  # what judging along the log used for a while
        self._lines_kept.set()  # no backlog (a stream): lines are kept as they are read
        with self._lock:  # from now on lines are read as they are written
            self.ledger.live_lines = True
        from wftui.sources.filefollow import follow

        await follow(self.tailer, self._ingest, self._stop)

    async def _read_backlog(self) -> bool:
        """The first read of what the files hold, shown whole; then the lines of the
        executions retained are kept for their step trees. False when stopped."""
        from wftui.sources.catchup import read_backlog

        assert self.tailer is not None and self.progress is not None
        with self._plan_taken:
            plan, self._plan = self._plan, None
        later = await asyncio.to_thread(
            read_backlog, self.tailer, self.ledger, self._lock, self.progress,
            self._stop_reading, self._ingest, self._new_ledger, self._changed, plan)
        if later is None:
            self._lines_kept.set()  # read in one go: its lines were kept as it was read
        try:
            if self._stop_reading.is_set():
                return False
            self._changed()  # the whole log goes on screen; its thresholds come next
            if self.read_shown is not None:
                await asyncio.to_thread(self.read_shown.wait, SHOWN_WAIT_S)
            if self._stop_reading.is_set():
                return False
            if later is not None:  # before judging: a fired alert's "why" reads lines
                await asyncio.to_thread(later.keep, self.ledger, self._lock,
                                        self._stop_reading)
            return not self._stop_reading.is_set()
        finally:
            if later is not None:
                later.close()

    def lines_ready(self, showing_all: bool = False) -> None:
        """Wait (in a worker thread) until the executions' lines are kept: after a big
        log's catch-up they are kept once the screen has shown the whole log.
        showing_all: the caller computes that screen (it need not wait for itself)."""
        if showing_all and self.read_shown is not None:
            self.read_shown.set()
        self._lines_kept.wait(LINES_WAIT_S)

    def _new_ledger(self) -> Ledger:
        """A fresh ledger in place of one a failed read in parts left half-filled."""
        with self._lock:
            self.ledger = Ledger(retention=self.settings.retention,
                                 idle_timeout=self.settings.idle_timeout_s,
                                 mapping=build_mapping(self.settings.section("logs")))
            self.router = LineRouter(self.ledger, configured_prices(self.settings))
            return self.ledger

    @property
    def reading(self) -> bool:
        """The backlog is still being read: figures are partial, thresholds unjudged."""
        return self.progress is not None and not self.progress.done

    def clock(self, wall: float | None = None) -> LogClock:
        """Now for the figures: the wall clock for a live log, the log's end for an old
        one (its newest event older than the window)."""
        wall = time.time() if wall is None else wall
        if self.tailer is None:
            return LogClock(wall, None, True)
        return log_clock(self.ledger.window_anchor, wall, self.settings.window_s)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def _ingest(self, batch: Any) -> None:
        with self._lock:
            self.router.ingest(batch.source, batch.first_lineno, batch.lines, time.time())
        if self.on_change is not None:
            self.on_change()

    def _ingest_spans(self, source: str, lines: list[bytes]) -> None:
        """Event lines the OTLP receiver made of spans (called from a worker thread)."""
        with self._lock:
            self.ledger.ingest_lines(source, self._otlp_lines + 1, lines, time.time())
            self._otlp_lines += len(lines)
        if self.on_change is not None:
            self.on_change()

    def _metrics_updated(self) -> None:
        """A metrics round ended (on the metrics' own thread)."""
        self._metrics_version += 1
        # Answered once every target has ended a first scrape (answered or failed): a
        # slower one's figures would be missing from `metrics_given`, and thresholds on
        # them judged along the log's past, then resolved when it answers.
        if not self.metrics_answered.is_set() and self.metrics is not None and all(
                status.get("status") != "waiting"
                for status in self.metrics.target_statuses()):
            self.metrics_answered.set()
        if self.on_change is not None:
            self.on_change()

    def stop_receiving(self) -> None:
        """The OTLP receiver takes no more requests and folds those it answered (for a
        few seconds at most: `OtlpReceiver.finish`), so that a final snapshot taken now
        holds every span a sender was told was delivered."""
        if self.otlp is None or not self._background.running:
            return
        with contextlib.suppress(TimeoutError, RuntimeError):  # said by the receiver
            self._background.call(self.otlp.finish, timeout=10.0)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop reading and wait for the background thread to finish."""
        self._stop_reading.set()
        if self.read_shown is not None:
            self.read_shown.set()  # nothing waits for the screen any more
        self._lines_kept.set()  # nor for lines
        self.metrics_answered.set()  # nor for a first scrape
        if self.progress is not None:
            self.progress.end_readers()  # a catch-up in parts ends now, not when read
        with self._plan_taken:
            plan, self._plan = self._plan, None
        if plan is not None:  # started early, never taken on: never started
            from wftui.sources.catchup import end_early

            assert self.progress is not None
            end_early(plan, self.progress)
        if self._stop is not None:
            self._background.call_soon(self._stop.set)
        if self._metrics_stop is not None:
            self._metrics_background.call_soon(self._metrics_stop.set)
        self._background.stop(timeout)
        self._metrics_background.stop(timeout)

    # -- reading -----------------------------------------------------------------------

    @property
    def version(self) -> int:
        """Changes whenever anything new was read: skip re-rendering when it has not."""
        # The end of the first read is news too: the screen says `following` at once,
        # not after the thresholds are judged along the log (a second on a big log).
        return (self.ledger.version * 1_000_003 + self._metrics_version
                + (500_000 if self.judged else 0) + (0 if self.reading else 250_000))

    def sources(self, now: float | None = None) -> list[dict[str, Any]]:
        """Every source's health: files (tailer facts + counts), then metrics targets."""
        entries: list[dict[str, Any]] = []
        if self.tailer is not None:
            progress = self.progress.as_dict() if self.reading and self.progress else None
            with self._lock:  # annotate reads the ledger's counters of unknown things
                for status in self.tailer.statuses:
                    entry = annotate(file_source_entry(self.ledger, status.as_dict()),
                                     self.ledger)
                    if progress is not None and entry["status"] == "following":
                        # catching up: the lines read so far, readers in parts included
                        entry.update(status="reading", reading=progress,
                                     lines=max(entry["lines"], progress["lines"]))
                    entries.append(entry)
        if self.otlp is not None:
            entries.append(self.otlp.status())
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
        if not self._metrics_background.running:
            return job()
        try:
            return self._metrics_background.call(job, timeout=2.0)
        except (TimeoutError, RuntimeError):
            return default

    def _metric_figures(self, window: float | None, now: float) -> dict[str, Any] | None:
        metrics = self.metrics
        if metrics is None:
            return None
        figures = self._in_loop(lambda: metrics.figures(window, now), None)
        if figures is None:  # the loop was busy: the last answer, not a gap
            return self._last_metrics.get(window)
        self._last_metrics[window] = figures
        return figures

    def metrics_given(self) -> set[str]:
        """The figures the metrics give now, over the configured window, where the
        panels show theirs rather than the log's (`Snapshot.figures`)."""
        return metrics_given(self._metric_figures(self.settings.window_s, time.time()) or {})

    def snapshot(self, window_s: Any = KEEP, *, with_rows: bool = False,
                 now: float | None = None, at: float | None = None) -> Snapshot:
        """Figures over the window ending now; rows of the executions table if asked.

        Thresholds are always judged on the configured window: browsing another window
        on screen must not clear (or fire) an alert. at: a past moment of the log to
        show instead (history mode), as it stood then.
        """
        window = self.window_s if window_s is KEEP else window_s
        alert_window = self.settings.window_s
        clock = self.clock(now)
        now = clock.now  # the log's end for an old log: ages and times in its time
        metric_figures = self._metric_figures(window, clock.wall)
        alert_metrics = (metric_figures if window == alert_window
                         else self._metric_figures(alert_window, clock.wall))
        sources = self.sources(clock.wall)
        warnings = list(self.errors)
        if metric_figures:
            warnings += list(metric_figures.get("warnings", []))
        ledger = self.ledger if self.tailer is not None or self.otlp is not None else None
        reading = self.reading
        if at is not None and self.tailer is not None and not reading:
            if with_rows:
                self.lines_ready()  # rows as they stood then are read from the lines
            past = self.history.snapshot_at(at, window, with_rows=with_rows,
                                            sources=sources, warnings=warnings,
                                            queue_now=(metric_figures or {}).get(
                                                "queue_depth"))
            return replace(past, clock=clock)
        progress = self.progress.as_dict() if reading and self.progress else None
        if progress is not None and at is None:
            reused = self._partial_again(window, with_rows, progress.get("seconds_left"))
            if reused is not None:
                return replace(reused, clock=clock, reading=progress, sources=tuple(sources))
        started = time.monotonic()
        # Partial figures judge nothing: an alert on half a log would be noise.
        judged = self.judged
        engine = self.engine if judged else ThresholdEngine(())
        # Lines appended to an old log: judged along its time first (`judge_appended`).
        appended = (self.history.judge_appended(clock)
                    if judged and self.tailer is not None else ())
        with self._lock:
            # The clock again, now the ledger holds still: a part of a big log merged
            # while this waited for the lock lies past the end read before, and judged
            # against that end it read as events stamped in the future.
            clock = self.clock(clock.wall)
            now = clock.now
            # Newer lines not judged along the log's time yet: as last judged, not at
            # the log's end (where their breach would begin at the end, not in time).
            hold = judged and self.tailer is not None and self.history.behind(clock)
            if ledger is not None:
                warnings += long_line_warnings(sources) + log_warnings(ledger)
            alerts = None
            if window != alert_window:
                alerts = take_snapshot(ledger, engine, window_s=alert_window, now=now,
                                       metrics=alert_metrics, hold=hold)
            snapshot = take_snapshot(ledger, engine, window_s=window, now=now,
                                     sources=sources, metrics=metric_figures,
                                     with_rows=with_rows, warnings=warnings,
                                     alerts_from=alerts, hold=hold)
            if judged and not hold:
                self.history.judged_at(clock)
        if progress is not None and at is None:
            self._partial = (self._partial_key(window, with_rows), started,
                             time.monotonic() - started, snapshot)
        announced = self.history.take_announcements() if self.judged else ()
        return replace(snapshot, clock=clock, reading=progress,
                       judging=not self.judged and progress is None,
                       transitions=announced + appended + snapshot.transitions)

    def _partial_key(self, window: float | None, with_rows: bool) -> tuple[Any, ...]:
        """What a partial snapshot answered: new metrics or a source's error is news."""
        return window, with_rows, self._metrics_version, len(self.errors)

    def _partial_again(self, window: float | None, with_rows: bool,
                       seconds_left: float | None = None) -> Snapshot | None:
        """The last partial snapshot, if recent enough to show again while reading
        (`PARTIAL_FIGURES_S`) and it answered the same question. Near the end of the
        read (less than PARTIAL_FIGURES_S left, as `Progress` estimates: the second
        read's is 0) it is shown again however old: the whole log's figures come
        soon, and computing partial ones then (0.3 s of a 1M-line log's ledger) took
        the interpreter lock from the last merges and the second read."""
        partial = self._partial
        if partial is None or partial[0] != self._partial_key(window, with_rows):
            return None
        _, taken, took, snapshot = partial
        if seconds_left is not None and 0 <= seconds_left < PARTIAL_FIGURES_S:
            return snapshot
        if time.monotonic() - taken >= max(PARTIAL_FIGURES_S, 10.0 * took):
            return None
        return snapshot

    def execution_changes(self, reader: object, also: Iterable[str]
                          ) -> tuple[dict[str, Execution | None] | None,
                                     list[Execution] | None]:
        """For the table's rows (`wftui.view.live_rows`): the retained executions that
        changed since `reader` last asked, and `also`'s (None: no longer retained); or,
        when that is not known (`wftui.core.changes`), every retained one, in order."""
        with self._lock:
            ids = self.ledger.changes.take(reader)
            if ids is None:
                return None, self.ledger.retained()
            ids.update(also)
            get = self.ledger.executions.get
            return {execution_id: get(execution_id) for execution_id in ids}, None

    def executions_copy(self) -> list[Execution]:
        """The retained executions in read order, listed under the lock.

        The list is the caller's; the executions in it are live (the reader thread keeps
        updating them): enough for table rows, which are rebuilt when an execution's
        summary changes. For a stable copy of one execution, use `detail`.
        """
        with self._lock:
            return self.ledger.retained()

    def alerts(self) -> tuple[Alert, ...]:
        """The alerts as the dashboard shows them at now (newest first): the log's,
        judged along its time once read, and those judged since (none before then)."""
        with self._lock:
            return tuple(self.engine.alerts()) if self.judged else ()

    @property
    def idle_timeout(self) -> float | None:
        """After how long without an event a running execution with no open step ends."""
        return self.ledger.idle_timeout

    def counts_read(self) -> tuple[int, int]:
        """(events, malformed lines) read so far from every file."""
        return self.ledger.events_total, self.ledger.malformed_total

    def explain(self, now: float | None = None, at: float | None = None) -> dict[str, Any]:
        """Why each figure is where it is, over the configured window
        (`wftui.core.explain`); computed under the lock, so only on demand. `at`: a past
        moment of the log (its window ends there; `at` in the answer says so), whose
        metrics are not known: only the log is explained."""
        from wftui.core.explain import explain
        from wftui.core.snapshot import window_end_for

        now = time.time() if now is None else now
        window = self.settings.window_s
        self.lines_ready()  # the failed executions' step trees are part of the answer
        # An old log's "now" is its end, as on its panels: at today's clock every
        # execution without a completion is long idle, and "why active workflows" said
        # fewer running than the panel it explains.
        log_now = self.clock(now).now
        with self._lock:
            end, _ = window_end_for(self.ledger, window, now)
            if at is not None:
                end = at
            # members: "why" -> Enter shows exactly the executions a row counted
            out = explain(self.ledger, window_s=window, end=end if end is not None else now,
                          now=log_now, thresholds=self.settings.thresholds, members=True)
        if at is not None:
            out["at"] = at
            return out
        figures = self._metric_figures(window, time.time())
        if figures is not None:  # what the metrics' labels say (wftui.core.explain_metrics)
            from wftui.core.explain_metrics import explain_metrics

            out["metrics"] = explain_metrics(figures, self.settings.thresholds)
        return out

    def detail(self, execution_id: str, now: float | None = None,
               at: float | None = None) -> ExecutionDetail | None:
        """The step tree of one retained execution (None if unknown or folded); at: a
        past moment of the log, to show it as it stood then (`core.travel.detail_at`)."""
        self.lines_ready()
        with self._lock:  # copy under the lock, build outside it: ingestion never waits
            execution = self.ledger.get(execution_id)
            if execution is None:
                return None
            execution = execution.copy()
        mapping = self.ledger.mapping
        if at is not None:
            return detail_at(execution, at, self.clock(now).now, self.ledger.idle_timeout,
                             mapping)
        return build_detail(execution, time.time() if now is None else now,
                            self.ledger.idle_timeout,
                            mapping.contract_dict if mapping is not None else None)

    def may_bring_more(self) -> bool:
        """Whether a source may still bring new lines: a followed file (or one not
        there yet, or failing for now), an OTLP receiver; not when every file has
        ended (stdin at its end, a gzip file read once) and nothing listens."""
        if self.otlp is not None:
            return True
        return self.tailer is not None and any(
            status.status != "ended" for status in self.tailer.statuses)

    def no_longer_kept(self, execution_id: str) -> bool:
        """Whether this execution was read, then let go past `retention`: folded away
        (its later events are late events) or dormant (its lines dropped)."""
        with self._lock:
            ledger = self.ledger
            return ledger.was_folded(execution_id) or execution_id in ledger.dormant

    def set_settings(self, settings: Settings) -> None:
        """A reloaded config: thresholds take effect at the next snapshot."""
        with self._lock:  # the engine is updated under the lock by snapshot()
            self.settings = settings
            self.engine.set_thresholds(settings.thresholds)
