"""Epoch-number timestamps (what span lines carry) through the ledger's hot loop."""

from __future__ import annotations

import pytest

from wftui.core.ledger import Ledger


@pytest.mark.parametrize(("stamp", "expected"), [
    (b"1767268800.123456789", 1_767_268_800.123456789),  # seconds, as span lines write
    (b"1767268800", 1_767_268_800.0),  # an integer: seconds
    (b"1767268800250", 1_767_268_800.25),  # milliseconds
    (b"1767268800250000", 1_767_268_800.25),  # microseconds
    (b"1767268800250000000", 1_767_268_800.25),  # nanoseconds
    (b"0.5", 0.5),  # 1970 is still a time
    (b"1e22", 42.0),  # beyond nanoseconds of year 2200: the time it was read
    (b"-5", 42.0),
    (b"true", 42.0),  # not a number of seconds: the time it was read
])
def test_epoch_numbers_are_read_in_every_unit(stamp: bytes, expected: float) -> None:
    line = b'{"event":"step_start","execution_id":"e","step_name":"s","timestamp":%b}' % stamp
    ledger = Ledger(idle_timeout=None)
    ledger.ingest_lines("spans", 1, [line], read_time=42.0)
    execution = ledger.executions["e"]
    assert execution.first_ts == pytest.approx(expected, abs=1e-6)
    assert ledger.events_total == 1
