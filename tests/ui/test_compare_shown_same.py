"""The compare screen between two executions both shown as 0ms: "same", not "×0.50".

Like `wftui diff` (tests/replay/test_diff_shown_same.py): a cache lookup of 0.4 ms and
one of 0.2 ms both read 0ms to the operator; a ratio of 0.50 between them is what the
rounding hid, not news. A real monitor follows a real log; the screen is read as drawn.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.replay_host import Host, line, shown, wait_for
from tests.ui.screen import screen_text
from wftui.config import Settings
from wftui.live import LiveMonitor
from wftui.ui.screens.compare import CompareScreen


@pytest.fixture
def log_of(tmp_path: Path) -> Iterator[object]:
    monitors: list[LiveMonitor] = []

    def make(a_ms: float, b_ms: float) -> Host:
        """A and B: one `cache` step each, of a_ms and b_ms, the whole execution as long."""
        lines = []
        for eid, at, ms in (("A", 0.0, a_ms), ("B", 10.0, b_ms)):
            lines += [line("workflow_start", eid, at, workflow_name="w"),
                      line("step_start", eid, at, step_name="cache", step_type="tool"),
                      line("step_complete", eid, at + ms / 1000, step_name="cache",
                           duration_ms=ms, success=True),
                      line("workflow_complete", eid, at + ms / 1000, status="success",
                           duration_ms=ms)]
        log = tmp_path / "app.log"
        log.write_bytes(b"\n".join(lines) + b"\n")
        monitor = LiveMonitor(Settings(idle_timeout_s=None), [str(log)])
        monitors.append(monitor)
        monitor.start()
        return Host(lambda: CompareScreen(monitor, "A", "B"))

    yield make
    for monitor in monitors:
        monitor.stop()


async def test_two_executions_both_shown_as_0ms_read_the_same(log_of) -> None:  # type: ignore[no-untyped-def]
    app = log_of(0.4, 0.2)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: "ratio" in screen_text(app), "the header's ratio")
        drawn = screen_text(app)
        [ratio] = [row for row in drawn.splitlines() if row.strip().startswith("ratio")]
        assert ratio.split() == ["ratio", "same", "(0ms", "each)"], ratio
        assert "0.50" not in drawn and "faster" not in drawn
        assert "no notable difference" in shown(screen, "#compare-verdict")


async def test_durations_shown_apart_still_give_their_ratio(log_of) -> None:  # type: ignore[no-untyped-def]
    app = log_of(40, 20)  # 40ms then 20ms: B took half as long, and it shows
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: "ratio" in screen_text(app), "the header's ratio")
        drawn = screen_text(app)
        [ratio] = [row for row in drawn.splitlines() if row.strip().startswith("ratio")]
        assert ratio.split() == ["ratio", "×0.50", "of", "A"], ratio
        assert "faster ×0.50" in drawn
