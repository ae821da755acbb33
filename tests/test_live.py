"""The live engine: thresholds are judged on the configured window, whatever is shown;
partial figures while the backlog is read."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.helpers import wait_for
from wftui import live
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


def test_while_reading_partial_figures_are_reused_with_fresh_progress(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stamps = [f"2026-03-01T09:00:0{n}" for n in range(6)]
    raw = [json.dumps({"event": "workflow_complete", "execution_id": f"run-{n}",
                       "status": "success", "timestamp": stamp}).encode()
           for n, stamp in enumerate(stamps)]
    path = tmp_path / "app.log"
    path.write_bytes(b"\n".join(raw) + b"\n")
    monitor = LiveMonitor(Settings(), [str(path)])  # not started: nothing read yet
    assert monitor.reading and monitor.progress is not None
    clock = [1000.0]
    monkeypatch.setattr(live.time, "monotonic", lambda: clock[0])
    first = monitor.snapshot()
    assert first.executions["total"] == 0 and first.reading is not None
    # Read meanwhile, as the catch-up reads: three executions, their bytes counted.
    monitor.ledger.ingest_lines(str(path), 1, raw[:3])
    monitor.progress.add(300, 3)
    clock[0] += 1.0
    again = monitor.snapshot()
    assert again.executions["total"] == 0  # the figures of a second ago ...
    assert again.reading is not None and again.reading["lines"] == 3  # ... progress now
    # New metrics are news: the figures are computed again at once.
    monitor._metrics_updated()
    assert monitor.snapshot().executions["total"] == 3
    monitor.ledger.ingest_lines(str(path), 4, raw[3:5])
    clock[0] += live.PARTIAL_FIGURES_S - 0.5
    assert monitor.snapshot().executions["total"] == 3
    clock[0] += 0.5  # PARTIAL_FIGURES_S after the last computation
    assert monitor.snapshot().executions["total"] == 5
    monitor.ledger.ingest_lines(str(path), 6, raw[5:])
    monitor.progress.finish()  # the whole backlog read: every snapshot is fresh
    done = monitor.snapshot()
    assert done.executions["total"] == 6 and done.reading is None


def test_near_the_end_of_the_read_partial_figures_are_not_computed_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = [json.dumps({"event": "workflow_complete", "execution_id": f"run-{n}",
                       "status": "success", "timestamp": f"2026-03-01T09:00:0{n}"}).encode()
           for n in range(5)]
    path = tmp_path / "app.log"
    path.write_bytes(b"\n".join(raw) + b"\n")
    size = path.stat().st_size
    clock = [1000.0]
    monkeypatch.setattr(live.time, "monotonic", lambda: clock[0])  # Progress's too
    monitor = LiveMonitor(Settings(), [str(path)])  # not started: read by hand below
    assert monitor.progress is not None
    assert monitor.snapshot().executions["total"] == 0
    monitor.ledger.ingest_lines(str(path), 1, raw[:3])
    monitor.progress.add(size // 2, 3)
    clock[0] += 10.0  # half read in 10 s: 10 s left
    assert monitor.snapshot().executions["total"] == 3  # old: computed again
    monitor.ledger.ingest_lines(str(path), 4, raw[3:])
    monitor.progress.add(size - size // 2 - 1, 2)
    clock[0] += 10.0  # all but a byte read: well under PARTIAL_FIGURES_S left
    near_end = monitor.snapshot()
    assert near_end.executions["total"] == 3  # shown again, however old ...
    assert near_end.reading is not None and near_end.reading["lines"] == 5  # ... progress now
    monitor.progress.finish()  # read: the whole log's figures
    assert monitor.snapshot().executions["total"] == 5


def test_a_log_read_in_part_is_not_said_to_end_where_the_read_has_got(
        tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """A live log six hours long, its first half read (as the catch-up reads a big file,
    in parts): the newest event read so far is three hours old. The screen said
    'history: log ends <three hours ago>' and watch's warning 'history: the log ends
    ...: figures and alerts are as of its end' for the seconds of the read, of a log
    whose events run to now; it ends where the read has got, not where the log does."""
    from datetime import UTC, datetime

    from wftui.commands.watch import Output
    from wftui.view.timeline import clock_text

    now = time.time()
    raw = [json.dumps({"event": "workflow_complete", "execution_id": f"run-{n}",
                       "status": "success", "timestamp": now - 6 * 3600 + 360 * n}).encode()
           for n in range(60)]
    path = tmp_path / "app.log"
    path.write_bytes(b"\n".join(raw) + b"\n")
    monitor = LiveMonitor(Settings(), [str(path)])  # not started: read by hand below
    assert monitor.progress is not None
    monitor.ledger.ingest_lines(str(path), 1, raw[:30])  # up to 3 hours ago
    monitor.progress.add(path.stat().st_size // 2, 30)
    snapshot = monitor.snapshot()
    assert snapshot.reading is not None
    shown = clock_text(snapshot).plain
    assert "figures so far" in shown and "log ends" not in shown, shown
    Output("jsonl").snapshot(snapshot, now)
    [printed] = [json.loads(line) for line in capsysbinary.readouterr().out.splitlines()]
    read_to = datetime.fromtimestamp(now - 6 * 3600 + 360 * 29, UTC)
    assert not [w for w in printed["warnings"] if "the log ends" in w], printed["warnings"]
    assert [w for w in printed["warnings"] if "still being read" in w
            and read_to.strftime("%Y-%m-%d %H:%M:%S") in w], printed["warnings"]


def test_a_part_merged_while_a_snapshot_waits_is_not_read_as_the_future(
        tmp_path: Path) -> None:
    """A log of four days ago read in parts: a snapshot took the clock (the newest
    event read so far: the log's end, for history), then waited for the lock while a
    part an hour further on was merged, and judged that part against the clock it had
    taken: watch printed 'events are stamped up to 1h00m ahead of this machine's clock
    (a sender's clock runs fast?)' of a log whose every event is four days old."""
    import threading

    start = time.time() - 4 * 86400
    raw = [json.dumps({"event": "workflow_complete", "execution_id": f"run-{n}",
                       "status": "success", "timestamp": start + 60 * n}).encode()
           for n in range(120)]
    path = tmp_path / "app.log"
    path.write_bytes(b"\n".join(raw) + b"\n")
    monitor = LiveMonitor(Settings(), [str(path)])  # not started: read by hand below
    monitor.ledger.ingest_lines(str(path), 1, raw[:60])
    took_clock = threading.Event()
    clock = monitor.clock

    def clock_taken(*args: object, **kwargs: object) -> object:
        taken = clock(*args, **kwargs)  # type: ignore[arg-type]
        took_clock.set()
        return taken

    monitor.clock = clock_taken  # type: ignore[method-assign]
    shot: list[object] = []
    with monitor._lock:  # a merge under way: the snapshot waits for it
        waiting = threading.Thread(target=lambda: shot.append(monitor.snapshot()))
        waiting.start()
        assert took_clock.wait(10.0)
        monitor.ledger.ingest_lines(str(path), 61, raw[60:])  # the next hour merged
    waiting.join(10.0)
    [snapshot] = shot
    assert not [w for w in snapshot.warnings if "ahead of this machine" in w], \
        snapshot.warnings
    assert snapshot.window_end == start + 60 * 119  # the end of what it shows
