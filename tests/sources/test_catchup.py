"""The live monitor's first read of a big file, in parts (`wftui.sources.catchup`).

Real files and real forked readers (parts made small so a small file is cut): what the
monitor holds afterwards must be what reading the file in one go gives (counts,
figures, the retained executions and their raw lines), the tailer must carry on at the
next line, and progress must count every line once.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import wait_for
from wftui import live
from wftui.config import Settings
from wftui.core.figures import log_figures
from wftui.core.ledger import Ledger
from wftui.live import LiveMonitor
from wftui.sources import catchup, catchup_lines
from wftui.sources import progress as progress_module
from wftui.sources.files import FileTailer
from wftui.view.live_rows import LiveRows
from wftui.view.refresh import compute_refresh
from wftui.view.rows import TableQuery

T0 = datetime(2026, 3, 1, 9, 0)


def line(kind: str, execution: str, second: float, **fields: Any) -> bytes:
    record = {"event": kind, "execution_id": execution,
              "timestamp": (T0 + timedelta(seconds=second)).isoformat()}
    record.update(fields)
    return json.dumps(record).encode()


def write_log(path: Path, executions: int) -> int:
    """Executions four at a time, overlapping the next four (so some span every cut),
    one failing in 9; returns the number of lines."""
    lines: list[bytes] = []
    clock = 0.0
    for start in range(0, executions, 4):
        names = [f"run-{n:05d}" for n in range(start, min(start + 4, executions))]
        for step in ("fetch", "classify", "route"):
            for name in names:
                clock += 0.25
                lines.append(line("step_start", name, clock, step_name=step))
            for name in names:
                clock += 0.25
                failed = step == "route" and int(name[-5:]) % 9 == 0
                lines.append(line("step_complete", name, clock, step_name=step,
                                  success=not failed, duration_ms=250.0))
        for name in names:
            clock += 0.25
            lines.append(line("workflow_complete", name, clock,
                              status="failure" if int(name[-5:]) % 9 == 0 else "success"))
    path.write_bytes(b"\n".join(lines) + b"\n")
    return len(lines)


def both_reads(plan: catchup.CatchUpPlan, tailer: FileTailer, ledger: Ledger,
               lock: threading.Lock, progress: catchup.Progress,
               stop: threading.Event) -> bool:
    """The catch-up and its second read (which the monitor does once the figures are
    shown): whether neither was stopped."""
    later = catchup.catch_up(plan, tailer, ledger, lock, progress, stop)
    return later is not None and later.keep(ledger, lock, stop)


def read_in_one_go(path: Path, retention: int) -> Ledger:
    ledger = Ledger(retention=retention)
    tailer = FileTailer([str(path)])
    while batches := tailer.read_available():
        for batch in batches:
            ledger.ingest_lines(batch.source, batch.first_lineno, batch.lines)
    tailer.close()
    return ledger


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catchup, "MIN_PART_BYTES", 16 << 10)
    monkeypatch.setattr(catchup, "usable_cpus", lambda: 3)


@pytest.fixture(params=["in one go", "in halves", "in halves, the helper dies"])
def second_read(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The second read (the retained executions' lines) here alone, or cut in two with
    a forked helper saying whose the newer half's lines are (if it dies, its half is
    read here)."""
    if request.param == "in one go":
        monkeypatch.setattr(catchup_lines, "SPLIT_MIN_BYTES", 1 << 40)
        return str(request.param)
    monkeypatch.setattr(catchup_lines, "SPLIT_MIN_BYTES", 1 << 10)
    monkeypatch.setattr(catchup_lines, "usable_cpus", lambda: 2)
    if request.param.endswith("dies"):
        def dies(*_: Any) -> None:
            raise MemoryError("the helper's end")

        monkeypatch.setattr(catchup_lines, "_owners", dies)
    return str(request.param)


@pytest.mark.parametrize(("retention", "max_part", "parts"),
                         [(25, None, 3), (100_000, None, 3), (25, 200 << 10, 6)])
