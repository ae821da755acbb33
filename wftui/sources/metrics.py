"""Scraping Prometheus ``/metrics`` endpoints (``wftui --metrics URL``).

One loop per target, never overlapping; an overall deadline around each whole scrape
(httpx's timeouts are per phase, and a server trickling a byte at a time never trips them);
the decompressed body capped while it streams; parsing in a worker thread so the UI loop
never waits on it. Figures come from :mod:`wftui.sources.metrics_figures`.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx

from wftui.sources.failures import clean_line, one_line
from wftui.sources.health import HealthPoller, default_health_url
from wftui.sources.http import REQUEST_ERRORS
from wftui.sources.metrics_figures import (
    TargetHistory,
    TargetView,
    bucket_warnings,
    compute_figures,
)
from wftui.sources.metrics_parse import (
    ACCEPT_HEADER,
    ExpositionError,
    MetricNames,
    ParsedScrape,
    parse_exposition,
)

__all__ = ["MetricNames", "MetricsSettings", "MetricsSource", "check_metrics"]


@dataclass
class MetricsSettings:
    """How targets are scraped and read.

    ``deadline`` None means the smaller of ``interval`` and 10 s. ``retention_s`` bounds
    how far back windows can reach.
    """

    interval: float = 5.0
    deadline: float | None = None
    max_body_bytes: int = 50_000_000
    #: Sample lines of the needed families read per scrape; past it they are counted
    #: and reported, not parsed (a target with a million series must not take gigabytes).
    max_series: int = 50_000
    names: MetricNames = field(default_factory=MetricNames)
    p95_threshold_s: float | None = 60.0
    retention_s: float = 3900.0

    @property
    def scrape_deadline(self) -> float:
        """The overall time one scrape may take."""
        return self.deadline if self.deadline is not None else min(self.interval, 10.0)


class ScrapeError(Exception):
    """One scrape failed; the message is one line for the operator."""


class _Decoder:
    """Incremental Content-Encoding decoding with a cap on the decoded size."""

    def __init__(self, encoding: str, cap: int) -> None:
        encoding = encoding.strip().lower()
        if encoding in ("", "identity"):
            self._zlib = None
        elif encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj()
        else:
            raise ScrapeError(f"unsupported Content-Encoding {encoding!r}")
        self._cap = cap
        self._chunks: list[bytes] = []
        self._size = 0

    def _keep(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self._cap:
            raise ScrapeError(f"body larger than the {self._cap:,}-byte cap")
        self._chunks.append(data)

    def feed(self, data: bytes) -> None:
        """Decode one raw chunk; fails as soon as the decoded size passes the cap."""
        if self._zlib is None:
            self._keep(data)
            return
        try:
            # max_length bounds what one chunk can expand to (a gzip bomb stops here).
            while data:
                out = self._zlib.decompress(data, self._cap - self._size + 1)
                self._keep(out)
                data = self._zlib.unconsumed_tail
        except zlib.error as error:
            raise ScrapeError(f"bad compressed body: {error}") from None

    def finish(self) -> bytes:
        """The whole decoded body."""
        if self._zlib is not None:
            try:
                self._keep(self._zlib.flush())
            except zlib.error as error:
                raise ScrapeError(f"bad compressed body: {error}") from None
        return b"".join(self._chunks)


async def fetch_body(client: httpx.AsyncClient, url: str, cap: int) -> tuple[bytes, str | None]:
    """GET ``url``; return the decoded body (at most ``cap`` bytes) and its Content-Type."""
    headers = {"Accept": ACCEPT_HEADER, "Accept-Encoding": "gzip"}
    async with client.stream("GET", url, headers=headers) as response:
        if response.status_code != 200:
            reason = response.reason_phrase or ""
            raise ScrapeError(f"HTTP {response.status_code} {reason}".strip())
        decoder = _Decoder(response.headers.get("content-encoding", ""), cap)
        async for chunk in response.aiter_raw():
            decoder.feed(chunk)
        return decoder.finish(), response.headers.get("content-type")


@dataclass
class _Target:
    url: str
    history: TargetHistory
    health: HealthPoller | None
    attempts: int = 0
    last_error: str | None = None
    failing: bool = False
    last_good_wall: float | None = None
    scrape_duration_s: float | None = None
    samples: int = 0
    exposition_format: str | None = None
    not_understood: str | None = None  # answered, but with none of the needed families
    series_dropped: int = 0
    parsing: asyncio.Future[ParsedScrape] | None = None  # a parse past its deadline


class MetricsSource:
    """Scrapes one or more ``/metrics`` targets; figures are summed over them.

    ``health_urls`` pairs a health endpoint with each target by position (an empty string
    turns it off); without it, ``/health`` beside a ``/metrics`` URL is used if it answers.
    """

    def __init__(self, urls: Sequence[str], settings: MetricsSettings, *,
                 health_urls: Sequence[str] | None = None) -> None:
        if health_urls is not None and len(health_urls) > len(urls):
            raise ValueError("more --health URLs than --metrics URLs")
        self.settings = settings
        self._client = httpx.AsyncClient(follow_redirects=False, trust_env=False)
        self._targets: list[_Target] = []
        for index, url in enumerate(urls):
            explicit = health_urls[index] if health_urls and index < len(health_urls) else None
            if explicit is not None:
                poller = HealthPoller(explicit, self._client) if explicit else None
            else:
                guess = default_health_url(url)
                poller = HealthPoller(guess, self._client, optional=True) if guess else None
            self._targets.append(_Target(url, TargetHistory(settings.names, settings.retention_s),
                                         poller))

    async def _scrape(self, target: _Target) -> None:
        settings = self.settings
        started = time.monotonic()
        # Samples are stamped with the scrape's start, as Prometheus does.
        started_wall = time.time()
        target.attempts += 1
        if target.parsing is not None and not target.parsing.done():
            # A thread cannot be stopped: while the last parse runs on, no new one starts.
            self._failed(target, started, "the previous scrape is still being parsed "
                         f"(past the {settings.scrape_deadline:g} s deadline)")
            return
        try:
            # One deadline over the whole scrape: answer, body and parsing.
            async with asyncio.timeout(settings.scrape_deadline):
                body, content_type = await fetch_body(self._client, target.url,
                                                      settings.max_body_bytes)
                target.parsing = asyncio.ensure_future(asyncio.to_thread(
                    parse_exposition, body, content_type, settings.names,
                    settings.max_series))
                # A parse that outlives the deadline: its outcome is dropped, quietly.
                target.parsing.add_done_callback(_retrieve)
                del body
                parsed = await asyncio.shield(target.parsing)
        except TimeoutError:
            self._failed(target, started,
                         f"no complete answer within the {settings.scrape_deadline:g} s deadline")
            return
        except ScrapeError as error:
            self._failed(target, started, clean_line(str(error)))
            return
        except REQUEST_ERRORS as error:
            self._failed(target, started, one_line(error))
            return
        except ExpositionError as error:
            self._failed(target, started, clean_line(str(error)))
            return
        except (ValueError, ArithmeticError, RecursionError) as error:
            # The parser's own checks missed it (a sample too big for a float raises
            # OverflowError): Prometheus rejects such a body too.
            self._failed(target, started, f"malformed exposition: {one_line(error)}")
            return
        try:
            target.history.add(started_wall, parsed)
        except Exception as error:  # noqa: BLE001 - an unforeseen sample must not end the loop
            self._failed(target, started, f"cannot use this scrape: {one_line(error)}")
            return
        target.failing = False
        target.last_good_wall = time.time()
        target.not_understood = (None if parsed.exposed is None
                                 else missing_families(settings.names, parsed.exposed))
        target.series_dropped = parsed.series_dropped
        target.samples = parsed.total_samples
        target.exposition_format = "openmetrics" if parsed.openmetrics else "text"
        target.scrape_duration_s = time.monotonic() - started

    @staticmethod
    def _failed(target: _Target, started: float, message: str) -> None:
        target.failing = True
        target.last_error = message
        target.scrape_duration_s = time.monotonic() - started

    async def _round(self, target: _Target) -> None:
        jobs = [self._scrape(target)]
        if target.health is not None:
            jobs.append(target.health.poll(self.settings.scrape_deadline))
        started = time.monotonic()
        # Each job turns its own failures into state; an error that still escapes one
        # fails this round (one line) instead of ending the target's loop.
        for outcome in await asyncio.gather(*jobs, return_exceptions=True):
            if isinstance(outcome, Exception):
                self._failed(target, started, f"unexpected {one_line(outcome)}")
            elif isinstance(outcome, BaseException):
                raise outcome  # cancellation, KeyboardInterrupt: not ours to swallow

    async def scrape_once(self) -> None:
        """Scrape every target once, concurrently (and poll their health endpoints)."""
        await asyncio.gather(*(self._round(target) for target in self._targets))

    async def run(self, stop: asyncio.Event,
                  on_update: Callable[[], None] | None = None) -> None:
        """Scrape every target each ``interval`` until ``stop`` is set.

        Each target has its own loop; a scrape that runs long delays that target's next
        one rather than overlapping it.
        """
        async def loop(target: _Target) -> None:
            while not stop.is_set():
                started = time.monotonic()
                await self._round(target)
                if on_update is not None:
                    on_update()
                delay = max(0.0, started + self.settings.interval - time.monotonic())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)

        await asyncio.gather(*(loop(target) for target in self._targets))

    def _views(self, now: float) -> list[TargetView]:
        views = []
        for target in self._targets:
            age = None if target.last_good_wall is None else max(0.0, now - target.last_good_wall)
            views.append(TargetView(target.url, target.history, target.failing,
                                    target.last_error, age))
        return views

    def figures(self, window_s: float | None, now: float | None = None) -> dict:
        """Figures over the last ``window_s`` seconds (None: since the targets started)."""
        now = time.time() if now is None else now
        figures = compute_figures(self._views(now), window_s, self.settings.p95_threshold_s)
        figures["warnings"] += [self._capped(target) for target in self._targets
                                if target.series_dropped and not target.failing]
        return figures

    def _capped(self, target: _Target) -> str:
        return (f"{target.url}: {target.series_dropped:,} series past the "
                f"{self.settings.max_series:,}-series cap left out ([metrics] max_series)")

    def target_statuses(self, now: float | None = None) -> list[dict]:
        """One JSON-able status per target (and its health endpoint)."""
        now = time.time() if now is None else now
        statuses = []
        for target in self._targets:
            if target.failing:
                status, up = "down", False
            elif target.last_good_wall is None:
                # No scrape has ended yet (the first may be waiting on a slow target):
                # neither up nor down, and no figure from it.
                status, up = "waiting", None
            else:
                status, up = "ok", True
            age = None if target.last_good_wall is None else max(0.0, now - target.last_good_wall)
            health = target.health
            records = target.history.records
            warnings = bucket_warnings([records[-1]] if records else [],
                                       self.settings.p95_threshold_s)
            if target.series_dropped:
                warnings.append(self._capped(target))
            problem = target.not_understood if not target.failing else None
            statuses.append({
                "kind": "metrics",
                "name": target.url,
                "status": status,
                "up": up,
                "error": target.last_error if target.failing else problem,
                "last_error": target.last_error,
                "age_s": age,
                "scrape_duration_s": target.scrape_duration_s,
                "samples": target.samples,
                "format": target.exposition_format,
                "series_dropped": target.series_dropped,
                **({"not_understood": f"{target.url}: {problem}"} if problem else {}),
                "warning": "; ".join(warnings) or None,
                "health": health.state if health is not None else None,
                "health_url": health.url if health is not None else None,
                "health_detail": health.detail if health is not None else None,
            })
        return statuses

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()


def _retrieve(future: asyncio.Future[ParsedScrape]) -> None:
    if not future.cancelled():
        future.exception()


RUNTIME_PREFIXES = ("python_", "process_", "go_", "promhttp_", "jvm_", "nodejs_")


def missing_families(names: MetricNames, exposed: Sequence[str]) -> str:
    """One line: none of the configured families is there; the closest it has, first."""
    wanted = sorted(names.family_names())

    def closeness(name: str) -> float:
        return max(difflib.SequenceMatcher(None, name, want).ratio() for want in wanted)

    # A client library's own families (python_gc_*, process_*, go_*) are never the
    # workflow's: they come after the service's own, however alike their names.
    closest = sorted(exposed, key=lambda name: (name.startswith(RUNTIME_PREFIXES),
                                                -closeness(name)))[:8]
    shown = ", ".join(clean_line(name, 80) for name in closest) or "none"
    return (f"none of the configured metrics ({', '.join(wanted)}) is exposed; it has "
            f"{len(exposed):,} famil{'y' if len(exposed) == 1 else 'ies'}, closest first: "
            f"{shown}: set [metrics.names]")


async def check_metrics(urls: Sequence[str], settings: MetricsSettings,
                        window_s: float | None, *,
                        health_urls: Sequence[str] | None = None) -> tuple[dict, list[dict]]:
    """Two scrapes ``settings.interval`` apart; returns ``(figures, target_statuses)``."""
    source = MetricsSource(urls, settings, health_urls=health_urls)
    try:
        await source.scrape_once()
        await asyncio.sleep(settings.interval)
        await source.scrape_once()
        return source.figures(window_s), source.target_statuses()
    finally:
        await source.aclose()
