"""At 100 columns every view keeps every key's label whole (wftui demo's too)."""

from __future__ import annotations

import time

from tests.ui.conftest import T0, WAIT_S, execution, settled, wait_for
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
# bindings, then the app's), written out here rather than read from the code. `l Live`
# is not among them: live, it does nothing (it is shown at a past moment).
DASHBOARD_KEYS = ["⏎ Open", "/ Filter", "f Status", "s Sort", "w Window", "h History",
                  "p Pause", "m Malformed", "q Quit", "? Help"]
PALETTE = "▏ ^p palette"  # closer together: 12 cells at the right edge


def keys_line(app) -> str:
    return screen_text(app).splitlines()[-1]


async def keys_become(pilot, app, width: int, expected: str) -> None:
    """Resize to `width` and wait for the keys line to read `expected` (a loaded machine
    may show a redraw in between: the line is judged once it settles, or at the limit)."""
    await pilot.resize_terminal(width, 30)
    deadline = time.monotonic() + WAIT_S
    while (line := keys_line(app)) != expected and time.monotonic() < deadline:
        await pilot.pause(0.05)
    assert line == expected, line


async def test_the_keys_line_gives_way_from_the_screens_last_key_and_keeps_quit_and_help(
        harness) -> None:
    """Wide: every key, with room. Narrower: closer together. Narrower still: the
    screen's last keys give way to `…`, never quit or help; never a label cut in half;
    the palette key at the right."""
    events = execution("keys-1", T0 + 5)
    h = harness(events)
    async with h.app.run_test(size=(160, 30)) as pilot:
        await settled(pilot, h.app, len(events))
        wide = keys_line(h.app)
        assert wide.startswith(" ⏎ Open  / Filter  f Status"), wide  # with room
        assert all(label in wide for label in DASHBOARD_KEYS), wide
        assert "…" not in wide and "Live" not in wide and wide.endswith("^p palette")
        # 100 columns: the ten keys closer together take 7+9+9+7+9+10+8+12+7+7 = 85
        # cells, the palette 12: all fit, 3 cells to spare.
        await keys_become(pilot, h.app, 100, " ".join(DASHBOARD_KEYS) + " " * 4 + PALETTE)
        # 80 columns: 68 beside the palette; quit and help (14) and `… ` (2) leave 52:
        # the screen's keys up to h History (51 cells), the rest give way.
        await keys_become(pilot, h.app, 80, (
            "⏎ Open / Filter f Status s Sort w Window h History … q Quit ? Help"
            + " " * 2 + PALETTE))
        # 60 columns: 48 - 16 = 32 cells: up to s Sort, exactly.
        await keys_become(pilot, h.app, 60,
                          "⏎ Open / Filter f Status s Sort … q Quit ? Help " + PALETTE)


async def test_wftui_demos_keys_keep_quit_help_and_incident_at_100_and_80_columns(
        harness) -> None:
    """The demo adds `i Incident` (the app's, like quit and help: they stay); the
    dashboard's last keys give way instead. Worked out in cells, closer together:
    ⏎ Open 7, / Filter 9, f Status 9, s Sort 7, w Window 9, h History 10, p Pause 8,
    m Malformed 12; q Quit 7, ? Help 7, i Incident 11; `… ` 2; the palette 12."""
    events = execution("keys-3", T0 + 5)
    h = harness(events, demo=FakeDemo())
    async with h.app.run_test(size=(160, 30)) as pilot:
        await settled(pilot, h.app, len(events))
        # 100: 88 - 25 - 2 = 61 cells for the dashboard's keys: up to p Pause (59).
        await keys_become(pilot, h.app, 100, (
            "⏎ Open / Filter f Status s Sort w Window h History p Pause … "
            "q Quit ? Help i Incident" + " " * 3 + PALETTE))
        # 80: 68 - 27 = 41 cells: up to w Window (41).
        await keys_become(pilot, h.app, 80, (
            "⏎ Open / Filter f Status s Sort w Window … q Quit ? Help i Incident "
            + PALETTE))
        # The execution view at 80: esc Back 9, r Replay 9, c Compare 10, e Export 9
        # (37 of 41); expand and collapse give way (space/enter fold, its title says).
        await open_view(pilot, h.app, "keys-3")
        line = await wait_for(pilot, lambda: (line := keys_line(h.app)).startswith("esc")
                              and line, "the execution view's keys")
        assert line == ("esc Back r Replay c Compare e Export … q Quit ? Help i Incident"
                        + " " * 5 + PALETTE), line


async def test_clicking_a_key_on_the_keys_line_presses_it(harness) -> None:
    events = execution("keys-2", T0 + 5)
    h = harness(events)
    async with h.app.run_test(size=(160, 30)) as pilot:
        await settled(pilot, h.app, len(events))
        line = keys_line(h.app)
        await pilot.click(offset=(line.index("? Help") + 1, 29))
        await wait_for(pilot, lambda: "Everywhere" in screen_text(h.app), "the help screen")