def test_parts_hold_what_one_go_holds(tmp_path: Path, small_parts: None, retention: int,
                                      max_part: int | None, parts: int,
                                      monkeypatch: pytest.MonkeyPatch,
                                      second_read: str) -> None:
    if max_part is not None:  # more parts than readers: they run in waves of 3
        monkeypatch.setattr(catchup, "MAX_PART_BYTES", max_part)
    path = tmp_path / "old.log"
    total = write_log(path, 1200)
    tailer = FileTailer([str(path)])
    plan = catchup.plan_catch_up(tailer)
    assert plan is not None and len(plan.parts) == parts and plan.readers == 3
    ledger = Ledger(retention=retention)
    progress = catchup.Progress(path.stat().st_size)
    assert both_reads(plan, tailer, ledger, threading.Lock(), progress,
                            threading.Event())
    progress.finish()
    alone = read_in_one_go(path, retention)

    assert ledger.events_total == alone.events_total == total
    end = alone.newest_ts
    assert end is not None and ledger.newest_ts == end
    assert ledger.counts(end) == alone.counts(end)
    assert log_figures(ledger, 300.0, end, end) == log_figures(alone, 300.0, end, end)
    assert list(ledger.executions) == list(alone.executions)
    for execution_id, execution in alone.executions.items():
        mine = ledger.executions[execution_id]
        assert mine.raw == execution.raw, execution_id
        assert mine.raw_dropped == execution.raw_dropped
    # the tailer carries on at the next line, numbered on
    status = tailer.statuses[0]
    assert status.lines == total and status.offset == path.stat().st_size
    with path.open("ab") as out:
        out.write(line("step_start", "late-one", 9999.0, step_name="fetch") + b"\n")
    batches = tailer.read_available()
    assert [(batch.first_lineno, len(batch.lines)) for batch in batches] == [(total + 1, 1)]
    tailer.close()
    shown = progress.as_dict()
    assert shown["lines"] == total and shown["fraction"] == 1.0 and shown["done"]


def test_a_line_being_written_is_left_to_the_tailer(tmp_path: Path,
                                                    small_parts: None) -> None:
    path = tmp_path / "live.log"
    total = write_log(path, 800)
    with path.open("ab") as out:
        out.write(b'{"event": "step_start", "execution_id": "half')  # no newline yet
    tailer = FileTailer([str(path)])
    plan = catchup.plan_catch_up(tailer)
    assert plan is not None
    ledger = Ledger()
    assert both_reads(plan, tailer, ledger, threading.Lock(),
                            catchup.Progress(plan.stop), threading.Event())
    assert ledger.events_total == total and ledger.malformed_total == 0
    with path.open("ab") as out:
        out.write(b'-written", "step_name": "fetch"}\n')
    for batch in tailer.read_available():
        ledger.ingest_lines(batch.source, batch.first_lineno, batch.lines)
    assert ledger.events_total == total + 1 and "half-written" in ledger.executions
    tailer.close()


def test_the_monitor_catches_up_in_parts_then_follows(tmp_path: Path,
                                                      small_parts: None) -> None:
    path = tmp_path / "old.log"
    total = write_log(path, 1200)
    monitor = LiveMonitor(Settings(retention=50), [str(path)])
    assert monitor.reading and monitor.progress is not None
    first = monitor.snapshot()
    assert first.reading is not None and first.thresholds == ()  # nothing judged yet
    monitor.start()
    try:
        wait_for(lambda: not monitor.reading, "the catch-up to end")
        wait_for(lambda: monitor.judged, "the thresholds judged along the log")
        snapshot = monitor.snapshot(with_rows=True)
        assert snapshot.reading is None
        [source] = snapshot.sources
        assert source["status"] == "following" and source["lines"] == total
        assert {state.name for state in snapshot.thresholds} >= {"error_rate"}
        # the step tree of a retained execution has all its lines
        newest = max(monitor.ledger.executions.values(), key=lambda e: e.seq)
        assert len(newest.raw) == 7 and newest.raw_dropped == 0
        with path.open("ab") as out:
            out.write(line("step_start", "after", 99_999.0, step_name="fetch") + b"\n")
        wait_for(lambda: monitor.ledger.events_total == total + 1, "the appended line")
    finally:
        monitor.stop()


