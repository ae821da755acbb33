"""The live engine: thresholds are judged on the configured window, whatever is shown."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.helpers import wait_for
from wftui.config import Settings
from wftui.core.thresholds import FIRING
from wftui.live import LiveMonitor


def test_browsing_another_window_neither_clears_nor_fires_an_alert(tmp_path: Path) -> None:
    """10 executions failed 3-4 minutes ago, 50 succeeded in the last minute. By hand:
    over 5m (the configured window) 10/60 = 16.7% > 5%: firing; over 1m 0/50 = 0%.
    Showing 1m must keep the alert firing with its 5m value, with no transition."""
    now = time.time()
    lines = []
    for i in range(10):
        lines.append({"event": "workflow_complete", "execution_id": f"bad{i}",
                      "status": "failure", "duration_ms": 100, "timestamp": now - 200 + i})
    for i in range(50):
        lines.append({"event": "workflow_complete", "execution_id": f"ok{i}",
                      "status": "success", "duration_ms": 100, "timestamp": now - 50 + i})
    log = tmp_path / "app.log"
    log.write_text("".join(json.dumps(line) + "\n" for line in lines))
    monitor = LiveMonitor(Settings(window_s=300.0), [str(log)])
    monitor.start()
    try:
        wait_for(lambda: monitor.counts_read()[0] == 60 and monitor.judged,
                 "the log to be read and judged")
        first = monitor.snapshot(now=now)
        error_rate = {t.name: t for t in first.thresholds}["error_rate"]
        assert error_rate.state == FIRING
        assert abs(error_rate.value - 10 / 60) < 1e-6
        shown = monitor.snapshot(60.0, now=now + 1)
        assert shown.figures()["error_rate"] == 0.0  # the 1m figure, as shown
        kept = {t.name: t for t in shown.thresholds}["error_rate"]
        assert kept.state == FIRING and abs(kept.value - 10 / 60) < 1e-6
        assert shown.transitions == ()
        assert shown.alert_window_s == 300.0
        assert all(alert.cleared_at is None for alert in shown.alerts)
    finally:
        monitor.stop()
