"""The scraper against real HTTP servers on 127.0.0.1: a prometheus_client exporter and a
raw asyncio server that misbehaves on purpose (refused, 500, trickle, huge, wrong type...)."""

from __future__ import annotations

import asyncio
import gzip
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.forked import run_wftui
from tests.helpers import free_port
from tests.sources.exporter import Exporter
from wftui.config import ConfigError, Settings
from wftui.sources.connect import metric_family
from wftui.sources.metrics import MetricsSettings, MetricsSource, check_metrics
from wftui.sources.metrics_parse import ACCEPT_HEADER
from wftui.sources.prometheus_api import PrometheusSource, read_answer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "metrics"
ROOT = Path(__file__).resolve().parents[2]
TEXT = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"


@pytest.fixture
def exporter() -> Iterator[Exporter]:
    server = Exporter()
    try:
        yield server
    finally:
        server.stop()


Behaviour = Callable[[asyncio.StreamWriter], Awaitable[None]]


class RawServer:
    """An asyncio HTTP/1.1 server whose answer is whatever ``behaviour`` writes."""

    def __init__(self) -> None:
        self.behaviour: Behaviour = respond(200, TEXT, b"")
        self.requests: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.url = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            self.requests.append(head.decode("latin-1"))
            await self.behaviour(writer)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client hung up (deadline or cap): that is the point of some tests
        finally:
            self.in_flight -= 1
            writer.close()


def respond(status: int, content_type: str | None, body: bytes,
            extra: dict[str, str] | None = None) -> Behaviour:
    async def behaviour(writer: asyncio.StreamWriter) -> None:
        headers = {"Content-Length": str(len(body)), "Connection": "close", **(extra or {})}
        if content_type is not None:
            headers["Content-Type"] = content_type
        lines = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'Internal Server Error'}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    return behaviour


def trickle(every_s: float) -> Behaviour:
    async def behaviour(writer: asyncio.StreamWriter) -> None:
        writer.write(f"HTTP/1.1 200 OK\r\nContent-Type: {TEXT}\r\n"
                     "Content-Length: 100000\r\n\r\n".encode())
        for _ in range(100000):
            writer.write(b"#")
            await writer.drain()
            await asyncio.sleep(every_s)
    return behaviour


@pytest.fixture
async def raw_server() -> AsyncIterator[RawServer]:
    server = RawServer()
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    server.url = f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}/metrics"
    try:
        yield server
    finally:
        listener.close()
        await listener.wait_closed()


def settings(**changes: object) -> MetricsSettings:
    return MetricsSettings(**{"interval": 1.0, "deadline": 5.0, **changes})


async def test_exporter_counters_quantiles_and_restart(exporter: Exporter) -> None:
    exporter.run(3, 1, [0.05, 0.3, 0.3, 2.0])
    exporter.active.set(4)
    exporter.queue.set(17)
    source = MetricsSource([exporter.url], settings(), health_urls=[""])
    try:
        await source.scrape_once()
        first = source.figures(300.0)
        # One scrape: totals since start. 1 failure of 4.
        # buckets 0.1:1 0.5:3 1:3 5:4 ... +Inf:4
        # p50 rank 2 -> le=0.5: 0.1 + 0.4*(2-1)/(3-1) = 0.3
        # p95 rank 3.8 -> le=5: 1 + 4*(3.8-3)/(4-3) = 4.2; p99 rank 3.96 -> 1 + 4*0.96 = 4.84
        assert first["since_start"] is True
        assert first["error_rate"] == pytest.approx(0.25)
        assert first["latency_s"]["p50"] == pytest.approx(0.3)
        assert first["latency_s"]["p95"] == pytest.approx(4.2)
        assert first["latency_s"]["p99"] == pytest.approx(4.84)
        assert first["active_workflows"] == 4
        assert first["queue_depth"] == 17

        exporter.run(5, 5, [7.0] * 5 + [0.2] * 4 + [120.0])
        exporter.steps.labels("classify", "llm").observe(0.05)
        exporter.steps.labels("classify", "llm").observe(0.05)
        await source.scrape_once()
        second = source.figures(300.0)
        # Window: 5 failures of 10 executions.
        # bucket increases 0.1:0 0.5:4 1:4 5:4 10:9 60:9 +Inf:10
        # p50 rank 5 -> le=10: 5 + 5*(5-4)/(9-4) = 6.0
        # p95 rank 9.5 > 9 -> +Inf bucket: "at least 60"
        assert second["since_start"] is False
        assert second["error_rate"] == pytest.approx(0.5)
        assert second["latency_s"]["p50"] == pytest.approx(6.0)
        assert second["latency_s"]["p95"] == pytest.approx(60.0)
        assert second["latency_s"]["at_least"] == {"p95": True, "p99": True}
        assert second["throughput_per_min"] > 0
        # classify: 2 observations in (0.01, 0.1]: p50 rank 1 -> 0.01 + 0.09*1/2 = 0.055
        classify = second["step_latency_s"]["classify"]
        assert classify["count"] == 2
        assert classify["p50"] == pytest.approx(0.055)

        exporter.restart()
        exporter.run(2, 1, [0.3])
        await source.scrape_once()
        # The last interval alone (a tiny window keeps one baseline scrape): the reset makes
        # the increase the new values, 1 failure of 3 - never negative.
        third = source.figures(0.001)
        assert third["error_rate"] == pytest.approx(1 / 3)
        assert third["throughput_per_min"] > 0
        # Since start across the restart: failures 1+5+1 = 7 of 4+10+3 = 17.
        assert source.figures(None)["error_rate"] == pytest.approx(7 / 17)
        [status] = source.target_statuses()
        assert status["status"] == "ok" and status["up"] is True
        assert status["format"] == "text"  # the Accept header gets text from prometheus_client
        # samples: every sample line of the body the exporter serves for that Accept header
        async with httpx.AsyncClient() as client:
            body = (await client.get(exporter.url, headers={"Accept": ACCEPT_HEADER})).text
        assert status["samples"] == sum(
            1 for line in body.splitlines() if line and not line.startswith("#"))
        assert status["scrape_duration_s"] is not None
        assert status["health"] is None
        assert status["warning"] is None  # threshold 60 s is not above the top bucket (60 s)
        source.settings.p95_threshold_s = 90.0
        assert "above the highest finite latency bucket (60 s)" in (
            source.target_statuses()[0]["warning"])
    finally:
        await source.aclose()