def test_the_lines_are_kept_once_the_whole_log_is_shown_and_a_tree_waits_for_them(
        tmp_path: Path, small_parts: None) -> None:
    """The figures of the whole log go on screen first; the retained executions' lines
    are read again after that frame is drawn, and a step tree asked for meanwhile
    waits for them: never a tree with some of its lines."""
    path = tmp_path / "old.log"
    total = write_log(path, 1200)
    monitor = LiveMonitor(Settings(retention=50), [str(path)])
    monitor.read_shown = shown = threading.Event()  # a screen that has not drawn it yet
    monitor.start()
    try:
        wait_for(lambda: not monitor.reading, "the catch-up to end")
        [source] = monitor.snapshot().sources
        assert source["status"] == "following" and source["lines"] == total
        newest = max(monitor.ledger.executions.values(), key=lambda e: e.seq)
        assert not newest.raw and newest.raw_dropped == 7  # not kept yet: counted
        trees: list[Any] = []
        asking = threading.Thread(target=lambda: trees.append(
            monitor.detail(newest.execution_id)))
        asking.start()
        asking.join(0.3)
        assert asking.is_alive() and not trees  # it waits for the lines...
        shown.set()  # ... which are read once the frame showing the whole log is drawn
        asking.join(10.0)
        [tree] = trees
        assert tree is not None and len(newest.raw) == 7 and newest.raw_dropped == 0
        assert [step.name for step in tree.steps] == ["fetch", "classify", "route"]
        wait_for(lambda: monitor.judged, "the thresholds judged after that")
    finally:
        monitor.stop()


def test_lines_of_a_file_rewritten_before_the_second_read_are_not_kept(
        tmp_path: Path, small_parts: None) -> None:
    """Rewritten (same size, other content) between the catch-up and its second read:
    what that read found is not the lines the figures counted, so none are kept."""
    path = tmp_path / "old.log"
    write_log(path, 1200)
    tailer = FileTailer([str(path)])
    plan = catchup.plan_catch_up(tailer)
    assert plan is not None
    ledger, lock, stop = Ledger(retention=25), threading.Lock(), threading.Event()
    later = catchup.catch_up(plan, tailer, ledger, lock, catchup.Progress(plan.stop), stop)
    assert later is not None
    data = path.read_bytes()
    with path.open("r+b") as out:  # in place: the handles see the new bytes
        out.write(data.replace(b"fetch", b"fetcH"))
    assert later.keep(ledger, lock, stop)
    tailer.close()
    assert all(execution.raw == [] and execution.raw_dropped == 7
               for execution in ledger.executions.values())
    assert later.fd == -1  # its handle is closed


def test_readers_started_early_are_taken_on_by_the_catch_up(tmp_path: Path,
                                                            small_parts: None) -> None:
    """The TUI forks the first parts' readers before its first screen, and starts the
    monitor once it is drawn: the catch-up takes them on and reads the rest."""
    path = tmp_path / "old.log"
    total = write_log(path, 1200)
    monitor = LiveMonitor(Settings(retention=50), [str(path)])
    monitor.start_readers_early()
    assert monitor.progress is not None
    early = set(monitor.progress.readers)
    assert len(early) == 3  # one per (pretended) core, each reading one part already
    wait_for(lambda: monitor.progress is not None and monitor.progress.read()[1] > 0,
             "the early readers to count lines before the monitor starts")
    monitor.start()
    try:
        wait_for(lambda: monitor.judged, "the catch-up to end and be judged")
        alone = read_in_one_go(path, 50)
        end = alone.newest_ts
        assert monitor.ledger.events_total == total
        assert monitor.ledger.counts(end) == alone.counts(end)
        assert list(monitor.ledger.executions) == list(alone.executions)
        [source] = monitor.snapshot().sources
        assert source["lines"] == total and source["status"] == "following"
        assert all(reaped(pid) for pid in early)  # taken on, waited for: none left over
    finally:
        monitor.stop()


