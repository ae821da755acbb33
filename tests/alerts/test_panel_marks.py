"""A silenced or acknowledged alert reads so inside its panel (Textual-free view), in the
longest form its width allows; one real-app check that the panel shows it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.ui.conftest import harness, settled, wait_for  # noqa: F401
from tests.view.conftest import T0, run, snapshot_of
from wftui.alerts.silences import ALERTMANAGER, Acknowledgement, Silence, mark_forms
from wftui.view.panels import panel_text, panel_views

# 14:05 and 14:01 UTC on the day of T0
UNTIL = datetime(2026, 1, 1, 14, 5, tzinfo=UTC).timestamp()
TAKEN = datetime(2026, 1, 1, 14, 1, tzinfo=UTC).timestamp()
SILENCE = Silence("s1", "error_rate", UNTIL, "ana", "known incident", T0)
ACK = Acknowledgement("error_rate", "bo", TAKEN)
# One failure in four: the error rate fires (25% > 5%)
EVENTS = (run("a", T0, 2.0) + run("b", T0 + 10, 4.0) + run("c", T0 + 20, 6.0)
          + run("d", T0 + 30, 8.0, failed=True))


def _panel(silenced: dict[str, Silence], acks: dict[str, Acknowledgement] | None = None):
    snapshot = snapshot_of(EVENTS)
    marks = mark_forms(silenced, acks, snapshot.thresholds)
    return dict(panel_views(snapshot, T0 + 100, None, marks))


def _lines(view, width: int, height: int | None = None) -> list[str]:
    return panel_text(view, width, height).plain.split("\n")


def test_a_silenced_firing_panel_says_until_when_by_whom_and_why() -> None:
    panels = _panel({"error_rate": SILENCE})
    view = panels["error_rate"]
    lines = _lines(view, 60)
    assert lines[0] == "25.00%   FIRING "
    # no detail on this panel: the mark takes the detail line, the height is unchanged
    assert lines[2] == "silenced until 14:05 by ana: known incident"
    assert lines[-1] == "▶ Page on-call, investigate root cause"
    assert len(lines) == 5
    # the other panels are not marked
    assert not any("silenced" in panel_text(v, 60).plain for key, v in panels.items()
                   if key != "error_rate")


@pytest.mark.parametrize(("width", "expected"), [
    (43, "silenced until 14:05 by ana: known incident"),
    (42, "silenced until 14:05 by ana"),  # the comment goes first
    (27, "silenced until 14:05 by ana"),
    (26, "silenced until 14:05"),
    (19, "silenced → 14:05"),
    (15, "silenced"),
    (8, "silenced"),
])
def test_narrow_panels_show_a_compact_form(width: int, expected: str) -> None:
    view = _panel({"error_rate": SILENCE})["error_rate"]
    assert _lines(view, width)[2] == expected


@pytest.mark.parametrize(("width", "expected"), [
    (80, "silenced until 14:05 by ana: known incident · acknowledged by bo at 14:01"),
    (70, "silenced until 14:05 by ana: known incident · acknowledged by bo"),
    (50, "silenced until 14:05 by ana · acknowledged"),
    (30, "silenced until 14:05 · ack'd"),
    (24, "silenced → 14:05 · ack'd"),
    (20, "silenced → 14:05"),  # too narrow for both: the silence's end is kept
    (15, "silenced"),
])
def test_silenced_and_acknowledged(width: int, expected: str) -> None:
    view = _panel({"error_rate": SILENCE}, {"error_rate": ACK})["error_rate"]
    assert _lines(view, width)[2] == expected


def test_acknowledged_only_and_alertmanager_silences() -> None:
    view = _panel({}, {"error_rate": ACK})["error_rate"]
    assert _lines(view, 40)[2] == "acknowledged by bo at 14:01"
    assert _lines(view, 20)[2] == "acknowledged by bo"
    remote = Silence("abc", "error_rate", UNTIL, "cy", "deploy", T0, origin=ALERTMANAGER)
    view = _panel({"error_rate": remote})["error_rate"]
    assert _lines(view, 60)[2] == "silenced until 14:05 by cy (Alertmanager): deploy"


def test_an_acknowledgement_of_an_alert_not_firing_is_not_shown() -> None:
    ack = Acknowledgement("latency_p95_s", "bo", TAKEN)  # latency is ok in this log
    view = _panel({}, {"latency_p95_s": ack})["latency"]
    assert "acknowledged" not in panel_text(view, 60).plain


def test_with_a_detail_the_mark_is_a_line_of_its_own() -> None:
    silence = Silence("s2", "latency_p95_s", UNTIL, "ana", "", T0)
    view = _panel({"latency_p95_s": silence})["latency"]
    lines = _lines(view, 40)
    assert lines[2].startswith("p50 ")
    assert lines[3] == "silenced until 14:05 by ana"


def test_a_comment_is_data_not_markup() -> None:
    silence = Silence("s3", "error_rate", UNTIL, "ana", "[bold]x[/] \x1b[31m", T0)
    text = panel_text(_panel({"error_rate": silence})["error_rate"], 60)
    line = text.plain.split("\n")[2]
    assert "[bold]x[/]" in line and "\x1b" not in line


async def test_the_app_shows_the_silence_in_the_panel(
        harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """A silence written by another wftui (the file) reaches the error-rate panel."""
    from tests.alerts.test_tui_alerts import events
    from wftui.alerts.silences import SilenceStore
    from wftui.ui.widgets.figure_panel import FigurePanel

    monkeypatch.chdir(tmp_path)
    SilenceStore().add("error_rate", 3600, "known incident", by="ana")
    log = events()
    h = harness(log, preload=True, relative=True)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(log))
        panel = h.app.screen.query_one("#panel-error_rate", FigurePanel)
        await wait_for(pilot, lambda: panel.shown_text is not None
                       and "silenced until" in panel.shown_text.plain,
                       "the silence in the panel")
        # 160 columns: five panels of 28 cells, room for "silenced until HH:MM by ana"
        assert "silenced until" in panel.shown_text.plain
        assert " by ana" in panel.shown_text.plain
        # the alerts list says it in full beside FIRING
        from wftui.ui.widgets.alerts_list import AlertsList

        listed = h.app.screen.query_one(AlertsList)
        await wait_for(pilot, lambda: listed.shown_text is not None
                       and "FIRING · silenced until " in listed.shown_text.plain,
                       "the silence in the alerts list")
        assert "by ana: known incident" in listed.shown_text.plain


def test_alerts_list_marks_only_the_firing_episode() -> None:
    from wftui.core.thresholds import Alert
    from wftui.ui.widgets.alerts_list import alerts_text

    older = Alert("error_rate", T0, 0.3, T0 + 60)
    now = Alert("error_rate", T0 + 600, 0.2)
    lines = alerts_text((now, older), marks={"error_rate": SILENCE.describe()}).plain
    first, second = lines.split("\n")
    assert first.endswith("FIRING · silenced until 14:05 by ana: known incident  peak 20.00%")
    assert "silenced" not in second  # a cleared episode is history


def test_alertmanager_source_line() -> None:
    from wftui.view.status import source_text

    down = source_text({"kind": "alertmanager", "name": "http://127.0.0.1:9093",
                        "status": "down", "error": "ConnectError: refused"}).plain
    assert down == ("✗ alertmanager http://127.0.0.1:9093  DOWN: alerts judged here, sent "
                    "when it answers  ConnectError: refused")
    up = source_text({"kind": "alertmanager", "name": "http://127.0.0.1:9093",
                      "status": "ok", "error": None}).plain
    assert up == "● alertmanager http://127.0.0.1:9093  alerts delivered"
