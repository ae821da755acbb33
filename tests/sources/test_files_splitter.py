"""LineSplitter against a plain reference: any bytes, cut into chunks anywhere."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from wftui.sources.filereader import LineSplitter


def reference(data: bytes, cap: int) -> tuple[list[tuple[int, bytes]], list[int]]:
    """Lines of the whole stream at once: numbered, one \\r stripped, long ones skipped.

    The unterminated tail counts as a last line (what `finish()` hands out at the end).
    """
    kept: list[tuple[int, bytes]] = []
    skipped: list[int] = []
    pieces = data.split(b"\n")
    if pieces[-1] == b"":
        pieces.pop()
    for number, line in enumerate(pieces, start=1):
        if line.endswith(b"\r"):
            line = line[:-1]
        if len(line) > cap:
            skipped.append(number)
        else:
            kept.append((number, line))
    return kept, skipped


def run(chunks: list[bytes], cap: int) -> tuple[list[tuple[int, bytes]], list[int], int]:
    splitter = LineSplitter(cap)
    kept: list[tuple[int, bytes]] = []
    skipped: list[int] = []
    biggest_carry = 0
    for chunk in chunks:
        runs, skips = splitter.feed(chunk)
        for first, lines in runs:
            kept.extend(zip(range(first, first + len(lines)), lines, strict=True))
        skipped.extend(skips)
        biggest_carry = max(biggest_carry, len(splitter.carry))
    number, line = splitter.finish()
    if number is not None:
        if line is None:
            skipped.append(number)
        else:
            kept.append((number, line))
    return kept, skipped, biggest_carry


stream = st.lists(st.sampled_from([b"\n", b"\r", b"x", b"\x00", b"\xff", b"ab"]), max_size=80)


@given(pieces=stream, cuts=st.lists(st.integers(0, 200), max_size=10), cap=st.integers(0, 8))
def test_any_chunking_gives_the_reference_lines(pieces: list[bytes], cuts: list[int],
                                                cap: int) -> None:
    data = b"".join(pieces)
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    chunks = [data[a:b] for a, b in zip(points, points[1:], strict=False)]
    kept, skipped, biggest_carry = run(chunks, cap)
    assert (kept, skipped) == reference(data, cap)
    assert biggest_carry <= cap + 1  # memory stays bounded inside long lines


def test_line_numbers_count_empty_and_skipped_lines() -> None:
    kept, skipped, _ = run([b"a\n\n", b"toolong\r\nb\r", b"\n"], cap=3)
    assert kept == [(1, b"a"), (2, b""), (4, b"b")]
    assert skipped == [3]


def test_only_the_first_line_that_is_not_blank_says_a_stream_is_otlp() -> None:
    """The cap of an OTLP request line (16 MiB) is for a stream whose FIRST line is a
    request, as the line router and the catch-up tell it (`looks_like_otlp` on that
    line): not for a log whose second line, or a line met later, names resourceSpans."""
    from wftui.sources.filereader import MAX_LINE_BYTES, OTLP_MAX_LINE_BYTES

    log = b'{"event":"boot"}\n'
    mentions = b'{"event":"export","key":"resourceSpans","n":1}\n'
    second = LineSplitter(MAX_LINE_BYTES)
    second.feed(log + mentions)
    assert second.max_line_bytes == MAX_LINE_BYTES

    # Blank lines first, more than the bytes looked at: the first line is still the one
    # told, not one that happens to start a later chunk.
    later = LineSplitter(MAX_LINE_BYTES)
    later.feed(b"\n" * 300 + log + mentions[:30])
    later.feed(mentions[30:])
    assert later.max_line_bytes == MAX_LINE_BYTES

    request = b'{"resourceSpans":[]}\n'
    for blank in (b"", b"\n" * 300, b" \r\n" * 100):
        otlp = LineSplitter(MAX_LINE_BYTES)
        otlp.feed(blank + request)
        assert otlp.max_line_bytes == OTLP_MAX_LINE_BYTES
    split = LineSplitter(MAX_LINE_BYTES)  # the first line's start cut across chunks
    split.feed(b"\n" * 300 + request[:5])
    split.feed(request[5:])
    assert split.max_line_bytes == OTLP_MAX_LINE_BYTES