async def test_check_metrics_scrapes_twice(exporter: Exporter) -> None:
    exporter.run(1, 0, [0.3])
    figures, statuses = await check_metrics([exporter.url], settings(interval=0.2), 300.0)
    assert figures["since_start"] is False
    assert figures["error_rate"] is None  # nothing ran between the two scrapes
    assert figures["throughput_per_min"] == 0
    assert statuses[0]["status"] == "ok"


async def test_connection_refused_is_down_and_contributes_nothing() -> None:
    url = f"http://127.0.0.1:{free_port()}/metrics"
    source = MetricsSource([url], settings(), health_urls=[""])
    try:
        assert source.target_statuses()[0]["status"] == "waiting"
        await source.scrape_once()
        [status] = source.target_statuses()
        assert status["status"] == "down" and status["up"] is False
        assert "ConnectError" in status["error"]
        assert status["age_s"] is None
        figures = source.figures(300.0)
        assert figures["error_rate"] is None and figures["active_workflows"] is None
        assert figures["stale"] is True
    finally:
        await source.aclose()


async def test_http_500_keeps_last_good_values_marked_stale(raw_server: RawServer) -> None:
    good = (FIXTURES / "article_text.prom").read_bytes()
    raw_server.behaviour = respond(200, TEXT, good)
    source = MetricsSource([raw_server.url], settings(), health_urls=[""])
    try:
        await source.scrape_once()
        raw_server.behaviour = respond(500, "text/plain", b"boom")
        await source.scrape_once()
        [status] = source.target_statuses()
        assert status["status"] == "down"
        assert status["error"] == "HTTP 500 Internal Server Error"
        assert status["age_s"] is not None
        figures = source.figures(300.0)
        assert figures["stale"] is True
        assert figures["active_workflows"] == 3  # last good value, not 0
        assert figures["error_rate"] == pytest.approx(2 / 30)
        assert any("is down (HTTP 500" in w for w in figures["warnings"])
        # the scrape asked for both formats
        assert "application/openmetrics-text" in raw_server.requests[0]
        assert "text/plain" in raw_server.requests[0]
    finally:
        await source.aclose()


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        (respond(200, TEXT, (FIXTURES / "malformed.prom").read_bytes()), "malformed exposition"),
        (respond(200, TEXT, (FIXTURES / "invalid_utf8.prom").read_bytes()), "invalid UTF-8"),
        (respond(200, "text/html", b"<html><body>login</body></html>"),
         "unexpected Content-Type 'text/html'"),
        (respond(200, TEXT, b"# HELP x\n" * 200_000), "cap"),
        (respond(200, TEXT, gzip.compress(b"# HELP x y\n" * 2_000_000, compresslevel=1),
                 {"Content-Encoding": "gzip"}), "cap"),
        (respond(200, TEXT, b"not gzip at all", {"Content-Encoding": "gzip"}),
         "bad compressed body"),
        (trickle(0.1), "deadline"),
    ],
    ids=["malformed", "invalid-utf8", "wrong-content-type", "oversized", "gzip-bomb",
         "bad-gzip", "trickle"],
)
async def test_faults_fail_the_scrape_with_one_line(
    raw_server: RawServer, behaviour: Behaviour, message: str
) -> None:
    raw_server.behaviour = behaviour
    source = MetricsSource([raw_server.url], settings(max_body_bytes=1_000_000, deadline=1.0),
                           health_urls=[""])
    try:
        await asyncio.wait_for(source.scrape_once(), timeout=20)
        [status] = source.target_statuses()
        assert status["status"] == "down"
        assert message in status["error"]
        assert "\n" not in status["error"]
        assert source.figures(300.0)["error_rate"] is None
    finally:
        await source.aclose()


