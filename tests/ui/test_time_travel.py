"""Time travel in the real TUI on an old log (real file, real monitor, the app run
headless with Pilot): the executions table, the queue depth panel and the step tree
show the moment the keys lead to, and `l` brings back the log's end.
The log and the values at each moment are those of tests/core/test_as_of.py."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

import pytest

from tests.core.test_as_of import old_log_lines
from tests.ui.conftest import back_to_alerts, settled, wait_for
from tests.ui.screen import screen_text
from tests.ui.test_narrow_terminal import keys_line
from wftui.config import Settings
from wftui.core.timestamps import parse_timestamp
from wftui.ui.screens.execution import ExecutionScreen
from wftui.ui.widgets.executions_table import ExecutionsTable


def shown(app: Any) -> tuple[str, str, list[tuple[str, str, int]]]:
    """The table's title, the queue panel's value, and (id, status, steps) per row."""
    board = app.dashboard
    rows = app.screen.query_one(ExecutionsTable).rows
    return (board.title.plain, dict(board.panels)["queue"].value,
            [(row.execution_id, row.status, row.steps) for row in rows])


async def test_time_keys_show_the_table_and_queue_depth_of_the_moment(harness) -> None:
    lines = old_log_lines()
    # A 1-minute window: `{` goes to 09:01:00 (the first whole window), `]` to 09:02:00.
    h = harness(lines, settings=replace(Settings(), window_s=60.0), clock=time.time)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(lines))
        title, queue, rows = shown(h.app)  # the log's end, 09:07:30
        assert "(history)" not in title and queue == "5"
        assert " l Live " not in keys_line(h.app)  # already there: nothing to go back to
        assert rows == [("delta", "running", 1), ("charlie", "succeeded", 1),
                        ("bravo", "failed", 1), ("alpha", "succeeded", 2)]

        async def at(key: str, marker: str) -> tuple[str, str, list[tuple[str, str, int]]]:
            await pilot.press(key)
            await wait_for(pilot, lambda: marker in h.app.dashboard.title.plain, marker)
            return shown(h.app)

        title, queue, rows = await at("left_curly_bracket", "at 09:00–09:01 (history)")
        # alpha: plan (10 s) and write (50 s) started; bravo just begun (60 s); queue 4
        assert queue == "4" and "2 running · 0 failed · 2 seen" in title
        await wait_for(pilot, lambda: " l Live " in keys_line(h.app), "the way back")
        assert rows == [("bravo", "running", 0), ("alpha", "running", 2)]
        title, queue, rows = await at("right_square_bracket", "at 09:01–09:02 (history)")
        assert queue == "7"
        assert rows == [("bravo", "running", 1), ("alpha", "running", 2)]

        h.app.open_execution("alpha")  # as the row it is opened from: as of 09:02
        screen = await wait_for(pilot, lambda: isinstance(h.app.screen, ExecutionScreen)
                                and h.app.screen.detail is not None and h.app.screen,
                                "the step tree")
        assert screen.detail.status == "running"
        assert [(s.name, s.status) for s in screen.detail.steps] == [("plan", "ok"),
                                                                     ("write", "running")]
        await pilot.press("w")  # the whole execution, as the log tells it
        await wait_for(pilot, lambda: screen.detail.status == "succeeded", "the whole")
        assert [s.status for s in screen.detail.steps] == ["ok", "ok"]
        await pilot.press("escape")

        await wait_for(pilot, lambda: not isinstance(h.app.screen, ExecutionScreen),
                       "the dashboard")
        await pilot.press("l")
        await wait_for(pilot, lambda: "(history)" not in h.app.dashboard.title.plain,
                       "back to the log's end")
        assert shown(h.app)[1] == "5" and len(shown(h.app)[2]) == 4
        await wait_for(pilot, lambda: " l Live " not in keys_line(h.app), "l Live gone")


async def test_an_execution_open_at_the_end_of_an_old_log_is_aged_to_its_end(
        harness) -> None:
    lines = old_log_lines()
    h = harness(lines, clock=time.time)  # the log ended more than a day before now
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(lines))
        h.app.open_execution("delta")  # at the log's end, not at a past moment
        screen = await wait_for(pilot, lambda: isinstance(h.app.screen, ExecutionScreen)
                                and h.app.screen.detail is not None and h.app.screen,
                                "the step tree")
        # delta began at 400 s and is still open where the log ends (450 s): 50 s old
        # there, as its row in the table says, not a day and more by today's clock.
        assert screen.detail.running_for(screen.detail.start_ts) == 50.0
        text = screen_text(h.app)
        root = next(line for line in text.splitlines() if "delta" in line and "started" in line)
        assert "◌ open at end of log" in root and "ran 50.00s to the log's end" in root
        assert "running for" not in root
        fetch = next(line for line in text.splitlines() if "fetch" in line)
        assert "⟳ 0ms" in fetch  # begun at the log's last event


async def test_the_alert_key_says_so_when_no_alert_fired_before_the_one_shown(
        harness) -> None:
    lines = old_log_lines()  # two alerts: latency p95 at about 180 s, error rate at 260 s
    h = harness(lines, clock=time.time)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(lines))
        moments = await back_to_alerts(pilot, h.app, 2)  # the newest, the one before
        # the log's first alert: only it had fired by then
        assert [alert.name for alert in h.app.latest.snapshot.alerts] == ["latency_p95_s"]
        await pilot.press("t")  # again: no alert fired before it
        await wait_for(pilot, lambda: any("no alert fired before" in note
                                          for note in h.notes),
                       "a word that there is nothing earlier")
        assert h.app.travel_at == moments[-1]


async def test_the_alert_key_before_the_logs_first_alert_does_not_deny_its_alerts(
        harness) -> None:
    # 09:01:00 (`{` with a 1-minute window) is before the log's first alert (latency p95
    # at about 180 s): `t` has nowhere earlier to go, but the log has alerts, later.
    lines = old_log_lines()
    h = harness(lines, settings=replace(Settings(), window_s=60.0), clock=time.time)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(lines))
        await pilot.press("left_curly_bracket")
        await wait_for(pilot, lambda: "at 09:00–09:01 (history)" in h.app.dashboard.title.plain,
                       "09:00–09:01")
        at = h.app.travel_at
        await pilot.press("t")
        await wait_for(pilot, lambda: h.notes, "a word from the alert key")
        assert not any("no alert has fired in this log" in note for note in h.notes)
        assert any("no alert had fired by 09:01" in note for note in h.notes)
        assert h.app.travel_at == at


async def moved_to(pilot: Any, h: Any, lines: int, minutes: int) -> None:
    """The old log's `lines` read, then `{` (its first minute, 09:00–09:01, with a
    1-minute window) and `]` `minutes` times: the window at 09:0m–09:0m+1."""
    await settled(pilot, h.app, lines)
    await pilot.press("left_curly_bracket")
    for _ in range(minutes):
        await pilot.press("right_square_bracket")
    label = f"at 09:{minutes:02d}–09:{minutes + 1:02d} (history)"
    await wait_for(pilot, lambda: label in h.app.dashboard.title.plain, label)


async def _alpha_at_0902(pilot: Any, h: Any) -> Any:
    """The log read, the window moved to 09:01–09:02, alpha's tree open there: its
    execution screen."""
    await moved_to(pilot, h, len(h.log.read_bytes().splitlines()), 1)
    h.app.open_execution("alpha")
    return await wait_for(pilot, lambda: isinstance(h.app.screen, ExecutionScreen)
                          and h.app.screen.detail is not None and h.app.screen,
                          "the step tree")


async def test_an_export_at_a_past_moment_says_which_moment_it_stands_at(
        harness, tmp_path) -> None:
    # alpha as of 09:02 is running (it succeeds later, as the log tells): its export
    # must say it is that moment's, else the file reads as the log's whole story.
    from wftui.ui.screens.execution import export_path

    lines = old_log_lines()
    h = harness(lines, settings=replace(Settings(), window_s=60.0), clock=time.time)
    async with h.app.run_test(size=(160, 45)) as pilot:
        screen = await _alpha_at_0902(pilot, h)
        path = export_path(tmp_path, "alpha")
        await pilot.press("e")
        await wait_for(pilot, path.exists, "the export")
        data = json.loads(path.read_text())
        assert data["status"] == "running"
        assert data["as_of"] == "2026-03-01T09:02:00Z"
        path.unlink()
        await pilot.press("w")  # the whole execution: no moment to name
        await wait_for(pilot, lambda: screen.detail.status == "succeeded", "the whole")
        await pilot.press("e")
        await wait_for(pilot, path.exists, "the whole export")
        data = json.loads(path.read_text())
        assert data["status"] == "succeeded" and "as_of" not in data


async def test_why_at_a_past_moment_explains_that_moment(harness) -> None:
    # bravo failed at 09:04:20 (260 s). At 09:04–09:05 the error rate is 1 of 1; the log's
    # end (09:06:30–09:07:30) has nothing ended. `x` there must explain 09:04–09:05.
    from wftui.ui.screens.why import WhyScreen

    lines = old_log_lines()
    h = harness(lines, settings=replace(Settings(), window_s=60.0), clock=time.time)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await moved_to(pilot, h, len(lines), 4)
        await pilot.press("x")
        screen = await wait_for(pilot, lambda: isinstance(h.app.screen, WhyScreen)
                                and h.app.screen, "the why screen")
        view = screen.view
        assert view.figure == "error_rate"
        assert view.summary == "1 failed of 1 ended; previous window 0 of 0"
        assert ("by error", "timeout") in [(title, row.label) for title, row in view.rows()]
        assert any("09:04:00–09:05:00" in note for note in view.notes), view.notes
        await pilot.press("escape")
        # back at the log's end, `x` explains the end again
        await pilot.press("l")
        await wait_for(pilot, lambda: "(history)" not in h.app.dashboard.title.plain, "the end")
        await pilot.press("x")
        screen = await wait_for(pilot, lambda: isinstance(h.app.screen, WhyScreen)
                                and h.app.screen, "the why screen")
        assert screen.view.summary.startswith("0 failed of 0 ended")


async def test_the_alert_key_from_now_lands_where_the_log_has_the_alert_firing(
        harness) -> None:
    """A live alert can fire at another moment than the log's own time says (judged on
    metrics, or as the lines came in): `t` led to that moment, which showed the alert
    PENDING and "no alerts so far" (seen in `wftui demo`). It leads to the moment the log
    has it firing. The live alert is put in the live engine's history by hand: a real
    one needs a metrics target whose error rate leads the log's by a few seconds."""
    from dataclasses import replace as copy

    lines = old_log_lines()  # the log's own: latency p95 at about 180 s, error at 260 s
    h = harness(lines, clock=time.time)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(lines))
        logged = {alert.name: alert for alert in h.app.latest.snapshot.alerts}
        error = logged["error_rate"]
        # live, the error rate was judged firing 15 s before the log crosses
        h.app.monitor.engine.history[:] = [copy(error, fired_at=error.fired_at - 15)]
        seen = h.app.refreshes
        h.app._request()
        await wait_for(pilot, lambda: h.app.refreshes > seen
                       and len(h.app.latest.snapshot.alerts) == 1, "the live alert shown")
        await pilot.press("t")
        await wait_for(pilot, lambda: h.app.travel_at is not None
                       and h.app.latest.snapshot.at == h.app.travel_at, "the moment")
        assert h.app.travel_at == error.fired_at
        states = {state.name: state.state for state in h.app.latest.snapshot.thresholds}
        assert states["error_rate"] == "firing"
        assert "error_rate" in [alert.name for alert in h.app.latest.snapshot.alerts]


