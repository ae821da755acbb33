"""A refresh redraws the widgets whose text changed, without a layout of the screen.

A layout redraws the whole screen (tens of ms of the UI thread at every refresh, more
while the reading threads hold the interpreter lock), and a key pressed meanwhile
waits for it. New figures that take the room the old ones took need none.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult

from wftui.ui.widgets.quiet_static import QuietStatic


class _Room(App[None]):
    CSS = """
    #one-line { text-wrap: nowrap; }
    #fixed { height: 3; }
    """

    def compose(self) -> ComposeResult:
        yield QuietStatic(id="one-line")  # height: its lines, never wrapped
        yield QuietStatic(id="fixed")  # height set by the stylesheet
        yield QuietStatic(id="wraps")  # height: its lines once wrapped to the width


async def test_a_layout_only_when_the_new_text_may_take_other_room() -> None:
    app = _Room()
    async with app.run_test(size=(40, 12)) as pilot:
        asked: dict[str, list[bool]] = {}
        for widget in app.query(QuietStatic):
            original = widget.refresh

            def spy(*args: Any, _id: str = str(widget.id), _original: Any = original,
                    **kwargs: Any) -> Any:
                asked.setdefault(_id, []).append(bool(kwargs.get("layout", False)))
                return _original(*args, **kwargs)

            widget.refresh = spy  # type: ignore[method-assign]

        def show(widget_id: str, text: str) -> bool:
            asked.pop(widget_id, None)
            app.query_one(f"#{widget_id}", QuietStatic).show_text(Text(text))
            return any(asked.get(widget_id, []))

        for widget_id in ("one-line", "fixed", "wraps"):
            assert show(widget_id, "12 executions")  # the first text: laid out
        assert not show("one-line", "13 executions")
        assert show("one-line", "13 executions\n1 failed")  # a second line: taller
        assert not show("one-line", "14 executions\n1 failed")
        assert not show("fixed", "13 executions\n1 failed\n2 running")
        assert show("wraps", "13 executions")  # may wrap to more lines: the layout says
        assert not show("wraps", "13 executions")  # the same text: nothing redrawn
        await pilot.pause()
