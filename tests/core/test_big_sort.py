"""Sorting a block at a time gives exactly what one stable sorted() gives."""

from __future__ import annotations

import random
from array import array

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.core.test_history import BASE, line
from wftui.core import big_sort
from wftui.core.big_sort import order_of, sorted_values
from wftui.core.history import LogHistory
from wftui.core.ledger import Ledger

# Few distinct values: many ties, within and across blocks.
VALUES = st.lists(st.sampled_from([0.0, -1.5, 2.0, 1e9, 1e9 + 0.25, 3.0]) | st.floats(
    min_value=-1e10, max_value=1e10, allow_nan=False), max_size=60)


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(big_sort, "BLOCK", 4)  # 60 values: up to 15 blocks to merge


@given(VALUES)
def test_the_order_is_a_stable_sorted_one(values: list[float]) -> None:
    block = big_sort.BLOCK
    try:
        for size in (4, 7, block):  # blocks merged, and one sort
            big_sort.BLOCK = size
            order = order_of(array("d", values))
            assert list(order) == sorted(range(len(values)), key=values.__getitem__)
            assert list(sorted_values(array("d", values))) == sorted(values)
    finally:
        big_sort.BLOCK = block


def test_ties_keep_their_index_order_across_blocks(small_blocks: None) -> None:
    values = array("d", [5.0, 1.0, 5.0, 1.0, 5.0, 1.0, 5.0, 1.0, 5.0, 0.0])
    assert list(order_of(values)) == [9, 1, 3, 5, 7, 0, 2, 4, 6, 8]


def many_executions() -> Ledger:
    """40 executions ending in shuffled order (some at the same second), every fifth
    failed, the last three still running."""
    generator = random.Random(3)
    lines = []
    for number in range(40):
        start = generator.randrange(0, 300)
        lines.append(line("workflow_start", f"e{number}", start))
        if number < 37:
            status = "failure" if number % 5 == 0 else "success"
            lines.append(line("workflow_complete", f"e{number}",
                              start + generator.choice([5, 5, 40, 90]), status=status))
    ledger = Ledger(idle_timeout=None)
    ledger.ingest_lines("log", 1, lines, BASE + 10_000)
    return ledger


def test_a_history_built_in_blocks_is_the_same_history(small_blocks: None) -> None:
    ledger = many_executions()
    blocks = LogHistory(ledger, BASE + 400)
    big_sort.BLOCK = 1 << 30
    whole = LogHistory(ledger, BASE + 400)
    assert len(whole.ends) == 37 and len(whole.starts) == 40
    for name in ("ends", "durations", "failed_before", "starts", "stops"):
        assert list(getattr(blocks, name)) == list(getattr(whole, name)), name
    assert whole.failed_before[-1] == 8  # e0, e5, ... e35
    assert list(whole.ends) == sorted(whole.ends)


def test_traces_of_unknown_sampling_stop_being_active_when_they_end() -> None:
    """Active workflows count a trace-only execution of unknown sampling until it ends,
    though its end is kept apart from the logs' (`stops` merges them back). By hand:
    log a 0-100, trace u1 10-50, trace u2 20-150 (ended by its workflow_complete), log
    b 60- still running at the end (200, no idle timeout)."""
    lines = [line("workflow_start", "a", 0), line("workflow_complete", "a", 100,
                                                     status="success"),
             line("workflow_start", "u1", 10, sampling="unknown"),
             line("workflow_complete", "u1", 50, status="success", sampling="unknown"),
             line("workflow_start", "u2", 20, sampling="unknown"),
             line("workflow_complete", "u2", 150, status="failure", sampling="unknown"),
             line("workflow_start", "b", 60)]
    ledger = Ledger(idle_timeout=None)
    ledger.ingest_lines("log", 1, lines, BASE + 10_000)
    history = LogHistory(ledger, BASE + 200)
    active = {at: history.figures_at(BASE + at, None).active_workflows
              for at in (5, 30, 55, 120, 160)}
    assert active == {5: 1, 30: 3, 55: 2, 120: 2, 160: 1}
    assert list(history.unknown_ends) == [BASE + 50, BASE + 150]