def reaped(pid: int) -> bool:
    """Whether this child of ours has ended and been waited for."""
    import os

    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_a_monitor_stopped_before_it_starts_ends_its_early_readers(
        tmp_path: Path, small_parts: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Quit while the first screen is drawn: the readers started early end too."""
    path = tmp_path / "old.log"
    write_log(path, 6000)
    monitor = LiveMonitor(Settings(), [str(path)])
    monitor.start_readers_early()
    assert monitor.progress is not None
    early = set(monitor.progress.readers)
    assert early
    monitor.stop()  # never started (the app's unmount)
    assert all(reaped(pid) for pid in early)
    killed: list[int] = []
    # A second stop (the command's own) signals none of them: their pids, reaped, may
    # be another process's by now. Recorded, not sent.
    monkeypatch.setattr(progress_module.os, "kill", lambda pid, sig: killed.append(pid))
    monitor.stop()
    assert killed == []


def test_a_second_read_that_fails_loses_the_lines_not_the_file(
        tmp_path: Path, small_parts: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second read (the step trees' lines) fails: the figures stand, the trees go
    without those lines, and the file is judged and followed as ever."""
    def lost(*_: Any) -> bool:
        raise catchup.CatchUpLost("the second read's helper saw fewer lines")

    monkeypatch.setattr(catchup, "keep_lines", lost)
    path = tmp_path / "old.log"
    total = write_log(path, 1200)
    monitor = LiveMonitor(Settings(retention=50), [str(path)])
    monitor.start()
    try:
        wait_for(lambda: monitor.judged or monitor.errors, "judged, or an error")
        assert monitor.errors == [] and monitor.judged
        assert monitor.ledger.events_total == total
        newest = max(monitor.ledger.executions.values(), key=lambda e: e.seq)
        assert not newest.raw and newest.raw_dropped == 7  # counted, not kept
        with path.open("ab") as out:
            out.write(line("step_start", "after", 99_999.0, step_name="fetch") + b"\n")
        wait_for(lambda: monitor.ledger.events_total == total + 1, "the appended line")
        assert monitor.ledger.executions["after"].raw  # lines are kept from then on
    finally:
        monitor.stop()


def test_a_text_filter_typed_while_reading_does_not_hold_up_the_screen(
        tmp_path: Path, small_parts: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """As the app's refresh cycle does: refreshes in a worker, and the screen that
    shows the whole log drawn sets `read_shown`. A text filter typed while the log is
    read (rows are held then: nothing reads lines) must not stall the refreshes, and
    the one that shows the whole log, filtered, comes at once, its lines kept."""
    monkeypatch.setattr(live, "SHOWN_WAIT_S", 3.0)
    path = tmp_path / "old.log"
    write_log(path, 1200)
    monitor = LiveMonitor(Settings(retention=50), [str(path)])
    monitor.read_shown = shown = threading.Event()
    rows, query = LiveRows(), TableQuery(text="classify")  # in every one's lines
    drawn: list[tuple[float, int]] = []
    while_reading: list[float] = []

    def screen() -> None:
        while not drawn:
            refresh = compute_refresh(monitor, rows, query, time.time())
            if refresh.snapshot.reading is None:
                drawn.append((time.monotonic(), len(refresh.rows)))
                shown.set()
            else:
                while_reading.append(time.monotonic())
            time.sleep(0.02)

    monitor.start()
    worker = threading.Thread(target=screen, daemon=True)
    worker.start()
    try:
        wait_for(lambda: monitor.progress is not None and monitor.progress.done,
                 "the read to end", every=0.001)
        read_at = time.monotonic()
        worker.join(20)
        assert drawn, "the whole log was never shown"
        at, found = drawn[0]
        assert at - read_at < 1.0, f"shown {at - read_at:.1f} s after the read"
        assert found == 50  # every retained one, found in its lines: kept by then
    finally:
        monitor.stop()


def test_a_mapped_log_read_again_in_one_go_is_still_read_through_its_mapping(
        tmp_path: Path, small_parts: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read in parts given up (the file changed under it): the fresh ledger that
    reads the file again in one go reads it through the [logs] mapping too."""
    def lost(*_: Any, **__: Any) -> None:
        raise catchup.CatchUpLost("the file was truncated or rewritten while read")

    monkeypatch.setattr(catchup, "catch_up", lost)
    path = tmp_path / "renamed.log"
    write_log(path, 1200)
    path.write_bytes(path.read_bytes().replace(b'"execution_id"', b'"run"'))
    settings = Settings(retention=50, sections={"logs": {"fields": {"execution_id": "run"}}})
    monitor = LiveMonitor(settings, [str(path)])
    monitor.start()
    try:
        wait_for(lambda: monitor.judged, "the one-go read, judged")
        assert monitor.ledger.malformed_total == 0
        assert len(monitor.ledger.executions) == 50 and "run-01199" in monitor.ledger.executions
    finally:
        monitor.stop()


def test_a_stop_during_the_catch_up_ends_its_readers(tmp_path: Path,
                                                     small_parts: None) -> None:
    import os
    import time

    path = tmp_path / "old.log"
    write_log(path, 6000)
    monitor = LiveMonitor(Settings(), [str(path)])
    assert monitor.progress is not None
    monitor.start()
    readers = wait_for(lambda: set(monitor.progress.readers) if monitor.progress else None,
                       "the readers to start", every=0.001)
    started = time.monotonic()
    monitor.stop()
    assert time.monotonic() - started < 5.0
    assert not monitor._background.running  # its loop (and the catch-up) ended

    def gone(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False

    wait_for(lambda: all(gone(pid) for pid in readers), "the readers to end")


def test_the_second_read_keeps_the_lines_the_ledger_counts(tmp_path: Path,
                                                           small_parts: None,
                                                           second_read: str) -> None:
    """Odd lines (malformed, odd types, no execution_id, a nested execution_id) and a
    log read through a [logs] mapping: the lines kept are those reading in one go keeps."""
    from wftui.core.mapping import build_mapping

    path = tmp_path / "odd.log"
    write_log(path, 1200)
    odd = [b'{"event": "step_start", "execution_id": "run-01199", "step_name": "x"',
           b'{"event": "step_complete", "execution_id": "run-01199", "duration_ms": "9"}',
           b'{"event": "step_start", "execution_id": 7}',
           b'{"event": "note", "meta": {"execution_id": "run-01198"}}',
           b'{"event": "step_start", "execution_id": "run-01198", "step_name": "y"}',
           b'{"event": "queue_depth", "value": 3}', b'[1, 2]', b'not json']
    with path.open("ab") as out:
        out.write(b"\n".join(odd) + b"\n")
    renamed = tmp_path / "renamed.log"
    renamed.write_bytes(path.read_bytes().replace(b'"execution_id"', b'"run"'))
    for log, mapping in ((path, None), (renamed, build_mapping({"fields": {
            "execution_id": "run"}}))):
        tailer = FileTailer([str(log)])
        plan = catchup.plan_catch_up(tailer)
        assert plan is not None
        ledger = Ledger(retention=25, mapping=mapping)
        assert both_reads(plan, tailer, ledger, threading.Lock(),
                                catchup.Progress(plan.stop), threading.Event())
        tailer.close()
        alone = Ledger(retention=25, mapping=mapping)
        one_go = FileTailer([str(log)])
        while batches := one_go.read_available():
            for batch in batches:
                alone.ingest_lines(batch.source, batch.first_lineno, batch.lines)
        one_go.close()
        assert ledger.malformed_total == alone.malformed_total > 0
        assert list(ledger.executions) == list(alone.executions)
        for execution_id, execution in alone.executions.items():
            mine = ledger.executions[execution_id]
            assert mine.raw == execution.raw and execution.raw, (log.name, execution_id)
            assert mine.raw_dropped == execution.raw_dropped == 0


def test_a_stop_during_the_second_read_ends_its_helper(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch
                                                      ) -> None:
    import os
    import time

    path = tmp_path / "old.log"
    write_log(path, 400)
    ledger = read_in_one_go(path, 100)
    monkeypatch.setattr(catchup_lines, "SPLIT_MIN_BYTES", 1 << 10)
    monkeypatch.setattr(catchup_lines, "usable_cpus", lambda: 2)
    monkeypatch.setattr(catchup_lines, "_owners", lambda *_: time.sleep(600))  # stuck
    forked: list[int] = []
    fork = catchup_lines.fork_reader

    def noted_fork() -> int:
        pid = fork()
        if pid:
            forked.append(pid)
        return pid

    monkeypatch.setattr(catchup_lines, "fork_reader", noted_fork)
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()  # the monitor is told to stop meanwhile
    fd = os.open(path, os.O_RDONLY)
    try:
        assert not catchup_lines.keep_lines(fd, 0, path.stat().st_size, ledger,
                                            threading.Lock(), stop)
    finally:
        os.close(fd)
    assert len(forked) == 1
    with pytest.raises(ProcessLookupError):  # killed and reaped, not left behind
        os.kill(forked[0], 0)


def test_the_lines_the_parts_skip_as_too_long_are_counted_and_named(
        tmp_path: Path, small_parts: None) -> None:
    from wftui.sources.filereader import MAX_LINE_BYTES

    path = tmp_path / "old.log"
    total = write_log(path, 1200)
    assert total == 8400  # 300 groups of four executions, 28 lines each
    lines = path.read_bytes().splitlines()
    lines.insert(100, b'{"event": "' + b"x" * MAX_LINE_BYTES + b'"}')  # line 101
    lines.insert(8351, b"y" * (3 << 20))  # line 8352: 8350 before it, then the first
    path.write_bytes(b"\n".join(lines) + b"\n")
    tailer = FileTailer([str(path)])
    plan = catchup.plan_catch_up(tailer)
    tailer.close()
    assert plan is not None and len(plan.parts) == 3  # read in parts, by forked readers
    monitor = LiveMonitor(Settings(retention=50), [str(path)])
    monitor.start()
    try:
        wait_for(lambda: not monitor.reading, "the catch-up to end")
        [source] = monitor.snapshot().sources
        assert source["lines"] == total and source["malformed"] == 0
        assert source["skipped_long_lines"] == 2
        assert source["long_lines"] == [{"line": 101, "bytes": MAX_LINE_BYTES + 13},
                                        {"line": 8352, "bytes": 3 << 20}]
        assert (f"{path}: 2 lines longer than 1 MiB skipped, not read: lines 101 "
                "(1,048,589 bytes), 8352 (3,145,728 bytes)") in monitor.snapshot().warnings
        # the tailer numbers on from where the parts ended: 8402 lines so far
        with path.open("ab") as out:
            out.write(b"z" * (2 << 20) + b"\n" + line("step_start", "after", 99_999.0,
                                                      step_name="fetch") + b"\n")
        wait_for(lambda: monitor.ledger.events_total == total + 1, "the appended lines")
        [source] = monitor.snapshot().sources
        assert source["skipped_long_lines"] == 3
        assert source["long_lines"][-1] == {"line": 8403, "bytes": 2 << 20}
    finally:
        monitor.stop()


def test_a_kept_line_without_a_time_is_dated_by_the_line_before_it(
        tmp_path: Path, small_parts: None, second_read: str) -> None:
    """An old log (2026-03-01) read in parts: the step tree dated an untimed line of a
    retained execution by when the second read met it (today), after all its lines."""
    path = tmp_path / "old.log"
    write_log(path, 1200)
    untimed = b'{"event": "step_complete", "execution_id": "run-01199", "step_name": "x"}'
    with path.open("ab") as out:
        out.write(line("step_start", "run-01199", 9000.0, step_name="x") + b"\n"
                  + untimed + b"\n")
    tailer = FileTailer([str(path)])
    plan = catchup.plan_catch_up(tailer)
    assert plan is not None
    ledger = Ledger(retention=25)
    assert both_reads(plan, tailer, ledger, threading.Lock(),
                            catchup.Progress(plan.stop), threading.Event())
    tailer.close()
    execution = ledger.executions["run-01199"]
    assert execution.raw[-1] == untimed
    # (the log's times have no zone: UTC)
    at = T0.replace(tzinfo=UTC).timestamp() + 9000.0
    assert execution.read_times == {len(execution.raw) - 1: at}
