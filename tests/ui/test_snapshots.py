"""SVG snapshots of the main screens (pytest-textual-snapshot), with a frozen clock.

Regenerate after a deliberate change of look with
`pytest tests/ui/test_snapshots.py --snapshot-update`, and review the SVGs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.conftest import T0, execution, settled, wait_for
from tests.ui.screen import screen_text
from wftui.config import Settings
from wftui.ui.screens.compare import CompareScreen
from wftui.ui.screens.execution import ExecutionScreen
from wftui.ui.screens.malformed import MalformedScreen
from wftui.ui.screens.replay import ReplayScreen

SIZE = (160, 45)


def _executions(total: int, failed: int) -> list[dict]:
    events: list[dict] = []
    for n in range(total):
        events += execution(f"EXEC-{n:04d}", T0 + n * 3, failed=n % 4 == 1 and failed > 0,
                            steps=[("fetch_ticket", "tool", 0.2 + n / 100),
                                   ("classify", "llm", 1.1), ("route_ticket", "branch", 0.05)])
    return events


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def _settle(events: list[dict]):
    async def run_before(pilot) -> None:
        await settled(pilot, pilot.app, len(events))

    return run_before


def test_dashboard_normal(harness, snap_compare) -> None:
    events = _executions(12, 0)
    h = harness(events, relative=True, preload=True)
    assert snap_compare(h.app, terminal_size=SIZE, run_before=_settle(events))


def test_dashboard_breaching(harness, snap_compare) -> None:
    events = _executions(12, 3)  # 3 of 12 fail: 25% > 5%
    h = harness(events, relative=True, preload=True)
    assert snap_compare(h.app, terminal_size=SIZE, run_before=_settle(events))


def test_dashboard_no_data(harness, snap_compare) -> None:
    h = harness([], relative=True, preload=True)

    async def run_before(pilot) -> None:
        await wait_for(pilot, lambda: pilot.app.refreshes > 0, "a first refresh")

    assert snap_compare(h.app, terminal_size=SIZE, run_before=run_before)


def test_execution_view(harness, snap_compare) -> None:
    events = _executions(6, 3)
    h = harness(events, relative=True, preload=True)

    async def run_before(pilot) -> None:
        await settled(pilot, pilot.app, len(events))
        pilot.app.open_execution("EXEC-0001")  # a failed one: error and traceback
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ExecutionScreen)
                       and pilot.app.screen.detail is not None, "the execution view")
        await pilot.press("x")

    assert snap_compare(h.app, terminal_size=SIZE, run_before=run_before)


NARROW = (100, 30)  # the smallest terminal the layout is made for


def test_dashboard_at_100x30(harness, snap_compare) -> None:
    events = _executions(12, 3)
    for event in events:  # workflow names too long for the column: cut with …
        if event["event"] == "workflow_start":
            event["workflow_name"] = "customer-support-ticket-triage"
    h = harness(events, relative=True, preload=True)
    assert snap_compare(h.app, terminal_size=NARROW, run_before=_settle(events))


def _long_failure() -> list[dict]:
    """A failed execution whose traceback ends with a newline (as Python's do) and whose
    lines are wider than a 100-column terminal."""
    events = execution("EXEC-LONG", T0, failed=True,
                       context={"ticket_id": "T-1", "body": "My invoice shows a charge I "
                                "do not recognise, twice, and the support page times out."},
                       error="TimeoutError: ticket API did not answer")
    for event in events:
        if event["event"] == "error":
            event["traceback"] = (
                "Traceback (most recent call last):\n"
                '  File "/srv/workflows/support/steps/classify_with_the_large_model.py", '
                "line 219, in classify_ticket_with_retries_and_backoff\n"
                "TimeoutError: ticket API did not answer\n")
    return events


def test_execution_tree_at_100x30(harness, snap_compare) -> None:
    events = _long_failure()
    h = harness(events, relative=True, preload=True)

    async def run_before(pilot) -> None:
        await settled(pilot, pilot.app, len(events))
        pilot.app.open_execution("EXEC-LONG")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ExecutionScreen)
                       and pilot.app.screen.detail is not None, "the execution view")
        await pilot.press("x")

    assert snap_compare(h.app, terminal_size=NARROW, run_before=run_before)


def test_malformed_view(harness, snap_compare) -> None:
    events = [*execution("EXEC-0001", T0), b"not json at all",
              b'{"event": "step_start", "execution_id": ', b"\x1b[31mred\x1b[0m [b]markup[/b]"]
    h = harness(events, relative=True, preload=True)

    async def run_before(pilot) -> None:
        await settled(pilot, pilot.app, len(events) - 3)
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, MalformedScreen)
                       and "3 malformed lines" in screen_text(pilot.app), "the lines")

    assert snap_compare(h.app, terminal_size=SIZE, run_before=run_before)


def test_compare_screen(harness, snap_compare) -> None:
    events = (execution("EXEC-0001", T0, failed=True)
              + execution("EXEC-0001-r", T0 + 30, replay_of="EXEC-0001",
                          steps=[("fetch_ticket", "tool", 0.3), ("classify", "llm", 0.9)]))
    h = harness(events, relative=True, preload=True)

    async def run_before(pilot) -> None:
        await settled(pilot, pilot.app, len(events))
        pilot.app.open_execution("EXEC-0001")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ExecutionScreen)
                       and pilot.app.screen.detail is not None, "the execution view")
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, CompareScreen)
                       and pilot.app.screen.comparison is not None, "the comparison")

    assert snap_compare(h.app, terminal_size=SIZE, run_before=run_before)


def test_replay_dialog(harness, snap_compare) -> None:
    events = execution("EXEC-0001", T0, failed=True)
    settings = Settings(sections={"replay": {"command": ["myapp", "replay",
                                                         "{execution_id}"]}})
    h = harness(events, relative=True, preload=True, settings=settings)

    async def run_before(pilot) -> None:
        await settled(pilot, pilot.app, len(events))
        pilot.app.open_execution("EXEC-0001")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ExecutionScreen)
                       and pilot.app.screen.detail is not None, "the execution view")
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ReplayScreen), "replay")
        await pilot.press("d")  # the dry run: what would run, nothing run

    assert snap_compare(h.app, terminal_size=SIZE, run_before=run_before)
