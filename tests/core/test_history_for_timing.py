"""A threshold's `for`, judged along an old log's time, fires at most one judging step
after the breach has held for `for` (the alert says "≈ one step"), not two."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from wftui.core.history import LogHistory, alerts_along
from wftui.core.ledger import Ledger
from wftui.core.thresholds import Threshold

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
BASE = T0.timestamp()
# 2093 s of log from its first to its last event: 300 moments judged, 2093 / 299 = 7 s
# apart (BASE, BASE + 7, ...): a step that 30 s is no multiple of.
LOG_S = 2093
STEP = 7.0
BREACH = 1001.1  # 10 failures end here: 0.1 s after a judged moment (1001 = 143 * 7)


def stamp(second: float) -> str:
    return (T0 + timedelta(seconds=second)).isoformat()


def write_log(path: Path) -> None:
    """One successful execution a second (start at i, complete at i + 1), and ten that
    fail together at BREACH: over a 60 s window the error rate is 0 before BREACH and
    10/70 (above 5%) from BREACH until they leave the window at BREACH + 60."""
    records = []
    for i in range(LOG_S):
        records.append({"event": "workflow_start", "execution_id": f"ok-{i}",
                        "timestamp": stamp(i)})
        records.append({"event": "workflow_complete", "execution_id": f"ok-{i}",
                        "timestamp": stamp(i + 1), "status": "success"})
    for k in range(10):
        records.append({"event": "workflow_start", "execution_id": f"bad-{k}",
                        "timestamp": stamp(BREACH - 0.5)})
        records.append({"event": "workflow_complete", "execution_id": f"bad-{k}",
                        "timestamp": stamp(BREACH), "status": "failure"})
    records.sort(key=lambda record: record["timestamp"])
    path.write_text("".join(json.dumps(record) + "\n" for record in records))


def test_a_for_alert_along_an_old_log_fires_within_one_step_of_its_for(tmp_path: Path
                                                                        ) -> None:
    log = tmp_path / "old.log"
    write_log(log)
    ledger = Ledger(idle_timeout=30.0)
    ledger.ingest_lines(str(log), 1, log.read_bytes().splitlines(), BASE + 100_000)
    history = LogHistory(ledger, BASE + LOG_S)
    assert history.start == BASE and history.end == BASE + LOG_S
    alerts = alerts_along(history, (Threshold("error_rate", 0.05, "page", for_s=30.0),),
                          60.0)
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.fired_within_s == STEP
    # Held for 30 s at BREACH + 30 = 1031.1. The first judged moment seeing the breach is
    # 1008; the grid's moments after 1031.1 are 1036 and 1043 (two steps late, 11.9 s).
    # At most one step late, and never before it has held for 30 s:
    assert BASE + BREACH + 30 <= alert.fired_at <= BASE + BREACH + 30 + STEP
    # It cleared once the failures left the window, at the first judged moment past
    # BREACH + 60 = 1061.1: 1064 (152 * 7).
    assert alert.cleared_at == BASE + 1064


def test_the_live_monitor_fires_it_as_timely_read_at_start_or_appended(tmp_path: Path
                                                                       ) -> None:
    """The same log read by the live monitor: whole at start (the backlog judged along
    its time) and handed over later to an empty file (judged as it is appended)."""
    from dataclasses import replace

    from tests.helpers import wait_for
    from tests.test_watch import append
    from wftui.config import Settings
    from wftui.live import LiveMonitor

    log = tmp_path / "old.log"
    write_log(log)
    settings = replace(Settings(), window_s=60.0, thresholds=(
        Threshold("error_rate", 0.05, "page", for_s=30.0),))
    shipped = tmp_path / "shipped.log"
    shipped.write_bytes(b"")
    for path in (log, shipped):
        monitor = LiveMonitor(settings, [str(path)])
        monitor.start()
        try:
            wait_for(lambda: monitor.judged, "the log read")  # noqa: B023
            if path == shipped:
                monitor.snapshot()
                append(shipped, log.read_text().splitlines())
            snapshot = wait_for(
                lambda: (taken := monitor.snapshot()).alerts  # noqa: B023
                and taken.clock is not None and taken.clock.now == BASE + LOG_S and taken,
                "the log judged to its end", timeout=20.0, every=0.2)
            [alert] = snapshot.alerts
            assert BASE + BREACH + 30 <= alert.fired_at <= BASE + BREACH + 30 + STEP, path
        finally:
            monitor.stop()
