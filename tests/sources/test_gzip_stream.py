"""Reading a gzip file's bytes in order (`sources.gzip_stream`): what the standard
library's gzip reads, for every file it reads; for a damaged one, every byte before
the damage, then the error."""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import pytest

from wftui.sources.gzip_stream import GzipStream

BODY = b"".join(b'{"event": "step_start", "n": %d}\n' % i for i in range(30_000))


def read_all(path: Path, size: int = 4096) -> tuple[bytes, BaseException | None]:
    fd = os.open(path, os.O_RDONLY)
    try:
        stream = GzipStream(fd)
        out = []
        try:
            while data := stream.read(size):
                out.append(data)
        except (EOFError, zlib.error) as error:
            return b"".join(out), error
        return b"".join(out), None
    finally:
        os.close(fd)


@pytest.mark.parametrize("shape", ["one member", "two members", "zero padding",
                                   "an empty member", "empty file"])
def test_what_gzip_reads_is_read(tmp_path: Path, shape: str) -> None:
    half = len(BODY) // 2
    data = {"one member": gzip.compress(BODY),
            "two members": gzip.compress(BODY[:half]) + gzip.compress(BODY[half:]),
            "zero padding": gzip.compress(BODY) + b"\0" * 1000,
            "an empty member": gzip.compress(b"") + gzip.compress(BODY),
            "empty file": b""}[shape]
    path = tmp_path / "log.gz"
    path.write_bytes(data)
    assert read_all(path) == (gzip.decompress(data) if data else b"", None)


def test_a_file_cut_short_gives_every_byte_before_the_cut(tmp_path: Path) -> None:
    packed = gzip.compress(BODY)
    cut = packed[: len(packed) * 2 // 3]
    path = tmp_path / "cut.gz"
    path.write_bytes(cut)
    got, error = read_all(path, size=1 << 20)  # one read would hold it all
    assert isinstance(error, EOFError)
    assert got == zlib.decompressobj(wbits=31).decompress(cut)  # all zlib could make
    assert len(got) > len(BODY) // 2
    # gzip.GzipFile, for the record, gives nothing back of that read
    with pytest.raises(EOFError), gzip.open(path) as dropped:
        dropped.read(1 << 20)


@pytest.mark.parametrize("damage", ["crc", "garbage after a member", "bad header"])
def test_damage_is_an_error_after_what_came_before(tmp_path: Path, damage: str) -> None:
    packed = bytearray(gzip.compress(BODY))
    if damage == "crc":
        packed[-8] ^= 0xFF  # the trailer's CRC32
    elif damage == "garbage after a member":
        packed += b"not gzip at all"
    else:
        packed[3] = 0xE0  # reserved flag bits: not a gzip header zlib accepts
    path = tmp_path / "bad.gz"
    path.write_bytes(bytes(packed))
    got, error = read_all(path)
    assert isinstance(error, zlib.error)
    if damage == "bad header":
        assert got == b""
    elif damage == "crc":  # met at the member's end: what zlib gave before that read
        assert len(got) > len(BODY) // 2 and BODY.startswith(got)
    else:  # the whole member came before the damage was met
        assert got == BODY


def test_the_descriptor_position_is_not_moved(tmp_path: Path) -> None:
    path = tmp_path / "log.gz"
    path.write_bytes(gzip.compress(BODY))
    fd = os.open(path, os.O_RDONLY)
    try:
        assert GzipStream(fd).read(len(BODY)) == BODY
        assert os.lseek(fd, 0, os.SEEK_CUR) == 0
    finally:
        os.close(fd)
