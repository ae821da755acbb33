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
