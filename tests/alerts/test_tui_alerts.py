"""Why, silence, acknowledge and the silences list in the real app (Pilot), and one SVG
snapshot of the "why" screen."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.conftest import T0, execution, harness, settled, wait_for  # noqa: F401
from tests.ui.screen import screen_text
from wftui.alerts.silences import SilenceStore
from wftui.ui.screens.help import HelpScreen
from wftui.ui.screens.silence import SilenceDialog, SilencesScreen
from wftui.ui.screens.why import WhyScreen

ERROR = "TimeoutError: ticket API did not answer"


def events() -> list[dict]:
    """Ten executions 10 s apart; the 2nd, 5th, 8th fail in classify (3 / 10 > 5%)."""
    out: list[dict] = []
    for n in range(10):
        out += execution(f"EXEC-{n:02d}", T0 + n * 10, failed=n % 3 == 1,
                         workflow="billing" if n % 2 else "support")
    return out


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the log is named app.log on screen, in any temp dir
    monkeypatch.setenv("LOGNAME", "ana")


async def test_why_row_opens_its_executions(harness) -> None:  # noqa: F811
    log = events()
    h = harness(log, preload=True, relative=True)
    async with h.app.run_test(size=(140, 45)) as pilot:
        await settled(pilot, h.app, len(log))
        await pilot.press("x")
        screen = await wait_for(pilot, lambda: isinstance(h.app.screen, WhyScreen)
                                and h.app.screen, "the why screen")
        assert screen.view.summary.startswith("3 failed of 10 ended")
        rows = {(title, row.label): row for title, row in screen.view.rows()}
        classify = rows[("by step", "classify")]
        assert (classify.count, classify.share) == ("3", "100%")
        # workflows: EXEC-01 and EXEC-07 are billing (odd), EXEC-04 support
        assert rows[("by workflow", "billing")].count == "2"
        await pilot.press("enter")  # on "classify"
        await wait_for(pilot, lambda: not isinstance(h.app.screen, WhyScreen), "closed")
        pick = h.app.table_query.pick  # the ids the row counted, not a text search
        assert pick is not None and len(pick.ids) == 3 and "step classify" in pick.label
        await wait_for(pilot, lambda: h.app.shown is not None
                       and len(h.app.shown.rows) == 3, "the 3 failed executions listed")
        # q leaves the why screen, as it leaves compare (it did nothing there)
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(h.app.screen, WhyScreen), "why again")
        # ? lists the keys here too (a modal screen cuts the app's keys off), and says so
        assert "? Help" in screen_text(h.app)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(h.app.screen, HelpScreen), "help over why")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(h.app.screen, WhyScreen), "back to why")
        await pilot.press("q")
        await wait_for(pilot, lambda: not isinstance(h.app.screen, WhyScreen), "q: back")
        assert h.app.is_running


async def test_silence_from_why_then_shown_and_removed(harness) -> None:  # noqa: F811
    log = events()
    h = harness(log, preload=True, relative=True)
    async with h.app.run_test(size=(140, 45)) as pilot:
        await settled(pilot, h.app, len(log))
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(h.app.screen, WhyScreen), "the why screen")
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(h.app.screen, SilenceDialog), "the dialog")
        await pilot.press(*"known incident", "enter")
        store = SilenceStore()
        (silence,) = await wait_for(pilot, store.silences, "the silence written")
        assert (silence.alert, silence.created_by, silence.comment) == (
            "error_rate", "ana", "known incident")
        await wait_for(pilot, lambda: "error_rate: FIRING · silenced until "
                       in screen_text(h.app), "the silence on the status line")
        assert "by ana: known incident" in screen_text(h.app)
        # a acknowledges: who and when
        await pilot.press("a")
        await wait_for(pilot, lambda: "error_rate" in store.acknowledgements(), "the ack")
        assert store.acknowledgements()["error_rate"].by == "ana"
        # the palette's "Silences" lists it; d removes it
        await pilot.press("ctrl+p")
        await pilot.press(*"Silences: list")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(h.app.screen, SilencesScreen), "the list")
        await pilot.press("d")
        await wait_for(pilot, lambda: store.silences() == [], "the silence removed")


def test_why_screen_snapshot(harness, snap_compare) -> None:  # noqa: F811
    log = events()
    h = harness(log, preload=True, relative=True)

    async def run_before(pilot) -> None:
        await settled(pilot, pilot.app, len(log))
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, WhyScreen), "why")
        pilot.app.clear_notifications()  # the firing toast would hide part of it
        await pilot.pause()

    assert snap_compare(h.app, terminal_size=(140, 45), run_before=run_before)


async def test_with_alertmanager_pushes_and_silences_there(harness, tmp_path: Path) -> None:  # noqa: F811
    """The monitor pushes its firing alert; s creates the silence in Alertmanager, which
    then shows here as silenced (with its author and comment)."""
    from tests.alerts.alertmanager_server import Alertmanager, require_binary
    from tests.alerts.test_notify import Receiver
    from wftui.alerts.alertmanager import AlertmanagerSettings
    from wftui.alerts.desk import AlertDesk

    require_binary()
    log = events()
    with Receiver() as hook:
        server = Alertmanager(hook.url).start()
        try:
            desk = AlertDesk(alertmanager=AlertmanagerSettings(
                url=server.url, resend_s=1.0, labels={"test": "tui"}))
            h = harness(log, preload=True, relative=True, desk=desk)
            async with h.app.run_test(size=(140, 45)) as pilot:
                await settled(pilot, h.app, len(log))
                (alert,) = await wait_for(pilot, server.alerts, "the alert pushed")
                assert alert["labels"]["figure"] == "error_rate"
                await pilot.press("x")
                await wait_for(pilot, lambda: isinstance(h.app.screen, WhyScreen), "why")
                await pilot.press("s")
                await wait_for(pilot, lambda: isinstance(h.app.screen, SilenceDialog),
                               "the dialog")
                await pilot.press(*"deploy", "enter")
                (made,) = await wait_for(pilot, server.silences, "the silence there")
                assert (made["createdBy"], made["comment"]) == ("ana", "deploy")
                assert SilenceStore().silences() == []  # not kept locally
                await wait_for(pilot, lambda: "by ana (Alertmanager): deploy"
                               in screen_text(h.app), "shown silenced", limit_s=60)
        finally:
            server.close()


async def test_keys_on_a_focused_panel(harness) -> None:  # noqa: F811
    from wftui.ui.widgets.figure_panel import FigurePanel

    log = events()
    h = harness(log, preload=True, relative=True)
    async with h.app.run_test(size=(140, 45)) as pilot:
        await settled(pilot, h.app, len(log))
        h.app.screen.query_one("#panel-latency", FigurePanel).focus()
        await pilot.press("enter")
        screen = await wait_for(pilot, lambda: isinstance(h.app.screen, WhyScreen)
                                and h.app.screen, "why latency")
        assert screen.view.figure == "latency_p95_s"
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(h.app.screen, WhyScreen), "closed")
        h.app.screen.query_one("#panel-queue", FigurePanel).focus()
        await pilot.press("a")
        await wait_for(pilot, lambda: "queue_depth" in SilenceStore().acknowledgements(),
                       "the queue depth acknowledged")
        h.app.screen.query_one("#panel-active", FigurePanel).focus()
        await pilot.press("s")
        dialog = await wait_for(pilot, lambda: isinstance(h.app.screen, SilenceDialog)
                                and h.app.screen, "the dialog")
        assert dialog.alert == "active_workflows"


async def test_keys_on_the_alerts_list(harness) -> None:  # noqa: F811
    """Tab reaches the alerts list; its keys act on the selected alert (the error rate:
    3 of 10 failed is over 5%, the only alert of this log); the table's s still sorts."""
    from wftui.ui.widgets.alerts_list import AlertsList
    from wftui.ui.widgets.executions_table import ExecutionsTable

    log = events()
    h = harness(log, preload=True, relative=True)
    async with h.app.run_test(size=(140, 45)) as pilot:
        await settled(pilot, h.app, len(log))
        listed = h.app.screen.query_one(AlertsList)
        await wait_for(pilot, lambda: len(listed.alerts) == 1, "the error rate alert")
        # the table has focus: s sorts (start_ts is the first sort, then the next one)
        sort_before = h.app.table_query.sort
        await pilot.press("s")
        assert h.app.table_query.sort != sort_before
        assert isinstance(h.app.focused, ExecutionsTable)
        sorted_by = h.app.table_query.sort
        for _ in range(8):  # tab cycles through the panels to the list
            if h.app.focused is listed:
                break
            await pilot.press("tab")
        assert h.app.focused is listed
        await pilot.press("down", "up", "down")  # one alert: the selection stays on it
        assert listed.selected == 0
        assert "› ● error_rate" in listed.shown_text.plain
        await pilot.press("a")
        await wait_for(pilot, lambda: "error_rate" in SilenceStore().acknowledgements(),
                       "the error rate acknowledged")
        await pilot.press("s")
        dialog = await wait_for(pilot, lambda: isinstance(h.app.screen, SilenceDialog)
                                and h.app.screen, "the silence dialog")
        assert dialog.alert == "error_rate"
        assert h.app.table_query.sort == sorted_by  # the list's s did not sort
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(h.app.screen, SilenceDialog), "closed")
        await pilot.press("enter")
        why = await wait_for(pilot, lambda: isinstance(h.app.screen, WhyScreen)
                             and h.app.screen, "why the error rate")
        assert why.view.figure == "error_rate"


