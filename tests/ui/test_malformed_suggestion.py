"""The malformed view of a log of which nothing was understood: what its lines have,
and the mapping that would read them (the ui draws what core/understood.py computes)."""

from __future__ import annotations

import orjson

from tests.ui.conftest import T0, wait_for
from tests.ui.screen import screen_text
from wftui.ui.screens.malformed import MalformedScreen


def their_lines() -> list[bytes]:
    out = []
    for n in range(6):
        run = f"trace-{n}"
        for kind, at in (("run.start", 0.0), ("task.begin", 0.1), ("task.end", 0.5),
                         ("run.end", 0.6)):
            out.append(orjson.dumps({"type": kind, "trace_id": run, "ts": T0 + n + at,
                                     "task": "classify"}))
    return out


async def test_the_malformed_view_suggests_a_mapping(harness) -> None:
    lines = their_lines()
    h = harness(lines)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: h.monitor.ledger.malformed_total == len(lines),
                       "every line refused")
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(h.app.screen, MalformedScreen), "the view")
        await wait_for(pilot, lambda: "perhaps, in the config file" in screen_text(h.app),
                       "the suggestion")
        text = screen_text(h.app)
        assert "app.log: none of its 24 lines is an event" in text
        for line in ("[logs.fields]", 'event = "type"', 'execution_id = "trace_id"',
                     'timestamp = "ts"', 'step_name = "task"', "[logs.events]",
                     'step_start = "task.begin"', 'workflow_complete = "run.end"'):
            assert line in text, line


async def test_a_log_not_understood_is_not_a_healthy_source_with_no_traffic(harness) -> None:
    """Read to its end, and not one line an event: the source is marked red "not
    understood" (not a green "following"), and no panel says "no traffic" or "no data"."""
    lines = their_lines()
    h = harness(lines)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: "not understood (m)" in screen_text(h.app),
                       "the source marked")
        text = screen_text(h.app)
        source = next(line for line in text.splitlines() if "app.log" in line)
        assert "✗" in source and "●" not in source and "following" not in source
        panels = [line for line in text.splitlines() if line.startswith("│")][:1]
        assert panels and panels[0].count("not understood") == 5, panels
        assert "no traffic" not in text and "no data" not in panels[0]


async def test_a_log_understood_is_following_as_before(harness) -> None:
    from tests.ui.conftest import execution

    events = execution("ex-1", T0)
    h = harness(events)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: "following" in screen_text(h.app), "the source")
        source = next(line for line in screen_text(h.app).splitlines() if "app.log" in line)
        assert "●" in source and "not understood" not in screen_text(h.app)
