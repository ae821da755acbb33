"""The dashboard at a past moment of an old log: the executions table's rows and title,
and the queue depth panel (Textual-free; the log and the values as in
tests/core/test_as_of.py, worked out by hand)."""

from __future__ import annotations

from tests.core.test_as_of import BASE, END, old_ledger
from wftui.core.thresholds import ThresholdEngine
from wftui.core.travel import snapshot_at
from wftui.view.panels import panel_views
from wftui.view.refresh import Refresh
from wftui.view.rows import TableQuery
from wftui.view.table import row_text, table_title


def refresh_at(second: float) -> Refresh:
    snapshot = snapshot_at(old_ledger(), ThresholdEngine(()), BASE + second, 300.0,
                           log_now=END, with_rows=True)
    rows = sorted(snapshot.rows, key=lambda row: row.start_ts, reverse=True)
    return Refresh(BASE + second, 1, snapshot, rows, len(rows), 0.0, TableQuery())


def test_the_table_at_a_past_moment_is_marked_and_holds_what_stood_then() -> None:
    refresh = refresh_at(120)  # 09:02:00, a 5m window from 08:57
    assert table_title(refresh).plain == (
        "Executions at 08:57–09:02 (history)  2 shown of 2 retained · 2 running · "
        "0 failed · 2 seen   status: all")
    lines = [" ".join(row_text(row, 120).plain.split()) for row in refresh.rows]
    assert lines == [
        "⟳ running bravo 09:01:00 1m00s… 1 - - - ingest",
        "⟳ running alpha 09:00:00 2m00s… 2 - 120 $0.0100 report",
    ]


def test_the_queue_depth_panel_shows_the_reading_of_that_moment() -> None:
    def queue(second: float) -> tuple[str, str]:
        snapshot = refresh_at(second).snapshot
        view = dict(panel_views(snapshot, BASE + second))["queue"]
        return view.value, view.detail

    assert queue(120) == ("7", "")
    assert queue(300) == ("3", "")
    assert queue(20) == ("no history", "no history for queue depth by then")  # not 0
