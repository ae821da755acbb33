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
            assert "executions come from log files or traces" in screen_text(app)
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


async def test_the_history_view_charts_the_log_beside_metrics(exporter, tmp_path) -> None:
    """With metrics attached the panels show the metrics' figures (and sparklines of
    those), but `h` still charts the log's own history, saying so; without a log the
    view says there is no past to chart, not that one is coming."""
    from tests.ui.conftest import T0, append, execution, wait_for
    from wftui.ui.screens.history import HistoryScreen

    log = tmp_path / "app.log"
    events: list[dict] = []
    for n in range(6):  # one every 3 s; the 2nd fails
        events += execution(f"ex-{n:02d}", T0 + n * 3, failed=n == 1)
    events.sort(key=lambda event: event["timestamp"])
    append(log, events)
    url = f"http://127.0.0.1:{exporter.server_address[1]}/metrics"
    settings = Settings()
    monitor = LiveMonitor(settings, [str(log)], metrics=metric_family(settings, [url], None,
                                                                      interval=0.2))
    app = make_app(settings, monitor)
    try:
        async with app.run_test(size=(160, 45)) as pilot:
            await wait_for(pilot, lambda: "from metrics" in screen_text(app), "metric figures")
            await wait_for(pilot, lambda: app.latest is not None
                           and app.latest.log_history is not None, "the log judged")
            await pilot.press("h")
            screen = await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen)
                                    and app.screen.drawn and app.screen, "the charts")
            error_rate = screen.drawn[0]
            assert max(error_rate.ys) == 0.5  # ex-00 ok, ex-01 failed: 1 of 2 (the log's)
            assert "from the log (panels: metrics) · each point" in screen_text(app)
    finally:
        monitor.stop()

    family = metric_family(settings, [url], None, interval=0.2)
    only_metrics = LiveMonitor(settings, [], metrics=family)
    app = make_app(settings, only_metrics)
    try:
        async with app.run_test(size=(160, 45)) as pilot:
            await wait_for(pilot, lambda: "from metrics" in screen_text(app), "metric figures")
            await pilot.press("h")
            await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen), "the view")
            await wait_for(pilot, lambda: "no log file" in screen_text(app), "why no charts")
            assert "comes once" not in screen_text(app)
    finally:
        only_metrics.stop()


async def test_a_target_with_none_of_our_metrics_is_not_up_and_quiet() -> None:
    """A prometheus_client exporter whose families wftui does not know (no mapping):
    it answers, but the source says "not understood", and the panels say so rather
    than "no traffic" / "no data"."""
    from prometheus_client import CollectorRegistry, Counter, start_http_server

    from tests.ui.conftest import wait_for

    registry = CollectorRegistry()
    runs = Counter("agent_runs", "runs", ["outcome"], registry=registry)
    runs.labels(outcome="ok").inc(40)
    runs.labels(outcome="error").inc(10)
    server, _ = start_http_server(0, addr="127.0.0.1", registry=registry)
    url = f"http://127.0.0.1:{server.server_port}/metrics"
    settings = Settings()
    monitor = LiveMonitor(settings, [], metrics=metric_family(settings, [url], None,
                                                              interval=0.2))
    app = make_app(settings, monitor)
    try:
        async with app.run_test(size=(160, 45)) as pilot:
            await wait_for(pilot, lambda: "up, not understood (m)" in screen_text(app),
                           "the target marked")
            text = screen_text(app)
            source = next(line for line in text.splitlines() if url in line)
            assert "✗" in source and "●" not in source
            assert "none of the configured metrics" in source
            panels = next(line for line in text.splitlines() if line.startswith("│"))
            assert panels.count("not understood") == 5, panels
            assert "no traffic" not in text
    finally:
        monitor.stop()
        server.shutdown()
        server.server_close()