@pytest.mark.parametrize(("live", "begins"), [
    (False, "error_rate FIRING (in the log since 20"),
    (True, "error_rate FIRING: "),
], ids=["old log", "live log"])
async def test_an_old_logs_alert_is_announced_as_the_logs_a_live_ones_as_news(
        harness, live: bool, begins: str) -> None:
    """The error rate stands firing where the log ends (bravo failed at 260 s). Read
    months later, the notice said "error_rate FIRING: ..." as if it were happening
    now; it says when, in the log. With the clock a few seconds after the log's end
    (live), the notice is news."""
    lines = old_log_lines()
    end = max(json_time(line) for line in lines)
    h = harness(lines, clock=(lambda: end + 5.0) if live else time.time)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(lines))
        await wait_for(pilot, lambda: any("FIRING" in note for note in h.notes),
                       "the firing alert announced")
        [firing] = [note for note in h.notes if note.startswith("error_rate FIRING")]
        assert firing.startswith(begins), firing
        assert (" ago): " in firing) is not live


def json_time(line: bytes) -> float:
    stamp = parse_timestamp(json.loads(line)["timestamp"])
    assert stamp is not None
    return stamp


async def _w_during_a_rebuild(pilot: Any, h: Any, monkeypatch: Any) -> Any:
    """At 09:01–09:02, alpha's tree open; new lines start a rebuild (held), `w` is
    pressed meanwhile, then the rebuild goes on. The execution screen."""
    import threading

    screen = await _alpha_at_0902(pilot, h)
    gate = threading.Event()
    build = screen.monitor.detail

    def slow(*args: Any) -> Any:
        gate.wait(5)
        return build(*args)

    monkeypatch.setattr(screen.monitor, "detail", slow)
    screen.watch_data_version()  # new lines: a rebuild, as of 09:02
    await wait_for(pilot, lambda: screen._loading, "the rebuild")
    await pilot.press("w")
    gate.set()
    return screen


