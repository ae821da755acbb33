"""Keys and help: ?, p (pause), m (malformed lines), q, the palette, i outside the demo."""

from __future__ import annotations

from textual.binding import Binding

from tests.ui.conftest import T0, append, execution, settled, wait_for
from tests.ui.screen import screen_text
from wftui.ui.app import WftuiApp
from wftui.ui.screens.audit import AuditScreen
from wftui.ui.screens.help import HelpScreen, help_sections, help_text
from wftui.ui.screens.malformed import MalformedScreen
from wftui.ui.screens.monitor import MonitorScreen
from wftui.ui.widgets.executions_table import ExecutionsTable


def test_help_lists_every_key_bound_with_what_it_does() -> None:
    from wftui.ui.screens.execution import ExecutionScreen

    def display(binding: Binding) -> str:
        return f"<{binding.key}>"

    sections = dict(help_sections(WftuiApp.BINDINGS))
    where = {WftuiApp: "Everywhere", MonitorScreen: "Dashboard and executions",
             ExecutionsTable: "Dashboard and executions", ExecutionScreen: "Execution view",
             MalformedScreen: "Malformed lines"}
    for cls, title in where.items():
        shown = help_text([(title, sections[title]), ("Everywhere", sections["Everywhere"])],
                          display).plain.splitlines()
        for binding in cls.BINDINGS:
            if cls is MonitorScreen and binding.action.startswith("app."):
                binding = next((b for b in WftuiApp.BINDINGS if b.key == binding.key),
                               binding)  # the app's own key, shown in this footer too
            for key in binding.key.split(","):
                line = next((line for line in shown if f"<{key}>" in line), None)
                assert line is not None, f"key {key!r} of {cls.__name__} missing"
                assert (binding.tooltip or binding.description) in line


def test_help_explains_every_status_symbol_the_table_shows() -> None:
    from wftui.ui.screens.help import SYMBOLS
    from wftui.view.table import OPEN_AT_END_LOOK, STATUS_LOOK

    explained = " ".join(symbols for symbols, _ in SYMBOLS).split()
    labels = [label for label, _ in STATUS_LOOK.values()] + [OPEN_AT_END_LOOK]
    for label in labels:  # "◌ open": still running where an old log ends
        assert label.split()[0] in explained, f"{label!r} not in the help's symbols"


def test_keys_of_one_action_share_a_help_line() -> None:
    rows = help_text([("Everywhere", WftuiApp.BINDINGS)], lambda b: b.key).plain
    assert "q / ctrl+c" in rows  # both quit
    assert "w " not in rows  # a dashboard key is not listed as working everywhere


async def test_question_mark_opens_help_and_esc_closes(harness) -> None:
    h = harness([])
    async with h.app.run_test(size=(160, 45)) as pilot:
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(h.app.screen, HelpScreen)
                       and "filter executions by id" in screen_text(h.app), "the help")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(h.app.screen, MonitorScreen), "back")


async def test_pause_freezes_display_while_reading_continues(harness) -> None:
    events = execution("first-1", T0)
    h = harness(events)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        await pilot.press("p")
        await wait_for(pilot, lambda: "PAUSED" in screen_text(h.app), "the paused banner")
        more = execution("second-2", T0 + 5)
        append(h.log, more)
        await wait_for(pilot, lambda: h.monitor.ledger.events_total == len(events) + len(more),
                       "reading goes on")
        version = h.monitor.version
        await wait_for(pilot, lambda: h.app.latest.version >= version, "a refresh taken")
        assert "second-2" not in screen_text(h.app)  # but not shown
        await pilot.press("p")
        await wait_for(pilot, lambda: "second-2" in screen_text(h.app), "shown on resume")
        assert "PAUSED" not in screen_text(h.app)


async def test_malformed_view_lists_file_line_and_reason(harness) -> None:
    events = execution("ok-1", T0)
    h = harness([*events, b"not json at all", b'{"event": "step_start"}'])
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(h.app.screen, MalformedScreen), "the view")
        await wait_for(pilot, lambda: "2 malformed lines" in screen_text(h.app), "the count")
        text = screen_text(h.app)
        first, second = len(events) + 1, len(events) + 2
        assert f"app.log:{first}" in text and f"app.log:{second}" in text
        assert "not json at all" in text
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(h.app.screen, MonitorScreen), "back")


async def test_q_quits(harness) -> None:
    h = harness([])
    async with h.app.run_test(size=(160, 45)) as pilot:
        await pilot.press("q")
        await wait_for(pilot, lambda: not h.app.is_running, "the app to exit")
    assert h.app.return_code == 0


async def test_palette_has_an_entry_for_every_action(harness) -> None:
    h = harness([])
    async with h.app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: h.app.refreshes > 0, "a first refresh")
        titles = {command.title for command in h.app.get_system_commands(h.app.screen)}
        for title in ("Help: keys", "Pause / resume display", "Malformed lines",
                      "Replay audit log", "Filter executions", "Window: 1m", "Window: all",
                      "Show executions: failed", "Sort executions by duration",
                      "Reverse sort order", "Reload config"):
            assert title in titles
        assert not any(t.startswith("Demo incident") for t in titles)  # not the demo
        assert "Keys" not in titles  # Textual's key panel beside "Help: keys": one is enough
        # palette entries run the same actions as the keys
        await pilot.press("ctrl+p")
        await pilot.press(*"Window: 15m")
        await wait_for(pilot, lambda: "Window: 15m" in screen_text(h.app), "the entry")
        await pilot.press("enter")
        await wait_for(pilot, lambda: h.monitor.window_s == 900.0, "the 15m window")


