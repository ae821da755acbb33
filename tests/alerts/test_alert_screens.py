"""The why, silence and silences screens with Pilot, each hosted by a bare app."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App
from textual.widgets import DataTable, Input

from tests.alerts.test_explain import END, THRESHOLDS, ledger
from wftui.alerts.silences import Silence
from wftui.core.explain import explain
from wftui.ui.screens.silence import SilenceDialog, SilencesScreen
from wftui.ui.screens.why import WhyScreen
from wftui.view.why import why_view


class Host(App[None]):
    """Pushes one screen and keeps what it was dismissed with."""

    def __init__(self, screen: Any) -> None:
        super().__init__()
        self.screen_to_push = screen
        self.results: list[Any] = []

    def on_mount(self) -> None:
        self.push_screen(self.screen_to_push, self.results.append)


@pytest.fixture(scope="module")
def explained() -> dict[str, Any]:
    return explain(ledger(), window_s=300.0, end=END, now=END, thresholds=THRESHOLDS)


async def test_why_enter_on_a_row_gives_its_filter(explained: dict[str, Any]) -> None:
    app = Host(WhyScreen(why_view("error_rate", explained)))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        # heading "by step", then charge (the cursor starts on the first real row)
        assert table.cursor_row == 1
        await pilot.press("enter")
        await pilot.pause()
    (row,) = app.results
    assert (row.label, row.filter_text, row.status) == ("charge", "charge", "failed")


async def test_why_escape_and_heading(explained: dict[str, Any]) -> None:
    app = Host(WhyScreen(why_view("error_rate", explained)))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("up", "enter")  # on the heading: nothing to show, stays open
        await pilot.pause()
        assert app.results == []
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


async def test_silence_dialog_duration_and_comment() -> None:
    app = Host(SilenceDialog("error_rate", "on this machine"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.click("#durations")  # focus the list, then pick the 4 hours
        await pilot.press("home", "down", "down", "enter")
        assert isinstance(app.focused, Input)  # picking a duration moves to the comment
        await pilot.press(*"known incident", "enter")
        await pilot.pause()
    assert app.results == [(14400.0, "known incident")]


async def test_silence_dialog_up_down_choose_while_typing_the_comment() -> None:
    """The comment has the focus; up/down still choose how long (seen in a tmux run:
    nothing said how to change the duration, Enter took 1 hour unseen)."""
    app = Host(SilenceDialog("error_rate", "on this machine"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press(*"deploy", "up", "up", "up")  # 1 hour -> 15 minutes, no further
        assert isinstance(app.focused, Input)
        await pilot.press("down", "down", "enter")  # 15 minutes -> 4 hours
        await pilot.pause()
    assert app.results == [(14400.0, "deploy")]


async def test_silence_dialog_default_is_one_hour_and_escape_cancels() -> None:
    app = Host(SilenceDialog("queue_depth", "on this machine"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
    assert app.results == [(3600.0, "")]
    app = Host(SilenceDialog("queue_depth", "on this machine"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


async def test_silences_list_remove() -> None:
    silences = [Silence("a1", "error_rate", 1000.0 + 3600, "ana", "known incident", 1000.0),
                Silence("b2", "queue_depth", 1000.0 + 600, "bo", "[b]not markup[/b]", 1000.0)]
    app = Host(SilencesScreen(silences, now=1000.0))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        assert table.row_count == 2
        assert str(table.get_row_at(1)[4]) == "[b]not markup[/b]"  # literal
        assert str(table.get_row_at(0)[2]) == "1h00m"
        await pilot.press("down", "d")
        await pilot.pause()
    assert [s.id for s in app.results] == ["b2"]
