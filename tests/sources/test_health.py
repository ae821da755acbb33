"""Health endpoint polling against a real asyncio HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator

import httpx
import pytest

from wftui.sources.health import HealthPoller, classify, default_health_url, poll_health
from wftui.sources.metrics import MetricsSettings, MetricsSource


class HealthServer:
    """Answers every request with ``status`` and ``body`` (set by the test)."""

    def __init__(self) -> None:
        self.status = 200
        self.body = b'{"status": "healthy", "timestamp": "2026-01-01T00:00:00"}'
        self.delay = 0.0
        self.base = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            await asyncio.sleep(self.delay)
            writer.write(f"HTTP/1.1 {self.status} X\r\nContent-Type: application/json\r\n"
                         f"Content-Length: {len(self.body)}\r\nConnection: close\r\n\r\n"
                         .encode() + self.body)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the poller gave up (deadline): expected in the timeout test
        finally:
            writer.close()


@pytest.fixture
async def health_server() -> AsyncIterator[HealthServer]:
    server = HealthServer()
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    server.base = f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
    try:
        yield server
    finally:
        listener.close()
        await listener.wait_closed()


@pytest.mark.parametrize(
    ("status", "body", "state", "detail"),
    [
        (200, {"status": "healthy", "timestamp": "x"}, "healthy", None),
        (200, {"status": "degraded", "message": "High error rate"}, "degraded", "High error rate"),
        (503, {"detail": "Unhealthy: queue down"}, "unhealthy", "Unhealthy: queue down"),
        (200, {"status": "unhealthy"}, "unhealthy", None),
        (200, {"status": "sleepy"}, "degraded", "unknown status 'sleepy'"),
        (500, None, "unhealthy", "HTTP 500"),
        (404, None, "unhealthy", "HTTP 404"),
    ],
)
def test_classify(status: int, body: dict | None, state: str, detail: str | None) -> None:
    raw = json.dumps(body).encode() if body is not None else b"not json"
    result = classify(status, raw)
    assert (result.state, result.detail) == (state, detail)


def test_plain_2xx_without_json_is_healthy() -> None:
    assert classify(200, b"OK").state == "healthy"


@pytest.mark.parametrize(
    ("metrics_url", "health_url"),
    [
        ("http://h:8000/metrics", "http://h:8000/health"),
        ("http://h:8000/app/metrics/", "http://h:8000/app/health"),
        ("http://h:9090/", None),
        ("http://h:9090/stats", None),
    ],
)
def test_default_health_url(metrics_url: str, health_url: str | None) -> None:
    assert default_health_url(metrics_url) == health_url


async def test_poll_states_from_a_live_server(health_server: HealthServer) -> None:
    async with httpx.AsyncClient() as client:
        url = health_server.base + "/health"
        assert (await poll_health(client, url, 5.0)).state == "healthy"
        health_server.status, health_server.body = 503, b'{"detail": "Unhealthy: db"}'
        result = await poll_health(client, url, 5.0)
        assert (result.state, result.detail, result.http_status) == ("unhealthy", "Unhealthy: db",
                                                                     503)
        health_server.status, health_server.body = 200, b"x"
        health_server.delay = 3.0
        slow = await poll_health(client, url, 0.3)
        assert slow.state == "unreachable" and "0.3 s" in slow.detail


async def test_unreachable_when_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with httpx.AsyncClient() as client:
        result = await poll_health(client, f"http://127.0.0.1:{port}/health", 5.0)
    assert result.state == "unreachable"
    assert "ConnectError" in result.detail


async def test_guessed_endpoint_that_404s_is_turned_off(health_server: HealthServer) -> None:
    health_server.status = 404
    async with httpx.AsyncClient() as client:
        guessed = HealthPoller(health_server.base + "/health", client, optional=True)
        await guessed.poll(5.0)
        assert guessed.state is None and not guessed.enabled
        explicit = HealthPoller(health_server.base + "/health", client)
        await explicit.poll(5.0)
        assert explicit.state == "unhealthy"


async def test_metrics_source_reports_health_of_each_target(health_server: HealthServer) -> None:
    # The test server answers /metrics with JSON too, so the scrape fails (wrong type) while
    # the guessed /health beside it answers: both facts are reported side by side.
    health_server.body = b'{"status": "degraded", "message": "slow LLM"}'
    source = MetricsSource([health_server.base + "/metrics"], MetricsSettings(deadline=5.0))
    try:
        await source.scrape_once()
        [status] = source.target_statuses()
        assert status["health"] == "degraded"
        assert status["health_detail"] == "slow LLM"
        assert status["health_url"] == health_server.base + "/health"
        assert status["status"] == "down"
    finally:
        await source.aclose()


async def test_guessed_endpoint_reports_nothing_until_it_answers() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = HealthServer()
    async with httpx.AsyncClient() as client:
        guessed = HealthPoller(f"http://127.0.0.1:{port}/health", client, optional=True)
        await guessed.poll(5.0)
        assert guessed.state is None and guessed.enabled  # down at start: keep asking
        listener = await asyncio.start_server(server.handle, "127.0.0.1", port)
        try:
            await guessed.poll(5.0)
            assert guessed.state == "healthy"
        finally:
            listener.close()
            await listener.wait_closed()
        await guessed.poll(5.0)
        assert guessed.state == "unreachable"  # it answered once: now its absence is news


@pytest.mark.parametrize("url", ["http://[::1/metrics", "http://a]b/metrics"])
def test_default_health_url_of_an_unusable_url_is_none(url: str) -> None:
    assert default_health_url(url) is None


@pytest.mark.parametrize(("status", "state"), [(200, "healthy"), (503, "unhealthy")])
def test_a_deeply_nested_body_is_not_json_not_a_crash(status: int, state: str) -> None:
    # json.loads raises RecursionError (not ValueError) for nesting this deep.
    result = classify(status, b'{"status": ' + b"[" * 50_000)
    assert result.state == state


async def test_a_request_error_outside_httpx_is_unreachable_in_one_line() -> None:
    # Connecting to port 99999 raises OverflowError inside an ExceptionGroup.
    async with httpx.AsyncClient() as client:
        result = await poll_health(client, "http://127.0.0.1:99999/health", 5.0)
    assert result.state == "unreachable"
    assert result.detail == "OverflowError: connect(): port must be 0-65535."


async def test_a_deeply_nested_answer_from_a_live_server(health_server: HealthServer) -> None:
    health_server.status, health_server.body = 503, b"[" * 50_000
    async with httpx.AsyncClient() as client:
        result = await poll_health(client, health_server.base + "/health", 5.0)
    assert (result.state, result.detail) == ("unhealthy", "HTTP 503")
