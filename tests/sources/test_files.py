"""FileTailer.read_available on real files: every log-file case of docs/reliability.md."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from wftui.sources.filereader import LineSplitter, LongLine
from wftui.sources.files import Batch, FileTailer


def read_all(tailer: FileTailer) -> list[tuple[str, int, bytes]]:
    """Every (source, line number, line) read_available gives until it is caught up."""
    out: list[tuple[str, int, bytes]] = []
    for _ in range(10_000):
        batches = tailer.read_available()
        if not batches:
            return out
        out.extend(flatten(batches))
    raise AssertionError("read_available never caught up")


def flatten(batches: list[Batch]) -> list[tuple[str, int, bytes]]:
    return [(b.source, b.first_lineno + i, line) for b in batches for i, line in enumerate(b.lines)]


def lines_of(rows: list[tuple[str, int, bytes]]) -> list[bytes]:
    return [line for _, _, line in rows]


def append(path: Path, data: bytes) -> None:
    with open(path, "ab") as f:
        f.write(data)


def test_missing_file_waits_then_is_read_when_it_appears(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    tailer = FileTailer([str(log)])
    (status,) = tailer.statuses
    assert status.status == "waiting"
    assert any("waiting" in n for n in status.notices)
    assert read_all(tailer) == []
    log.write_bytes(b"one\ntwo\n")
    assert read_all(tailer) == [(str(log), 1, b"one"), (str(log), 2, b"two")]
    assert status.status == "following"
    assert status.lines == 2
    tailer.close()


def test_reads_from_the_start_keeping_empty_lines_and_stripping_cr(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(b"a\r\n\nb\n\r\nc\n")
    tailer = FileTailer([str(log)])
    rows = read_all(tailer)
    assert rows == [
        (str(log), 1, b"a"), (str(log), 2, b""), (str(log), 3, b"b"),
        (str(log), 4, b""), (str(log), 5, b"c"),
    ]
    status = tailer.statuses[0]
    assert status.lines == 3  # empty lines are not counted
    assert status.offset == len(b"a\r\n\nb\n\r\nc\n")
    assert status.as_dict()["kind"] == "file"
    json.dumps(status.as_dict())
    tailer.close()


def test_from_end_skips_existing_lines_but_reads_a_later_file_from_zero(tmp_path: Path) -> None:
    old = tmp_path / "old.log"
    old.write_bytes(b"1\n2\n3\nhal")  # a line is being written as we start
    later = tmp_path / "later.log"
    tailer = FileTailer([str(old), str(later)], from_end=True)
    assert read_all(tailer) == []
    append(old, b"f\n4\n")
    later.write_bytes(b"x\ny\n")
    rows = read_all(tailer)
    assert sorted(rows) == sorted([
        (str(old), 4, b"half"), (str(old), 5, b"4"),
        (str(later), 1, b"x"), (str(later), 2, b"y"),
    ])
    tailer.close()


def test_rename_rotation_drains_the_old_file_then_reads_the_new_one(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(b"1\n2\n3\n")
    tailer = FileTailer([str(log)])
    assert lines_of(read_all(tailer)) == [b"1", b"2", b"3"]
    append(log, b"4\n5\n")  # written before the rename, not read yet
    log.rename(tmp_path / "app.log.1")
    log.write_bytes(b"new1\nnew2\n")
    rows = read_all(tailer)
    assert rows == [
        (str(log), 4, b"4"), (str(log), 5, b"5"),
        (str(log), 1, b"new1"), (str(log), 2, b"new2"),
    ]
    status = tailer.statuses[0]
    assert status.rotations == 1
    assert status.truncations == 0
    assert any("rotated" in n for n in status.notices)
    tailer.close()


def test_copytruncate_restarts_at_zero_and_counts_it(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(b"line-1\nline-2\nline-3\n")
    tailer = FileTailer([str(log)])
    assert len(read_all(tailer)) == 3
    shutil.copyfile(log, tmp_path / "app.log.1")
    os.truncate(log, 0)
    append(log, b"n1\n")  # shorter than what we had read
    assert read_all(tailer) == [(str(log), 1, b"n1")]
    status = tailer.statuses[0]
    assert status.truncations == 1
    assert status.rotations == 0
    assert any("truncated" in n for n in status.notices)
    tailer.close()


@pytest.mark.parametrize("refill", [b"BBBB\nCCCC\nDDDD\nEEEE\n", b"Zz\nZz\nZz\n"])
def test_truncate_and_refill_past_our_offset_is_caught_by_fingerprint(
    tmp_path: Path, refill: bytes
) -> None:
    log = tmp_path / "app.log"
    original = b"aa\nbb\ncc\n"
    log.write_bytes(original)
    tailer = FileTailer([str(log)])
    assert len(read_all(tailer)) == 3
    # Truncate and refill between two checks: the size never drops below our offset
    # (the second case refills to exactly the same size).
    assert len(refill) >= len(original)
    with open(log, "r+b") as f:
        f.truncate(0)
        f.write(refill)
    expected = refill.split(b"\n")[:-1]
    assert lines_of(read_all(tailer)) == expected
    assert tailer.statuses[0].truncations == 1
    tailer.close()


def test_deleted_then_recreated_drains_then_follows_new_file(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(b"a\nb\n")
    tailer = FileTailer([str(log)])
    assert len(read_all(tailer)) == 2
    append(log, b"c\n")
    log.unlink()
    assert read_all(tailer) == [(str(log), 3, b"c")]
    status = tailer.statuses[0]
    assert status.status == "waiting"
    assert any("deleted" in n for n in status.notices)
    log.write_bytes(b"fresh\n")
    assert read_all(tailer) == [(str(log), 1, b"fresh")]
    assert status.status == "following"
    tailer.close()


def test_partial_last_line_is_held_until_its_newline(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(b'{"event": "a"}\n{"ev')
    tailer = FileTailer([str(log)])
    assert lines_of(read_all(tailer)) == [b'{"event": "a"}']
    append(log, b'ent": ')
    assert read_all(tailer) == []
    append(log, b'"b"}\n{"x"')
    assert read_all(tailer) == [(str(log), 2, b'{"event": "b"}')]
    # A one-shot reader gets the unterminated last line at the very end.
    assert flatten(tailer.flush_partial()) == [(str(log), 3, b'{"x"')]
    assert tailer.statuses[0].lines == 3
    tailer.close()


def test_line_longer_than_the_cap_is_skipped_with_its_line_number(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    cap = 100
    log.write_bytes(b"short\n" + b"x" * 250 + b"\n" + b"y" * cap + b"\nlast\n")
    tailer = FileTailer([str(log)], max_line_bytes=cap)
    rows = read_all(tailer)
    assert rows == [(str(log), 1, b"short"), (str(log), 3, b"y" * cap), (str(log), 4, b"last")]
    status = tailer.statuses[0]
    assert status.skipped_long_lines == 1
    assert any(str(log) in n and "line 2" in n for n in status.notices)
    tailer.close()


def test_long_line_arriving_in_pieces_is_skipped_and_numbering_goes_on(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    cap = 100
    log.write_bytes(b"ok\n" + b"z" * 60)
    tailer = FileTailer([str(log)], max_line_bytes=cap)
    assert lines_of(read_all(tailer)) == [b"ok"]
    append(log, b"z" * 60)  # now past the cap, still no newline
    assert read_all(tailer) == []
    append(log, b"z" * 500 + b"\nafter\n")
    assert read_all(tailer) == [(str(log), 3, b"after")]
    assert tailer.statuses[0].skipped_long_lines == 1
    tailer.close()


def test_memory_stays_bounded_inside_a_huge_line() -> None:
    cap = 1 << 20
    splitter = LineSplitter(cap)
    chunk = b"q" * (1 << 20)
    for _ in range(20):  # 20 MiB without a newline
        runs, skipped = splitter.feed(chunk)
        assert runs == [] and skipped == []
        assert len(splitter.carry) <= cap
    runs, skipped = splitter.feed(b"tail\nnext\n")
    assert skipped == [1]
    assert runs == [(2, [b"next"])]


def test_invalid_utf8_binary_and_nul_bytes_are_delivered_as_bytes(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    junk = [b"\xff\xfe\xfa bad utf-8", b"\x00\x00\x00", b"\x1b]0;title\x07", b'{"event": "ok"}']
    log.write_bytes(b"\n".join(junk) + b"\n")
    tailer = FileTailer([str(log)])
    assert lines_of(read_all(tailer)) == junk
    assert tailer.statuses[0].lines == 4
    tailer.close()


def test_gzip_is_recognised_by_magic_bytes_and_read_once(tmp_path: Path) -> None:
    packed = tmp_path / "app.log"  # gzip content, no .gz name
    packed.write_bytes(gzip.compress(b"g1\ng2\n") + gzip.compress(b"g3\n"))  # two members
    plain = tmp_path / "plain.gz"  # a .gz name, plain content
    plain.write_bytes(b"p1\n")
    tailer = FileTailer([str(packed), str(plain)])
    rows = read_all(tailer)
    assert [r for r in rows if r[0] == str(packed)] == [
        (str(packed), 1, b"g1"), (str(packed), 2, b"g2"), (str(packed), 3, b"g3"),
    ]
    assert [r for r in rows if r[0] == str(plain)] == [(str(plain), 1, b"p1")]
    packed_status, plain_status = tailer.statuses
    assert packed_status.status == "ended"
    assert plain_status.status == "following"
    append(packed, gzip.compress(b"more\n"))
    assert read_all(tailer) == []  # never followed
    tailer.close()


def test_damaged_gzip_is_an_error_line_not_a_crash(tmp_path: Path) -> None:
    body = b"".join(b'{"event": "e", "n": %d}\n' % i for i in range(20_000))
    packed = gzip.compress(body)
    log = tmp_path / "cut.log"
    log.write_bytes(packed[: len(packed) // 2])
    tailer = FileTailer([str(log)])
    rows = read_all(tailer)
    status = tailer.statuses[0]
    assert status.status == "error"
    assert status.error is not None and "\n" not in status.error
    assert "truncated" in status.error
    # Everything before the damage is delivered, the torn last line too (it shows as
    # a malformed line): what zlib makes of the half, worked out apart.
    import zlib

    before = zlib.decompressobj(wbits=31).decompress(packed[: len(packed) // 2])
    assert lines_of(rows) == before.split(b"\n")
    assert len(rows) > 9_000
    tailer.close()


def test_two_paths_to_one_file_are_read_once(tmp_path: Path) -> None:
    target = tmp_path / "real.log"
    target.write_bytes(b"a\nb\n")
    link = tmp_path / "link.log"
    link.symlink_to(target)
    tailer = FileTailer([str(target), str(link)])
    rows = read_all(tailer)
    assert rows == [(str(target), 1, b"a"), (str(target), 2, b"b")]
    dup = tailer.statuses[1]
    assert dup.duplicate_of == str(target)
    assert any("same file" in n for n in dup.notices)
    tailer.close()


def _linked_pair(tmp_path: Path, one: tuple[str, bytes],
                 other: tuple[str, bytes]) -> tuple[Path, Path, Path]:
    """Two files written, and `current.log` pointing at the first."""
    first, second = tmp_path / one[0], tmp_path / other[0]
    first.write_bytes(one[1])
    second.write_bytes(other[1])
    link = tmp_path / "current.log"
    link.symlink_to(first)
    return first, second, link


def _repoint(link: Path, target: Path) -> None:
    """Point `link` at `target` atomically, as deploy tools do."""
    fresh = link.with_name(link.name + ".new")
    fresh.symlink_to(target)
    fresh.rename(link)


def test_symlink_repointed_is_followed_like_a_rotation(tmp_path: Path) -> None:
    first, second, link = _linked_pair(tmp_path, ("first.log", b"f1\n"),
                                       ("second.log", b"s1\ns2\n"))
    tailer = FileTailer([str(link)])
    assert read_all(tailer) == [(str(link), 1, b"f1")]
    assert tailer.statuses[0].path == str(first)
    append(first, b"f2\n")
    _repoint(link, second)
    rows = read_all(tailer)
    assert rows == [(str(link), 2, b"f2"), (str(link), 1, b"s1"), (str(link), 2, b"s2")]
    assert tailer.statuses[0].rotations == 1
    assert tailer.statuses[0].path == str(second)
    tailer.close()


def test_symlink_pointed_back_at_a_file_read_before_reads_on_where_it_stopped(
        tmp_path: Path) -> None:
    # A `current.log` flipped from blue.log to green.log and back (a blue/green
    # deploy): blue.log is the file read before, and only what it gained since counts.
    # It was read again from its first line: every line it held counted twice.
    blue, green, link = _linked_pair(tmp_path, ("blue.log", b"b1\nb2\nb3\n"),
                                     ("green.log", b"g1\n"))
    tailer = FileTailer([str(link)], retire_after=0.0)
    rows = read_all(tailer)
    for target, line in ((green, b"g2\n"), (blue, b"b4\n"), (green, b"g3\n")):
        _repoint(link, target)
        append(target, line)
        rows += read_all(tailer) + read_all(tailer)
    assert sorted(lines_of(rows)) == [b"b1", b"b2", b"b3", b"b4", b"g1", b"g2", b"g3"]
    assert (str(link), 4, b"b4") in rows  # numbering goes on in blue.log
    assert tailer.statuses[0].lines == 7 and tailer.statuses[0].rotations == 3
    tailer.close()


def test_many_files_are_read_fairly(tmp_path: Path) -> None:
    big = tmp_path / "big.log"
    big.write_bytes(b"".join(b"%0199d\n" % i for i in range(40_000)))  # 8 MB
    small = [tmp_path / f"small{i}.log" for i in range(3)]
    for path in small:
        path.write_bytes(b"s\n" * 10)
    tailer = FileTailer([str(big)] + [str(p) for p in small])
    first_call = tailer.read_available(max_lines=10_000)
    seen = {b.source for b in first_call}
    assert seen == {str(big)} | {str(p) for p in small}
    assert sum(len(b.lines) for b in first_call if b.source == str(big)) < 40_000
    rows = flatten(first_call) + read_all(tailer)
    big_numbers = [n for src, n, _ in rows if src == str(big)]
    assert big_numbers == list(range(1, 40_001))
    tailer.close()


def test_stdin_is_read_until_eof_then_ended(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, b"s1\ns2\nlast-without-newline")
    os.close(write_end)
    tailer = FileTailer(["-"], stdin_fd=read_end)
    rows = read_all(tailer)
    assert rows == [("-", 1, b"s1"), ("-", 2, b"s2"), ("-", 3, b"last-without-newline")]
    status = tailer.statuses[0]
    assert status.status == "ended"
    assert any("stream ended" in n for n in status.notices)
    tailer.close()
    os.close(read_end)


def test_directory_is_an_error_and_others_go_on_and_it_is_retried(tmp_path: Path) -> None:
    odd = tmp_path / "odd.log"
    odd.mkdir()
    good = tmp_path / "good.log"
    good.write_bytes(b"g\n")
    tailer = FileTailer([str(odd), str(good)])
    assert read_all(tailer) == [(str(good), 1, b"g")]
    odd_status = tailer.statuses[0]
    assert odd_status.status == "error"
    assert odd_status.error == f"{odd}: is a directory"
    odd.rmdir()
    odd.write_bytes(b"now a file\n")
    assert read_all(tailer) == [(str(odd), 1, b"now a file")]
    assert odd_status.status == "following"
    assert odd_status.error is None
    tailer.close()


_PERMISSION_SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    from wftui.sources.files import FileTailer
    secret, good = sys.argv[1], sys.argv[2]
    tailer = FileTailer([secret, good])
    first = []
    while batches := tailer.read_available():
        first += [line.decode() for b in batches for line in b.lines]
    before = tailer.statuses[0].as_dict()
    os.chmod(secret, 0o644)  # the operator fixes it; the next poll picks it up
    second = []
    while batches := tailer.read_available():
        second += [line.decode() for b in batches for line in b.lines]
    print(json.dumps({"first": first, "before": before, "second": second,
                      "after": tailer.statuses[0].as_dict()}))
    """
)