async def test_an_export_names_the_moment_of_the_tree_it_writes(harness, tmp_path,
                                                               monkeypatch) -> None:
    # `w` pressed while the tree was being rebuilt (new lines came): the export must
    # name the moment of the tree it writes (alpha running at 09:02), not what `w` has
    # asked for since: a "running" file without as_of reads as the log's whole story.
    from wftui.ui.screens.execution import export_path

    lines = old_log_lines()
    h = harness(lines, settings=replace(Settings(), window_s=60.0), clock=time.time)
    async with h.app.run_test(size=(160, 45)) as pilot:
        screen = await _w_during_a_rebuild(pilot, h, monkeypatch)
        await wait_for(pilot, lambda: not screen._loading, "the rebuild's end")
        await pilot.pause()
        path = export_path(tmp_path, "alpha")
        await pilot.press("e")
        await wait_for(pilot, path.exists, "the export")
        data = json.loads(path.read_text())
        assert data["status"] != "running" or data.get("as_of") == "2026-03-01T09:02:00Z"


async def test_w_during_a_rebuild_shows_the_whole_execution(harness, monkeypatch) -> None:
    # `w` pressed while the tree was being rebuilt (new lines came): the title says
    # the whole execution, and the tree must become it (alpha succeeded), not stay as
    # of 09:02 (running) until more lines come, which an ended log never sends.
    lines = old_log_lines()
    h = harness(lines, settings=replace(Settings(), window_s=60.0), clock=time.time)
    async with h.app.run_test(size=(160, 45)) as pilot:
        screen = await _w_during_a_rebuild(pilot, h, monkeypatch)
        await wait_for(pilot, lambda: screen.detail.status == "succeeded", "the whole")


