"""Other teams' exporters: their status words, label and metric names; and never an
all-clear from a target that exposes nothing we read. Real prometheus_client exporters
on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from tests.forked import run_wftui
from tests.helpers import free_port
from tests.sources.test_metrics_scrape import RawServer, raw_server, respond  # noqa: F401
from wftui.config import Settings
from wftui.sources.connect import metrics_settings
from wftui.sources.health import classify
from wftui.sources.metrics import MetricsSettings, MetricsSource

REPO = Path(__file__).resolve().parents[2]


class Served:
    """A registry served by prometheus_client's own start_http_server."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/metrics"
        self._server = None

    def serve(self) -> None:
        self._server, _ = start_http_server(self.port, addr="127.0.0.1",
                                            registry=self.registry)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@pytest.fixture
def served() -> Iterator[Served]:
    server = Served()
    try:
        yield server
    finally:
        server.stop()


def settings_for(table: dict[str, object]) -> MetricsSettings:
    out = metrics_settings(Settings(sections={"metrics": table}))
    out.interval, out.deadline = 0.2, 5.0
    return out


async def two_scrapes(source: MetricsSource, between: object = None) -> None:
    await source.scrape_once()
    if callable(between):
        between()
    await source.scrape_once()


@pytest.mark.parametrize("word", ["failed", "error", "errored", "timeout", "timed_out"])
async def test_failure_words_beyond_failure_count_at_a_true_10_percent(
        served: Served, word: str) -> None:
    runs = Counter("workflow_executions_total", "runs", ["workflow_name", "status"],
                   registry=served.registry)
    served.serve()
    source = MetricsSource([served.url], settings_for({}), health_urls=[""])

    def traffic() -> None:
        runs.labels("support", "succeeded").inc(45)
        runs.labels("support", "ok").inc(45)
        runs.labels("support", word).inc(10)

    try:
        await two_scrapes(source, traffic)
        figures = source.figures(300.0)
    finally:
        await source.aclose()
    assert figures["error_rate"] == pytest.approx(10 / 100)
    assert not any("neither" in w for w in figures["warnings"])


async def test_other_status_values_are_left_out_and_named(served: Served) -> None:
    runs = Counter("workflow_executions_total", "runs", ["status"], registry=served.registry)
    served.serve()
    source = MetricsSource([served.url], settings_for({}), health_urls=[""])

    def traffic() -> None:
        runs.labels("success").inc(8)
        runs.labels("failure").inc(2)
        runs.labels("cancelled").inc(5)

    try:
        await two_scrapes(source, traffic)
        figures = source.figures(300.0)
    finally:
        await source.aclose()
    assert figures["error_rate"] == pytest.approx(2 / 10)  # 5 cancelled left out
    assert any("'cancelled' (5)" in w and "[metrics.statuses]" in w
               for w in figures["warnings"])


async def test_labels_and_statuses_are_mapped(served: Served) -> None:
    """Another exporter: `outcome` label with its own words, steps under `task`."""
    runs = Counter("workflow_executions_total", "runs", ["flow", "outcome"],
                   registry=served.registry)
    steps = Histogram("step_duration_seconds", "steps", ["task"], buckets=(1, 2, 4),
                      registry=served.registry)
    served.serve()
    table = {"labels": {"status": "outcome", "step_name": "task", "workflow_name": "flow"},
             "statuses": {"success": ["shipped"], "failure": ["crashed"]}}
    source = MetricsSource([served.url], settings_for(table), health_urls=[""])

    def traffic() -> None:
        runs.labels("a", "shipped").inc(3)
        runs.labels("a", "crashed").inc(1)
        for _ in range(4):
            steps.labels("classify").observe(1.5)

    try:
        await two_scrapes(source, traffic)
        figures = source.figures(300.0)
    finally:
        await source.aclose()
    assert figures["error_rate"] == pytest.approx(1 / 4)
    assert list(figures["step_latency_s"]) == ["classify"]
    assert figures["step_latency_s"]["classify"]["count"] == 4


