""""Why" the error rate is what it is, on sampled traces: the same weights as the panel
(each trace-only execution stands for its adjusted count, docs/figures.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from wftui.core.explain import explain
from wftui.core.figures import log_figures
from wftui.core.ledger import Ledger
from wftui.view.why import why_view

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
BASE = T0.timestamp()


def root(kind: str, execution: str, second: float, sampling: float, **fields: object) -> str:
    record = {"event": kind, "execution_id": execution, "sampling": sampling,
              "timestamp": (T0 + timedelta(seconds=second)).isoformat(), **fields}
    return json.dumps(record)


def test_why_says_the_panels_weighted_error_rate(tmp_path: Path) -> None:
    """Two successful traces kept 1 in 10 (each stands for 10 executions) and two failed
    ones kept whole (1 each): 2 failed of 22 executions, 9.09%, as the panel says; the
    traces counted once each read 2 of 4, 50%."""
    lines = []
    for n, (sampling, status) in enumerate([(10.0, "success"), (10.0, "success"),
                                            (1.0, "failure"), (1.0, "failure")]):
        lines += [root("workflow_start", f"t{n}", 10 * n, sampling, workflow_name="w"),
                  root("workflow_complete", f"t{n}", 10 * n + 5, sampling, status=status,
                       workflow_name="w")]
    log = tmp_path / "traces.log"
    log.write_text("\n".join(lines) + "\n")
    ledger = Ledger(idle_timeout=30.0, keep_raw=True)
    ledger.ingest_lines(str(log), 1, log.read_bytes().splitlines(), BASE + 10_000)
    end = BASE + 40
    panel = log_figures(ledger, 300.0, end, end)
    assert panel.error_rate == pytest.approx(2 / 22)  # worked out above
    explained = explain(ledger, window_s=300.0, end=end, now=end)
    part = explained["error_rate"]
    assert part["failed"] == 2 and part["ended"] == 4  # the executions themselves
    assert part["error_rate"] == pytest.approx(2 / 22, abs=1e-6)
    summary = why_view("error_rate", explained).summary
    assert "9.09%" in summary and "50" not in summary, summary
