"""Log text is data: never markup, never terminal control (docs/reliability.md).

The hostile corpus goes into every place log text reaches the screen: table cells,
tree labels, the execution title, the malformed view, the sources header (file
name) and a notification. The screen must show markup literally, control characters
as visible symbols, and survive clicks on all of it.
"""

from __future__ import annotations

from pathlib import Path

from tests.ui.conftest import T0, execution, settled, stamp, wait_for
from tests.ui.screen import screen_text
from wftui.ui.screens.execution import ExecutionScreen
from wftui.ui.screens.malformed import MalformedScreen
from wftui.ui.screens.monitor import MonitorScreen
from wftui.ui.widgets.executions_table import ExecutionsTable
from wftui.ui.widgets.step_tree import StepTree

OSC_TITLE = "\x1b]0;title\x07"
OSC_CLIPBOARD = "\x1b]52;c;aGVsbG8=\x07"
CLEAR = "\x1b[2J"
MARKUP = ("[bold]", "[/]", "[@click=app.quit]", "[link=http://x]")
RLO = "\u202e"
CONTROLS = ("\x1b", "\x07", "\r", "\x9b", RLO)

EVIL_ID = f"id[@click=app.quit]{OSC_TITLE}"
EVIL_WORKFLOW = f"[bold]flow[/]{RLO}"
EVIL_STEP = f"[link=http://x]step{CLEAR}"
EVIL_ERROR = f"boom\rOVERWRITE[@click=app.quit]{OSC_CLIPBOARD}"


def _corpus() -> list[dict | bytes]:
    events: list[dict | bytes] = execution(
        EVIL_ID, T0, workflow=EVIL_WORKFLOW, failed=True, error=EVIL_ERROR,
        steps=[(EVIL_STEP, "tool", 0.5)],
        context={f"[bold]key{CLEAR}": f"[@click=app.quit]{OSC_TITLE}"})
    events.append({"event": f"[bold]custom{OSC_TITLE}", "execution_id": EVIL_ID,
                   "detail": f"[link=http://x]{RLO}", "timestamp": stamp(T0 + 0.1)})
    events.append(f"{OSC_TITLE}{CLEAR}[bold]not json[/]\r{RLO}[@click=app.quit]".encode())
    return events


def assert_safe(text: str) -> None:
    for control in CONTROLS:
        assert control not in text, f"{control!r} reached the screen"
    assert "␛" in text  # ESC shown as a visible symbol


async def test_hostile_corpus_everywhere(harness, tmp_path: Path) -> None:
    events = _corpus()
    h = harness(events, name=f"evil[bold]{CLEAR}.log")
    app = h.app
    async with app.run_test(size=(200, 50), notifications=True) as pilot:
        await settled(pilot, app, len(events) - 1)
        await wait_for(pilot, lambda: app.latest.snapshot.malformed_total == 1, "malformed")
        await pilot.pause()
        # dashboard: the header's file name, the table's id and workflow cells
        text = screen_text(app)
        assert_safe(text)
        assert "evil[bold]␛[2J.log" in text
        assert "id[@click=app.quit]␛]0;title␇" in text
        assert "[bold]flow[/]⍰" in text

        # click every table row and the header: nothing runs
        table = app.screen.query_one(ExecutionsTable)
        for x in (2, 15, 30, 60, 100):
            await pilot.click(ExecutionsTable, offset=(x, 0))
        assert app.is_running
        await pilot.click(ExecutionsTable, offset=(15, 0), times=2)  # double click opens
        await wait_for(pilot, lambda: isinstance(app.screen, ExecutionScreen)
                       and app.screen.detail is not None, "the execution view")
        assert table.selected_id == EVIL_ID

        # execution view: title, tree labels, tool arguments, error, traceback, raw event
        await pilot.press("x")
        await pilot.pause()
        text = screen_text(app)
        assert_safe(text)
        for literal in ("[link=http://x]step␛[2J", "boom␍OVERWRITE[@click=app.quit]␛]52;c;",
                        "[bold]key␛[2J", "[bold]custom␛]0;title␇", "[@click=app.quit]"):
            assert literal in text, literal
        tree = app.screen.query_one(StepTree)
        for line in range(min(tree.last_line + 1, 30)):
            await pilot.click(StepTree, offset=(20, line))
        assert app.is_running

        # a notification carrying log text (the export names the execution)
        await pilot.press("e")
        await wait_for(pilot, lambda: "Export of" in screen_text(app), "the notification")
        text = screen_text(app)
        assert_safe(text)
        assert "Export of id[@click=app.quit]␛]0;title␇" in text
        await pilot.click(offset=(190, 45))  # where toasts live
        assert app.is_running

        # the malformed view
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), "back")
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, MalformedScreen)
                       and "not json" in screen_text(app), "the malformed view")
        text = screen_text(app)
        assert_safe(text)
        assert "␛]0;title␇␛[2J[bold]not json[/]␍⍰[@click=app.quit]" in text
        await pilot.click("#malformed-text", offset=(10, 3))
        assert app.is_running
