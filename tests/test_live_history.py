"""The live monitor on an old log: its own clock, history rebuilt from the log, alerts
judged along the log's time, and a past moment on demand (real file, real reader)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.core.test_history import BASE, hand_log_lines
from tests.helpers import wait_for
from wftui.config import Settings
from wftui.core.thresholds import FIRING, OK, Threshold
from wftui.live import LiveMonitor


def old_log_monitor(tmp_path: Path) -> LiveMonitor:
    path = tmp_path / "old.log"
    path.write_bytes(b"\n".join(hand_log_lines()) + b"\n")
    settings = replace(Settings(), thresholds=(Threshold("error_rate", 0.4, "page"),))
    monitor = LiveMonitor(settings, [str(path)])
    monitor.start()
    wait_for(lambda: monitor.judged, "the log read and judged")
    return monitor


def test_an_old_log_is_shown_at_its_own_end_with_alerts_in_log_time(tmp_path: Path) -> None:
    monitor = old_log_monitor(tmp_path)
    try:
        snapshot = monitor.snapshot(with_rows=True)
        assert snapshot.clock is not None and not snapshot.clock.live
        assert snapshot.clock.now == BASE + 210  # the log's end, not today
        [alert] = snapshot.alerts
        assert BASE + 90 <= alert.fired_at < BASE + 91
        assert alert.cleared_at is not None and BASE + 130 <= alert.cleared_at < BASE + 131
        assert [state.state for state in snapshot.thresholds] == [OK]
        rows = {row.execution_id: row for row in snapshot.rows}
        # d is still open at the end of the log: aged to the log's end (10 s), not today
        assert rows["d"].status == "running" and rows["d"].running_for_s == 10.0
    finally:
        monitor.stop()


def test_the_history_covers_the_whole_log_whatever_the_window(tmp_path: Path) -> None:
    monitor = old_log_monitor(tmp_path)
    try:
        series = monitor.history.series(60.0, 210.0, 8)  # 8 points over the log
        assert [moment - BASE for moment, _ in series] == [0, 30, 60, 90, 120, 150, 180, 210]
        active = [figures["active_workflows"] for _, figures in series]
        assert active == [1, 2, 1, 0, 1, 0, 0, 1]  # a; a b; b (a ended at 60); ... d
        # ended in the minute before each moment: a at 60, b (failed) at 90, c at 130
        errors = [figures["error_rate"] for _, figures in series]
        assert errors == [None, None, 0.0, 0.5, 1.0, 0.0, 0.0, None]
    finally:
        monitor.stop()


def test_a_past_moment_shows_the_alert_firing_then(tmp_path: Path) -> None:
    monitor = old_log_monitor(tmp_path)
    try:
        past = monitor.snapshot(at=BASE + 95, with_rows=True)
        assert past.at == BASE + 95 and past.window_end == BASE + 95
        assert [state.state for state in past.thresholds] == [FIRING]
        assert sorted(row.execution_id for row in past.rows) == ["a", "b"]
        assert monitor.snapshot().at is None  # back to now
    finally:
        monitor.stop()


def test_with_metrics_attached_a_past_moment_is_the_logs_and_queue_depth_says_so(
        tmp_path: Path) -> None:
    """The metrics (a real exporter) give queue depth 12 now; the log has no reading:
    at a past moment the queue depth is no data with a reason, not 12 and not 0."""
    import threading
    from http.server import ThreadingHTTPServer

    from tests.ui.test_metrics_panels import _Handler
    from wftui.sources.connect import metric_family
    from wftui.view.live_rows import LiveRows
    from wftui.view.refresh import compute_refresh
    from wftui.view.rows import TableQuery

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    path = tmp_path / "old.log"
    path.write_bytes(b"\n".join(hand_log_lines()) + b"\n")
    settings = Settings()
    url = f"http://127.0.0.1:{server.server_address[1]}/metrics"
    monitor = LiveMonitor(settings, [str(path)],
                          metrics=metric_family(settings, [url], None, interval=0.2))
    monitor.start()
    try:
        wait_for(lambda: monitor.judged and monitor.snapshot().figures()["queue_depth"]
                 == 12, "the log read and the target scraped")
        refresh = compute_refresh(monitor, LiveRows(), TableQuery(), monitor.clock().wall)
        assert refresh.travel_span == (BASE, BASE + 210)  # the time keys can move
        past = monitor.snapshot(at=BASE + 95, with_rows=True)
        assert past.figures()["queue_depth"] is None
        assert any(w.startswith("no history for queue depth: the log reports none")
                   for w in past.warnings)
        assert sorted(row.execution_id for row in past.rows) == ["a", "b"]
    finally:
        monitor.stop()
        server.shutdown()
        server.server_close()


def _old_log(tmp_path: Path, *more: bytes) -> Path:
    """An old log: a succeeded at 30 s (30 s long), b failed at 50 s, then `more`."""
    from tests.core.test_history import line

    path = tmp_path / "old.log"
    path.write_bytes(b"\n".join([
        line("workflow_start", "a", 0),
        line("workflow_complete", "a", 30, status="success", duration_ms=30_000),
        line("workflow_start", "b", 40),
        line("workflow_complete", "b", 50, status="failure", duration_ms=10_000),
        *more,
    ]) + b"\n")
    return path


def test_alerts_standing_at_the_end_of_an_old_log_are_announced_in_log_time_order(
        tmp_path: Path) -> None:
    """Latency fired at 30 s, the error rate at 50 s: `watch` printed them in the
    thresholds' order (error rate first) at the end of the backlog."""
    from tests.core.test_history import line

    path = _old_log(tmp_path, line("workflow_start", "c", 55),
                    line("step_start", "c", 60, step_name="fetch"))
    settings = replace(Settings(), thresholds=(
        Threshold("error_rate", 0.4, "page"), Threshold("latency_p95_s", 5.0, "look")))
    monitor = LiveMonitor(settings, [str(path)])
    monitor.start()
    try:
        wait_for(lambda: monitor.judged, "the log read and judged")
        announced = monitor.snapshot().transitions
        assert [(t.name, t.after) for t in announced] == [
            ("latency_p95_s", FIRING), ("error_rate", FIRING)]
        latency, errors = announced
        # on the judging grid: at (or a step after) the moment each one crossed
        assert BASE + 30 <= latency.at < BASE + 31 and BASE + 50 <= errors.at < BASE + 51
    finally:
        monitor.stop()


