""""Why" -> Enter shows exactly the executions the row counted: the same window (or
past moment), the exact step, error or workflow, and the table says so.

Before, Enter put the row's name in the text filter (a substring over every line of
the whole retained log) with the status: "by step classify: 2" opened a table of six
failures, among them older ones, a `classify_v2` step and an error text that only
mentioned classify. Real files, a real monitor, the app run with Pilot; the expected
executions are worked out from the fixture below, by hand.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from tests.core.test_as_of import old_log_lines
from tests.ui.conftest import T0, execution, settled, wait_for
from tests.ui.test_time_travel import moved_to
from wftui.config import Settings
from wftui.ui.screens.monitor import MonitorScreen
from wftui.ui.screens.why import WhyScreen
from wftui.ui.widgets.executions_table import ExecutionsTable
from wftui.view.why import WhyRow


def _events() -> list[dict[str, Any]]:
    """The clock is frozen at 12:02:00 (T0 + 120 s); the 5-minute window is
    11:57:00-12:02:00. Failed in it at `classify`: NEW-1 and NEW-2, nothing else."""
    events: list[dict[str, Any]] = []
    for eid in ("OLD-1", "OLD-2"):  # failed at classify at 11:53:20: the window before
        events += execution(eid, T0 - 400, failed=True)
    events += execution("NEW-1", T0 + 10, failed=True)  # fails at classify
    events += execution("NEW-2", T0 + 20, failed=True)  # fails at classify
    events += execution("NEW-3", T0 + 30, failed=True,  # a step whose name holds it
                        steps=[("fetch_ticket", "tool", 0.2), ("classify_v2", "llm", 0.5)])
    events += execution("NEW-4", T0 + 40, failed=True,  # an error text that names it
                        steps=[("fetch_ticket", "tool", 0.2)],
                        error="ConnectionError: upstream classify service down")
    events += execution("OK-1", T0 + 50)
    return events


def _table(app: Any) -> tuple[str, list[str]]:
    rows = app.screen.query_one(ExecutionsTable).rows
    return app.dashboard.title.plain, sorted(row.execution_id for row in rows)


async def _picked(pilot: Any, app: Any, said: str) -> tuple[str, list[str]]:
    """Enter on the "why" row open: back on the monitor, the table's title (once it
    says `said`, the pick) and the ids it shows."""
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), "back")
    await wait_for(pilot, lambda: said in _table(app)[0], "the pick")
    await pilot.pause(0.2)
    return _table(app)


async def _open_why_row(pilot: Any, app: Any, section: str, label: str) -> WhyRow:
    """`x`, then the cursor on that row of that section (Enter not pressed yet)."""
    await pilot.press("x")
    screen = await wait_for(pilot, lambda: isinstance(app.screen, WhyScreen) and app.screen,
                            "the why screen")
    table = screen.query_one("#why-table")
    index = next(i for i, (title, row) in enumerate(screen.view.rows())
                 if title == section and row.label == label)
    # table rows: a heading per section, then its rows
    headings = len({title for title, _ in screen.view.rows()[:index + 1]})
    table.move_cursor(row=index + headings)
    await pilot.pause()
    chosen = screen.chosen
    assert chosen is not None and chosen.label == label
    return chosen


async def test_enter_on_a_step_row_shows_the_failures_it_counted(harness) -> None:
    events = _events()
    h = harness(events)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        row = await _open_why_row(pilot, h.app, "by step", "classify")
        counted = row.count
        assert counted == "2"
        title, ids = await _picked(pilot, h.app, "step classify")
        assert ids == ["NEW-1", "NEW-2"], (title, ids)
        assert len(ids) == int(counted)  # the row's count and the table's agree
        assert "failed · step classify · in 11:57:00–12:02:00" in title, title
        assert "2 shown of 7 retained" in title, title
        await pilot.press("escape")  # one key back to the whole table
        await wait_for(pilot, lambda: "7 shown" in _table(h.app)[0], "the whole table")
        title, ids = _table(h.app)
        assert "step classify" not in title and "status: all" in title, title
        assert len(ids) == 7


async def test_enter_on_an_error_row_shows_that_error_only(harness) -> None:
    events = _events()
    h = harness(events)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        # NEW-1..3 failed with the fixture's timeout error (3); NEW-4 with its own (1).
        row = await _open_why_row(pilot, h.app, "by error",
                                  "TimeoutError: ticket API did not answer")
        assert row.count == "3"
        title, ids = await _picked(pilot, h.app, "error ")
        assert ids == ["NEW-1", "NEW-2", "NEW-3"], (title, ids)  # not OLD-1, OLD-2
        assert "3 shown of 7 retained" in title


async def test_enter_at_a_past_moment_shows_that_moment_s_executions(harness) -> None:
    """bravo failed at 09:04:20 (tests/core/test_as_of.py's old log). At the moment
    09:04-09:05 (1-minute window), "why" counts bravo alone: Enter shows bravo, as it
    stood then, and says the moment (delta, of the same workflow, begins later)."""
    lines = old_log_lines()
    h = harness(lines, settings=replace(Settings(), window_s=60.0), clock=time.time)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await moved_to(pilot, h, len(lines), 4)
        row = await _open_why_row(pilot, h.app, "by workflow", "ingest")
        assert row.count == "1"
        title, ids = await _picked(pilot, h.app, "workflow ")
        assert ids == ["bravo"], (title, ids)
        assert "in 09:04:00–09:05:00" in title and "(history)" in title, title

