"""At 100 columns every view keeps every key's label whole (wftui demo's too)."""

from __future__ import annotations

from tests.ui.conftest import T0, execution, settled, wait_for
from tests.ui.screen import screen_text
from tests.ui.test_execution_view import open_view
from tests.ui.test_keys import FakeDemo


async def test_the_execution_views_footer_fits_100_columns(harness) -> None:
    events = execution("narrow-1", T0 + 5, failed=True)
    h = harness(events, demo=FakeDemo())
    async with h.app.run_test(size=(100, 30)) as pilot:
        await settled(pilot, h.app, len(events))
        await open_view(pilot, h.app, "narrow-1")
        footer = await wait_for(
            pilot, lambda: next((line for line in screen_text(h.app).splitlines()
                                 if "esc" in line and "Back" in line), None), "the footer")
        for label in ("Back", "Expand", "Collapse", "Export", "Replay", "Compare", "Quit",
                      "Help", "i Incident", "palette"):
            assert label in footer, f"{label!r} cut from the footer: {footer!r}"