def test_permission_denied_is_an_error_and_is_retried(tmp_path: Path) -> None:
    secret = tmp_path / "secret.log"
    secret.write_bytes(b"hidden\n")
    secret.chmod(0)
    good = tmp_path / "good.log"
    good.write_bytes(b"g\n")
    argv = [sys.executable, "-c", _PERMISSION_SCRIPT, str(secret), str(good)]
    if os.geteuid() == 0:
        # root reads anything: drop the capabilities that bypass file permissions.
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            if os.environ.get("CI") == "true":
                pytest.fail("setpriv is needed to test permission errors as root")
            pytest.skip("running as root without setpriv: cannot make a permission error")
        argv = [setpriv, "--bounding-set=-dac_override,-dac_read_search", *argv]
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=root,
                          env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["first"] == ["g"]
    assert result["before"]["status"] == "error"
    assert result["before"]["error"] == f"{secret}: Permission denied"
    assert result["second"] == ["hidden"]
    assert result["after"]["status"] == "following"


def test_rotation_between_two_given_paths_reads_each_line_once(tmp_path: Path) -> None:
    # `wftui app.log app.log.1`: after a rotation app.log.1 names the file app.log was
    # reading. It must take over where app.log stopped, not read that file again.
    log = tmp_path / "app.log"
    older = tmp_path / "app.log.1"
    older.write_bytes(b"o1\no2\n")
    log.write_bytes(b"c1\nc2\n")
    tailer = FileTailer([str(older), str(log)])
    assert len(read_all(tailer)) == 4
    append(log, b"c3\n")
    older.rename(tmp_path / "app.log.2")
    log.rename(older)
    log.write_bytes(b"n1\n")
    rows = read_all(tailer) + read_all(tailer)
    append(older, b"late\n")  # the writer still had the old file open
    rows += read_all(tailer)
    assert sorted(lines_of(rows)) == sorted([b"c3", b"n1", b"late"])
    assert (str(older), 4, b"late") in rows  # numbering goes on in the taken-over file
    assert any("continuing at line 4" in n for n in tailer.statuses[0].notices)
    tailer.close()


