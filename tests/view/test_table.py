"""The executions table as text: columns, headings, clicks, title."""

from __future__ import annotations

from tests.view.conftest import T0, ledger_of, run, snapshot_of
from wftui.view.refresh import Refresh
from wftui.view.rows import TableQuery
from wftui.view.table import column_at, empty_message, header_text, row_text, table_title


def _row(events, eid: str):
    ledger = ledger_of(events)
    execution = next(e for e in ledger.summaries() if e.execution_id == eid)
    return execution.row(T0 + 100, 30.0)


def test_row_columns_at_120() -> None:
    text = row_text(_row(run("EXEC-1", T0, 2.5, failed=True), "EXEC-1"), 120).plain
    assert len(text) == 120
    # status 10, id 22, started 11, duration 11 (right), steps 8 (right), errors 9,
    # tokens 10, cost 10: 91 cells; the workflow takes the other 29
    assert text[:10] == "✗ failed  "
    assert text[10:32] == "EXEC-1".ljust(22)
    assert text[32:43] == "12:00:00".ljust(11)
    assert text[43:54] == "2.50s ".rjust(11)
    assert text[91:] == "support".ljust(29)


def test_long_workflow_name_is_cut_with_an_ellipsis() -> None:
    events = run("e", T0, 1.0, workflow="a-very-long-workflow-name-for-tickets")
    text = row_text(_row(events, "e"), 100).plain
    # At 100 cells the id column gives way: 100 - 69 (the fixed columns) - 12 (kept for
    # the workflow) = 19 cells of id; the workflow gets 100 - 88 = 12 cells, 11 of text.
    assert text[10:29] == "e".ljust(19)
    assert text[88:] == "a-very-lon… "


def test_header_marks_the_sorted_column_and_clicks_find_columns() -> None:
    text = header_text(80, "duration_s", True).plain
    assert "duration ▼" in text
    assert column_at(80, 0) == "status"
    assert column_at(80, 10) == "execution_id"
    assert column_at(80, 43) == "duration_s"
    # at 80 the workflow and tokens columns give way: id 10..30, errors 61..69, cost 70..79
    assert column_at(80, 15) == "execution_id"
    assert column_at(80, 30) == "execution_id"
    assert column_at(80, 79) == "cost_usd"
    assert column_at(120, 91) == "workflow_name"
    assert column_at(120, 200) is None


def test_title_counts_and_filters() -> None:
    events = run("a", T0, 1.0) + run("b", T0 + 5, 1.0, failed=True)
    snapshot = snapshot_of(events)
    rows = [_row(events, "b")]
    query = TableQuery(text="b", status="failed")
    refresh = Refresh(T0 + 100, 1, snapshot, rows, 2, 0.0, query)
    title = table_title(refresh).plain
    # the filters come first: a narrow terminal cuts the end of the title, and a filter
    # in force must stay in sight
    assert title == ("Executions  status: failed  filter: b  1 shown of 2 retained · "
                     "0 running · 1 failed · 2 seen")
    unfiltered = Refresh(T0 + 100, 1, snapshot, rows, 2, 0.0, TableQuery())
    assert table_title(unfiltered).plain.endswith(" · 2 seen   status: all")


def test_empty_table_says_why() -> None:
    refresh = Refresh(T0, 0, snapshot_of([]), [], 0, 0.0)
    assert empty_message(refresh, reads_logs=True) == "no executions yet"
    assert "log files" in empty_message(refresh, reads_logs=False)
    kept = Refresh(T0, 0, snapshot_of([]), [], 3, 0.0)
    assert empty_message(kept, reads_logs=True) == "no executions match the filter"


def test_a_narrow_table_drops_whole_columns_rather_than_cut_one() -> None:
    """At 80 cells the fixed columns (69) and the narrowest id (12) leave no room for the
    workflow: it and then the tokens column give way, whole, and the id takes what is
    left (80 - 59 = 21); the cost is never cut to "$0."."""
    events = run("EXEC-1", T0, 2.5)
    events[2].update(model="gpt-4o", input_tokens=1200, output_tokens=300, cost_usd=0.0123)
    row = _row(events, "EXEC-1")
    text = row_text(row, 80).plain
    assert len(text) == 80
    assert text[10:31] == "EXEC-1".ljust(21)
    assert text[70:] == "  $0.0123 "  # cost, right-aligned in 10 cells, then a space
    assert "1,500" not in text and "support" not in text
    header = header_text(80, "start_ts", True).plain
    assert "tokens" not in header and "workflow" not in header and "cost" in header
    # At 100 every column is there (the id narrowed to 19, as before).
    assert "support" in row_text(row, 100).plain


def test_an_old_logs_open_executions_are_named_once() -> None:
    """An old log with two executions open where it ends: the title read "2 running ·
    ... (2 open at end of log)", the same two named twice, once as if they ran now."""
    from dataclasses import replace

    from wftui.core.clock import LogClock

    # b and c: begun, their step open (running, whatever the idle timeout)
    events = run("a", T0, 1.0) + run("b", T0 + 5, 1.0)[:2] + run("c", T0 + 10, 1.0)[:2]
    snapshot = snapshot_of(events, now=T0 + 11)
    # read a day later: history, "now" is the log's end
    snapshot = replace(snapshot, clock=LogClock(T0 + 86_400, T0 + 11, False))
    refresh = Refresh(T0 + 86_400, 1, snapshot, [], 3, 0.0, TableQuery())
    assert table_title(refresh).plain == ("Executions  0 shown of 3 retained · "
                                          "2 open at end of log · 0 failed · 3 seen"
                                          "   status: all")
