"""A big gzip log unpacked into a temporary file and read in parts (`sources.unpack`):
`wftui check` and the monitor must hold what reading the gzip file in one go holds
(real files, real forked readers; parts and the size worth unpacking made small), and
fall back to that one-go read whenever unpacking is not possible."""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import wait_for
from tests.sources import test_catchup as catchup_tests
from tests.sources import test_split as split_tests
from wftui.config import Settings
from wftui.core.figures import log_figures
from wftui.live import LiveMonitor
from wftui.sources import catchup, split, unpack


@pytest.fixture
def unpacked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Small logs are worth unpacking; the sizes of the logs unpacked are recorded."""
    monkeypatch.setattr(unpack, "MIN_UNPACKED_BYTES", 1024)
    made: list[int] = []
    real = unpack.unpack

    def recorded(fd: int, expected: int, stop: Any = None) -> Any:
        result = real(fd, expected, stop)
        if result is not None:
            made.append(result[1])
        return result

    monkeypatch.setattr(split, "unpack", recorded)
    monkeypatch.setattr(unpack, "unpack", recorded)
    return made


def gzipped(path: Path) -> Path:
    packed = path.with_name(path.name + ".gz")
    packed.write_bytes(gzip.compress(path.read_bytes()))
    return packed


def open_descriptors() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize("newline_at_end", [False, True])
def test_check_reads_a_gzip_log_in_parts_as_it_reads_it_in_one_go(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unpacked: list[int],
        newline_at_end: bool) -> None:
    log = tmp_path / "app.log"
    total = split_tests.write_log(log, long_line_at=700,
                                  tail_without_newline=not newline_at_end)
    packed = gzipped(log)
    monkeypatch.setattr(split, "usable_cpus", lambda: 1)
    expected = split_tests.reading([str(packed)])
    assert unpacked == []  # one core: read in one go
    split_tests.in_parts(monkeypatch, 3)
    before = open_descriptors()
    got = split_tests.reading([str(packed)])
    assert unpacked == [log.stat().st_size]  # unpacked whole (no newline added counted)
    assert got == expected
    told, statuses, _ = got
    assert told["executions"]["total"] == 300
    assert statuses[0]["offset"] == log.stat().st_size  # the log's bytes, as one go says
    assert statuses[0]["lines"] == total - 1  # all but the 2 MiB line (skipped, named)
    assert open_descriptors() == before  # the unpacked copy is let go


def test_no_room_for_the_unpacked_log_reads_it_in_one_go(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unpacked: list[int]) -> None:
    log = tmp_path / "app.log"
    split_tests.write_log(log)
    packed = gzipped(log)
    monkeypatch.setattr(split, "usable_cpus", lambda: 1)
    expected = split_tests.reading([str(packed)])
    split_tests.in_parts(monkeypatch, 3)
    monkeypatch.setattr(unpack, "SPARE_BYTES", 1 << 62)  # more than any disk has
    assert split_tests.reading([str(packed)]) == expected
    assert unpacked == []


def test_a_damaged_gzip_log_is_read_in_one_go_and_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unpacked: list[int]) -> None:
    log = tmp_path / "app.log"
    split_tests.write_log(log)
    whole = gzip.compress(log.read_bytes())
    packed = tmp_path / "app.log.gz"
    # Cut in the middle, the trailer kept (its size still says "worth unpacking"):
    # the decompressor fails half-way.
    packed.write_bytes(whole[: len(whole) // 2] + whole[-8:])
    monkeypatch.setattr(split, "usable_cpus", lambda: 1)
    expected = split_tests.reading([str(packed)])
    split_tests.in_parts(monkeypatch, 3)
    before = open_descriptors()
    got = split_tests.reading([str(packed)])
    assert got == expected and unpacked == []
    _, statuses, _ = got
    assert statuses[0]["error"]  # the one-go read names the damage, as before
    assert open_descriptors() == before


def test_the_monitor_catches_up_on_a_gzip_log_in_parts(
        tmp_path: Path, catchup_small_parts: None, unpacked: list[int]) -> None:
    path = tmp_path / "old.log"
    total = catchup_tests.write_log(path, 1200)
    packed = gzipped(path)
    monitor = LiveMonitor(Settings(retention=50), [str(packed)])
    monitor.start_readers_early()  # as the TUI does: unpacking starts before its screen
    monitor.start()
    try:
        wait_for(lambda: monitor.judged, "the catch-up to end and be judged")
        alone = catchup_tests.read_in_one_go(packed, 50)
        assert unpacked == [path.stat().st_size]
        end = alone.newest_ts
        ledger = monitor.ledger
        assert ledger.events_total == alone.events_total == total
        assert ledger.counts(end) == alone.counts(end)
        assert log_figures(ledger, 300.0, end, end) == log_figures(alone, 300.0, end, end)
        assert list(ledger.executions) == list(alone.executions)
        for execution_id, execution in alone.executions.items():  # their step trees' lines
            assert ledger.executions[execution_id].raw == execution.raw, execution_id
        [source] = monitor.snapshot().sources
        # A gzip log is read once: it ends, as when the tailer reads it alone.
        assert source["lines"] == total and source["status"] == "ended"
        assert source["offset"] == path.stat().st_size
    finally:
        monitor.stop()


def test_a_gzip_log_that_cannot_be_unpacked_is_read_in_one_go_by_the_monitor(
        tmp_path: Path, catchup_small_parts: None, monkeypatch: pytest.MonkeyPatch,
        unpacked: list[int]) -> None:
    monkeypatch.setattr(unpack, "unpack", lambda *_: None)  # e.g. the disk filled up
    path = tmp_path / "old.log"
    total = catchup_tests.write_log(path, 1200)
    monitor = LiveMonitor(Settings(retention=50), [str(gzipped(path))])
    monitor.start()
    try:
        wait_for(lambda: monitor.judged, "the one-go read, judged")
        assert monitor.ledger.events_total == total and monitor.errors == []
        newest = max(monitor.ledger.executions.values(), key=lambda e: e.seq)
        assert len(newest.raw) == 7
    finally:
        monitor.stop()


def test_a_monitor_stopped_while_unpacking_leaves_nothing_behind(
        tmp_path: Path, catchup_small_parts: None, monkeypatch: pytest.MonkeyPatch,
        unpacked: list[int]) -> None:
    import time

    monkeypatch.setattr(unpack, "UNPACK_CHUNK_BYTES", 1024)  # many small steps...
    real_write = os.write

    def slow_write(fd: int, data: Any) -> int:
        time.sleep(0.01)  # ... slow ones: a 1 MB log takes 10 s to unpack
        return real_write(fd, data)

    monkeypatch.setattr(unpack.os, "write", slow_write)
    path = tmp_path / "old.log"
    catchup_tests.write_log(path, 1200)
    monitor = LiveMonitor(Settings(retention=50), [str(gzipped(path))])
    before = open_descriptors()
    monitor.start_readers_early()
    wait_for(lambda: len(open_descriptors()) > len(before), "unpacking to begin")
    started = time.monotonic()
    monitor.stop()  # quit while the first screen is drawn: unpacking stops too
    assert time.monotonic() - started < 2.0
    assert unpacked == []
    assert open_descriptors() <= before  # its copy and its own handle closed


@pytest.fixture
def catchup_small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catchup, "MIN_PART_BYTES", 16 << 10)
    monkeypatch.setattr(catchup, "usable_cpus", lambda: 3)


def test_a_temporary_directory_held_in_memory_takes_no_big_copy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unpacked: list[int]) -> None:
    # TMPDIR on /dev/shm (tmpfs): the copy would take RAM. Within a quarter of the memory
    # available it is made there; past it, the log is read in one go.
    if not os.path.isdir("/dev/shm") or not unpack.in_memory("/dev/shm"):
        pytest.skip("no tmpfs at /dev/shm on this machine")
    monkeypatch.setenv("TMPDIR", "/dev/shm")
    monkeypatch.setattr(unpack.tempfile, "tempdir", None)  # TMPDIR read again
    log = tmp_path / "app.log"
    split_tests.write_log(log)
    packed = gzipped(log)
    size = log.stat().st_size
    monkeypatch.setattr(unpack, "SPARE_BYTES", 0)
    monkeypatch.setattr(split, "usable_cpus", lambda: 1)
    expected = split_tests.reading([str(packed)])
    split_tests.in_parts(monkeypatch, 3)
    assert unpack.unpack_dir() == "/dev/shm"
    monkeypatch.setattr(unpack, "memory_available", lambda: 4 * size)  # a quarter: room
    assert split_tests.reading([str(packed)]) == expected and unpacked == [size]
    monkeypatch.setattr(unpack, "memory_available", lambda: 4 * size - 4)  # just short
    assert split_tests.reading([str(packed)]) == expected and unpacked == [size]


def test_the_copy_goes_to_var_tmp_when_tmp_is_in_memory_and_tmpdir_unset(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TMPDIR", raising=False)
    monkeypatch.setattr(unpack.tempfile, "gettempdir", lambda: "/tmp")
    mounts = [("/", "ext4"), ("/tmp", "tmpfs"), ("/var", "ext4")]
    monkeypatch.setattr(unpack, "_mounts", lambda: mounts)
    assert unpack.in_memory("/tmp") and not unpack.in_memory("/var/tmp")
    assert unpack.unpack_dir() == "/var/tmp"
    mounts[1] = ("/tmp", "ext4")
    assert unpack.unpack_dir() == "/tmp"
    monkeypatch.setenv("TMPDIR", "/tmp")  # the operator's choice stands
    mounts[1] = ("/tmp", "tmpfs")
    assert unpack.unpack_dir() == "/tmp"


def test_a_mount_point_with_a_space_is_read_from_the_mount_table(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    table = tmp_path / "mounts"
    table.write_text("/dev/vda / ext4 rw 0 0\nnone /mnt/ram\\040disk tmpfs rw 0 0\n")
    real_open = open

    def mounts_from(path: Any, *args: Any, **kwargs: Any) -> Any:
        return real_open(table if path == "/proc/self/mounts" else path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", mounts_from)
    assert unpack._mounts() == [("/", "ext4"), ("/mnt/ram disk", "tmpfs")]
    assert unpack.in_memory("/mnt/ram disk/x") and not unpack.in_memory("/mnt/ramdisk")
