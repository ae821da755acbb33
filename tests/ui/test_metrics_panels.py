"""Figures from a /metrics target: shown as such, and marked STALE (never 0) when it dies."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.ui.conftest import wait_for
from tests.ui.screen import screen_text
from wftui.config import Settings
from wftui.live import LiveMonitor
from wftui.sources.connect import metric_family
from wftui.ui.app import make_app
from wftui.ui.widgets.figure_panel import FigurePanel

EXPOSITION = (Path(__file__).resolve().parents[1] / "fixtures" / "metrics"
              / "article_text.prom").read_bytes()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.send_header("Content-Length", str(len(EXPOSITION)))
        self.end_headers()
        self.wfile.write(EXPOSITION)

    def log_message(self, *_args: object) -> None:
        """Quiet: the test output is for failures."""


@pytest.fixture
def exporter() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


async def test_metrics_figures_then_target_down_is_stale(exporter) -> None:
    url = f"http://127.0.0.1:{exporter.server_address[1]}/metrics"
    settings = Settings()
    family = metric_family(settings, [url], None, interval=0.2)
    monitor = LiveMonitor(settings, [], metrics=family)
    # the wall clock: scrapes are stamped with it, and a frozen one would put them all
    # outside the window
    app = make_app(settings, monitor)
    try:
        async with app.run_test(size=(160, 45)) as pilot:
            await wait_for(pilot, lambda: "  up" in screen_text(app), "the target up")
            await wait_for(pilot, lambda: "from metrics" in screen_text(app), "metric figures")
            # no log source: the table says where executions come from, not "none yet"
            assert "executions come from log files" in screen_text(app)
            # a gauge: its last good value stays meaningful while the target is down
            panel = app.screen.query_one("#panel-active", FigurePanel)
            await wait_for(pilot, lambda: panel.view.quality == "ok", "a fresh figure")
            exporter.shutdown()
            exporter.server_close()
            await wait_for(pilot, lambda: "DOWN" in screen_text(app), "the target down")
            await wait_for(pilot, lambda: panel.view.quality == "stale", "the stale mark")
            text = screen_text(app)
            assert "STALE" in text
            assert "last good scrape" in text
            assert panel.view.value == "3"  # active_workflows 3.0 in the fixture, not 0
    finally:
        monitor.stop()


async def test_one_scrape_so_far_is_a_total_not_judged_yet(exporter) -> None:
    """Before a second scrape the figures are totals since the target started: shown as
    such, and not next to a "no data" state (thresholds judge the next scrape)."""
    url = f"http://127.0.0.1:{exporter.server_address[1]}/metrics"
    settings = Settings()
    family = metric_family(settings, [url], None, interval=3600.0)  # one scrape only
    monitor = LiveMonitor(settings, [], metrics=family)
    app = make_app(settings, monitor)
    try:
        async with app.run_test(size=(160, 45)) as pilot:
            await wait_for(pilot, lambda: "since start" in screen_text(app), "a first scrape")
            panel = app.screen.query_one("#panel-error_rate", FigurePanel)
            assert panel.view.value != "no data" and panel.view.state is None
            assert "judged from the next scrape" in panel.view.detail
            assert "NO DATA" not in screen_text(app).split("Alerts")[0]
    finally:
        monitor.stop()
