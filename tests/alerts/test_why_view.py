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


# Two demo errors that differ only near their end: cut at the end, they read the same.
SALES = "EscalationError: on-call API rejected the escalation: sales-oncall has no schedule"
BILLING = "EscalationError: on-call API rejected the escalation: billing-oncall has no schedule"


def test_labels_the_cut_would_make_alike_stay_apart() -> None:
    from wftui.view.why import fit_labels
    short, sales, billing = fit_labels(["refund", SALES, BILLING], 44)
    assert short == "refund"
    assert sales != billing and len(sales) <= 44 and len(billing) <= 44
    assert sales.startswith("Escalation") and "sales-oncall" in sales
    assert "billing-oncall" in billing
    # A label cut alone keeps its start, cut at the end (as before).
    alone = fit_labels(["refund", SALES], 44)[1]
    assert alone == SALES[:43] + "…"


def test_the_label_column_takes_the_room_an_empty_change_column_leaves() -> None:
    """At 80 columns the why box is 72 wide, 68 inside: with no previous window the
    change column is its heading (6 + 2 padding), count and share theirs (7 each):
    the labels get 68 - 22 - 2 (their padding) - 2 (scrollbar) = 42 cells, not the 28
    a fixed 40 for the numbers left (which cut every error text to its class)."""
    from wftui.view.why import WhyRow, WhySection, WhyView, label_width
    view = WhyView("error_rate", "Why the error rate", "5 failed of 9 ended", (
        WhySection("by error", (WhyRow(SALES, "3", "60%"), WhyRow(BILLING, "2", "40%"))),))
    assert label_width(view, 68) == 42
    changed = WhyView("error_rate", "t", "s", (WhySection("by step", (
        WhyRow("charge", "3", "75%", "+3 (was 0 · 0%)"),)),))
    assert label_width(changed, 68) == 68 - (5 + 2) - (5 + 2) - (15 + 2) - 2 - 2
