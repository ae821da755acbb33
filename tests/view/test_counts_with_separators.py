"""Counts in the "why" screen and in check's text are written as the panels write them
(1,896), not as 1896 beside a panel that says 1,896 and a change of +1,853."""

from __future__ import annotations

import orjson

from tests.view.conftest import T0, run
from wftui.alerts.explain_text import explain_lines
from wftui.core.explain import explain
from wftui.core.ledger import Ledger
from wftui.core.snapshot import take_snapshot
from wftui.core.thresholds import ThresholdEngine
from wftui.view.render_text import snapshot_text
from wftui.view.why import why_view


def big_ledger() -> Ledger:
    """1,200 executions of 1 s, one every 0.1 s from T0: the first 1,000 failed."""
    ledger = Ledger(retention=5_000, idle_timeout=30.0)
    events = [event for n in range(1_200)
              for event in run(f"e{n}", T0 + n * 0.1, 1.0, failed=n < 1_000)]
    ledger.ingest_lines("app.log", 1, [orjson.dumps(e) for e in events], T0 + 200)
    return ledger


def test_why_and_check_text_write_counts_with_thousands_separators() -> None:
    ledger = big_ledger()
    end = T0 + 200
    explained = explain(ledger, window_s=None, end=end, now=end)
    view = why_view("error_rate", explained)
    assert view.summary == "1,000 failed of 1,200 ended"
    [(section, row)] = [(s, r) for s, r in view.rows() if s == "by workflow"]
    assert (row.label, row.count) == ("support", "1,000")
    lines = explain_lines(explained)
    assert "why error rate: 1,000 failed of 1,200 ended" in lines
    assert any(line.strip() == "1,000  100%  support" for line in lines), lines
    snapshot = take_snapshot(ledger, ThresholdEngine(), window_s=None, now=end, sources=[])
    assert ("executions  1,200 total: 0 running, 200 succeeded, 1,000 failed"
            in snapshot_text(snapshot).splitlines())