def test_a_pipe_given_as_a_path_is_read_like_stdin(tmp_path: Path) -> None:
    # `wftui check <(zcat old.log.gz)` hands us /dev/fd/63, a pipe.
    read_end, write_end = os.pipe()
    os.write(write_end, b"p1\np2\n")
    os.close(write_end)
    path = f"/dev/fd/{read_end}"
    tailer = FileTailer([path])
    assert read_all(tailer) == [(path, 1, b"p1"), (path, 2, b"p2")]
    assert tailer.statuses[0].status == "ended"
    tailer.close()
    os.close(read_end)


@pytest.mark.parametrize("packed", [False, True])
def test_stdin_redirected_from_a_file_ends_at_its_end(tmp_path: Path, packed: bool) -> None:
    body = b'{"event": "a"}\n{"event": "b"}'  # no final newline: the stream's end completes it
    log = tmp_path / "in.log"
    log.write_bytes(gzip.compress(body) if packed else body)
    with open(log, "rb") as stdin:
        tailer = FileTailer(["-"], stdin_fd=stdin.fileno())
        rows = read_all(tailer)
        tailer.close()
    assert rows == [("-", 1, b'{"event": "a"}'), ("-", 2, b'{"event": "b"}')]
    assert tailer.statuses[0].status == "ended"
    assert any("stream ended" in n for n in tailer.statuses[0].notices)


