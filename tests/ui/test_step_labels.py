"""What a tool call inside a step reads as in the tree."""

from __future__ import annotations

from wftui.core.steps import Item
from wftui.ui.widgets.step_tree import item_label

T0 = 1_767_268_800.0  # 2026-01-01T12:00:00Z


def test_a_tool_call_shows_its_arguments_and_none_when_they_are_unknown() -> None:
    given = item_label(Item("tool_call", T0, {"tool_name": "lookup",
                                              "arguments": {"ticket_id": "T-1"}}))
    assert 'tool lookup({"ticket_id":"T-1"})' in given.plain
    # A span of gen_ai.operation.name execute_tool without gen_ai.tool.call.arguments:
    # its event says "arguments": null. Not "lookup(null)", nor "lookup()" (none given).
    for event in ({"tool_name": "lookup", "arguments": None}, {"tool_name": "lookup"}):
        label = item_label(Item("tool_call", T0, event)).plain
        assert label.endswith("tool lookup"), label
