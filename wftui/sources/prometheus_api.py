"""Reading the figures from a Prometheus server (``wftui --prometheus URL``).

Each refresh runs a dozen PromQL instant queries over ``/api/v1/query`` concurrently, the
window as the range. Queries are templates (``string.Template``: ``$window``, ``$q`` and
the metric names) and can be replaced. Prometheus answers NaN for 0/0 (no traffic) and an
empty vector when a series does not exist: both are "no data" (None), never 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from string import Template

import httpx

from wftui.core import format as fmt
from wftui.core.figures import MIN_RATE_SPAN_S
from wftui.core.promql import highest_finite_bound, histogram_quantile, parse_le
from wftui.sources.failures import clean_line, one_line
from wftui.sources.http import REQUEST_ERRORS
from wftui.sources.metrics import MetricsSettings
from wftui.sources.metrics_figures import QUANTILES, statuses_neither
from wftui.sources.metrics_labels import LABEL_QUERIES, LABEL_QUERIES_ALL, prometheus_labels
from wftui.sources.metrics_parse import MetricNames


@dataclass
class PrometheusQueries:
    """PromQL templates. ``*_all`` variants are used for the window "all" (totals)."""

    # Over executions that ended with a success or a failure word (others left out).
    error_rate: str = ('(sum(rate(${executions}{${status_label}=~"${failures}"}[${window}])) '
                       'or vector(0)) / sum(rate(${executions}{${status_label}=~"${ended}"}'
                       "[${window}]))")
    error_rate_all: str = ('(sum(${executions}{${status_label}=~"${failures}"}) or vector(0)) '
                           '/ sum(${executions}{${status_label}=~"${ended}"})')
    throughput_per_min: str = "sum(rate(${executions}[${window}])) * 60"
    latency: str = ("histogram_quantile(${q}, sum by (le) "
                    "(rate(${workflow_duration}_bucket[${window}])))")
    latency_all: str = "histogram_quantile(${q}, sum by (le) (${workflow_duration}_bucket))"
    latency_buckets: str = "sum by (le) (rate(${workflow_duration}_bucket[${window}]))"
    latency_buckets_all: str = "sum by (le) (${workflow_duration}_bucket)"
    step_latency: str = ("histogram_quantile(${q}, sum by (le, ${step_label}) "
                         "(rate(${step_duration}_bucket[${window}])))")
    step_latency_all: str = ("histogram_quantile(${q}, sum by (le, ${step_label}) "
                             "(${step_duration}_bucket))")
    step_buckets: str = ("sum by (le, ${step_label}) "
                         "(rate(${step_duration}_bucket[${window}]))")
    step_buckets_all: str = "sum by (le, ${step_label}) (${step_duration}_bucket)"
    step_count: str = "sum by (${step_label}) (increase(${step_duration}_count[${window}]))"
    step_count_all: str = "sum by (${step_label}) (${step_duration}_count)"
    active_workflows: str = "sum(${active_workflows})"
    queue_depth: str = "${queue_sum}"


#: Targets Prometheus scrapes for our metrics that are down now. Its sums only hold the
#: targets it reached (a down worker's gauges just leave them), so this is asked beside
#: the figures to say the figures are partial. Targets that exposed the executions
#: counter in the last hour count: older ones, or other jobs, are not ours to report.
TARGETS_DOWN = ("up == 0 and on (job, instance) "
                "group by (job, instance) (last_over_time(${executions}[1h]))")

#: Samples of the executions counter in the window, per target scraped now (those with
#: none in it count 0). rate() needs two samples in its range: a window shorter than two
#: scrapes (15 s scrapes, a 10 s window) gives no figure at all, however much traffic,
#: and a target scraped less often than the others drops out of the sums. Said, so that
#: "no traffic" is not all the operator reads.
#: When the executions counter's first sample in the window was taken (the server's
#: time, seconds): before it, the server has no data. rate() spreads what it has over the
#: whole window, so a Prometheus started 12 s ago read 15/min for 600/min: throughput is
#: per minute of the part of the window that has data, as for a log.
DATA_SINCE = "min(min_over_time(timestamp(${executions})[${window}:${resolution}]))"
TARGETS_SAMPLES = ("max by (job, instance) (count_over_time(${executions}[${window}])) "
                   "or group by (job, instance) (${executions}) * 0")


class QueryError(Exception):
    """A query failed; ``fatal`` when the server could not be reached at all."""

    def __init__(self, message: str, *, fatal: bool = False) -> None:
        super().__init__(message)
        self.fatal = fatal


def promql_duration(window_s: float) -> str:
    """A PromQL range for ``window_s`` seconds (``300s``, ``1500ms``)."""
    if float(window_s).is_integer():
        return f"{int(window_s)}s"
    return f"{max(1, round(window_s * 1000))}ms"


def _alternatives(words: tuple[str, ...]) -> str:
    """Words as a PromQL regex alternation inside a double-quoted string (each word
    matched literally: regex escapes, then the string's own backslash escape)."""
    return "|".join(re.escape(word).replace("\\", "\\\\") for word in words)


def render(template: str, names: MetricNames, window_s: float | None,
           q: float | None = None) -> str:
    """Fill a query template with the window, the quantile and the metric names."""
    values = {
        "window": promql_duration(window_s) if window_s is not None else "",
        # a subquery's step: ~250 of them over the window, a second at the finest
        "resolution": (f"{max(1, math.ceil(window_s / 250))}s" if window_s is not None
                       else ""),
        "q": "" if q is None else f"{q:g}",
        "executions": names.executions,
        "status_label": names.status_label,
        "failures": _alternatives(names.failure_statuses),
        "ended": _alternatives((*names.failure_statuses, *names.success_statuses)),
        "workflow_label": names.workflow_label,
        "step_type_label": names.step_type_label,
        "workflow_duration": names.workflow_duration,
        "step_duration": names.step_duration,
        "step_label": names.step_label,
        "active_workflows": names.active_workflows,
        "queue_sum": " or ".join(f"sum({name})" for name in names.queue_depth),
    }
    return Template(template).substitute(values)


def sample_value(text: object) -> float | None:
    """A Prometheus sample value (a string: ``"1.5"``, ``"NaN"``, ``"+Inf"``); NaN is None."""
    try:
        value = float(str(text))
    except ValueError:
        return None
    return None if math.isnan(value) else value


def read_answer(status_code: int, payload: object) -> tuple[list[tuple[dict, float | None]],
                                                            list[str]]:
    """The (labels, value) pairs and warnings of a ``/api/v1/query`` answer (pure)."""
    if not isinstance(payload, dict):
        raise QueryError(f"HTTP {status_code}: not a Prometheus API answer")
    raw_warnings = payload.get("warnings") or []
    if not isinstance(raw_warnings, list):
        raise QueryError(f"HTTP {status_code}: not a Prometheus API answer (warnings "
                         "is not a list)")
    warnings = [clean_line(str(w)) for w in raw_warnings]
    if payload.get("status") != "success":
        kind = payload.get("errorType", "error")
        raise QueryError(clean_line(f"{kind}: {payload.get('error', 'unknown error')}"))
    data = payload.get("data") or {}
    if not isinstance(data, dict):
        raise QueryError(f"HTTP {status_code}: not a Prometheus API answer (data is not "
                         "an object)")
    result_type, result = data.get("resultType"), data.get("result")
    if result_type == "scalar" and isinstance(result, list) and len(result) == 2:
        return [({}, sample_value(result[1]))], warnings
    if result_type == "vector" and isinstance(result, list):
        rows = []
        for item in result:
            # A row without a value is skipped; labels that are not an object read as none.
            if isinstance(item, dict) and isinstance(item.get("value"), list) and item["value"]:
                metric = item.get("metric")
                rows.append((metric if isinstance(metric, dict) else {},
                             sample_value(item["value"][-1])))
        return rows, warnings
    raise QueryError(f"unexpected result type {result_type!r}")


def _rate_over_data(figures: dict, since: list[tuple[dict, float | None]],
                    window_s: float | None, now: float, warnings: list[str]) -> None:
    """Throughput per minute of the part of the window the server has data for
    (`DATA_SINCE`), not of the whole window (at least MIN_RATE_SPAN_S of it: a rate
    over a few seconds of data is mostly Prometheus's extrapolation), and said."""
    throughput = figures.get("throughput_per_min")
    first = since[0][1] if len(since) == 1 else None
    if throughput is None or first is None or window_s is None:
        return
    covered = max(now - first, MIN_RATE_SPAN_S)
    if covered >= window_s:
        return
    figures["throughput_per_min"] = throughput * window_s / covered
    warnings.append(f"throughput: per minute of the {covered:.0f} s the server has data "
                    f"for, not of the {fmt.window(window_s)} window")


def _beside(key: str) -> bool:
    """A query asked beside the figures (explain's breakdowns, the targets down): its
    failure alone does not make the server down."""
    return key.startswith(("labels:", "targets:"))


def _bucket_pairs(rows: list[tuple[dict, float | None]]) -> list[tuple[float, float]]:
    """``(le, value)`` pairs from a ``sum by (le)`` answer, skipping unreadable ones."""
    pairs = [(parse_le(str(metric.get("le"))), value) for metric, value in rows]
    return [(bound, value) for bound, value in pairs if bound is not None and value is not None]


def _at_least(buckets: list[tuple[float, float]]) -> dict[str, bool]:
    """Which quantiles fall into the +Inf bucket (shown as "≥ highest finite bound")."""
    flags = {}
    for label, quantile in QUANTILES.items():
        local = histogram_quantile(quantile, buckets)
        if local is not None and local.at_least:
            flags[label] = True
    return flags


@dataclass
class _Round:
    """The figures of one window from one refresh."""

    figures: dict
    at_wall: float


@dataclass
class PrometheusSource:
    """Figures from a Prometheus server, in the same shape as :class:`MetricsSource`.

    ``figures(window_s)`` answers from the latest refresh of that window; a window asked
    for the first time is queried from the next refresh on (the last three are kept).
    """

    url: str
    settings: MetricsSettings = field(default_factory=MetricsSettings)
    window_s: float | None = 300.0
    queries: PrometheusQueries = field(default_factory=PrometheusQueries)

    def __post_init__(self) -> None:
        self._client = httpx.AsyncClient(follow_redirects=False, trust_env=False)
        self._windows: list[float | None] = [self.window_s]
        self._rounds: dict[float | None, _Round] = {}
        self._attempts = 0
        self._failing = False
        self._last_error: str | None = None
        self._duration: float | None = None
        self._series = 0

    async def query(self, promql: str, at: float | None = None
                    ) -> tuple[list[tuple[dict, float | None]], list[str]]:
        """Run one instant query (at the server's `at`, else its now); raises
        :class:`QueryError` with a one-line message."""
        endpoint = self.url.rstrip("/") + "/api/v1/query"
        params = {"query": promql}
        if at is not None:
            params["time"] = f"{at:.3f}"
        try:
            async with asyncio.timeout(self.settings.scrape_deadline):
                response = await self._client.get(endpoint, params=params)
        except TimeoutError:
            raise QueryError(f"no answer within {self.settings.scrape_deadline:g} s",
                             fatal=True) from None
        except REQUEST_ERRORS as error:
            raise QueryError(one_line(error), fatal=True) from None
        try:
            payload = response.json()
        except ValueError:
            raise QueryError(f"HTTP {response.status_code}: not a Prometheus API answer",
                             fatal=response.status_code >= 500) from None
        except RecursionError:
            raise QueryError(f"HTTP {response.status_code}: not a Prometheus API answer "
                             "(JSON nested too deep)",
                             fatal=response.status_code >= 500) from None
        return read_answer(response.status_code, payload)

    async def _server_now(self) -> float | None:
        """The server's clock now (None: no usable answer).

        Every query of one scrape is then evaluated at that instant. Prometheus evaluates
        a query when it arrives, and the ~20 queries of a scrape, sent together, arrive
        spread over a loaded moment: one snapshot's error rate and its breakdown could
        cover windows ending up to a second apart. The server's clock, not ours: a
        server whose clock is behind would be asked about its future."""
        rows, _ = await self.query("vector(time())")
        if len(rows) == 1:
            now = rows[0][1]
            if now is not None and math.isfinite(now) and now > 0:
                return now
        return None

    async def _window_figures(self, window_s: float | None,
                              at: float | None = None) -> tuple[dict, int]:
        """Figures for one window, and the number of series the queries returned."""
        q = self.queries
        names = self.settings.names
        every = window_s is None
        jobs: dict[str, str] = {
            "error_rate": q.error_rate_all if every else q.error_rate,
            "active_workflows": q.active_workflows,
            "queue_depth": q.queue_depth,
            "buckets": q.latency_buckets_all if every else q.latency_buckets,
            "step_count": q.step_count_all if every else q.step_count,
            "step_buckets": q.step_buckets_all if every else q.step_buckets,
        }
        if not every:
            jobs["throughput_per_min"] = q.throughput_per_min
        jobs.update(LABEL_QUERIES_ALL if every else LABEL_QUERIES)  # explain's breakdowns
        jobs["targets:down"] = TARGETS_DOWN
        if not every:
            jobs["targets:samples"] = TARGETS_SAMPLES
            jobs["targets:since"] = DATA_SINCE
        for label in QUANTILES:
            jobs[f"latency:{label}"] = q.latency_all if every else q.latency
            jobs[f"step:{label}"] = q.step_latency_all if every else q.step_latency
        rendered: dict[str, str] = {}
        warnings: list[str] = []
        failed = 0
        for key, template in jobs.items():
            try:
                rendered[key] = render(template, names, window_s,
                                       QUANTILES.get(key.split(":")[-1]))
            except (KeyError, ValueError) as error:
                failed += 1
                warnings.append(f"query {key}: bad template ({clean_line(str(error))})")
        answers = await asyncio.gather(*(self.query(p, at) for p in rendered.values()),
                                       return_exceptions=True)
        results: dict[str, list[tuple[dict, float | None]]] = {}
        for key, answer in zip(rendered, answers, strict=True):
            if isinstance(answer, QueryError):
                failed += not _beside(key)
                if answer.fatal:
                    raise answer
                warnings.append(f"query {key} failed: {answer}")
            elif isinstance(answer, BaseException):
                raise answer
            else:
                results[key], query_warnings = answer
                warnings.extend(f"query {key}: {w}" for w in query_warnings)
        figures = self._assemble(results, window_s, warnings)
        _rate_over_data(figures, results.get("targets:since") or [], window_s,
                        time.time() if at is None else at, warnings)
        if failed == len([key for key in jobs if not _beside(key)]):
            # The server answers but rejects every query: as good as down.
            raise QueryError(warnings[0].split(": ", 1)[1] if warnings else "every query failed")
        return figures, sum(len(rows) for rows in results.values())

    def _assemble(self, results: dict, window_s: float | None, warnings: list[str]) -> dict:
        def single(key: str) -> float | None:
            rows = results.get(key) or []
            if len(rows) > 1:
                warnings.append(f"query {key} gave {len(rows)} series, not one: not shown")
            value = rows[0][1] if len(rows) == 1 else None
            if value is not None and math.isinf(value):
                warnings.append(f"query {key} gave {value}")
                return None
            return value

        latency: dict = {label: single(f"latency:{label}") for label in QUANTILES}
        buckets = _bucket_pairs(results.get("buckets") or [])
        latency["at_least"] = _at_least(buckets)
        top = highest_finite_bound(b for b, _ in buckets)
        threshold = self.settings.p95_threshold_s
        if threshold is not None and top is not None and threshold > top:
            warnings.append(f"p95 threshold {threshold:g} s is above the highest finite latency "
                            f"bucket ({top:g} s): a breach cannot be seen, latency shows as "
                            f"'≥ {top:g} s'")
        step_label = self.settings.names.step_label
        steps: dict[str, dict] = {}
        for label in QUANTILES:
            for metric, value in results.get(f"step:{label}") or []:
                step = steps.setdefault(str(metric.get(step_label, "")), {})
                step[label] = None if value is None or math.isinf(value) else value
        for metric, value in results.get("step_count") or []:
            steps.setdefault(str(metric.get(step_label, "")), {})["count"] = value
        step_buckets: dict[str, list[tuple[dict, float | None]]] = {}
        for metric, value in results.get("step_buckets") or []:
            step_buckets.setdefault(str(metric.get(step_label, "")), []).append((metric, value))
        for name, step in steps.items():
            for label in (*QUANTILES, "count"):
                step.setdefault(label, None)
            step["at_least"] = _at_least(_bucket_pairs(step_buckets.get(name, [])))
        # Each target down is said, and the figures marked stale, as the scraper does.
        down = sorted((str(metric.get("instance", "?")), str(metric.get("job", "?")))
                      for metric, _ in results.get("targets:down") or [])
        warnings.extend(f"target {clean_line(instance)} (job {clean_line(job)}) is down in "
                        f"{self.url} (up == 0): what it reports is missing from the figures"
                        for instance, job in down)
        names = self.settings.names
        by_status: dict[str, float] = {}
        for metric, value in results.get("labels:executions") or []:
            if value is not None:
                status = str(metric.get(names.status_label, ""))
                by_status[status] = by_status.get(status, 0.0) + value
        failures, successes = frozenset(names.failure_statuses), frozenset(
            names.success_statuses)
        not_understood = statuses_neither(by_status, failures, successes, warnings)
        short = sorted(f"{clean_line(str(metric.get('instance', '?')))} "
                       f"(job {clean_line(str(metric.get('job', '?')))})"
                       for metric, value in results.get("targets:samples") or []
                       if value is not None and value < 2)
        if short and window_s is not None:
            named = ", ".join(short[:3]) + (f" and {len(short) - 3} more" if len(short) > 3
                                            else "")
            they = "it reports is" if len(short) == 1 else "they report is"
            warnings.append(f"the {fmt.window(window_s)} window holds fewer than two samples of "
                            f"{names.executions} from {named}: Prometheus's rate() needs "
                            f"two, so what {they} missing from the figures; use a --window "
                            "of at least two scrape intervals")
        by_labels = prometheus_labels(
            results, {name: (step.get("p95"), bool(step["at_least"].get("p95")))
                      for name, step in steps.items()},
            names, failures, successes)
        return {
            "error_rate": single("error_rate"),
            "statuses_not_understood": not_understood,
            "by_labels": by_labels,
            "latency_s": latency,
            "step_latency_s": dict(sorted(steps.items())),
            "throughput_per_min": single("throughput_per_min"),
            "active_workflows": single("active_workflows"),
            "queue_depth": single("queue_depth"),
            "since_start": window_s is None,
            "stale": bool(down),
            "stale_shown": bool(down),  # the server's figures: it kept their history
            "warnings": warnings,
        }

    async def scrape_once(self) -> None:
        """Refresh the figures of every window in use."""
        started = time.monotonic()
        self._attempts += 1
        try:
            series = 0
            at = await self._server_now()
            for window in list(self._windows):
                figures, count = await self._window_figures(window, at)
                series += count
                self._rounds[window] = _Round(figures, time.time())
        except QueryError as error:
            self._failing = True
            self._last_error = str(error)
        except Exception as error:  # noqa: BLE001 - an unforeseen answer must not end the loop
            self._failing = True
            self._last_error = f"unexpected {one_line(error)}"
        else:
            self._failing = False
            self._series = series
        self._duration = time.monotonic() - started

    async def run(self, stop: asyncio.Event, on_update: Callable[[], None] | None = None) -> None:
        """Refresh every ``interval`` until ``stop`` is set (never overlapping)."""
        while not stop.is_set():
            started = time.monotonic()
            await self.scrape_once()
            if on_update is not None:
                on_update()
            delay = max(0.0, started + self.settings.interval - time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)

    def figures(self, window_s: float | None, now: float | None = None) -> dict:
        """The latest figures of that window (all None until it has been queried)."""
        now = time.time() if now is None else now
        if window_s not in self._windows:
            self._windows = [window_s, *self._windows][:3]
        latest = self._rounds.get(window_s)
        if latest is None:
            return {
                "error_rate": None, "latency_s": {**dict.fromkeys(QUANTILES), "at_least": {}},
                "step_latency_s": {}, "throughput_per_min": None, "active_workflows": None,
                "queue_depth": None, "since_start": window_s is None, "stale": self._failing,
                "warnings": [f"{self.url}: waiting for the first query of this window"],
            }
        figures = {**latest.figures, "warnings": list(latest.figures["warnings"])}
        if self._failing:
            figures["stale"] = figures["stale_shown"] = True
            figures["warnings"].append(
                f"{self.url} is down ({self._last_error}); showing figures from "
                f"{max(0.0, now - latest.at_wall):.0f} s ago")
        return figures

    def target_statuses(self, now: float | None = None) -> list[dict]:
        """One JSON-able status for the server."""
        now = time.time() if now is None else now
        last_good = max((r.at_wall for r in self._rounds.values()), default=None)
        if self._attempts == 0:
            status, up = "waiting", None
        else:
            status, up = ("down", False) if self._failing else ("ok", True)
        return [{
            "kind": "prometheus",
            "name": self.url,
            "status": status,
            "up": up,
            "error": self._last_error if self._failing else None,
            "last_error": self._last_error,
            "age_s": None if last_good is None else max(0.0, now - last_good),
            "scrape_duration_s": self._duration,
            "samples": self._series,
            "health": None,
        }]

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()
