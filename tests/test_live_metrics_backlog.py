"""An old log with metrics attached (`wftui app.log --metrics URL`): the thresholds judge
what the panels show, the metrics' figures, from the start. Judged on the log's own
figures first (its backlog along its time, then its end until the metrics had a window),
an alert the log's past breached fired at start and the first metrics snapshot resolved
it: a page and a resolve for nothing (real prometheus_client exporter, real file)."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.helpers import wait_for
from tests.sources.exporter import Exporter
from wftui.config import Settings
from wftui.core.thresholds import FIRING, OK, Threshold
from wftui.live import LiveMonitor
from wftui.sources.connect import metric_family

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def write_log(path: Path) -> None:
    """120 executions a second apart, the last 20 failed: over a 60 s window the log's
    error rate at its end is 20/60, and 1/60 (above 5%) once the first failure ends."""
    records = []
    for i in range(120):
        records.append({"event": "workflow_start", "execution_id": f"e{i}",
                        "timestamp": (T0 + timedelta(seconds=i)).isoformat()})
        records.append({"event": "workflow_complete", "execution_id": f"e{i}",
                        "timestamp": (T0 + timedelta(seconds=i, milliseconds=500)).isoformat(),
                        "status": "failure" if i >= 100 else "success"})
    path.write_text("".join(json.dumps(record) + "\n" for record in records))


def test_an_old_log_beside_healthy_metrics_pages_nothing_at_start(tmp_path: Path) -> None:
    log = tmp_path / "old.log"
    write_log(log)
    exporter = Exporter(precreate=True)
    exporter.run(100, 0, [0.2] * 100)  # the service now: no failure at all
    settings = replace(Settings(), window_s=60.0, thresholds=(
        Threshold("error_rate", 0.05, "page"),
        # a figure only the log gives: still judged along the log's time
        Threshold("throughput_per_min", 30.0, "busy"),))
    monitor = LiveMonitor(settings, [str(log)],
                          metrics=metric_family(settings, [exporter.url], None, interval=0.2))
    monitor.start()
    transitions = []
    try:
        wait_for(lambda: monitor.judged, "the log read and judged")
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            exporter.run(5, 0, [0.2] * 5)
            snapshot = monitor.snapshot()
            transitions += [(t.name, t.before, t.after) for t in snapshot.transitions]
            time.sleep(0.1)
        states = {state.name: state for state in snapshot.thresholds}
        # The metrics had a window (0 failures over it): the error rate is theirs, ok.
        assert states["error_rate"].state == OK and states["error_rate"].value == 0
        # (no data until the metrics had a window, then ok: neither a page nor a resolve)
        assert not [t for t in transitions if t[0] == "error_rate"
                    and (FIRING in t or "pending" in t)], transitions
        assert not [a for a in snapshot.alerts if a.name == "error_rate"]
        # 60 executions ended in the log's last minute: 60/min > 30, from the log, which
        # ran at one a second from its start: fired early in its time, not at its end.
        assert states["throughput_per_min"].state == FIRING
        [busy] = [a for a in snapshot.alerts if a.name == "throughput_per_min"]
        assert busy.fired_at < T0.timestamp() + 60
    finally:
        monitor.stop()
        exporter.stop()


def test_an_old_log_beside_metrics_that_never_answer_is_judged_along_its_time(
        tmp_path: Path) -> None:
    # The target is down (nothing listens): the panels show the log's figures, so its
    # thresholds are judged along the log's time, as without metrics: the error rate
    # fired when the log's failures began (its window held 3 of 60 at T0 + 102.5 s,
    # past 5%), not at the log's end.
    import socket

    log = tmp_path / "old.log"
    write_log(log)
    with socket.socket() as spare:  # a port nothing listens on
        spare.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{spare.getsockname()[1]}/metrics"
    settings = replace(Settings(), window_s=60.0,
                       thresholds=(Threshold("error_rate", 0.05, "page"),))
    monitor = LiveMonitor(settings, [str(log)],
                          metrics=metric_family(settings, [url], None, interval=0.2))
    monitor.start()
    try:
        wait_for(lambda: monitor.judged, "the log read and judged")
        snapshot = monitor.snapshot()
        [page] = [a for a in snapshot.alerts if a.name == "error_rate"]
        assert T0.timestamp() + 100 < page.fired_at < T0.timestamp() + 110
    finally:
        monitor.stop()
