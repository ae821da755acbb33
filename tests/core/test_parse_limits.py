"""Hostile lines the parser must survive without losing the event or leaving garbage."""

from __future__ import annotations

import gc

import orjson

from wftui.core.ledger import Ledger
from wftui.core.parse import cut_deep, read_line


def test_an_extra_field_nested_past_the_parser_limits_costs_the_field_not_the_event() -> None:
    deep = b"[" * 1100 + b"]" * 1100
    line = (b'{"event": "step_complete", "execution_id": "e-1", "step_name": "fetch", '
            b'"duration_ms": 12, "extra": ' + deep + b', "note": "[[{ not a bracket"}')
    read, event, reason = read_line(line)
    assert (read, reason) == (True, None)
    assert (event.event, event.execution_id, event.step_name, event.duration_ms) == (
        "step_complete", "e-1", "fetch", 12.0)
    ledger = Ledger()
    ledger.ingest_lines("app.log", 1, [line])
    assert ledger.sources["app.log"].malformed == 0
    assert ledger.sources["app.log"].events == 1


def test_cut_deep_keeps_what_is_shallow_and_strings_whole() -> None:
    value = {"a": [[[["deep"]]]], "s": "]]}{[", "b": 1}
    cut = orjson.loads(cut_deep(orjson.dumps(value), max_depth=3))
    assert cut == {"a": [[None]], "s": "]]}{[", "b": 1}


def test_a_line_of_a_million_brackets_is_malformed_without_a_long_detour() -> None:
    line = b'{"event": "a", "execution_id": "e", "x": ' + b"[" * (1 << 20)
    assert cut_deep(line) == line  # too many to look at: left as it is
    read, _, reason = read_line(line)
    assert not read
    assert reason is not None and reason.startswith("not JSON")


def test_malformed_lines_leave_no_reference_cycles() -> None:
    # `check` reads with the cyclic collector off: each cycle a bad line left stayed
    # until the end (500k garbage lines took 707 MB).
    lines = [b"garbage \x00\xff", b'INFO {"event": "x", ', b"[1, 2]", b'"text"',
             b'{"event": "step_start", "execution_id": "e\xff", "x": ',
             b'{"event": "step_start"}', b'{"event": 5}',
             b'{"event": "a", "execution_id": "e", "x": ' + b"[" * 1100 + b"]" * 1100 + b"}"]
    ledger = Ledger()
    gc.collect()
    gc.disable()
    try:
        ledger.ingest_lines("app.log", 1, lines * 100)
        found = gc.collect()
    finally:
        gc.enable()
    assert found == 0


def test_a_batch_of_only_malformed_lines_sets_no_window_end() -> None:
    # A log none of whose lines is an event has no time: its window end is unknown
    # (null), never -inf (which the JSON output printed as "-inf").
    ledger = Ledger()
    ledger.ingest_lines("app.log", 1, [b"not json", b'{"msg": "no event here"}', b""])
    assert ledger.window_anchor is None
    ledger.ingest_lines("app.log", 4, [b'{"event": "queue_depth", "value": 3, '
                                       b'"timestamp": 1700000000}'])
    assert ledger.window_anchor == 1700000000.0


def test_binary_garbage_is_said_in_plain_words() -> None:
    # The decoder says "str is not valid UTF-8: surrogates not allowed": an operator
    # reading the malformed view wants to know the line is not text.
    read, event, reason = read_line(bytes(range(128, 256)) + b"\x00\x01")
    assert (read, event) == (False, None)
    assert reason == "not JSON: not UTF-8 text (binary data?)"


def test_a_stray_byte_in_a_text_line_gets_the_reason_its_text_gives() -> None:
    # Invalid UTF-8 is read with replacements: a Latin-1 "é" in a cut-off JSON line is
    # malformed for being cut off, not "binary"; nor is a plain text line of Latin-1.
    _, _, cut = read_line(b'{"event": "caf\xe9", "execution_id": "e1"')
    assert cut is not None and cut.startswith("not JSON: unexpected end of data")
    _, _, text = read_line(b"plain text caf\xe9 log line")
    assert text is not None and "binary" not in text
