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


# The dashboard's keys, in the order the keys line shows them (MonitorScreen's shown
# bindings, then the app's), written out here rather than read from the code.
DASHBOARD_KEYS = ["⏎ Open", "/ Filter", "f Status", "s Sort", "w Window", "l Live",
                  "h History", "p Pause", "m Malformed", "q Quit", "? Help"]


def keys_line(app) -> str:
    return screen_text(app).splitlines()[-1]


async def test_the_keys_line_gives_way_from_the_end_and_keeps_help(harness) -> None:
    """Wide: every key, with room. Narrow: the first keys that fit, `…`, then `? Help`
    (which lists the rest); never a label cut in half; the palette key at the right."""
    events = execution("keys-1", T0 + 5)
    h = harness(events)
    async with h.app.run_test(size=(160, 30)) as pilot:
        await settled(pilot, h.app, len(events))
        wide = keys_line(h.app)
        assert wide.startswith(" ⏎ Open  / Filter  f Status"), wide  # with room
        assert all(label in wide for label in DASHBOARD_KEYS), wide
        assert "…" not in wide and wide.endswith("^p palette")
        for width in (100, 80, 60):
            await pilot.resize_terminal(width, 30)
            before = wide

            def redrawn(before: str = before) -> str | None:
                line = keys_line(h.app)
                return line if line != before else None

            line = await wait_for(pilot, redrawn, f"the keys line at {width} columns")
            assert len(line) <= width and line.endswith("^p palette"), (width, line)
            head, _, tail = line.partition(" … ")
            assert tail.startswith("? Help"), (width, line)
            shown = head.split(" ")
            # Closer together: `key Label` pairs from the start, none cut, in order.
            pairs = [f"{shown[i]} {shown[i + 1]}" for i in range(0, len(shown) - 1, 2)]
            assert pairs == DASHBOARD_KEYS[:len(pairs)], (width, line)
            wide = line
        assert len(pairs) < len(DASHBOARD_KEYS) - 3  # 60 columns: most keys gave way


async def test_clicking_a_key_on_the_keys_line_presses_it(harness) -> None:
    events = execution("keys-2", T0 + 5)
    h = harness(events)
    async with h.app.run_test(size=(160, 30)) as pilot:
        await settled(pilot, h.app, len(events))
        line = keys_line(h.app)
        await pilot.click(offset=(line.index("? Help") + 1, 29))
        await wait_for(pilot, lambda: "Everywhere" in screen_text(h.app), "the help screen")
