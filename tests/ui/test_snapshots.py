"""SVG snapshots of the main screens (pytest-textual-snapshot), with a frozen clock.

Regenerate after a deliberate change of look with
`pytest tests/ui/test_snapshots.py --snapshot-update`, and review the SVGs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.conftest import T0, execution, settled, wait_for
from wftui.ui.screens.execution import ExecutionScreen

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
