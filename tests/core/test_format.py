"""Durations as the operator reads them: an age of days in days, not in hours."""

from __future__ import annotations

import pytest

from wftui.core.format import seconds


@pytest.mark.parametrize(("value", "shown"), [
    (0.85, "850ms"), (2.414, "2.41s"), (185, "3m05s"), (3720, "1h02m"),
    (86_399, "23h59m"), (86_400, "1d00h"), (3 * 86_400 + 4 * 3600 + 59, "3d04h"),
    (84 * 86_400 + 6 * 3600, "84d06h"), (1200 * 86_400, "1,200d00h"), (None, "no data"),
    # the unit chosen after rounding, not before
    (0.9996, "1.00s"), (59.996, "1m00s"), (3599.5, "1h00m"), (86_399.5, "1d00h"),
])
def test_a_duration_reads_in_the_largest_unit_that_fits(value: float | None,
                                                        shown: str) -> None:
    assert seconds(value) == shown


def test_a_duration_too_long_for_milliseconds_reads_in_days() -> None:
    # 1e308 s is finite, but 1e308 * 1000 is inf: choosing the unit must not overflow.
    # In days, said short (1e308 / 86,400 = 1.16e303): 300 digits wrapped the panel.
    assert seconds(1e308) == "1.2e303d"
