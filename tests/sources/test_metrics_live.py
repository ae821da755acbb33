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


def _writer(path: Path, stop: threading.Event, per_second: int) -> None:
    line = json.dumps({"event": "step_start", "execution_id": "e", "step_name": "s",
                       "timestamp": "2026-01-01T12:00:00Z"}) + "\n"
    batch = (line * (per_second // 20)).encode()
    with path.open("ab") as out:
        while not stop.is_set():
            started = time.monotonic()
            out.write(batch)
            out.flush()
            stop.wait(max(0.0, 0.05 - (time.monotonic() - started)))


def test_a_fast_target_stays_up_while_a_log_pours_in(tmp_path: Path) -> None:
    exporter = Exporter(precreate=True)
    log = tmp_path / "busy.log"
    log.write_bytes(b"")
    settings = MetricsSettings(interval=0.5, deadline=1.0)
    source = MetricsSource([exporter.url], settings, health_urls=[""])
    monitor = LiveMonitor(Settings(), [str(log)], metrics=MetricFamily([source]))
    stop = threading.Event()
    writer = threading.Thread(target=_writer, args=(log, stop, 20_000))
    try:
        monitor.start()
        writer.start()
        wait_for(lambda: monitor.ledger.events_total > 20_000, "the log to pour in")
        seen: list[str] = []
        deadline = time.monotonic() + 4.0
        while time.monotonic() < deadline:
            targets = [s for s in monitor.sources() if s["kind"] == "metrics"]
            assert len(targets) == 1  # never vanishes
            seen.append(str(targets[0]["status"]))
            time.sleep(0.1)
        assert monitor.ledger.events_total > 40_000  # it really was busy meanwhile
        assert "down" not in seen, [t for t in monitor.sources() if t["kind"] == "metrics"]
        assert source._targets[0].attempts >= 5
    finally:
        stop.set()
        writer.join()
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
        loop = monitor._metrics_loop
        assert loop is not None
        # Block the scraper's loop for longer than a reader waits for it.
        blocked = threading.Event()
        loop.call_soon_threadsafe(lambda: (blocked.set(), time.sleep(3.0)))
        blocked.wait(5)
        sources = monitor.sources()
        assert [s["status"] for s in sources] == ["ok"]
    finally:
        monitor.stop()
        exporter.stop()