async def test_a_time_key_on_a_log_without_events_says_so(harness) -> None:
    """A log read to its end whose lines are none of them events: [ said 'the log is
    still being read: its history comes once it is', which it never would."""
    lines = [b"garbage", b'{"x": 1}']
    h = harness(lines, clock=time.time)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: h.monitor.judged and h.app.latest is not None
                       and h.app.latest.log_history is not None, "the log read")
        await pilot.press("[")
        await wait_for(pilot, lambda: h.notes, "a word")
        assert h.notes[-1] == "the log has no events to move through"
        assert h.app.travel_at is None


async def test_why_at_a_past_moment_explains_what_was_firing_then(harness) -> None:
    # At 09:02–09:03 alpha (180 s) and charlie (30 s) ended: p95 above 100 s, firing
    # then; at the log's end nothing ended (nothing firing now). `x` there must explain
    # the latency that fired then, not the error rate the live states fall back to.
    from wftui.core.thresholds import Threshold
    from wftui.ui.screens.why import WhyScreen

    lines = old_log_lines()
    settings = replace(Settings(), window_s=60.0, thresholds=(
        Threshold("error_rate", 0.5, "x"), Threshold("latency_p95_s", 100.0, "slow")))
    h = harness(lines, settings=settings, clock=time.time)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await moved_to(pilot, h, len(lines), 2)
        await pilot.press("x")
        screen = await wait_for(pilot, lambda: isinstance(h.app.screen, WhyScreen)
                                and h.app.screen, "the why screen")
        assert screen.view.figure == "latency_p95_s"