def test_an_announced_alert_carries_its_value_when_it_crossed(tmp_path: Path) -> None:
    """The error rate fired at 50 s at 50% (1 of 2) and stands at 67% (2 of 3) at the
    log's end: `watch` printed the end's 67% beside the 50 s moment, a value the rate
    never had then (`check --at` that moment says 50%)."""
    from tests.core.test_history import line

    path = _old_log(tmp_path, line("workflow_start", "d", 60),
                    line("workflow_complete", "d", 70, status="failure", duration_ms=10_000))
    settings = replace(Settings(), thresholds=(Threshold("error_rate", 0.4, "page"),))
    monitor = LiveMonitor(settings, [str(path)])
    monitor.start()
    try:
        wait_for(lambda: monitor.judged, "the log read and judged")
        (errors,) = monitor.snapshot().transitions
        assert BASE + 50 <= errors.at < BASE + 51
        assert errors.value == pytest.approx(0.5)
    finally:
        monitor.stop()


def test_while_the_log_is_judged_its_thresholds_are_not_off(tmp_path: Path) -> None:
    """Between the end of the first read and the end of judging along the log (seconds
    on a big log), the snapshot says it is being judged: the panels read "threshold off"
    there before. Judging is held here (the only stand-in: its length is the machine's)."""
    import threading

    path = tmp_path / "old.log"
    path.write_bytes(b"\n".join(hand_log_lines()) + b"\n")
    settings = replace(Settings(), thresholds=(Threshold("error_rate", 0.4, "page"),))
    monitor = LiveMonitor(settings, [str(path)])
    held, judging = threading.Event(), threading.Event()
    judge = monitor.history.judge_backlog

    def held_judging() -> None:
        judging.set()
        held.wait(30)
        judge()

    monitor.history.judge_backlog = held_judging  # type: ignore[method-assign]
    monitor.start()
    try:
        wait_for(judging.is_set, "the log read, judging begun")
        snapshot = monitor.snapshot()
        assert snapshot.reading is None and snapshot.judging and snapshot.thresholds == ()
        held.set()
        wait_for(lambda: monitor.judged, "the log judged")
        judged = monitor.snapshot()
        assert not judged.judging and [t.name for t in judged.thresholds] == ["error_rate"]
    finally:
        held.set()
        monitor.stop()


def _late_backlog(start: float) -> list[bytes]:
    """A backlog hours old, as a log shipper delivers it late: an execution ends every
    10 s from 10 s to 200 s (each 5 s long), and every one from 100 s on fails. With a
    60 s window the error rate is above 5% from 100 s to the end (200 s): a breach of
    100 s, which a `for` of 30 s turns into an alert at 130 s."""
    from tests.core.test_history import line

    at = start - BASE  # `line` counts seconds from BASE
    lines = []
    for n in range(1, 21):
        end = 10 * n
        lines.append(line("workflow_start", f"e{n}", at + end - 5))
        lines.append(line("workflow_complete", f"e{n}", at + end,
                          status="failure" if end >= 100 else "success", duration_ms=5000))
    return lines


