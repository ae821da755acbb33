"""A line over 1 MiB is skipped, never read: the source line counts it and the `m` view
names it (file, line, bytes) instead of claiming every line was read, whether the file
was read by the tailer or in parts by forked readers (`wftui.sources.catchup`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.conftest import T0, execution, wait_for
from tests.ui.screen import screen_text
from wftui.sources import catchup
from wftui.sources.filereader import MAX_LINE_BYTES
from wftui.ui.screens.malformed import MalformedScreen


@pytest.mark.parametrize("read", ["by the tailer", "in parts"])
async def test_the_malformed_view_names_the_long_line(
        harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, read: str) -> None:
    monkeypatch.chdir(tmp_path)
    if read == "in parts":
        monkeypatch.setattr(catchup, "MIN_PART_BYTES", 16 << 10)
        monkeypatch.setattr(catchup, "usable_cpus", lambda: 3)
    # start, then fetch_ticket (start, tool call, complete), classify (start,
    # complete), complete: 7 events
    first = execution("EXEC-0", T0)
    rest = [event for n in range(1, 80) for event in execution(f"EXEC-{n}", T0 + n)]
    long_line = b'{"event": "x", "pad": "' + b"a" * MAX_LINE_BYTES + b'"}'  # line 8
    events = [*first, long_line, *rest]
    h = harness(events, relative=True)
    if read == "in parts":
        plan = catchup.plan_catch_up(h.monitor.tailer)
        assert plan is not None and len(plan.parts) >= 2
    async with h.app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: h.monitor.ledger.events_total == len(events) - 1
                       and not h.monitor.reading, "every event read")
        await wait_for(pilot, lambda: "1 long line skipped" in screen_text(h.app),
                       "the source line's count")
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(h.app.screen, MalformedScreen), "the view")
        await wait_for(pilot, lambda: "app.log:8" in screen_text(h.app), "the line named")
        text = screen_text(h.app)
        assert "1 line longer than 1 MiB skipped, not read" in text
        assert f"app.log:8  {MAX_LINE_BYTES + 25:,} bytes" in text  # 23 + pad + 2
        assert "every line was read" not in text
        assert "none malformed: every other line was read as an event" in text