async def test_gzip_and_openmetrics_with_exemplars(raw_server: RawServer) -> None:
    body = gzip.compress((FIXTURES / "article_openmetrics.txt").read_bytes())
    raw_server.behaviour = respond(200, OPENMETRICS, body, {"Content-Encoding": "gzip"})
    source = MetricsSource([raw_server.url], settings(), health_urls=[""])
    try:
        await source.scrape_once()
        [status] = source.target_statuses()
        assert (status["status"], status["format"]) == ("ok", "openmetrics")
        figures = source.figures(300.0)
        assert figures["error_rate"] == pytest.approx(2 / 20)  # exemplars not read as values
        assert figures["queue_depth"] == 7
    finally:
        await source.aclose()


async def test_missing_content_type_is_read_as_prometheus_text(raw_server: RawServer) -> None:
    raw_server.behaviour = respond(200, None, (FIXTURES / "article_text.prom").read_bytes())
    source = MetricsSource([raw_server.url], settings(), health_urls=[""])
    try:
        await source.scrape_once()
        assert source.figures(300.0)["active_workflows"] == 3
    finally:
        await source.aclose()


async def test_run_never_overlaps_and_stops(raw_server: RawServer) -> None:
    slow_body = (FIXTURES / "article_text.prom").read_bytes()
    answer = respond(200, TEXT, slow_body)

    async def slow(writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(0.15)  # longer than the interval
        await answer(writer)

    raw_server.behaviour = slow
    source = MetricsSource([raw_server.url], settings(interval=0.05, deadline=5.0),
                           health_urls=[""])
    stop = asyncio.Event()
    updates: list[int] = []

    def on_update() -> None:
        updates.append(1)
        if len(updates) >= 3:
            stop.set()

    try:
        await asyncio.wait_for(source.run(stop, on_update), timeout=30)
        assert len(updates) == 3
        assert raw_server.most_in_flight == 1
        assert source.target_statuses()[0]["status"] == "ok"
    finally:
        await source.aclose()


async def test_two_exporters_are_summed_and_a_dead_one_marks_stale() -> None:
    first, second = Exporter(), Exporter()
    dead = f"http://127.0.0.1:{free_port()}/metrics"
    source = MetricsSource([first.url, second.url, dead], settings(), health_urls=["", "", ""])
    try:
        await source.scrape_once()
        first.run(3, 1, [0.3] * 4)
        second.run(4, 2, [7.0] * 6)
        first.active.set(2)
        second.active.set(5)
        await source.scrape_once()
        figures = source.figures(300.0)
        # failures 1 + 2 = 3 of 4 + 6 = 10; latency over both: 0.5:4 ... 5:4 10:10 +Inf:10
        # p50 rank 5 -> le=10: 5 + 5*(5-4)/(10-4) = 5.8333
        assert figures["error_rate"] == pytest.approx(0.3)
        assert figures["latency_s"]["p50"] == pytest.approx(5 + 5 / 6)
        assert figures["active_workflows"] == 7
        assert figures["stale"] is True  # the dead target
        states = [s["status"] for s in source.target_statuses()]
        assert states == ["ok", "ok", "down"]
    finally:
        await source.aclose()
        first.stop()
        second.stop()


async def test_hostile_text_in_errors_never_reaches_the_terminal_raw(
    raw_server: RawServer,
) -> None:
    # An OSC title sequence and a bell inside a line the OpenMetrics parser quotes back.
    raw_server.behaviour = respond(
        200, OPENMETRICS,
        b"# HELP active_workflows x\n# HELP active_workflows \x1b]0;pwned\x07\n# EOF\n")
    source = MetricsSource([raw_server.url], settings(), health_urls=[""])
    try:
        await source.scrape_once()
        [status] = source.target_statuses()
        assert status["status"] == "down"
        assert "More than one HELP" in status["error"]
        assert "\u241b]0;pwned\u2407" in status["error"]  # shown as visible symbols
        for control in ("\x1b", "\x07", "\n"):
            assert control not in status["error"]
    finally:
        await source.aclose()


# -- URLs that are not usable, and requests that raise something httpx does not wrap -----


@pytest.mark.parametrize(
    ("metrics", "prometheus", "health", "message"),
    [
        (["http://[::1/metrics"], None, [], "--metrics: not a URL"),
        (["http://127.0.0.1:99999/metrics"], None, [], "--metrics: port 99999 is not in 1-65535"),
        (["http://127.0.0.1:0/metrics"], None, [], "--metrics: port 0 is not in 1-65535"),
        (["ftp://127.0.0.1/metrics"], None, [],
         "--metrics: expected an http:// or https:// URL, got 'ftp://127.0.0.1/metrics'"),
        (["http:///metrics"], None, [], "--metrics: expected an http:// or https:// URL"),
        ([], "http://127.0.0.1:70000", [], "--prometheus: port 70000 is not in 1-65535"),
        (["http://127.0.0.1:9/metrics"], None, ["http://[::1/health"], "--health: not a URL"),
        (["http://127.0.0.1:9/metrics"], None, ["http://127.0.0.1:1", "http://127.0.0.1:2"],
         "more --health URLs (2) than --metrics URLs (1)"),
    ],
    ids=["bad-ipv6", "port-too-big", "port-zero", "ftp", "no-host", "prometheus-port",
         "health-ipv6",
         "too-many-health"],
)
def test_unusable_urls_are_one_usage_error_before_anything_runs(
    metrics: list[str], prometheus: str | None, health: list[str], message: str,
) -> None:
    with pytest.raises(ConfigError) as caught:
        metric_family(Settings(), metrics, prometheus, health_urls=health)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("url", ["http://[::1/metrics", "http://127.0.0.1:99999/metrics"])
def test_check_with_an_unusable_url_exits_2_with_one_line(url: str, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CONFIG_HOME": str(tmp_path)}
    done = run_wftui(["check", "--metrics", url, "--interval", "0.1"], cwd=ROOT, env=env)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "--metrics" in done.stderr


async def test_a_request_error_outside_httpx_fails_the_scrape_and_the_loop_goes_on() -> None:
    # Built directly (the CLI refuses this URL up front): connecting raises OverflowError
    # wrapped in an ExceptionGroup, which httpx does not turn into an httpx error. The
    # guessed /health beside it fails the same way.
    source = MetricsSource(["http://127.0.0.1:99999/metrics"], settings(interval=0.05))
    stop = asyncio.Event()
    rounds: list[int] = []

    def on_update() -> None:
        rounds.append(1)
        if len(rounds) >= 3:
            stop.set()

    try:
        await asyncio.wait_for(source.run(stop, on_update), timeout=30)
        assert len(rounds) == 3  # three rounds: the loop outlived every failure
        [status] = source.target_statuses()
        assert status["status"] == "down"
        assert status["error"] == "OverflowError: connect(): port must be 0-65535."
    finally:
        await source.aclose()


async def test_a_sample_too_big_for_a_float_fails_that_scrape_only(raw_server: RawServer) -> None:
    # prometheus_client's OpenMetrics parser reads "999...9" as an int; float() of it
    # raises OverflowError (Prometheus itself rejects such a value too).
    huge = "9" * 400
    raw_server.behaviour = respond(
        200, OPENMETRICS,
        f"# TYPE active_workflows gauge\nactive_workflows {huge}\n# EOF\n".encode())
    source = MetricsSource([raw_server.url], settings(interval=0.05), health_urls=[""])
    stop = asyncio.Event()
    states: list[str] = []

    def on_update() -> None:
        states.append(source.target_statuses()[0]["status"])
        if len(states) == 2:  # the server is fixed: the next scrape must read it
            raw_server.behaviour = respond(200, TEXT, b"active_workflows 4\n")
        if len(states) >= 4:
            stop.set()

    try:
        await asyncio.wait_for(source.run(stop, on_update), timeout=30)
        assert states[:2] == ["down", "down"] and states[-1] == "ok"
        assert source.figures(300.0)["active_workflows"] == 4
    finally:
        await source.aclose()


def _nested_json(depth: int) -> bytes:
    return b'{"status": "success", "data": ' + b"[" * depth + b"]" * depth + b"}"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (_nested_json(100_000), "nested"),
        (b'{"status": "success", "warnings": 5, "data": {"resultType": "vector", '
         b'"result": []}}', "not a Prometheus API answer"),
        (b'{"status": "success", "data": [1, 2]}', "not a Prometheus API answer"),
    ],
    ids=["deeply-nested", "warnings-not-a-list", "data-not-an-object"],
)
async def test_a_prometheus_answer_of_the_wrong_shape_fails_the_refresh_not_the_loop(
    raw_server: RawServer, answer: bytes, message: str,
) -> None:
    raw_server.behaviour = respond(200, "application/json", answer)
    base = raw_server.url.removesuffix("/metrics")
    source = PrometheusSource(base, settings(interval=0.05), 300.0)
    stop = asyncio.Event()
    rounds: list[int] = []

    def on_update() -> None:
        rounds.append(1)
        if len(rounds) >= 2:
            stop.set()

    try:
        await asyncio.wait_for(source.run(stop, on_update), timeout=30)
        assert len(rounds) == 2
        [status] = source.target_statuses()
        assert status["status"] == "down"
        assert message in status["error"] and "\n" not in status["error"]
    finally:
        await source.aclose()


