"""Log text is data: never markup, never terminal control (docs/reliability.md).

The hostile corpus goes into every place log text reaches the screen: table cells,
tree labels, the execution title, the malformed view, the sources header (file
name) and a notification. The screen must show markup literally, control characters
as visible symbols, and survive clicks on all of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from tests.ui.conftest import T0, execution, settled, stamp, wait_for
from tests.ui.screen import screen_text
from wftui.ui.screens.execution import ExecutionScreen
from wftui.ui.screens.malformed import MalformedScreen
from wftui.ui.screens.monitor import MonitorScreen
from wftui.ui.screens.why import WhyScreen
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


# -- OTLP: the same corpus in spans and log records -------------------------------------

OTLP_T0 = int(T0) * 1_000_000_000
EVIL = f"[bold]B[/][@click=app.quit]{OSC_TITLE}{RLO}\r\n{CLEAR}\x00"


def _kv(key: str, value: str) -> dict:
    return {"key": key, "value": {"stringValue": value}}


def _otlp_trace(number: int, execution_id: str) -> bytes:
    """One OTLP/JSON request: a failed trace whose every shown field is hostile."""
    trace = f"{number:032x}"
    root, step = f"{number * 16 + 1:016x}", f"{number * 16 + 2:016x}"
    at = OTLP_T0 + number * 10_000_000_000
    spans = [
        {"traceId": trace, "spanId": root, "name": f"root{EVIL}", "kind": 1,
         "startTimeUnixNano": str(at), "endTimeUnixNano": str(at + 3_000_000_000),
         "attributes": [_kv("execution_id", execution_id),
                        _kv("workflow_name", f"wf{EVIL}")],
         "status": {"code": 2, "message": f"status{EVIL}"}},
        {"traceId": trace, "spanId": step, "parentSpanId": root, "name": f"step{EVIL}",
         "kind": 3, "startTimeUnixNano": str(at + 100_000_000),
         "endTimeUnixNano": str(at + 900_000_000),
         "attributes": [_kv("gen_ai.operation.name", "execute_tool"),
                        _kv("gen_ai.tool.name", f"tool{EVIL}")],
         "status": {"code": 2, "message": f"toolstatus{EVIL}"},
         "events": [{"name": "exception", "timeUnixNano": str(at + 800_000_000),
                     "attributes": [_kv("exception.type", f"Exc{EVIL}"),
                                    _kv("exception.message", f"msg{EVIL}")]}]},
    ]
    request = {"resourceSpans": [{"resource": {"attributes": [_kv("service.name", f"svc{EVIL}")]},
                                  "scopeSpans": [{"spans": spans}]}]}
    return orjson.dumps(request)


def _two_failed_traces(harness) -> Any:
    """The app over an OTLP file of two failed traces, the first's name hostile."""
    return harness([_otlp_trace(1, f"E1{EVIL}"), _otlp_trace(2, "E2")],
                   name="spans.jsonl").app


async def _both_failed(pilot, app) -> None:
    await wait_for(pilot, lambda: app.latest is not None
                   and app.latest.snapshot.executions.get("failed") == 2, "two failures")


async def test_why_row_from_hostile_spans_filters_safely(harness) -> None:
    """"Why" -> Enter shows the executions the row counted and names the step in the
    table's title: made visible (a raw ESC in the filter box, where Enter used to put
    it, reached the terminal: title set, screen cleared)."""
    app = _two_failed_traces(harness)
    async with app.run_test(size=(200, 50)) as pilot:
        await _both_failed(pilot, app)
        await pilot.pause()
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, WhyScreen), "the why screen")
        await wait_for(pilot, lambda: "by step" in screen_text(app), "the why rows")
        assert_safe(screen_text(app))
        await pilot.press("enter")  # the first row: the step where both failed
        await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), "back")
        await wait_for(pilot, lambda: "failed · step " in app.dashboard.title.plain,
                       "the row's executions")
        await pilot.pause()
        text = screen_text(app)
        assert_safe(text)
        for control in ("\x1b", "\x07", "\r", "\n", "\x00", RLO):
            assert control not in app.dashboard.title.plain
        assert "no executions match" not in text
        assert "2 shown of 2 retained" in app.dashboard.title.plain
        await wait_for(pilot, lambda: "E2" in screen_text(app), "the filtered rows")
        assert "E1[bold]B[/][@click=app.quit]␛]0;" in screen_text(app)


async def test_every_why_row_of_latency_filters_with_visible_text(harness) -> None:
    """The latency "why" (its slow steps, slow executions and calls): every row's
    filter text is the visible form, never a raw control, and so is the table's title
    once Enter shows a row's executions."""
    app = _two_failed_traces(harness)
    async with app.run_test(size=(200, 50)) as pilot:
        await _both_failed(pilot, app)
        await app.run_action("why('latency_p95_s')")
        await wait_for(pilot, lambda: isinstance(app.screen, WhyScreen), "the why screen")
        rows = [row for _, row in app.screen.view.rows() if row.filter_text]
        assert len(rows) >= 3  # a step, an execution, a call
        for row in rows:
            for control in ("\x1b", "\x07", "\r", "\n", "\x00", RLO):
                assert control not in row.filter_text, row
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), "back")
        await wait_for(pilot, lambda: "slow · step " in app.dashboard.title.plain,
                       "the row's executions")
        assert "\x1b" not in app.dashboard.title.plain
        assert_safe(screen_text(app))