async def test_the_monitor_labels_the_pushed_alert_with_its_workflow(harness) -> None:  # noqa: F811
    """Every failure is in billing: the alert the monitor pushes says workflow_name."""
    from tests.alerts.alertmanager_server import Alertmanager, require_binary
    from tests.alerts.test_notify import Receiver
    from wftui.alerts.alertmanager import AlertmanagerSettings
    from wftui.alerts.desk import AlertDesk

    require_binary()
    log: list[dict] = []
    for n in range(10):  # the 2nd, 5th and 8th fail, all three in billing
        log += execution(f"EXEC-{n:02d}", T0 + n * 10, failed=n % 3 == 1,
                         workflow="billing" if n % 3 == 1 else "support")
    with Receiver() as hook:
        server = Alertmanager(hook.url).start()
        try:
            desk = AlertDesk(alertmanager=AlertmanagerSettings(url=server.url, resend_s=1.0))
            h = harness(log, preload=True, relative=True, desk=desk)
            async with h.app.run_test(size=(140, 45)) as pilot:
                await settled(pilot, h.app, len(log))
                (alert,) = await wait_for(pilot, server.alerts, "the alert pushed")
                assert alert["labels"]["workflow_name"] == "billing"
        finally:
            server.close()


async def test_alertmanager_down_on_its_source_line_then_resent(harness) -> None:  # noqa: F811
    """Alertmanager has its own line among the sources; stopped, it reads DOWN while the
    alert is still judged here; started again (its alerts are not kept on disk), the
    firing alert is sent again and the line says so."""
    from tests.alerts.alertmanager_server import Alertmanager, require_binary
    from tests.alerts.test_notify import Receiver
    from wftui.alerts.alertmanager import AlertmanagerSettings
    from wftui.alerts.desk import AlertDesk

    require_binary()
    log = events()
    with Receiver() as hook:
        server = Alertmanager(hook.url).start()
        try:
            desk = AlertDesk(alertmanager=AlertmanagerSettings(url=server.url, resend_s=1.0))
            h = harness(log, preload=True, relative=True, desk=desk)
            async with h.app.run_test(size=(160, 45)) as pilot:
                await settled(pilot, h.app, len(log))
                await wait_for(pilot, server.alerts, "the alert pushed")
                line = f"● alertmanager {server.url}  alerts delivered"
                await wait_for(pilot, lambda: line in screen_text(h.app), "its source line")
                server.stop()
                await wait_for(pilot, lambda: f"✗ alertmanager {server.url}  DOWN: alerts "
                               "judged here, sent when it answers" in screen_text(h.app),
                               "down on its source line")
                assert "error_rate" in screen_text(h.app)  # still judged and shown
                # ... and said where the alerts are: a notice, and the status line with
                # how many wait (the firing error rate was delivered before: none).
                failing = f"alertmanager {server.url}: pushes failing ("
                await wait_for(pilot, lambda: any(n.startswith(failing) for n in h.notes),
                               "the notice")
                assert failing in h.app.dashboard.status.plain
                assert "; 0 alerts waiting, kept and retried" in h.app.dashboard.status.plain
                server.start()
                (alert,) = await wait_for(pilot, server.alerts, "the alert sent again")
                assert alert["labels"]["figure"] == "error_rate"
                await wait_for(pilot, lambda: line in screen_text(h.app), "up again")
                await wait_for(pilot, lambda: "alertmanager answers again: alerts "
                               "delivered" in h.notes, "the notice that it is back")
                assert failing not in h.app.dashboard.status.plain
        finally:
            server.close()


async def test_an_unreadable_silences_file_is_a_notice_once(harness) -> None:  # noqa: F811
    store = SilenceStore()
    store.add("error_rate", 3600, "known incident", by="ana")
    good = store.path.read_bytes()
    store.path.write_text('{"silences": [')  # cut short
    log = events()
    h = harness(log, preload=True, relative=True)
    async with h.app.run_test(size=(140, 45)) as pilot:
        notes = h.notes
        await settled(pilot, h.app, len(log))
        await wait_for(pilot, lambda: any("not valid JSON" in n for n in notes), "the notice")
        shown = h.app.refreshes
        await pilot.press("p", "p")  # two more refreshes at least
        await wait_for(pilot, lambda: h.app.refreshes >= shown + 2, "more refreshes")
        problems = [n for n in notes if "silences" in n]
        assert len(problems) == 1, problems  # once, not at each refresh
        assert problems[0].startswith(f"silences: {store.path} is not valid JSON (")
        assert problems[0].endswith("; nothing in it is silenced. Alerts meant to be "
                                    "silenced by it notify as usual.")
        store.path.write_bytes(good)
        await wait_for(pilot, lambda: "silences: the file is read again; its silences "
                       "apply" in notes, "the notice that it is fixed")