def test_an_old_backlog_appended_to_an_empty_log_fires_at_its_own_time(
        tmp_path: Path) -> None:
    """Started on an empty file, then handed hours-old lines: the log is history ("now"
    is its end), and the breach was judged only there, again and again, so its `for`
    never ran out (pending for ever). Judged along the log's time as the same lines
    read at start are, the alert fires at 130 s of the log."""
    import time

    from tests.test_watch import append

    start = (time.time() // 60) * 60 - 5 * 3600
    path = tmp_path / "shipped.log"
    path.write_bytes(b"")
    settings = replace(Settings(), window_s=60.0, thresholds=(
        Threshold("error_rate", 0.05, "page", for_s=30.0),))
    monitor = LiveMonitor(settings, [str(path)])
    monitor.start()
    try:
        wait_for(lambda: monitor.judged, "the empty log read")
        monitor.snapshot()  # judged once while empty: no data, on the wall clock
        append(path, [text.decode() for text in _late_backlog(start)])
        # (as the screen and `watch` do: a snapshot every fraction of a second)
        snapshot = wait_for(lambda: (taken := monitor.snapshot()).alerts and taken,
                            "the alert fired", timeout=20.0, every=0.2)
        assert snapshot.clock is not None and not snapshot.clock.live
        assert snapshot.clock.now == start + 200
        [alert] = snapshot.alerts
        # a 200 s log judged at ~300 moments: a step after the crossing at most
        assert start + 130 <= alert.fired_at < start + 131.5 and alert.cleared_at is None
        assert [state.state for state in snapshot.thresholds] == [FIRING]
    finally:
        monitor.stop()


def test_an_old_log_piped_in_is_judged_to_its_end_once_the_pipe_ends(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An old log through a pipe (a FIFO here, as `zcat old.log.gz | wftui watch -`):
    every line is appended. While lines may still come, the history is rebuilt at most
    every few seconds on a big log and the thresholds stand as last judged meanwhile;
    once the pipe has ended nothing more can come, and `watch`'s final snapshot (its
    exit code) must be the end's, not the state a few seconds of reading before."""
    import os
    import threading
    import time

    from wftui import live_history

    # every build counted as costly (a big log's): rebuilt at most every REBUILD_S
    monkeypatch.setattr(live_history, "REBUILD_COST_SHARE", 1e9)
    start = (time.time() // 60) * 60 - 5 * 3600
    lines = _late_backlog(start)
    fifo = tmp_path / "old.fifo"
    os.mkfifo(fifo)
    first_part_seen = threading.Event()

    def write() -> None:
        fd = os.open(fifo, os.O_WRONLY)
        os.write(fd, b"\n".join(lines[:16]) + b"\n")  # up to 80 s: all well
        first_part_seen.wait(30)
        os.write(fd, b"\n".join(lines[16:]) + b"\n")  # the breach, to the end
        os.close(fd)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    settings = replace(Settings(), window_s=60.0, thresholds=(
        Threshold("error_rate", 0.05, "page", for_s=30.0),))
    monitor = LiveMonitor(settings, [str(fifo)])
    monitor.start()
    try:
        wait_for(lambda: monitor.snapshot().clock.now == start + 80,  # type: ignore[union-attr]
                 "the first part judged")
        first_part_seen.set()
        assert monitor.tailer is not None
        wait_for(lambda: not monitor.may_bring_more(), "the pipe ended")
        snapshot = monitor.snapshot()
        assert snapshot.clock is not None and snapshot.clock.now == start + 200
        assert [state.state for state in snapshot.thresholds] == [FIRING]
        [alert] = snapshot.alerts
        assert start + 130 <= alert.fired_at < start + 131.5
    finally:
        first_part_seen.set()
        monitor.stop()
        writer.join(5)


def test_an_old_log_of_queue_readings_alone_is_judged_at_its_end(tmp_path: Path) -> None:
    """A queue's own log (readings, no execution): nothing to judge along its time, so
    its thresholds are judged at its end, as they always were; they were shown as none
    at all (held for ever for a judging along its time that never came)."""
    import json
    import time

    start = (time.time() // 60) * 60 - 5 * 3600
    path = tmp_path / "queue.log"
    path.write_text("".join(json.dumps({"event": "queue_depth", "value": 50 + n,
                                        "timestamp": start + 10 * n}) + "\n"
                            for n in range(10)))
    settings = replace(Settings(), window_s=60.0,
                       thresholds=(Threshold("queue_depth", 40.0, "page"),))
    monitor = LiveMonitor(settings, [str(path)])
    monitor.start()
    try:
        wait_for(lambda: monitor.judged, "the log read and judged")
        snapshot = monitor.snapshot()
        assert snapshot.clock is not None and not snapshot.clock.live
        # the last reading, 59 at 90 s, above 40
        assert [(state.name, state.value, state.state) for state in snapshot.thresholds] \
            == [("queue_depth", 59, FIRING)]
        [alert] = snapshot.alerts
        assert alert.fired_at == start + 90
        # Readings appended later (the queue drained to 5): judged at the new end.
        from tests.test_watch import append

        append(path, [json.dumps({"event": "queue_depth", "value": 5,
                                  "timestamp": start + 100 + 10 * n}) for n in range(3)])
        snapshot = wait_for(lambda: (taken := monitor.snapshot()).clock is not None
                            and taken.clock.now == start + 120 and taken, "the new end")
        assert [(state.value, state.state) for state in snapshot.thresholds] == [(5, OK)]
        [alert] = snapshot.alerts
        assert alert.cleared_at == start + 120
    finally:
        monitor.stop()


def test_lines_appended_to_an_old_log_beside_metrics_do_not_flap_its_alerts(
        tmp_path: Path) -> None:
    """With metrics attached, the error rate is the metrics' (they see every worker):
    here 0, no failure scraped. The log's late backlog says 50 % and more from 100 s on;
    judged along the log's time it fired, and the next snapshot (the metrics' 0 %)
    cleared it, at each batch appended: a page and a resolve per refresh. The
    threshold stays as the metrics say, ok."""
    import time

    from tests.sources.exporter import Exporter
    from tests.test_watch import append
    from wftui.sources.connect import metric_family

    exporter = Exporter(precreate=True)
    exporter.run(100, 0, [1.0] * 100)
    start = (time.time() // 60) * 60 - 5 * 3600
    path = tmp_path / "shipped.log"
    path.write_bytes(b"")
    settings = replace(Settings(), window_s=60.0,
                       thresholds=(Threshold("error_rate", 0.05, "page"),))
    monitor = LiveMonitor(settings, [str(path)],
                          metrics=metric_family(settings, [exporter.url], None, interval=0.2))
    monitor.start()
    try:
        wait_for(lambda: monitor.judged, "the empty log read")

        def scraped_ok() -> bool:
            exporter.run(10, 0, [1.0] * 10)  # successes go on, scrape after scrape
            metrics = monitor.snapshot().metrics or {}
            # (rated over two scrapes: totals since the target began judge nothing)
            return metrics.get("error_rate") == 0 and metrics.get("since_start") is False

        wait_for(scraped_ok, "the metrics' error rate", every=0.2)
        moved = []
        lines = [text.decode() for text in _late_backlog(start)]
        for first in range(0, len(lines), 4):  # as a shipper delivers it, in batches
            append(path, lines[first:first + 4])
            read = first + 4
            wait_for(lambda read=read: monitor.ledger.events_total >= read,
                     "the batch read")
            for _ in range(2):
                exporter.run(10, 0, [1.0] * 10)
                snapshot = monitor.snapshot()
                moved += [(t.before, t.after) for t in snapshot.transitions
                          if t.after != OK or t.before in ("pending", FIRING)]
        assert snapshot.clock is not None and snapshot.clock.now == start + 200
        assert moved == []
        assert [(state.value, state.state) for state in snapshot.thresholds] == [(0, OK)]
        assert snapshot.alerts == ()
    finally:
        monitor.stop()
        exporter.stop()


def test_why_on_an_old_log_counts_running_as_its_panels_do_at_the_logs_end(
        tmp_path: Path) -> None:
    """The "why" screen of an old log was worked out at today's clock: every execution
    without a completion was long idle there, so 'why active workflows' said fewer
    running than the panel it explains (26 beside 1,896 on a 200k-line log) and the
    error rate's 'of N ended' counted them as ended."""
    from tests.core.test_history import line

    path = tmp_path / "old.log"
    path.write_bytes(b"\n".join([
        line("workflow_start", "a", 0),
        line("workflow_complete", "a", 60, status="success"),
        # e: its step done at 205, silent 5 s at the log's end (210): the idle rule
        # (30 s) has not ended it there; f began at the end
        line("workflow_start", "e", 200),
        line("step_start", "e", 201, step_name="fetch"),
        line("step_complete", "e", 205, step_name="fetch", duration_ms=4000, success=True),
        line("workflow_start", "f", 210),
    ]) + b"\n")
    monitor = LiveMonitor(Settings(), [str(path)])
    monitor.start()
    try:
        wait_for(lambda: monitor.judged, "the log read and judged")
        snapshot = monitor.snapshot()
        assert snapshot.clock is not None and snapshot.clock.now == BASE + 210
        assert snapshot.figures()["active_workflows"] == 2  # e and f, as the panel shows
        explained = monitor.explain()
        assert explained["active_workflows"]["running"] == 2
        assert sorted(row["execution_id"] for row in explained["active_workflows"]["oldest"]) \
            == ["e", "f"]
        assert explained["error_rate"]["ended"] == 1  # a alone has ended
    finally:
        monitor.stop()