def test_a_status_word_moves_sides_when_configured() -> None:
    names = settings_for({"statuses": {"success": ["error"]}}).names
    assert "error" in names.success_statuses and "error" not in names.failure_statuses
    assert "failed" in names.failure_statuses


def check(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WFTUI_")}
    env.update(PYTHONPATH=str(REPO), XDG_CONFIG_HOME=str(REPO / "tests" / "no-such-dir"))
    return run_wftui(["check", "--interval", "0.2s", *args], cwd=REPO, env=env, timeout=120)


def test_a_target_with_none_of_our_metrics_is_exit_2_naming_its_families(
        served: Served) -> None:
    Counter("workflow_runs_total", "runs", ["status"],
            registry=served.registry).labels("ok").inc(5)
    Gauge("inflight_runs", "in flight", registry=served.registry).set(3)
    Gauge("python_heap_bytes", "heap", registry=served.registry).set(1)
    served.serve()
    result = check("--metrics", served.url)
    assert result.returncode == 2, result.stdout
    line = result.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert "none of the configured metrics" in line and "[metrics.names]" in line
    # closest first: workflow_runs is nearest to workflow_executions_total
    shown = line.split("closest first: ")[1]
    assert shown.index("workflow_runs") < shown.index("python_heap_bytes")
    assert "inflight_runs" in shown


def test_a_declared_family_without_samples_is_no_traffic_not_an_error(
        served: Served) -> None:
    Counter("workflow_executions_total", "runs", ["status"], registry=served.registry)
    served.serve()
    result = check("--metrics", served.url)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["error_rate"] is None


async def test_prometheus_client_health_is_no_health_endpoint(served: Served) -> None:
    """start_http_server answers /health with the metrics: that is not 'healthy'."""
    Gauge("active_workflows", "active", registry=served.registry).set(1)
    served.serve()
    health = served.url.replace("/metrics", "/health")
    explicit = MetricsSource([served.url], settings_for({}), health_urls=[health])
    guessed = MetricsSource([served.url], settings_for({}))
    try:
        await explicit.scrape_once()
        await guessed.scrape_once()
        told = explicit.target_statuses()[0]
        guess = guessed.target_statuses()[0]
    finally:
        await explicit.aclose()
        await guessed.aclose()
    assert told["health"] == "absent"
    assert "metrics exposition" in told["health_detail"]
    assert guess["health"] is None  # a guessed /health that is no endpoint: none shown


def test_health_documents_and_not() -> None:
    assert classify(200, b'{"status": "healthy"}', "application/json").state == "healthy"
    assert classify(200, b"OK", "text/plain").state == "healthy"
    assert classify(200, b"<!doctype html><html>", None).state == "absent"
    assert classify(200, b"# HELP x y\n# TYPE x gauge\nx 1\n", None).state == "absent"
    assert classify(503, b"<html>down</html>", "text/html").state == "unhealthy"


async def test_html_without_content_type_is_not_ok(raw_server: RawServer) -> None:  # noqa: F811
    raw_server.behaviour = respond(200, None, b"<html><body>Welcome</body></html>\n")
    source = MetricsSource([raw_server.url], settings_for({}), health_urls=[""])
    try:
        await source.scrape_once()
        status = source.target_statuses()[0]
    finally:
        await source.aclose()
    assert status["status"] == "down"
    assert "HTML page" in status["error"]


async def test_series_past_the_cap_are_left_out_and_reported(served: Served) -> None:
    runs = Counter("workflow_executions_total", "runs", ["status", "tenant"],
                   registry=served.registry)
    for tenant in range(50):
        runs.labels("success", f"t{tenant}").inc()
    served.serve()
    table: dict[str, object] = {"max_series": 20}
    source = MetricsSource([served.url], settings_for(table), health_urls=[""])
    try:
        await source.scrape_once()
        status = source.target_statuses()[0]
        figures = source.figures(None)
    finally:
        await source.aclose()
    # 50 workflow_executions_total lines (the _created ones are not read at all), 20 read
    assert status["series_dropped"] == 30
    assert "30 series past the 20-series cap" in status["warning"]
    assert any("30 series past the 20-series cap" in w for w in figures["warnings"])
    assert figures["error_rate"] == 0  # 20 successes read, none failed


def test_label_churn_is_forgotten_and_sums_stay_exact() -> None:
    """50 new series a scrape, each seen once: the tracker holds only the recent ones,
    and the counted total still grows by exactly what each scrape added."""
    from wftui.sources.metrics_figures import TargetHistory
    from wftui.sources.metrics_parse import MetricNames, ParsedScrape

    history = TargetHistory(MetricNames())
    for scrape in range(40):
        samples = [("workflow_executions_total", {"status": "success", "id": f"{scrape}-{n}"},
                    2.0) for n in range(50)]
        record = history.add(float(scrape), ParsedScrape(samples=samples))
        # every series ever seen counted once, at its value 2: 100 per scrape so far
        assert record.executions["success"] == pytest.approx(100.0 * (scrape + 1))
    assert len(history._tracker) <= 50 * 3  # the last two scrapes' series, and this one's


async def test_the_deadline_covers_parsing_too(raw_server: RawServer) -> None:  # noqa: F811
    """A body that arrives at once but takes longer to read than the deadline: the
    scrape fails at the deadline (parsing used to run after it, unbounded)."""
    lines = [f'workflow_executions_total{{status="success",id="{n}"}} {n}'
             for n in range(100_000)]
    raw_server.behaviour = respond(200, "text/plain; version=0.0.4",
                                   ("\n".join(lines) + "\n").encode())
    table: dict[str, object] = {"max_series": 1_000_000}
    settings = settings_for(table)
    settings.deadline = 0.1
    source = MetricsSource([raw_server.url], settings, health_urls=[""])
    try:
        started = time.monotonic()
        await source.scrape_once()
        took = time.monotonic() - started
        status = source.target_statuses()[0]
    finally:
        await source.aclose()
    assert status["status"] == "down"
    assert "within the 0.1 s deadline" in status["error"]
    assert took < 2.0  # the scrape gave up at its deadline (the parse runs on, unseen)


@pytest.mark.parametrize(("labels", "named", "hint"), [
    (["status"], "'fail'", "[metrics.statuses]"),
    (["result"], "'(empty)'", "[metrics.labels] status"),
])
def test_traffic_with_no_status_understood_is_exit_2_not_no_traffic(
        served: Served, labels: list[str], named: str, hint: str) -> None:
    # Executions keep ending as 'fail' or 'pass' while check scrapes twice: neither word
    # is one we know, so the error rate cannot be computed. That is not "no traffic"
    # and not an all-clear.
    runs = Counter("workflow_executions_total", "runs", labels, registry=served.registry)
    served.serve()
    done = threading.Event()

    def traffic() -> None:
        while not done.wait(0.01):
            runs.labels("fail").inc(2)
            runs.labels("pass").inc(3)

    writer = threading.Thread(target=traffic, daemon=True)
    writer.start()
    try:
        result = check("--metrics", served.url)
    finally:
        done.set()
        writer.join()
    assert result.returncode == 2, result.stdout
    line = result.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert "no execution status understood" in line
    assert named in line and hint in line


def test_the_service_s_own_families_come_before_the_client_library_s() -> None:
    from wftui.sources.metrics import missing_families

    names = settings_for({}).names
    # What prometheus_client's default registry exposes beside a service's own two.
    runtime = ["python_gc_objects_collected_total", "python_gc_objects_uncollectable_total",
               "python_gc_collections_total", "python_info", "process_virtual_memory_bytes",
               "process_resident_memory_bytes", "process_start_time_seconds",
               "process_cpu_seconds_total", "process_open_fds", "process_max_fds"]
    exposed = [*runtime, "jobs_processed_total", "job_latency_seconds"]
    shown = missing_families(names, exposed).split("closest first: ")[1].split(", ")
    assert shown[:2] == ["jobs_processed_total", "job_latency_seconds"] or \
        shown[:2] == ["job_latency_seconds", "jobs_processed_total"]
