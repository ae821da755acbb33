"""The executions table: newest first, filters, status filter, sort, cursor, open."""

from __future__ import annotations

from tests.ui.conftest import T0, append, execution, settled, stamp, wait_for
from tests.ui.screen import screen_text
from wftui.core.execution import Execution
from wftui.ui.screens.execution import ExecutionScreen
from wftui.ui.widgets.executions_table import ExecutionsTable
from wftui.view.table import row_text


def _log() -> list[dict]:
    events: list[dict] = []
    events += execution("alpha-1", T0, steps=[("fetch_ticket", "tool", 0.3)])
    events += execution("beta-2", T0 + 5, workflow="billing",
                        steps=[("charge_card", "tool", 2.0)], failed=True,
                        error="CardDeclined: insufficient funds")
    events += execution("gamma-3", T0 + 10, steps=[("summarise", "llm", 1.0)],
                        complete=False)
    # an open step keeps gamma running however long it is silent (the idle rule)
    events.append({"event": "step_start", "execution_id": "gamma-3", "step_name": "reply",
                   "step_type": "llm", "timestamp": stamp(T0 + 11)})
    return events


def ids(app) -> list[str]:
    return [row.execution_id for row in app.screen.query_one(ExecutionsTable).rows]


async def test_newest_first_and_cursor_keys(harness) -> None:
    events = _log()
    h = harness(events)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        assert ids(h.app) == ["gamma-3", "beta-2", "alpha-1"]
        table = h.app.screen.query_one(ExecutionsTable)
        assert table.cursor == 0
        await pilot.press("j")
        assert table.selected_id == "beta-2"
        await pilot.press("down")
        assert table.selected_id == "alpha-1"
        await pilot.press("k")
        assert table.selected_id == "beta-2"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(h.app.screen, ExecutionScreen), "the view")
        assert h.app.screen.execution_id == "beta-2"


async def test_new_executions_appear_live(harness) -> None:
    events = _log()
    h = harness(events)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        more = execution("delta-4", T0 + 20)
        append(h.log, more)
        await settled(pilot, h.app, len(events) + len(more))
        assert ids(h.app)[0] == "delta-4"
        assert "delta-4" in screen_text(h.app)


async def test_text_filter_by_id_workflow_step_and_error(harness) -> None:
    events = _log()
    h = harness(events)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        cases = {
            "alpha": ["alpha-1"],              # id
            "billing": ["beta-2"],             # workflow
            "summarise": ["gamma-3"],          # a step name (only in the raw events)
            "insufficient funds": ["beta-2"],  # error text
            "FLOW.PY": ["beta-2"],             # traceback, case-insensitive
        }
        await pilot.press("slash")
        for query, expected in cases.items():
            box = h.app.screen.query_one("#filter")
            box.value = query
            await wait_for(pilot, lambda expected=expected: ids(h.app) == expected,
                           f"filter {query!r} -> {expected}")
        # a JSON key is not content: "step_name" is in every line but matches nothing
        h.app.screen.query_one("#filter").value = "step_name"
        await wait_for(pilot, lambda: ids(h.app) == [], "no match for a key name")
        assert "no executions match the filter" in screen_text(h.app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(ids(h.app)) == 3, "filter cleared")


async def test_status_filter_cycles_all_failed_running(harness) -> None:
    events = _log()
    h = harness(events)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        await pilot.press("f")
        await wait_for(pilot, lambda: ids(h.app) == ["beta-2"], "failed only")
        assert "status: failed" in screen_text(h.app)
        await pilot.press("f")
        await wait_for(pilot, lambda: ids(h.app) == ["gamma-3"], "running only")
        await pilot.press("f")
        await wait_for(pilot, lambda: len(ids(h.app)) == 3, "all again")


async def test_sort_by_columns_and_reverse(harness) -> None:
    events = _log()
    h = harness(events)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        # s walks the columns in order: execution, workflow, status, started, duration...
        while h.app.table_query.sort != "duration_s":
            await pilot.press("s")
        # durations by hand: beta 2.0 s, alpha 0.3 s; gamma is running (no duration: last)
        await wait_for(pilot, lambda: ids(h.app) == ["beta-2", "alpha-1", "gamma-3"],
                       "longest first")
        await pilot.press("S")
        await wait_for(pilot, lambda: ids(h.app) == ["alpha-1", "beta-2", "gamma-3"],
                       "shortest first")
        assert "duration ▲" in screen_text(h.app)
        h.app.action_sort("execution_id")
        await wait_for(pilot, lambda: ids(h.app) == ["gamma-3", "beta-2", "alpha-1"],
                       "ids descending")


async def test_clicking_a_column_heading_sorts_by_it(harness) -> None:
    """Where the heading says "duration" on screen, a click sorts by duration (longest
    first: beta 2.0 s, alpha 0.3 s, gamma running); a second click reverses it."""
    events = _log()
    h = harness(events)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        header = h.app.screen.query_one("#table-header")
        x = header.shown_text.plain.index("duration")
        await pilot.click("#table-header", offset=(x + 1, 0))
        await wait_for(pilot, lambda: ids(h.app) == ["beta-2", "alpha-1", "gamma-3"],
                       "longest first")
        await pilot.click("#table-header", offset=(x + 1, 0))
        await wait_for(pilot, lambda: ids(h.app) == ["alpha-1", "beta-2", "gamma-3"],
                       "shortest first")
        assert h.app.table_query.sort == "duration_s"


async def test_fifty_thousand_executions_render_and_move(harness) -> None:
    """Retention-sized table: the screen shows a page, keys still move the cursor."""
    lines = []
    for n in range(50_000):
        eid = f"bulk-{n:05d}"
        lines.append(b'{"event":"workflow_start","execution_id":"%s","workflow_name":"w",'
                     b'"timestamp":%d}' % (eid.encode(), int(T0) + n // 1000))
    h = harness(lines)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, 50_000)
        table = h.app.screen.query_one(ExecutionsTable)
        await wait_for(pilot, lambda: len(table.rows) == 50_000, "all rows")
        assert table.rows[0].execution_id == "bulk-49999"
        await pilot.press("end")
        assert table.selected_id == "bulk-00000"
        await pilot.press("home", "pagedown")
        assert table.cursor > 10
        assert "bulk-49999" not in screen_text(h.app)  # scrolled a page down


def test_a_running_execution_shows_how_long_it_has_run() -> None:
    """Not just "…": on-call sees a stuck execution's age in the table (1m05s here)."""
    running = Execution("gamma-3", T0 + 10, 1)
    running.open_steps["reply"] = T0 + 11  # an open step: running however long it is
    text = row_text(running.row(T0 + 75, 30.0), 160).plain
    assert "⟳ running" in text and "1m05s…" in text
    done = Execution("alpha-1", T0, 2)
    done.complete_status, done.complete_ts = "success", T0 + 2.5
    text = row_text(done.row(T0 + 75, 30.0), 160).plain
    assert "2.50s" in text and "…" not in text


async def test_cut_workflow_names_end_in_an_ellipsis_beside_the_scrollbar(harness) -> None:
    events: list[dict] = []
    for n in range(40):  # more rows than fit: the table has a scrollbar
        events += execution(f"w-{n:02d}", T0 + n, workflow="customer-support-ticket-triage")
    h = harness(events)
    async with h.app.run_test(size=(100, 30)) as pilot:
        await settled(pilot, h.app, len(events))
        rows = [line for line in screen_text(h.app).splitlines() if " w-" in line]
        assert len(rows) > 5
        for row in rows:
            assert "customer-s…" in row, row