def test_read_answer_skips_rows_of_the_wrong_shape() -> None:
    payload = {"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {"le": "1"}, "value": []},  # no value at all
        {"metric": ["le"], "value": [1.0, "2"]},  # labels not an object: read as none
        "junk",
        {"metric": {"le": "+Inf"}, "value": [1.0, "3"]},
    ]}}
    rows, warnings = read_answer(200, payload)
    assert rows == [({}, 2.0), ({"le": "+Inf"}, 3.0)]
    assert warnings == []


async def test_check_says_its_scraped_figures_cover_the_interval_not_the_window(
        exporter: Exporter) -> None:
    """`check --metrics URL --window 5m` reported window_s 300 beside figures made of the
    0.2 s between its two scrapes, and said nothing of it."""
    from wftui.sources.connect import read_metrics_once

    exporter.run(1, 0, [0.3])
    family = metric_family(Settings(), [exporter.url], None, interval=0.2)
    assert family is not None
    figures, _ = await read_metrics_once(family, 300.0)
    assert ("metrics: error rate, throughput and latency are over the 200ms between two "
            "scrapes, not the 5m window (--interval sets it; --prometheus gives a window)"
            ) in figures["warnings"]
    # a window no longer than the interval is what was asked: nothing to say
    family = metric_family(Settings(), [exporter.url], None, interval=0.2)
    assert family is not None
    figures, _ = await read_metrics_once(family, 0.2)
    assert not any("between two scrapes" in w for w in figures["warnings"])


