"""wftui against a real Prometheus server scraping a real prometheus_client exporter.

Needs /usr/bin/prometheus (Debian package ``prometheus``). Outside CI the tests skip
without it; with CI=true they fail instead. The server runs on its own free port with its
own storage in tmp_path (never the system service) and is killed at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path

import httpx
import pytest

from tests.helpers import free_port
from tests.sources.exporter import Exporter
from wftui.sources.metrics import MetricsSettings, MetricsSource
from wftui.sources.metrics_parse import MetricNames
from wftui.sources.prometheus_api import PrometheusQueries, PrometheusSource

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


@pytest.fixture(scope="module")
def exporter() -> Iterator[Exporter]:
    server = Exporter(precreate=True)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def prometheus(exporter: Exporter, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_prometheus([exporter], tmp_path_factory.mktemp("prometheus")) as url:
        yield url


# Scrapes every quarter second unless a test needs whole seconds: each wait for a
# scrape is then a quarter as long (the suite runs within its time on two cores).
FAST_SCRAPES = "250ms"


@contextlib.contextmanager
def running_prometheus(exporters: list[Exporter], work: Path,
                       interval: str = FAST_SCRAPES) -> Iterator[str]:
    """A Prometheus scraping these exporters every `interval`, its storage in `work`."""
    if not Path(PROMETHEUS).exists():
        reason = "needs the prometheus binary (apt-get install prometheus)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    config = work / "prometheus.yml"
    targets = ", ".join(f"'127.0.0.1:{exporter.port}'" for exporter in exporters)
    config.write_text(
        f"global:\n  scrape_interval: {interval}\n  evaluation_interval: {interval}\n"
        "scrape_configs:\n  - job_name: workflow\n    static_configs:\n"
        f"      - targets: [{targets}]\n"
    )
    port = free_port()
    log = (work / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={work / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url, "count(workflow_executions_total)", lambda v: v == 2 * len(exporters),
                 process, work)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)
        log.close()


def instant(url: str, promql: str) -> float | None:
    """Prometheus's own answer to a query that gives one number (None: empty or NaN)."""
    answer = httpx.get(f"{url}/api/v1/query", params={"query": promql}, timeout=10).json()
    result = answer["data"]["result"]
    if not result:
        return None
    value = float(result[0]["value"][1])
    return None if value != value else value


async def ainstant(url: str, promql: str) -> float | None:
    """:func:`instant` without blocking the event loop."""
    return await asyncio.to_thread(instant, url, promql)


