"""The "why" view model, on the built log's explanation (Textual-free)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.alerts.test_explain import END, THRESHOLDS, ledger
from wftui.core.explain import explain
from wftui.view.why import alert_line, error_filter, why_view


@pytest.fixture(scope="module")
def explained() -> dict[str, Any]:
    return explain(ledger(), window_s=300.0, end=END, now=END, thresholds=THRESHOLDS)


def test_error_rate_rows_open_the_failed_executions(explained: dict[str, Any]) -> None:
    view = why_view("error_rate", explained)
    assert view.summary == "4 failed of 10 ended; previous window 1 of 5"
    rows = {(title, row.label): row for title, row in view.rows()}
    charge = rows[("by step", "charge")]
    # +3 against the previous window, where charge had 0 of its 1 failure
    assert (charge.count, charge.share, charge.change) == ("3", "75%", "+3 (was 0 · 0%)")
    assert (charge.filter_text, charge.status) == ("charge", "failed")
    classify = rows[("by step", "classify")]
    assert classify.change == "= (was 1 · 100%)"
    timeout = rows[("by error", "timeout calling <id> after 30s")]
    assert timeout.filter_text == "timeout calling"  # what real error texts contain
    assert rows[("by tool", "stripe")].filter_text == "stripe"


def test_latency_rows(explained: dict[str, Any]) -> None:
    view = why_view("latency_p95_s", explained)
    assert view.summary.startswith("p95 9.55s (previous window 2.00s); 1 execution at")
    first_title, first = view.rows()[0]
    assert first_title == "time of the slow executions by step"
    # fetch ran in the one slow execution; before, in 1 of 5 slow ones (2 s of 10 s)
    assert (first.label, first.share, first.change) == (
        "fetch", "60%", "p95 6.00s (was 2.00s) · in 1 (=, was 1 · 20%)")
    slow = [row for title, row in view.rows() if title == "slow executions"]
    assert [row.filter_text for row in slow] == ["cur-10"]


def test_active_and_queue(explained: dict[str, Any]) -> None:
    active = why_view("active_workflows", explained)
    oldest = [row for title, row in active.rows() if title == "oldest first"]
    assert [(row.label, row.count, row.status) for row in oldest] == [
        ("run-a", "3m00s", "running"), ("run-b", "2m00s", "running"),
        ("run-c", "30.00s", "running")]
    queue = why_view("queue_depth", explained)
    assert queue.summary == "depth 400, growth +100.0/min; reaches 1,000 in 6m00s"


@pytest.mark.parametrize(("group", "text"), [
    ("timeout calling <id> after 30s", "timeout calling"),
    ("<uuid>: card declined", "card declined"),
    ("plain text", "plain text"),
])
def test_error_filter(group: str, text: str) -> None:
    assert error_filter(group) == text


def test_alert_line() -> None:
    assert alert_line("firing", "silenced until 14:05 by ana: known incident") == \
        "FIRING · silenced until 14:05 by ana: known incident"
    assert alert_line("ok") == "ok"
