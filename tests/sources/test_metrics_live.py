"""Scraping beside a busy log: a fast target must not read DOWN because lines pour in,
and a target must never vanish from the sources while the scraper is busy."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from tests.helpers import wait_for
from tests.sources.exporter import Exporter
from wftui.config import Settings
from wftui.live import LiveMonitor
from wftui.sources.connect import MetricFamily
from wftui.sources.metrics import MetricsSettings, MetricsSource


def test_a_fast_target_stays_up_while_a_log_backlog_is_read(tmp_path: Path) -> None:
    """400k lines to catch up on: read in the files' loop, they used to hold the scrape
    (one loop for both) past a 0.4 s deadline half of the time; a 1 ms target read DOWN."""
    exporter = Exporter(precreate=True)
    log = tmp_path / "busy.log"
    line = json.dumps({"event": "step_start", "execution_id": "e", "step_name": "s",
                       "timestamp": "2026-01-01T12:00:00Z"}) + "\n"
    log.write_text(line * 400_000)
    source = MetricsSource([exporter.url], MetricsSettings(interval=0.2, deadline=0.4),
                           health_urls=[""])
    monitor = LiveMonitor(Settings(), [str(log)], metrics=MetricFamily([source]))
    target = source._targets[0]
    try:
        monitor.start()
        started = time.monotonic()
        failing: list[str | None] = []
        while monitor.ledger.events_total < 400_000:
            targets = [s for s in monitor.sources() if s["kind"] == "metrics"]
            assert len(targets) == 1  # never vanishes
            if target.failing:
                failing.append(target.last_error)
            time.sleep(0.05)
        # Scraping went on, every 0.2 s, while the backlog was read (a fast machine
        # reads it in half a second: a fixed count of 3 failed there).
        assert target.attempts >= max(2, int((time.monotonic() - started) / 0.2))
        assert failing == []
    finally:
        monitor.stop()
        exporter.stop()


def test_a_busy_scraper_shows_the_last_known_target_not_nothing() -> None:
    exporter = Exporter(precreate=True)
    source = MetricsSource([exporter.url], MetricsSettings(interval=0.2), health_urls=[""])
    monitor = LiveMonitor(Settings(), [], metrics=MetricFamily([source]))
    try:
        monitor.start()
        wait_for(lambda: any(s["status"] == "ok" for s in monitor.sources()),
                 "a first scrape")
        # Block the scraper's loop for longer than a reader waits for it.
        blocked = threading.Event()
        assert monitor._metrics_background.call_soon(
            lambda: (blocked.set(), time.sleep(3.0)))
        blocked.wait(5)
        sources = monitor.sources()
        assert [s["status"] for s in sources] == ["ok"]
    finally:
        monitor.stop()
        exporter.stop()
