"""Time travel over a log of queue depth readings alone (no execution at all).

Its queue panel's sparkline drew the readings over time, yet every time key said "the
log has no events to move through": the keys' start was the first execution's. Now
they move over the readings: the queue depth is the last reading by each moment, the
other figures stay "no data" (never 0), and the thresholds are judged at the moment
(not "threshold off"). Real file, real monitor, the app run with Pilot.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from tests.core.test_as_of import event
from tests.ui.conftest import settled, wait_for
from tests.ui.screen import screen_text
from wftui.config import Settings

# Readings at 09:00:30 (4), 09:01:30 (7), 09:02:30 (12), 09:04:50 (3), 09:07:00 (5).
READINGS = ((30, 4), (90, 7), (150, 12), (290, 3), (420, 5))


def _panels(app: Any) -> dict[str, str]:
    return {key: panel.value for key, panel in app.dashboard.panels}


async def test_time_keys_move_over_queue_readings_alone(harness) -> None:
    lines = [event("queue_depth", second, value=value) for second, value in READINGS]
    h = harness(lines, settings=replace(Settings(), window_s=60.0), clock=time.time)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(lines))
        assert _panels(h.app)["queue"] == "5"  # the log's end: its last reading

        async def at(key: str, marker: str) -> dict[str, str]:
            await pilot.press(key)
            await wait_for(pilot, lambda: marker in h.app.dashboard.title.plain, marker)
            await pilot.pause()
            return _panels(h.app)

        # `{`: the first whole window from the first reading, 09:00:30-09:01:30; the
        # depth then is the reading at 09:01:30.
        panels = await at("left_curly_bracket", "at 09:00:30–09:01:30 (history)")
        assert not any("no events to move through" in note for note in h.notes), h.notes
        assert panels["queue"] == "7"
        assert panels["active"] == "no data"  # no execution: not 0
        assert panels["throughput"] == "no data"
        drawn = screen_text(h.app)
        assert "threshold off" not in drawn  # judged at the moment, as at the end
        assert "threshold > 10,000" in drawn
        panels = await at("right_square_bracket", "at 09:01:30–09:02:30 (history)")
        assert panels["queue"] == "12" and panels["active"] == "no data"
        await pilot.press("l")
        await wait_for(pilot, lambda: "(history)" not in h.app.dashboard.title.plain,
                       "the log's end")
        assert _panels(h.app)["queue"] == "5"
