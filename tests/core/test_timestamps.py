"""Timestamps (docs/log-format.md): ISO 8601 (no zone = UTC) or epoch seconds.

Expected epochs are computed with `datetime` arithmetic from the parts written out in
each case, not with the parser under test.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from wftui.core.format import clock
from wftui.core.timestamps import format_timestamp, parse_timestamp


def utc(*parts: int, micro: int = 0, offset_min: int = 0) -> float:
    zone = timezone(timedelta(minutes=offset_min))
    return datetime(*parts, microsecond=micro, tzinfo=zone).timestamp()  # type: ignore[misc]


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-01-01T12:00:00", utc(2026, 1, 1, 12)),
    ("2026-01-01 12:00:00", utc(2026, 1, 1, 12)),
    ("2026-01-01T12:00:00.123456", utc(2026, 1, 1, 12, micro=123456)),
    ("2026-01-01T12:00:00.5", utc(2026, 1, 1, 12, micro=500000)),
    ("2026-01-01T12:00:00Z", utc(2026, 1, 1, 12)),
    ("2026-01-01T12:00:00.25Z", utc(2026, 1, 1, 12, micro=250000)),
    ("2026-01-01T12:00:00+00:00", utc(2026, 1, 1, 12)),
    ("2026-01-01T12:00:00+05:30", utc(2026, 1, 1, 12, offset_min=330)),
    ("2026-01-01T12:00:00-0800", utc(2026, 1, 1, 12, offset_min=-480)),
    ("2026-01-01T12:00:00.75-08:00", utc(2026, 1, 1, 12, micro=750000, offset_min=-480)),
    ("2026-03-31T23:59:59.999999", utc(2026, 3, 31, 23, 59, 59, micro=999999)),
    ("2028-02-29T00:00:00", utc(2028, 2, 29)),  # leap day
    ("2199-12-31T00:00:00Z", utc(2199, 12, 31)),  # future, still believable: as written
    ("1970-01-01T00:00:01Z", utc(1970, 1, 1, 0, 0, 1)),
])
def test_iso_8601(text: str, expected: float) -> None:
    assert parse_timestamp(text) == pytest.approx(expected, abs=1e-6)


def test_the_same_second_twice_is_read_the_same() -> None:
    """The prefix cache must not change what a later line with other parts reads as."""
    first = parse_timestamp("2026-01-01T12:00:00.100000")
    zoned = parse_timestamp("2026-01-01T12:00:00.100000+01:00")
    assert first == pytest.approx(utc(2026, 1, 1, 12, micro=100000))
    assert zoned == pytest.approx(utc(2026, 1, 1, 12, micro=100000, offset_min=60))


@pytest.mark.parametrize(("value", "expected"), [
    (1767268800, 1767268800.0),
    (1767268800.5, 1767268800.5),
    (0, 0.0),
])
def test_epoch_seconds(value: float, expected: float) -> None:
    assert parse_timestamp(value) == pytest.approx(expected)


@pytest.mark.parametrize("value", [
    # Outside the years 1970..2200 a clock is broken, not telling the time: absent
    # (stamped when read), the same bound epoch numbers have.
    "2300-01-01T00:00:00Z", "1900-01-01T00:00:00Z", "0001-01-01T00:00:00",
    None, True, False, "", "now", "yesterday", "12:00:00", "2026-13-01T00:00:00",
    "2026-02-30T00:00:00", "2026-01-01T25:00:00", "2026-01-01T12:00:60",
    "2026-01-01T12:00:00+99:99",  # no such zone offset
    "2026-01-01T12:00:00 GMT+banana", [], {}, float("nan"), float("inf"), -1.0,
])
def test_unreadable_is_none(value: object) -> None:
    assert parse_timestamp(value) is None


@pytest.mark.parametrize(("epoch", "text"), [
    (utc(2026, 1, 1, 12), "2026-01-01T12:00:00Z"),
    (utc(2026, 1, 1, 12, micro=250000), "2026-01-01T12:00:00.250Z"),
    (None, None),
])
def test_format_timestamp(epoch: float | None, text: str | None) -> None:
    assert format_timestamp(epoch) == text


def test_format_then_parse_round_trips() -> None:
    epoch = datetime(2026, 7, 4, 9, 30, 15, tzinfo=UTC).timestamp()
    text = format_timestamp(epoch)
    assert text is not None
    assert parse_timestamp(text) == epoch


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_times_just_outside_datetime_range_can_still_be_formatted(text: str) -> None:
    """Both parse to an epoch (year 0 / year 10000 in UTC); showing one, e.g. as a
    window end, must give text rather than raise ValueError."""
    epoch = parse_timestamp(text)
    if epoch is not None:
        assert isinstance(format_timestamp(epoch), str)
        assert isinstance(clock(epoch), str)  # the UI's time of day: same hazard