async def test_a_series_missing_from_a_few_scrapes_then_back_is_not_counted_again() -> None:
    """An exporter whose collector leaves a series out for a few scrapes (a collector
    that timed out, a partial answer), then gives it again at the same total: nothing
    happened to it, and Prometheus's increase() says 0 (its stale markers are skipped).
    The scraper forgot the series after two scrapes and took it back as new, its whole
    total counted as fresh failures: a 17% error rate, a false page."""
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.core import CounterMetricFamily

    state = {"success": 100.0, "failure": 10.0, "show_failure": True}

    class Collector:
        def collect(self) -> Iterator[CounterMetricFamily]:
            family = CounterMetricFamily("workflow_executions", "runs",
                                         labels=["workflow_name", "status"])
            family.add_metric(["support", "success"], state["success"])
            if state["show_failure"]:
                family.add_metric(["support", "failure"], state["failure"])
            yield family

    registry = CollectorRegistry()
    registry.register(Collector())
    port = free_port()
    server, _ = start_http_server(port, addr="127.0.0.1", registry=registry)
    source = MetricsSource([f"http://127.0.0.1:{port}/metrics"], MetricsSettings(),
                           health_urls=[""])
    try:
        for scrape in range(6):
            state["show_failure"] = scrape not in (2, 3, 4)  # gone from 3 scrapes
            await source.scrape_once()
            state["success"] += 10  # 10 successes between scrapes, no failure at all
        figures = source.figures(300.0)
    finally:
        await source.aclose()
        server.shutdown()
        server.server_close()
    # By hand: over the window, 50 successes and 0 failures.
    assert figures["error_rate"] == 0
