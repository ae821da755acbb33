"""Properties of the alignment, over generated step lists: every step of each side is
in exactly one row, in its own order; an execution compared with itself differs nowhere.
"""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from wftui.core.compare import compare
from wftui.core.ledger import Ledger
from wftui.core.steps import ExecutionDetail, build_detail

T0 = 1767268800.0
NAMES = st.sampled_from(["fetch", "classify", "route", "reply", "escalate"])
STEPS = st.lists(st.tuples(NAMES, st.integers(1, 5000), st.booleans()), max_size=12)


def detail(execution_id: str, steps: list[tuple[str, int, bool]]) -> ExecutionDetail:
    lines = [json.dumps({"event": "workflow_start", "execution_id": execution_id,
                         "timestamp": T0}).encode()]
    t = T0
    for name, ms, ok in steps:
        lines.append(json.dumps({"event": "step_start", "execution_id": execution_id,
                                 "step_name": name, "timestamp": t}).encode())
        t += ms / 1000
        lines.append(json.dumps({"event": "step_complete", "execution_id": execution_id,
                                 "step_name": name, "duration_ms": ms, "success": ok,
                                 "timestamp": t}).encode())
    ledger = Ledger()
    ledger.ingest_lines("app.log", 1, lines)
    return build_detail(ledger.executions[execution_id], t + 1, 30.0)


@given(STEPS, STEPS)
def test_every_step_is_in_exactly_one_row_in_order(left: list, right: list) -> None:
    a, b = detail("A", left), detail("B", right)
    result = compare(a, b)
    left_rows = [(row.name, row.left.duration_s) for row in result.rows if row.left]
    right_rows = [(row.name, row.right.duration_s) for row in result.rows if row.right]
    assert left_rows == [(name, ms / 1000) for name, ms, _ in left]
    assert right_rows == [(name, ms / 1000) for name, ms, _ in right]
    for row in result.rows:
        assert row.left is None or row.right is None or row.left.status is not None
        if row.left is not None and row.right is not None:
            assert not {"added", "missing"} & set(row.differences)
        else:
            # the side without the step may still reach it if it is running
            lacking = a if row.left is None else b
            expected = ("added",) if row.left is None else ("missing",)
            allowed = {expected, ("not yet",)} if lacking.status == "running" else {expected}
            assert row.differences in allowed
    assert isinstance(result.verdict, str) and result.verdict


@given(STEPS)
def test_an_execution_compared_with_a_copy_of_itself_differs_nowhere(steps: list) -> None:
    result = compare(detail("A", steps), detail("B", steps))
    assert all(row.differences == () for row in result.rows)
    assert all(row.left is not None and row.right is not None for row in result.rows)
    assert not result.differs