def wait_for(url: str, promql: str, done, process: subprocess.Popen | None = None,
             work: Path | None = None, timeout: float = 60.0) -> None:
    """Poll Prometheus until ``done(value)``; generous timeout for a loaded machine."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            log = (work / "prometheus.log").read_text()[-2000:] if work else ""
            pytest.fail(f"prometheus exited with {process.returncode}: {log}")
        try:
            last = instant(url, promql)
            if last is not None and done(last):
                return
        except (httpx.HTTPError, KeyError, ValueError) as error:
            last = error
        time.sleep(0.25)
    pytest.fail(f"prometheus never answered {promql!r} as wanted (last: {last!r})")


async def figures_from(url: str, window_s: float | None, **kw: object) -> tuple[dict, list]:
    source = PrometheusSource(url, MetricsSettings(deadline=10.0), window_s=window_s, **kw)
    try:
        await source.scrape_once()
        return source.figures(window_s), source.target_statuses()
    finally:
        await source.aclose()


async def test_same_figures_as_prometheus_and_as_the_scraper(exporter: Exporter,
                                                             prometheus: str) -> None:
    scraper = MetricsSource([exporter.url], MetricsSettings(deadline=10.0), health_urls=[""])
    try:
        await compare_with_prometheus(exporter, prometheus, scraper)
    finally:
        await scraper.aclose()


async def compare_with_prometheus(exporter: Exporter, prometheus: str,
                                  scraper: MetricsSource) -> None:
    await scraper.scrape_once()
    exporter.run(6, 2, [0.3] * 4 + [2.0] * 3 + [7.0])
    for seconds in (0.05, 0.05, 0.3, 20.0):
        exporter.steps.labels("classify", "llm").observe(seconds)
    exporter.active.set(5)
    exporter.queue.set(11)
    await asyncio.to_thread(wait_for, prometheus, "sum(workflow_executions_total)",
                            lambda v: v == 8)
    await scraper.scrape_once()
    ours, statuses = await figures_from(prometheus, 120.0)
    scraped = scraper.figures(120.0)
    # By hand: 2 failures of 8 executions. Buckets 0.5:4 1:4 5:7 10:8 60:8 +Inf:8.
    # p50 rank 4 -> le=0.5: 0 + 0.5*4/4 = 0.5
    # p95 rank 7.6 -> le=10: 5 + 5*(7.6-7)/(8-7) = 8.0; p99 rank 7.92 -> 5 + 5*0.92 = 9.6
    expected = {"error_rate": 0.25, "p50": 0.5, "p95": 8.0, "p99": 9.6}
    # Prometheus's own answers to the default queries, asked directly:
    theirs = {
        "error_rate": await ainstant(
            prometheus, 'sum(rate(workflow_executions_total{status="failure"}[120s])) '
                        "/ sum(rate(workflow_executions_total[120s]))"),
        **{label: await ainstant(prometheus, f"histogram_quantile({q}, sum by (le) "
                                             "(rate(workflow_duration_seconds_bucket[120s])))")
           for label, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))},
    }
    assert pick(ours) == pytest.approx(expected)
    assert theirs == pytest.approx(expected)
    assert pick(scraped) == pytest.approx(expected)
    assert ours["latency_s"]["at_least"] == {}
    assert ours["active_workflows"] == 5 == scraped["active_workflows"]
    assert ours["queue_depth"] == 11 == scraped["queue_depth"]
    assert ours["throughput_per_min"] > 0
    assert ours["since_start"] is False
    # classify: 0.01:0 0.1:2 0.5:3 ... 10:3 +Inf:4. p50 rank 2 -> le=0.1: 0.01 + 0.09*2/2 = 0.1
    # p95 rank 3.8 > 3 -> +Inf bucket: "at least 10"
    for step in (ours["step_latency_s"]["classify"], scraped["step_latency_s"]["classify"]):
        assert step["p50"] == pytest.approx(0.1)
        assert step["p95"] == pytest.approx(10.0)
        assert step["at_least"] == {"p95": True, "p99": True}
    assert scraped["step_latency_s"]["classify"]["count"] == 4
    assert ours["step_latency_s"]["classify"]["count"] > 0  # Prometheus extrapolates increase()
    assert statuses[0]["status"] == "ok" and statuses[0]["samples"] > 0

    # A restart resets the counters; Prometheus and the scraper both add, never subtract.
    exporter.stop()
    exporter.start()
    # Let both see the zeros first: a reset from 2 straight to 3 looks like +1 to anyone
    # (Prometheus included), so the test makes the reset visible.
    await asyncio.to_thread(wait_for, prometheus, "sum(workflow_executions_total)",
                            lambda v: v == 0)
    await scraper.scrape_once()
    exporter.run(1, 3, [120.0] * 4)
    await asyncio.to_thread(wait_for, prometheus, "sum(workflow_executions_total)",
                            lambda v: v == 4)
    await scraper.scrape_once()
    after, _ = await figures_from(prometheus, 120.0)
    scraped_after = scraper.figures(120.0)
    # failures 2 + 3 = 5 of 8 + 4 = 12
    # all 12 observations: 0.5:4 1:4 5:7 10:8 60:8 +Inf:12; p95 rank 11.4 > 8 -> ">= 60"
    for figures in (after, scraped_after, scraper.figures(None)):
        assert figures["error_rate"] == pytest.approx(5 / 12)
        assert figures["latency_s"]["p95"] == pytest.approx(60.0)
        assert figures["latency_s"]["at_least"] == {"p95": True, "p99": True}


def pick(figures: dict) -> dict:
    """Error rate and the three latency quantiles of a figures dict."""
    return {"error_rate": figures["error_rate"],
            **{k: figures["latency_s"][k] for k in ("p50", "p95", "p99")}}


async def test_totals_for_window_all(prometheus: str) -> None:
    figures, _ = await figures_from(prometheus, None)
    assert figures["since_start"] is True
    assert figures["throughput_per_min"] is None
    # Prometheus's own total, asked directly
    total = await ainstant(prometheus, 'sum(workflow_executions_total{status="failure"}) '
                                "/ sum(workflow_executions_total)")
    assert figures["error_rate"] == pytest.approx(total)


async def test_missing_series_are_no_data_not_zero(prometheus: str) -> None:
    names = MetricNames(executions="nothing_here_total", workflow_duration="nope_seconds",
                        step_duration="nope_step_seconds", active_workflows="nope_active",
                        queue_depth=("nope_queue",))
    source = PrometheusSource(prometheus, MetricsSettings(names=names, deadline=10.0),
                              window_s=60)
    try:
        await source.scrape_once()
        figures = source.figures(60)
    finally:
        await source.aclose()
    for key in ("error_rate", "throughput_per_min", "active_workflows", "queue_depth"):
        assert figures[key] is None, key
    assert figures["latency_s"]["p95"] is None
    assert figures["step_latency_s"] == {}


async def test_nan_inf_and_bad_queries_from_the_live_server(prometheus: str) -> None:
    queries = PrometheusQueries(active_workflows="vector(0) / vector(0)",
                                queue_depth="vector(1) / vector(0)",
                                throughput_per_min="sum(rate(workflow_executions_total[5s]",
                                )
    figures, statuses = await figures_from(prometheus, 60, queries=queries)
    assert figures["active_workflows"] is None  # NaN
    assert figures["queue_depth"] is None  # +Inf, with a warning
    assert any("queue_depth gave inf" in w for w in figures["warnings"])
    assert figures["throughput_per_min"] is None
    assert any(w.startswith("query throughput_per_min failed: bad_data:")
               for w in figures["warnings"])
    assert statuses[0]["status"] == "ok"  # the other queries answered


async def test_server_that_rejects_everything_is_down(prometheus: str) -> None:
    broken = "sum(("
    queries = PrometheusQueries(**{f.name: broken for f in fields(PrometheusQueries)})
    _, statuses = await figures_from(prometheus, 60, queries=queries)
    assert statuses[0]["status"] == "down"
    assert statuses[0]["error"].startswith("bad_data:")


async def test_unreachable_server_is_down() -> None:
    figures, statuses = await figures_from(f"http://127.0.0.1:{free_port()}", 60)
    assert statuses[0]["status"] == "down"
    assert "ConnectError" in statuses[0]["error"]
    assert figures["error_rate"] is None


def test_a_target_prometheus_cannot_scrape_is_said_not_dropped_from_the_sums(
        tmp_path: Path) -> None:
    """Two workers behind one Prometheus, one of them stops answering: Prometheus's sum
    of the gauges quietly loses its share (7 active workflows read 3), so wftui must say
    that a target is down and mark the figures stale, as it does scraping the targets
    itself, not present the rest as the whole."""
    first, second = Exporter(precreate=True), Exporter(precreate=True)
    try:
        with running_prometheus([first, second], tmp_path) as url:
            first.active.set(3)
            second.active.set(4)
            wait_for(url, "sum(active_workflows)", lambda v: v == 7)
            figures, _ = asyncio.run(figures_from(url, 60))
            assert (figures["active_workflows"], figures["stale"]) == (7, False)
            second.stop()
            wait_for(url, "count(up == 0)", lambda v: v == 1)
            figures, statuses = asyncio.run(figures_from(url, 60))
            # Prometheus's own sum now: only the first worker's 3.
            assert instant(url, "sum(active_workflows)") == 3
            assert figures["stale"] is True
            down = [w for w in figures["warnings"] if f"127.0.0.1:{second.port}" in w]
            assert down == [f"target 127.0.0.1:{second.port} (job workflow) is down in "
                            f"{url} (up == 0): what it reports is missing from the "
                            "figures"]
            assert statuses[0]["status"] == "ok"  # the server itself answers
    finally:
        first.stop()
        second.stop()


def test_a_window_shorter_than_two_scrapes_says_why_it_has_no_value(tmp_path: Path) -> None:
    """Prometheus scrapes every second here; a 500 ms window can hold one sample of a
    series at most, and rate() needs two, so Prometheus answers nothing for it however
    much traffic there is. The error rate must not read as "no traffic" with nothing
    said: the operator is told the window is too short for the scrapes."""
    exporter = Exporter(precreate=True)
    try:
        with running_prometheus([exporter], tmp_path, interval="1s") as url:
            exporter.run(3, 1, [0.3] * 4)
            wait_for(url, "sum(workflow_executions_total)", lambda v: v == 4)
            # Prometheus's own view: at most one sample per series in 500 ms, no rate.
            assert instant(url, "max(count_over_time(workflow_executions_total[500ms]))") \
                in (None, 1)
            assert instant(url, "sum(rate(workflow_executions_total[500ms]))") is None
            figures, statuses = asyncio.run(figures_from(url, 0.5))
            assert statuses[0]["status"] == "ok"
            assert (figures["error_rate"], figures["throughput_per_min"]) == (None, None)
            assert figures["latency_s"]["p95"] is None
            target = f"127.0.0.1:{exporter.port} (job workflow)"
            assert [w for w in figures["warnings"] if "two samples" in w] == [
                f"the 500ms window holds fewer than two samples of workflow_executions_total "
                f"from {target}: Prometheus's rate() needs two, so what it reports is "
                "missing from the figures; use a --window of at least two scrape "
                "intervals"]
            # A window that holds several scrapes: the figures, and no such warning.
            diluted = instant(url, "sum(rate(workflow_executions_total[60s])) * 60")
            figures, _ = asyncio.run(figures_from(url, 60))
            assert figures["error_rate"] == pytest.approx(0.25)
            assert not [w for w in figures["warnings"] if "two samples" in w]
            # The server has a few seconds of data: rate() spread the 4 executions over
            # the whole minute; throughput is per minute of the (at least 10) seconds it
            # has data for, and says so (a young server read 14.8/min for 600/min).
            assert diluted is not None and figures["throughput_per_min"] >= 3 * diluted
            assert [w for w in figures["warnings"] if w.startswith("throughput: per minute")]
    finally:
        exporter.stop()


def test_statuses_neither_success_nor_failure_are_said_through_prometheus_too(
        tmp_path: Path) -> None:
    """Executions ending as "cancelled" are left out of the error rate, and said, as
    the scraper says them (docs/configuration.md: "for a Prometheus server too"). When
    they are all there is, the error rate is not understood, not "no traffic"."""
    exporter = Exporter(precreate=True)
    try:
        with running_prometheus([exporter], tmp_path) as url:
            exporter.executions.labels("support", "cancelled")  # at 0 at first
            wait_for(url, 'count(workflow_executions_total{status="cancelled"})',
                     lambda v: v == 1)
            time.sleep(0.6)  # a second scrape at 0: the increase below is seen whole
            exporter.executions.labels("support", "cancelled").inc(4)
            wait_for(url, 'sum(workflow_executions_total{status="cancelled"})',
                     lambda v: v == 4)
            # Prometheus's own view: 4 cancelled (extrapolated), nothing else ended.
            assert instant(url, 'sum(increase(workflow_executions_total'
                                '{status="cancelled"}[60s]))') >= 4
            assert instant(url, 'sum(increase(workflow_executions_total'
                                '{status=~"success|failure"}[60s]))') == 0
            figures, _ = asyncio.run(figures_from(url, 60))
            assert figures["error_rate"] is None
            assert figures["throughput_per_min"] > 0
            understood = figures["statuses_not_understood"]
            assert understood is not None and understood.startswith(
                "no execution status understood ('cancelled' (")
            assert understood.endswith("name them in [metrics.statuses]")
            # With successes and failures beside them: a rate of those, and a warning.
            exporter.run(3, 1, [])
            wait_for(url, "sum(workflow_executions_total)", lambda v: v == 8)
            figures, _ = asyncio.run(figures_from(url, 60))
            assert figures["error_rate"] == pytest.approx(0.25)
            assert figures["statuses_not_understood"] is None
            [said] = [w for w in figures["warnings"] if "neither" in w]
            assert said.startswith("executions whose status label is neither a success "
                                   "nor a failure word, left out of the error rate: "
                                   "'cancelled' (")
    finally:
        exporter.stop()


async def test_check_asks_a_prometheus_server_once_without_waiting_an_interval(
        exporter: Exporter, prometheus: str) -> None:
    """`check --prometheus` reads the figures once: the server keeps the history and
    answers for the window at once. It waited one `--interval` (5 s by default) for a
    second round that told it nothing, in every CI run; with a 60 s interval, a minute."""
    from wftui.sources.connect import MetricFamily, read_metrics_once

    before = await ainstant(prometheus, "sum(workflow_executions_total)") or 0
    exporter.run(3, 1, [0.3] * 4)
    await asyncio.to_thread(wait_for, prometheus, "sum(workflow_executions_total)",
                            lambda v: v >= before + 4)
    source = PrometheusSource(prometheus, MetricsSettings(interval=60.0, deadline=10.0),
                              window_s=300.0)
    started = time.monotonic()
    figures, statuses = await asyncio.wait_for(
        read_metrics_once(MetricFamily([source]), 300.0), timeout=50)
    assert time.monotonic() - started < 30  # not the 60 s interval
    assert statuses[0]["status"] == "ok"
    expected = await ainstant(prometheus, "sum(increase(workflow_executions_total"
                                          "{status=\"failure\"}[5m])) / "
                                          "sum(increase(workflow_executions_total[5m]))")
    assert expected is not None and figures["error_rate"] == pytest.approx(expected, rel=0.05)

