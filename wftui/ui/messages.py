"""Facts the screens tell the app (messages go up; state comes down as reactives).

Screens get what they need in their constructors and never call into the app: they
post one of these, and `WftuiApp` decides what it means.
"""

from __future__ import annotations

from textual.message import Message


class FilterChanged(Message):
    """The operator changed the executions filter text (empty: no filter)."""

    def __init__(self, text: str, cleared: bool = False) -> None:
        super().__init__()
        self.text = text
        self.cleared = cleared  # Esc: every filter let go of, a "why" row's too


class HeadingClicked(Message):
    """A column heading of the executions table was clicked: sort by it (again:
    reverse the order)."""

    def __init__(self, column: str) -> None:
        super().__init__()
        self.column = column


class ExecutionOpened(Message):
    """The operator asked to see one execution's step tree."""

    def __init__(self, execution_id: str) -> None:
        super().__init__()
        self.execution_id = execution_id
