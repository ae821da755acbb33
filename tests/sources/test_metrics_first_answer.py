"""A metrics target that takes the connection and never answers: until its first scrape
ends it is neither up nor down, nothing is "since the targets started", and once it
fails no "last good values" are claimed (a real socket that accepts and stays silent)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest

from wftui.sources.metrics import MetricsSettings, MetricsSource
from wftui.view.render_text import snapshot_text


@pytest.fixture
def silent_url() -> Iterator[str]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # the kernel accepts; nobody ever reads or writes
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/metrics"
    finally:
        listener.close()


def test_a_target_not_answered_yet_is_waiting_then_down_with_nothing_shown(
        silent_url: str) -> None:
    from wftui.config import Settings
    from wftui.core.snapshot import take_snapshot
    from wftui.core.thresholds import ThresholdEngine

    source = MetricsSource([silent_url], MetricsSettings(interval=0.5, deadline=0.6))

    async def first_look() -> tuple[list[dict], dict, list[dict], dict]:
        stop = asyncio.Event()
        running = asyncio.create_task(source.run(stop))
        await asyncio.sleep(0.3)  # the first scrape is under way, unanswered
        during = source.target_statuses(), source.figures(300.0)
        await asyncio.sleep(0.6)  # past its deadline: failed
        after = source.target_statuses(), source.figures(300.0)
        stop.set()
        await running
        await source.aclose()
        return (*during, *after)

    during, figures_during, after, figures_after = asyncio.run(first_look())
    assert (during[0]["status"], during[0]["up"]) == ("waiting", None)
    assert not figures_during["since_start"]
    assert (after[0]["status"], after[0]["up"]) == ("down", False)
    assert figures_after["stale"] and not figures_after["stale_shown"]
    snapshot = take_snapshot(None, ThresholdEngine(Settings().thresholds), window_s=300.0,
                             sources=after, metrics=figures_after)
    text = snapshot_text(snapshot)
    assert "a target is down; nothing from it yet" in text
    assert "last good values" not in text and "one scrape so far" not in text


def test_a_target_down_after_answering_shows_its_last_good_values_through_the_family(
        ) -> None:
    from tests.sources.exporter import Exporter
    from wftui.config import Settings
    from wftui.core.snapshot import take_snapshot
    from wftui.core.thresholds import ThresholdEngine
    from wftui.sources.connect import metric_family

    exporter = Exporter(precreate=True)
    exporter.run(10, 1, [0.2] * 11)
    family = metric_family(Settings(), [exporter.url], None, interval=0.2)

    async def scrape_twice() -> tuple[list[dict], dict]:
        await family.scrape_once()
        exporter.stop()
        await family.scrape_once()  # refused now: down, its last scrape shown
        statuses, figures = family.target_statuses(), family.figures(None)
        await family.aclose()
        return statuses, figures

    statuses, figures = asyncio.run(scrape_twice())
    assert statuses[0]["status"] == "down" and figures["stale_shown"]
    snapshot = take_snapshot(None, ThresholdEngine(Settings().thresholds), window_s=None,
                             sources=statuses, metrics=figures)
    assert "a target is down; its last good values are shown" in snapshot_text(snapshot)


def test_the_metrics_answered_once_every_target_has_ended_a_first_scrape(
        silent_url: str) -> None:
    import time
    from dataclasses import replace

    from tests.sources.exporter import Exporter
    from wftui.config import Settings
    from wftui.live import LiveMonitor
    from wftui.sources.connect import metric_family

    exporter = Exporter(precreate=True)
    settings = replace(Settings(), window_s=60.0)
    family = metric_family(settings, [exporter.url, silent_url], None, interval=0.3)
    for source in family.sources:  # the silent one fails at its deadline, 1.5 s in
        source.settings = replace(source.settings, deadline=1.5)
    monitor = LiveMonitor(settings, [], metrics=family)
    started = time.monotonic()
    monitor.start()
    try:
        assert not monitor.metrics_answered.wait(0.8)  # the fast one answered; not yet
        assert monitor.metrics_answered.wait(10)
        assert time.monotonic() - started >= 1.4
    finally:
        monitor.stop()
        exporter.stop()