async def test_audit_palette_entry_opens_audit_or_says_why(harness) -> None:
    h = harness([])
    async with h.app.run_test(size=(160, 45)) as pilot:
        await h.app.run_action("audit")
        await wait_for(pilot, lambda: isinstance(h.app.screen, AuditScreen), "audit")


async def test_incident_key_is_demo_only(harness) -> None:
    h = harness([])
    async with h.app.run_test(size=(160, 45)) as pilot:
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(h.app.screen, MonitorScreen)
        assert " i Incident" not in screen_text(h.app)  # not in the footer either


class FakeDemo:
    """Stands in for the demo service's HTTP control (tested for real in test_demo)."""

    incidents = {"none": "normal", "error-spike": "30% fail"}

    def __init__(self) -> None:
        self.switched: list[str] = []
        self.active = "none"

    def switch(self, name: str) -> str:
        self.switched.append(name)
        self.active = name
        return f"incident now {name}"


async def test_incident_picker_switches_in_demo_mode(harness) -> None:
    demo = FakeDemo()
    h = harness([], demo=demo)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: h.app.refreshes > 0, "a first refresh")
        await wait_for(pilot, lambda: "i Incident" in screen_text(h.app), "the footer key")
        await pilot.press("i")
        await wait_for(pilot, lambda: "30% fail" in screen_text(h.app), "the picker")
        await pilot.press("down", "enter")  # the first (none) is highlighted at first
        await wait_for(pilot, lambda: demo.switched == ["error-spike"], "the switch")
        await wait_for(pilot, lambda: any("incident now error-spike" in note
                                          for note in h.notes), "the outcome")
        # Opened again: the incident on now is marked, and highlighted first (enter
        # alone keeps it).
        await pilot.press("i")
        await wait_for(pilot, lambda: "30% fail" in screen_text(h.app), "the picker again")
        marked = [line for line in screen_text(h.app).splitlines() if "on now" in line]
        assert len(marked) == 1 and "error-spike" in marked[0], marked
        await pilot.press("enter")
        await wait_for(pilot, lambda: demo.switched == ["error-spike", "error-spike"],
                       "the same incident chosen by enter")


async def test_focus_action_moves_focus_back_to_the_table(harness) -> None:
    # The table's query once shadowed App.query(): Textual's own focus action (and any
    # DOM query on the app) then raised "'TableQuery' object is not callable".
    h = harness([])
    async with h.app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: h.app.refreshes > 0, "a first refresh")
        await pilot.press("slash")
        await wait_for(pilot, lambda: h.app.focused is not None
                       and h.app.focused.id == "filter", "the filter box focused")
        await h.app.run_action("focus('table')")
        await pilot.pause()
        assert isinstance(h.app.focused, ExecutionsTable)
        assert len(h.app.query(ExecutionsTable)) == 1


async def test_a_long_help_line_wraps_under_its_description(harness) -> None:
    """At 100 columns the `x` line wraps: its second line starts under the description
    (18 cells in: two of indent and the keys column), not under the keys."""
    h = harness([])
    async with h.app.run_test(size=(100, 45)) as pilot:
        await wait_for(pilot, lambda: h.app.refreshes > 0, "a first refresh")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: "every key (this list)" in screen_text(h.app), "help")
        lines = screen_text(h.app).splitlines()
        at = next(i for i, line in enumerate(lines) if "why the firing alert" in line)
        first, second = lines[at], lines[at + 1]
        column = first.index("why the firing alert")
        assert second[column:].startswith("lists the executions"), (first, second)
        assert second[column - 16:column].strip(" │") == "", second  # nothing under keys


async def test_pausing_on_a_first_page_keeps_rows_below_the_screen_as_paused(
        harness) -> None:
    """A big log's first table is a first page, its rows built when first drawn: rows
    scrolled to while paused show the executions as they were when paused."""
    from dataclasses import replace

    from wftui.view.live_rows import FirstPage

    # The oldest start is the table's last row: far below a 45-line screen.
    running = execution("open-0", T0, complete=False)
    done = [event for number in range(1, 60)
            for event in execution(f"done-{number}", T0 + number)]
    h = harness(running + done)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(running) + len(done))
        shown = h.app.shown
        assert shown is not None
        # Aged at a moment it was still running (the frozen clock is past its idle end).
        page = FirstPage(h.monitor.executions_copy(), T0 + 10, None)
        h.app.shown = replace(shown, rows=page)  # as the first refresh of a big log
        await pilot.press("p")
        await wait_for(pilot, lambda: "PAUSED" in screen_text(h.app), "the paused banner")
        append(h.log, [{"event": "workflow_complete", "execution_id": "open-0",
                        "status": "failure", "duration_ms": 70_000.0,
                        "timestamp": "2026-01-01T12:01:10"}])
        total = len(running) + len(done) + 1
        await wait_for(pilot, lambda: h.monitor.ledger.events_total == total,
                       "reading goes on")
        last = h.app.shown.rows[-1]
        assert (last.execution_id, last.status) == ("open-0", "running")
