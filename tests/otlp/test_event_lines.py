"""Span lines carry the events the ledger would decode from them (`EventLines`): each
must be exactly the event decoding the line gives, whatever the span's attributes say,
and a ledger must fold a batch the same with or without them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.otlp.test_spans import NS, T0, request
from wftui.core.event_lines import EventLines, events_of
from wftui.core.ledger import Ledger
from wftui.core.parse import decode_event
from wftui.core.spans import SpanReader

SPANS: list[dict[str, Any]] = [
    {"id": 2, "parent": 1, "name": "chat", "start": 1, "end": 2,
     "attrs": {"execution_id": "e", "gen_ai.request.model": "gpt-4o",
               "gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 0}},
    {"id": 3, "parent": 1, "name": "odd \"types\" ✓", "start": 2, "end": 3,
     "attrs": {"step_type": 5, "success": "no", "gen_ai.response.model": "",
               "gen_ai.request.model": "m", "gen_ai.usage.input_tokens": -4,
               "gen_ai.usage.output_tokens": "12"}},
    {"id": 4, "parent": 1, "name": "failed", "start": 3, "end": 4, "error": True,
     "attrs": {"step_type": "", "success": False, "error": "boom"}},
    {"id": 5, "parent": 1, "name": "tool", "start": 4, "end": 4,
     "attrs": {"gen_ai.tool.name": "get", "gen_ai.tool.call.arguments": "{\"a\": 1}",
               "success": True}},
    {"id": 1, "name": "root", "start": 0, "end": 5, "error": True,
     "attrs": {"workflow_name": "w", "sample_rate": 4}},
]


def read(spans: list[dict[str, Any]]) -> EventLines:
    return SpanReader({"gpt-4o": (2.5, 10.0), "m": (1.0, 1.0)}).read_traces(
        request(*spans), float(T0))


def test_each_carried_event_is_the_event_its_line_decodes_to() -> None:
    lines = read(SPANS)
    told = events_of(lines)
    assert told is not None and len(told) == len(lines) == 7  # 4 steps + start, error, end
    for line, event in zip(lines, told, strict=True):
        assert event is not None
        assert event == decode_event(line), line


@pytest.mark.parametrize("nanos", [1, 123_456_789, 999_999_999, 500_000_001])
def test_times_carried_are_the_lines_decimals_read_back(nanos: int) -> None:
    span = {"id": 2, "parent": 1, "attrs": {"execution_id": "e"}}
    message = request(span)
    message.resource_spans[0].scope_spans[0].spans[0].start_time_unix_nano = T0 * NS + nanos
    lines = SpanReader().read_traces(message, float(T0))
    told = events_of(lines)
    assert told is not None
    assert [e.timestamp for e in told if e is not None] == \
        [decode_event(line).timestamp for line in lines]


def test_a_ledger_folds_the_same_with_or_without_the_events() -> None:
    with_events, decoded = Ledger(idle_timeout=None), Ledger(idle_timeout=None)
    with_events.ingest_lines("otlp", 1, read(SPANS))
    decoded.ingest_lines("otlp", 1, list(read(SPANS)))  # a plain list: decoded
    one, two = with_events.executions["e"], decoded.executions["e"]
    for name in ("steps", "errors", "failed_steps", "failed", "first_error", "input_tokens",
                 "output_tokens", "cost_usd", "complete_status", "sampling", "raw"):
        assert getattr(one, name) == getattr(two, name), name
    assert {k: list(v.values) for k, v in with_events.step_samples.items()} == \
        {k: list(v.values) for k, v in decoded.step_samples.items()}


def test_changing_the_lines_drops_the_events_never_misaligns_them() -> None:
    lines = read(SPANS)
    lines.extend([b'{"event":"step_start","execution_id":"x"}'])
    told = events_of(lines)
    assert told is not None and told[-1] is None
    lines.sort()
    assert events_of(lines) is None


def test_span_events_and_records_are_folded_as_known_not_unknown_events() -> None:
    # wftui writes span_event and span_log itself (shown in their step by the tree):
    # the ledger must not count them as events it does not know.
    from wftui.core.ledger import Ledger

    ledger = Ledger()
    ledger.ingest_lines("otlp", 1, [
        b'{"event":"workflow_start","execution_id":"e","timestamp":1767268800.0}',
        b'{"event":"span_event","execution_id":"e","timestamp":1767268801.0,'
        b'"step_id":"0101010101010101","name":"handoff"}',
        b'{"event":"span_log","execution_id":"e","timestamp":1767268802.0,'
        b'"step_id":null,"body":"hi"}'], read_time=1767268900.0)
    assert ledger.events_total == 3
    assert ledger.unknown_events == 0 and not ledger.unknown