def test_refill_with_the_same_first_4kib_is_read_again_whole(tmp_path: Path) -> None:
    # A truncate-and-refill whose first 4 KiB equal the old file's, and longer than
    # what we had read: reading must start again at 0, never in the middle of a line.
    log = tmp_path / "app.log"
    header = b"".join(b'{"event": "header", "n": %04d}\n' % i for i in range(160))
    assert len(header) > 4096
    old = header + b"".join(b"old-%d\n" % i for i in range(2000))
    log.write_bytes(old)
    tailer = FileTailer([str(log)])
    assert len(read_all(tailer)) == 2160
    refill = header + b"".join(b"refilled-line-%d\n" % i for i in range(3874))
    assert len(refill) > len(old)
    with open(log, "r+b") as f:
        f.truncate(0)
        f.write(refill)
    assert lines_of(read_all(tailer)) == refill.split(b"\n")[:-1]
    assert tailer.statuses[0].truncations == 1
    tailer.close()


def test_a_file_that_got_shorter_was_truncated_even_above_our_offset(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    first = b"".join(b"first-%06d\n" % i for i in range(60_000))  # > 2 chunks
    log.write_bytes(first)
    tailer = FileTailer([str(log)])
    got = flatten(tailer.read_available(max_lines=1))  # one chunk; the size is seen
    assert 0 < len(got) < 60_000
    # Refilled with the same bytes up to well past our offset, but shorter than before.
    with open(log, "r+b") as f:
        f.truncate(len(first) // 2)
    rows = read_all(tailer)
    assert tailer.statuses[0].truncations == 1
    assert lines_of(rows) == first[: len(first) // 2].split(b"\n")[:-1]
    tailer.close()


def test_copytruncate_says_how_many_bytes_it_cost(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    data = b"".join(b"line-%06d\n" % i for i in range(60_000))
    log.write_bytes(data)
    tailer = FileTailer([str(log)])
    read = lines_of(flatten(tailer.read_available(max_lines=1)))  # behind: one chunk
    shutil.copyfile(log, tmp_path / "app.log.1")
    os.truncate(log, 0)
    append(log, b"n1\n")
    assert lines_of(read_all(tailer)) == [b"n1"]
    status = tailer.statuses[0]
    # Worked out from what was delivered: every byte of the old file not delivered.
    unread = len(data) - sum(len(line) + 1 for line in read)
    assert unread > 0
    assert status.as_dict()["skipped_bytes"] == unread
    assert any(f"{unread} bytes" in n for n in status.notices)
    tailer.close()


def test_rotation_with_the_path_missing_for_a_while_is_counted(tmp_path: Path) -> None:
    # rename app.log away; the reader drains it and waits; only then the new file comes.
    log = tmp_path / "app.log"
    log.write_bytes(b"a\n")
    tailer = FileTailer([str(log)])
    assert lines_of(read_all(tailer)) == [b"a"]
    for rotation in (1, 2):
        append(log, b"late-%d\n" % rotation)
        log.rename(tmp_path / f"app.log.{rotation}")
        assert lines_of(read_all(tailer)) == [b"late-%d" % rotation]
        assert tailer.statuses[0].status == "waiting"
        log.write_bytes(b"new-%d\n" % rotation)
        assert lines_of(read_all(tailer)) == [b"new-%d" % rotation]
        assert tailer.statuses[0].rotations == rotation
    tailer.close()


def test_a_skipped_line_is_named_with_its_size_however_it_arrives(tmp_path: Path) -> None:
    splitter = LineSplitter(100)
    assert splitter.feed(b"ok\n" + b"z" * 60) == ([(1, [b"ok"])], [])
    assert splitter.feed(b"z" * 60) == ([], [])  # past the cap: dropped, only counted
    runs, skipped = splitter.feed(b"z" * 500 + b"\r\nafter\n" + b"w" * 150 + b"\r\nnext\n")
    assert runs == [(3, [b"after"]), (5, [b"next"])]
    # 60 + 60 + 500 bytes of z, and 150 of w: a CRLF's \r is no more part of a skipped
    # line than of a line read
    assert skipped == [2, 4] and [line.size for line in skipped] == [620, 150]
    assert splitter.feed(b"v" * 300) == ([], [])  # the unterminated last line
    lineno, line = splitter.finish()
    assert (lineno, line) == (6, None) and isinstance(lineno, LongLine)
    assert lineno.size == 300

    log = tmp_path / "app.log"
    log.write_bytes(b"short\n" + b"x" * 250 + b"\n" + b"y" * 100 + b"\n" + b"q" * 101)
    tailer = FileTailer([str(log)], max_line_bytes=100)
    read_all(tailer)
    tailer.flush_partial()
    status = tailer.statuses[0]
    assert status.skipped_long_lines == 2 and status.long_lines == [(2, 250), (4, 101)]
    assert status.as_dict()["long_lines"] == [{"line": 2, "bytes": 250},
                                             {"line": 4, "bytes": 101}]
    assert f"{log}: line 2 longer than 100 bytes skipped (250 bytes)" in status.notices
    tailer.close()


def test_a_fifo_whose_writer_is_silent_at_first_is_waited_on(tmp_path: Path) -> None:
    """`check`'s wait for a FIFO's writer (`writer_wait`) gives up only when no writer
    is there: a writer that opened it and writes later (a slow start) is read."""
    import threading

    fifo = tmp_path / "app.fifo"
    os.mkfifo(fifo)
    opened = threading.Event()

    def write() -> None:
        fd = os.open(fifo, os.O_WRONLY)  # returns once the tailer opened it to read
        opened.set()
        threading.Event().wait(0.8)  # past the tailer's wait for a first byte
        os.write(fd, b"s1\ns2\n")
        os.close(fd)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    tailer = FileTailer([str(fifo)], writer_wait=0.3)
    assert opened.wait(5)
    assert lines_of(read_all(tailer)) == [b"s1", b"s2"]
    assert tailer.statuses[0].status == "ended" and tailer.statuses[0].error is None
    tailer.close()
    writer.join(5)


def test_a_fifo_without_a_writer_is_an_error_after_the_wait(tmp_path: Path) -> None:
    fifo = tmp_path / "app.fifo"
    os.mkfifo(fifo)
    tailer = FileTailer([str(fifo)], writer_wait=0.2)
    assert read_all(tailer) == []
    status = tailer.statuses[0]
    assert status.status == "error"
    assert status.error == f"{fifo}: no writer opened this FIFO within 200ms: nothing was read"
    tailer.close()
