"""From settings and flags to running sources: what `check`, `watch` and the TUI share.

Builds the metrics settings out of the config file's [metrics] and [prometheus]
tables, and bundles /metrics targets and a Prometheus server into one `MetricFamily`. and
turns a file's tailer status and ledger counts into its `sources` entry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import fields, replace
from typing import Any

from wftui.config import ConfigError, Settings, check_keys, parse_duration
from wftui.core.format import seconds, window
from wftui.sources.http import check_url
from wftui.sources.metrics import MetricsSettings, MetricsSource
from wftui.sources.metrics_parse import MetricNames
from wftui.sources.prometheus_api import PrometheusQueries, PrometheusSource

_METRICS_KEYS = frozenset({"interval", "deadline", "max_body_mb", "max_series", "names",
                           "labels", "statuses"})
# [metrics.labels]: our label = the exporter's label name.
_LABEL_FIELDS = {"workflow_name": "workflow_label", "status": "status_label",
                 "step_name": "step_label", "step_type": "step_type_label"}
_NAME_KEYS = frozenset(f.name for f in fields(MetricNames))
_PROMETHEUS_KEYS = frozenset({"queries"})
_QUERY_KEYS = frozenset(f.name for f in fields(PrometheusQueries))


def metrics_settings(settings: Settings, *, interval: float | None = None) -> MetricsSettings:
    """MetricsSettings from the [metrics] table (and the p95 threshold, for its warning)."""
    table = check_keys(settings.section("metrics"), _METRICS_KEYS, "config: metrics")
    out = MetricsSettings()
    if "interval" in table:
        out.interval = parse_duration(table["interval"], "config: metrics.interval") or 5.0
    if interval is not None:
        out.interval = interval
    if "deadline" in table:
        out.deadline = parse_duration(table["deadline"], "config: metrics.deadline")
    if "max_body_mb" in table:
        size = table["max_body_mb"]
        if not isinstance(size, int | float) or isinstance(size, bool) or size <= 0:
            raise ConfigError("config: metrics.max_body_mb: expected a positive number")
        out.max_body_bytes = int(size * 1_000_000)
    if "names" in table:
        names = check_keys(table["names"], _NAME_KEYS, "config: metrics.names")
        values: dict[str, Any] = {}
        for key, value in names.items():
            if key in ("failure_statuses", "queue_depth"):
                value = (value,) if isinstance(value, str) else value
                if not (isinstance(value, list | tuple) and value
                        and all(isinstance(v, str) for v in value)):
                    raise ConfigError(f"config: metrics.names.{key}: expected names")
                value = tuple(value)
            elif not isinstance(value, str) or not value:
                raise ConfigError(f"config: metrics.names.{key}: expected a metric name")
            values[key] = value
        out.names = replace(out.names, **values)
    if "labels" in table:
        labels = check_keys(table["labels"], set(_LABEL_FIELDS), "config: metrics.labels")
        for key, value in labels.items():
            if not isinstance(value, str) or not value:
                raise ConfigError(f"config: metrics.labels.{key}: expected a label name")
        out.names = replace(out.names, **{_LABEL_FIELDS[k]: v for k, v in labels.items()})
    if "statuses" in table:
        statuses = check_keys(table["statuses"], {"success", "failure"},
                              "config: metrics.statuses")
        words: dict[str, Any] = {}
        for key, value in statuses.items():
            value = [value] if isinstance(value, str) else value
            if not (isinstance(value, list) and value
                    and all(isinstance(v, str) and v for v in value)):
                raise ConfigError(f"config: metrics.statuses.{key}: expected status words")
            words[key] = value
        # Added to the default words; a word configured on one side leaves the other.
        success = [w for w in out.names.success_statuses if w not in words.get("failure", ())]
        failure = [w for w in out.names.failure_statuses if w not in words.get("success", ())]
        out.names = replace(out.names,
                            success_statuses=tuple(dict.fromkeys(
                                [*success, *words.get("success", ())])),
                            failure_statuses=tuple(dict.fromkeys(
                                [*failure, *words.get("failure", ())])))
    if "max_series" in table:
        cap = table["max_series"]
        if not isinstance(cap, int) or isinstance(cap, bool) or cap < 1:
            raise ConfigError("config: metrics.max_series: expected a whole number >= 1")
        out.max_series = cap
    p95 = next((t for t in settings.thresholds if t.name == "latency_p95_s"), None)
    out.p95_threshold_s = p95.above if p95 is not None and p95.enabled else None
    return out


def prometheus_queries(settings: Settings) -> PrometheusQueries:
    """PromQL templates, the defaults overridden by the [prometheus.queries] table."""
    table = check_keys(settings.section("prometheus"), _PROMETHEUS_KEYS, "config: prometheus")
    queries = check_keys(table.get("queries", {}), _QUERY_KEYS, "config: prometheus.queries")
    for key, value in queries.items():
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"config: prometheus.queries.{key}: expected a PromQL query")
    return replace(PrometheusQueries(), **queries)


class MetricFamily:
    """Every metrics source at once: /metrics targets and/or a Prometheus server.

    Figures prefer the Prometheus server's where it has one (it sees every worker),
    else the scraped targets' (summed).
    """

    def __init__(self, sources: Sequence[MetricsSource | PrometheusSource]) -> None:
        self.sources = list(sources)

    async def scrape_once(self) -> None:
        await asyncio.gather(*(source.scrape_once() for source in self.sources))

    async def run(self, stop: asyncio.Event, on_update: Callable[[], None] | None = None
                  ) -> None:
        await asyncio.gather(*(source.run(stop, on_update) for source in self.sources))

    def figures(self, window_s: float | None, now: float | None = None) -> dict[str, Any]:
        """Each figure from the most trusted source that has it; stale if any source is."""
        answers = [source.figures(window_s, now) for source in reversed(self.sources)]
        merged: dict[str, Any] = {}
        for key in ("error_rate", "throughput_per_min", "active_workflows", "queue_depth"):
            merged[key] = next((a[key] for a in answers if a.get(key) is not None), None)
        latency: dict[str, Any] = {"at_least": {}}
        for quantile in ("p50", "p95", "p99"):
            owner = next((a for a in answers
                          if a.get("latency_s", {}).get(quantile) is not None), None)
            latency[quantile] = owner["latency_s"][quantile] if owner else None
            if owner and owner["latency_s"].get("at_least", {}).get(quantile):
                latency["at_least"][quantile] = True
        merged["latency_s"] = latency
        merged["step_latency_s"] = next((a["step_latency_s"] for a in answers
                                         if a.get("step_latency_s")), {})
        merged["executions_by_workflow"] = next((a["executions_by_workflow"] for a in answers
                                                 if a.get("executions_by_workflow")), {})
        merged["by_labels"] = next((a["by_labels"] for a in answers if a.get("by_labels")),
                                   None)
        merged["queue_depth_readings"] = next((a["queue_depth_readings"] for a in answers
                                               if a.get("queue_depth_readings")), [])
        # Only when no source has an error rate: one that understood its statuses wins.
        merged["statuses_not_understood"] = None if merged["error_rate"] is not None else next(
            (a["statuses_not_understood"] for a in answers
             if a.get("statuses_not_understood")), None)
        merged["stale"] = any(a.get("stale") for a in answers)
        merged["stale_shown"] = any(a.get("stale_shown") for a in answers)
        merged["since_start"] = any(a.get("since_start") for a in answers)
        merged["warnings"] = [w for a in answers for w in a.get("warnings", [])]
        return merged

    def target_statuses(self, now: float | None = None) -> list[dict[str, Any]]:
        return [status for source in self.sources for status in source.target_statuses(now)]

    async def aclose(self) -> None:
        for source in self.sources:
            await source.aclose()


def metric_family(settings: Settings, metrics_urls: Sequence[str],
                  prometheus_url: str | None, *, health_urls: Sequence[str] = (),
                  interval: float | None = None) -> MetricFamily | None:
    """The metrics sources the flags ask for (None when there are none)."""
    if not metrics_urls and not prometheus_url:
        return None
    # Every URL is checked here, once: a bad flag is a usage error now, not an exception
    # deep in a scrape loop later (httpx accepts port 99999; connecting does not).
    flags = [("--metrics", url) for url in metrics_urls]
    flags += [("--prometheus", prometheus_url)] if prometheus_url else []
    flags += [("--health", url) for url in health_urls]
    for flag, url in flags:
        check_url(url, flag)
    if len(health_urls) > len(metrics_urls):
        raise ConfigError(f"more --health URLs ({len(health_urls)}) than --metrics URLs "
                          f"({len(metrics_urls)}): each --health belongs to the --metrics "
                          "URL at the same position")
    msettings = metrics_settings(settings, interval=interval)
    sources: list[MetricsSource | PrometheusSource] = []
    if metrics_urls:
        sources.append(MetricsSource(metrics_urls, msettings,
                                     health_urls=list(health_urls) or None))
    if prometheus_url:
        sources.append(PrometheusSource(prometheus_url, msettings, settings.window_s,
                                        prometheus_queries(settings)))
    return MetricFamily(sources)


async def read_metrics_once(family: MetricFamily, window_s: float | None
                            ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Two scrapes an interval apart (so rates exist), then figures and target statuses.
    A Prometheus server alone is asked once: it keeps the history, and answers for the
    window at once (waiting an interval made `check --prometheus` 5 s slower in CI)."""
    try:
        await family.scrape_once()
        interval = min(s.settings.interval for s in family.sources)
        if not all(isinstance(source, PrometheusSource) for source in family.sources):
            await asyncio.sleep(interval)
            await family.scrape_once()
        figures = family.figures(window_s)
        note = between_scrapes(family, interval, window_s)
        if note is not None:
            figures["warnings"] = [*figures["warnings"], note]
        return figures, family.target_statuses()
    finally:
        await family.aclose()


def between_scrapes(family: MetricFamily, interval: float, window_s: float | None
                    ) -> str | None:
    """What two scrapes can say: their counters' increase between them. `check
    --window 5m` must not pass that off as five minutes of traffic (a Prometheus
    server, which keeps the history, answers for the window itself)."""
    if any(isinstance(source, PrometheusSource) for source in family.sources):
        return None
    if window_s is not None and window_s <= interval:
        return None
    asked = "the whole history" if window_s is None else f"the {window(window_s)} window"
    return (f"metrics: error rate, throughput and latency are over the {seconds(interval)} "
            f"between two scrapes, not {asked} (--interval sets it; --prometheus gives a "
            "window)")
