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


def test_a_tool_span_shows_what_the_tool_answered() -> None:
    """execute_tool spans carry gen_ai.tool.call.result: the tree showed the arguments
    and never the result."""
    label = item_label(Item("tool_call", T0, {
        "tool_name": "lookup", "arguments": {"ticket_id": "T-1"},
        "result": {"status": "open", "priority": 2}})).plain
    assert label.endswith('tool lookup({"ticket_id":"T-1"})  → {"status":"open","priority":2}')
    # as JSON, as the arguments are, cut at 80 characters like them
    long = item_label(Item("tool_call", T0, {"tool_name": "search", "arguments": None,
                                             "result": "x" * 200})).plain
    assert long.endswith('  → "' + "x" * 78 + "…"), long[-100:]
    # the log format's response_keys keep their place; no result: nothing after
    assert item_label(Item("tool_call", T0, {"tool_name": "lookup", "arguments": None,
                                             "result": None})).plain.endswith("tool lookup")


def test_an_otlp_log_record_shows_its_severity_and_message() -> None:
    """A log record tied to a span (`span_log`, as wftui.core.spans writes it) read as
    the raw internal line, its message cut off past the ids at 160 characters:
    `event span_log {"event":"span_log","execution_id":"...","timestamp":...,"step_id"...`.
    """
    event = {"event": "span_log", "execution_id": "4bf92f3577b34da6a3ce929d0e0e4736",
             "timestamp": T0, "step_id": "00f067aa0ba902b7", "severity": "WARN",
             "severity_number": 13, "body": "rate limited, retrying\x1b[2J",
             "marks_error": False}
    label = item_label(Item("span_log", T0, event)).plain
    assert label.endswith("log WARN rate limited, retrying␛[2J"), label
    # a structured body is shown as JSON; no severity text: the number's name is not
    # guessed, the body stands alone
    label = item_label(Item("span_log", T0, {**event, "severity": None,
                                             "body": {"queue": 3}})).plain
    assert label.endswith('log {"queue":3}'), label
