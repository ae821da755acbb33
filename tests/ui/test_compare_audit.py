"""The compare and audit screens, and replay + compare against the demo's real replay
hook: driven with Pilot inside a minimal host app, a real LiveMonitor on real files."""

from __future__ import annotations

import asyncio
import gzip
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.screen import Screen
from textual.widgets import DataTable

from demo.process import DemoProcess, start_demo_process
from tests.ui.replay_host import WAIT_S, Host, detail_of, line, original, shown, wait_for
from tests.ui.screen import screen_text
from wftui.config import Settings
from wftui.core.compare import compare
from wftui.core.steps import ExecutionDetail
from wftui.live import LiveMonitor
from wftui.replay.audit import append_audit, audit_path, audit_record
from wftui.ui.screens.audit import AuditScreen
from wftui.ui.screens.compare import CompareScreen
from wftui.ui.screens.replay import DONE, ReplayScreen


@pytest.fixture(autouse=True)
def _state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))



# -- compare ---------------------------------------------------------------------------

@pytest.fixture
def monitors() -> Iterator[list[LiveMonitor]]:
    started: list[LiveMonitor] = []
    yield started
    for monitor in started:
        monitor.stop()


def compare_host(log: Path, monitors: list[LiveMonitor], left: str, right: str
                 ) -> tuple[Host, LiveMonitor]:
    """A real monitor following `log` (no idle timeout: ended is ended) and a host app
    showing the comparison of `left` and `right`."""
    monitor = LiveMonitor(Settings(idle_timeout_s=None), [str(log)])
    monitors.append(monitor)
    monitor.start()
    return Host(lambda: CompareScreen(monitor, left, right)), monitor


def rows_of(screen: Screen[Any]) -> list[list[str]]:
    table = screen.query_one(DataTable)
    return [[cell.plain for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_compare_updates_while_the_replay_runs(tmp_path: Path,
                                                     monitors: list[LiveMonitor]) -> None:
    log = tmp_path / "app.log"
    replay_start = [
        line("workflow_start", "EXEC-1-replay", 10, workflow_name="support_ticket",
             replay_of="EXEC-1", context={"ticket_id": "TKT-1"}),
        line("step_start", "EXEC-1-replay", 10, step_name="fetch_ticket", step_type="tool"),
        line("step_complete", "EXEC-1-replay", 10.25, step_name="fetch_ticket",
             duration_ms=250, success=True),
        line("step_start", "EXEC-1-replay", 10.25, step_name="classify", step_type="llm"),
    ]
    log.write_bytes(b"\n".join(original() + replay_start) + b"\n")
    app, _ = compare_host(log, monitors, "EXEC-1", "EXEC-1-replay")
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: "still running" in shown(screen, "#compare-verdict"),
                       "the running comparison")
        assert shown(screen, "#compare-verdict").startswith(
            "the replay is still running, now at classify")
        rows = rows_of(screen)
        # fetch_ticket: 250 ms vs 500 ms -> x0.50, faster; classify running on the right
        assert [r[1] for r in rows] == ["fetch_ticket", "classify"]
        assert rows[0][0] == "●" and rows[0][4] == "faster ×0.50"
        assert rows[1][2].startswith("failed 1.00s") and rows[1][3].startswith("running")
        with log.open("ab") as out:
            out.write(b"\n".join([
                line("step_complete", "EXEC-1-replay", 11, step_name="classify",
                     duration_ms=750, success=True, input_tokens=300, output_tokens=40),
                line("workflow_complete", "EXEC-1-replay", 11, status="success",
                     duration_ms=1000),
            ]) + b"\n")
        await wait_for(pilot, lambda: shown(screen, "#compare-verdict").startswith(
            "the replay succeeded where the original failed at classify"), "the final verdict")
        rows = rows_of(screen)
        # 750 / 1000 = 0.75: inside 1/1.5..1.5, so no duration mark, only the outcome
        assert rows[1][4] == "status, error"
        assert rows[1][3].startswith("ok 750ms")
        await pilot.press("x")  # swap sides: the sentence follows the roles
        await wait_for(pilot, lambda: shown(screen, "#compare-verdict").startswith(
            "the original failed at classify where the replay succeeded"), "the swap")
        assert rows_of(screen)[1][2].startswith("ok 750ms")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, CompareScreen), "going back")


async def test_compare_waits_for_a_replay_not_yet_in_the_log(
        tmp_path: Path, monitors: list[LiveMonitor]) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(b"\n".join(original()) + b"\n")
    app, monitor = compare_host(log, monitors, "EXEC-1", "EXEC-1-replay")
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: monitor.detail("EXEC-1") is not None, "the original")
        await pilot.pause(0.7)
        assert shown(screen, "#compare-verdict").startswith(
            "waiting for EXEC-1-replay to appear in the log")
        with log.open("ab") as out:
            out.write(line("workflow_start", "EXEC-1-replay", 10, replay_of="EXEC-1",
                           workflow_name="support_ticket") + b"\n")
        await wait_for(pilot, lambda: "still running" in shown(screen, "#compare-verdict"),
                       "the replay to appear")
        await pilot.press("q")
        await wait_for(pilot, lambda: not isinstance(app.screen, CompareScreen), "going back")


async def test_compare_says_when_a_replay_does_not_come(
        tmp_path: Path, monitors: list[LiveMonitor], monkeypatch: pytest.MonkeyPatch) -> None:
    """A replay id nothing ever logs (the hook answered an id its system never used,
    or the replay logs to a file wftui does not read): "waiting for it to appear" stood
    for ever. After a while the screen says it has not come, and keeps waiting."""
    monkeypatch.setattr("wftui.view.compare_wait.GHOST_AFTER_S", 1.0)
    log = tmp_path / "app.log"
    log.write_bytes(b"\n".join(original()) + b"\n")
    app, monitor = compare_host(log, monitors, "EXEC-1", "EXEC-1-ghost")
    async with app.run_test(size=(160, 40)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: shown(screen, "#compare-verdict").startswith(
            "waiting for EXEC-1-ghost to appear in the log"), "the wait")
        await wait_for(pilot, lambda: "has not appeared" in shown(screen, "#compare-verdict"),
                       "the replay said to be missing")
        verdict = shown(screen, "#compare-verdict")
        assert verdict.startswith("EXEC-1-ghost has not appeared in ")
        assert verdict.endswith(" s: no source has logged it. The replay may not have "
                                "started, or logs where wftui does not read "
                                "(still waiting; esc goes back)")
        with log.open("ab") as out:  # it comes after all: compared as ever
            out.write(line("workflow_start", "EXEC-1-ghost", 10, replay_of="EXEC-1",
                           workflow_name="support_ticket") + b"\n")
        await wait_for(pilot, lambda: "still running" in shown(screen, "#compare-verdict"),
                       "the replay to appear")


async def test_compare_says_at_once_when_no_source_can_bring_the_replay(
        tmp_path: Path, monitors: list[LiveMonitor]) -> None:
    """A gzip log is read once and ended: a replay not in it can never come."""
    log = tmp_path / "app.log.gz"
    log.write_bytes(gzip.compress(b"\n".join(original()) + b"\n"))
    app, monitor = compare_host(log, monitors, "EXEC-1", "EXEC-1-replay")
    async with app.run_test(size=(160, 40)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: monitor.detail("EXEC-1") is not None, "the original")
        await wait_for(pilot, lambda: "none can bring" in shown(screen, "#compare-verdict"),
                       "the replay said to be impossible")
        assert shown(screen, "#compare-verdict") == (
            "EXEC-1-replay is in no source, and none can bring it any more (every source "
            "has ended): nothing to compare")


async def test_compare_says_an_original_folded_out_of_retention_is_gone(
        tmp_path: Path, monitors: list[LiveMonitor]) -> None:
    """The replay is kept, its original was folded away (past `retention`): its lines
    are gone and later ones are late events, so it never comes back."""
    log = tmp_path / "app.log"
    others = [text for eid, t in (("X-1", 20), ("X-2", 30)) for text in (
        line("workflow_start", eid, t), line("workflow_complete", eid, t + 1,
                                             status="success"))]
    replay = [line("workflow_start", "EXEC-1-replay", 40, replay_of="EXEC-1"),
              line("workflow_complete", "EXEC-1-replay", 41, status="success")]
    log.write_bytes(b"\n".join(original() + others + replay) + b"\n")
    monitor = LiveMonitor(Settings(idle_timeout_s=None, retention=2), [str(log)])
    monitors.append(monitor)
    monitor.start()
    app = Host(lambda: CompareScreen(monitor, "EXEC-1", "EXEC-1-replay"))
    async with app.run_test(size=(160, 40)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: monitor.detail("EXEC-1-replay") is not None,
                       "the replay")
        assert monitor.detail("EXEC-1") is None
        await wait_for(pilot, lambda: "no longer kept" in shown(screen, "#compare-verdict"),
                       "the original said to be gone")
        assert shown(screen, "#compare-verdict") == (
            "EXEC-1 was read but is no longer kept (only the 2 newest executions are, "
            "the retention setting): nothing to compare")


# -- audit -----------------------------------------------------------------------------

async def test_audit_screen_lists_replays_newest_first(tmp_path: Path) -> None:
    for original_id, ok, new_id in (("EXEC-1", True, "EXEC-1-replay"),
                                    ("EXEC-2", False, None)):
        outcome = {"ok": ok, "message": "answered 500: \x1b[31m[bold]boom" if not ok else "ok"}
        append_audit(audit_record(original_id, "wf", {"kind": "http", "url": "http://h/r"},
                                  outcome, new_id, "x"))
    with audit_path().open("ab") as out:
        out.write(b"{broken\n")
    app = Host(AuditScreen)
    async with app.run_test(size=(140, 30)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.query_one(DataTable).row_count == 3, "3 rows")
        rows = rows_of(screen)
        assert [r[2] for r in rows] == ["", "EXEC-2", "EXEC-1"]
        assert [r[4] for r in rows] == ["unreadable", "failed", "ok"]
        assert rows[1][5] == "answered 500: \u241b[31m[bold]boom"
        assert rows[2][3] == "EXEC-1-replay" and rows[2][6] == "POST http://h/r"
        assert "3 replays" in shown(screen, "#audit-title")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, AuditScreen), "going back")


async def test_audit_screen_without_a_log(tmp_path: Path) -> None:
    app = Host(AuditScreen)
    async with app.run_test(size=(140, 30)) as pilot:
        await wait_for(pilot, lambda: "0 replays" in shown(app.screen, "#audit-title"),
                       "the empty log")
        assert app.screen.query_one(DataTable).row_count == 0


# -- end to end with the demo's real replay hook ---------------------------------------

@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoProcess]:
    service = start_demo_process(tmp_path / "demo.log", speed=20, rate=40, workers=8, seed=7)
    yield service
    service.stop()


async def test_replay_and_compare_against_the_demo(tmp_path: Path, demo: DemoProcess,
                                                   monitors: list[LiveMonitor]) -> None:
    settings = Settings(sections={"replay": {"command": [
        sys.executable, "-m", "demo.replay", "{execution_id}", "--url", demo.base_url,
        "--context-file", "{context_file}"]}})
    monitor = LiveMonitor(settings, [str(demo.log_path)])
    monitors.append(monitor)
    monitor.start()

    def ended() -> ExecutionDetail | None:
        detail = monitor.detail("EXEC-000002")
        return detail if detail is not None and detail.complete_event is not None else None

    deadline = time.monotonic() + WAIT_S
    while (detail := ended()) is None:
        assert time.monotonic() < deadline, "EXEC-000002 did not end"
        await asyncio.sleep(0.05)
    app = Host(lambda: ReplayScreen(detail, settings, monitor=monitor))
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.state == DONE, "the demo's replay hook")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.results, "the new id")
        assert app.results == ["EXEC-000002-replay"]
        app.push_screen(CompareScreen(monitor, "EXEC-000002", "EXEC-000002-replay"))
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), "compare")
        compare_screen = app.screen

        def final() -> bool:
            comparison = compare_screen.comparison
            return comparison is not None and not comparison.running

        await wait_for(pilot, final, "the replay to end")
        replayed = monitor.detail("EXEC-000002-replay")
        assert replayed is not None and replayed.replay_of == "EXEC-000002"
        expected = compare(monitor.detail("EXEC-000002"), replayed)
        await wait_for(pilot, lambda: shown(compare_screen, "#compare-verdict")
                       == expected.verdict, "the final verdict on screen")
        assert [r[1] for r in rows_of(compare_screen)] == [r.name for r in expected.rows]
        assert rows_of(compare_screen)[0][1] == "fetch_ticket"


async def test_compare_shows_hostile_step_names_and_errors_literally(
        tmp_path: Path, monitors: list[LiveMonitor]) -> None:
    hostile = "[@click=app.quit]x[/] \x1b]0;title\x07[link=http://x]y"
    log = tmp_path / "app.log"
    lines = []
    for eid, ok in (("A", False), ("B", True)):
        lines += [
            line("step_start", eid, 0, step_name=hostile),
            line("step_complete", eid, 1, step_name=hostile, duration_ms=1000, success=ok,
                 error=None if ok else f"boom {hostile}"),
            line("workflow_complete", eid, 1, status="success" if ok else "failure"),
        ]
    log.write_bytes(b"\n".join(lines) + b"\n")
    app, _ = compare_host(log, monitors, "A", "B")
    async with app.run_test(size=(160, 30)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.comparison is not None, "the comparison")
        await pilot.pause(0.2)
        shown_name = "[@click=app.quit]x[/] \u241b]0;title\u2407[link=http://x]y"
        assert shown(screen, "#compare-verdict") == f"B succeeded where A failed at {shown_name}"
        row = rows_of(screen)[0]
        assert len(shown_name) == 48  # the step column keeps 40 cells: 39 and an ellipsis
        assert row[1] == shown_name[:39] + "…"
        assert row[2].startswith(f"failed 1.00s boom {shown_name[:20]}")
        await pilot.pause(0.2)
        assert app.is_running and isinstance(app.screen, CompareScreen)


async def test_replay_by_url_against_the_demo_shows_the_http_status(
        tmp_path: Path, demo: DemoProcess, monitors: list[LiveMonitor]) -> None:
    settings = Settings(sections={"replay": {"url": demo.replay_url, "timeout": "20s"}})
    monitor = LiveMonitor(settings, [str(demo.log_path)])
    monitors.append(monitor)
    monitor.start()
    app = Host(lambda: ReplayScreen(detail_of(original("EXEC-000001"), "EXEC-000001"),
                                    settings, monitor=monitor))
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert f"This will POST {demo.replay_url}" in shown(screen, "#replay-plan")
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.state == DONE, "the demo's answer")
        output = shown(screen, "#replay-output")
        assert f"{demo.replay_url} answered 202; new execution EXEC-000001-replay" in output
        assert "HTTP 202" in output
        assert "response body (end):" in output and "stdout" not in output
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.results, "the new id")
    assert app.results == ["EXEC-000001-replay"]
    # the demo replays with the context it was sent (the hand-written one here)
    deadline = time.monotonic() + WAIT_S
    while (replayed := monitor.detail("EXEC-000001-replay")) is None:
        assert time.monotonic() < deadline, "the replay never reached the log"
        await asyncio.sleep(0.05)
    assert replayed.replay_of == "EXEC-000001"
    assert replayed.context == {"ticket_id": "TKT-1"}


def long_error_log(tmp_path: Path) -> Path:
    """EXEC-1 failed in classify with an 80-character error; its replay succeeded."""
    error = "LLMProviderError: gpt-4o-mini: 429 rate limit exceeded, retry after 20s (org)"
    lines = [
        line("workflow_start", "EXEC-1", 0, workflow_name="support_ticket"),
        line("step_start", "EXEC-1", 0, step_name="classify", step_type="llm"),
        line("step_complete", "EXEC-1", 1, step_name="classify", duration_ms=1000,
             success=False, error=error),
        line("workflow_complete", "EXEC-1", 1, status="failure", duration_ms=1000),
        line("workflow_start", "EXEC-1-replay", 10, workflow_name="support_ticket",
             replay_of="EXEC-1"),
        line("step_start", "EXEC-1-replay", 10, step_name="classify", step_type="llm"),
        line("step_complete", "EXEC-1-replay", 10.5, step_name="classify", duration_ms=500,
             success=True, input_tokens=247, output_tokens=23),
        line("workflow_complete", "EXEC-1-replay", 10.5, status="success", duration_ms=500),
    ]
    log = tmp_path / "app.log"
    log.write_bytes(b"\n".join(lines) + b"\n")
    return log


async def test_at_100_columns_a_long_error_leaves_room_for_both_sides(
        tmp_path: Path, monitors: list[LiveMonitor]) -> None:
    """The original's error (80 characters here) made its column ~90 cells wide: at 100
    columns the replay's side and the differences were off screen."""
    app, _ = compare_host(long_error_log(tmp_path), monitors, "EXEC-1", "EXEC-1-replay")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: shown(screen, "#compare-verdict").startswith(
            "the replay succeeded"), "the verdict")
        await pilot.pause()
        [row] = rows_of(screen)
        assert row[2].startswith("failed 1.00s LLMProviderError") and row[2].endswith("…")
        assert row[3] == "ok 500ms 247/23 tok"  # short: not cut
        assert row[4] == "status, error, faster ×0.50"
        table = screen.query_one(DataTable)
        assert table.virtual_size.width <= 100, table.virtual_size  # nothing off screen


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
async def test_the_steps_are_drawn_whole_at_80_and_100_columns(
        tmp_path: Path, monitors: list[LiveMonitor], size: tuple[int, int]) -> None:
    """What is drawn, not what the table holds: its columns were drawn as wide as their
    headings (`clas` for classify, `status, err`, no ● mark) once the table had been
    built twice in a row (the first comparison, then the screen's first resize)."""
    app, _ = compare_host(long_error_log(tmp_path), monitors, "EXEC-1", "EXEC-1-replay")
    async with app.run_test(size=size) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: shown(screen, "#compare-verdict").startswith(
            "the replay succeeded"), "the verdict")
        await pilot.pause(0.2)
        drawn = screen_text(app).splitlines()
        [step_row] = [row for row in drawn if "classify" in row and "●" in row]
        assert step_row.rstrip().endswith("status, error, faster ×0.50"), step_row
        assert "failed 1.00s LL" in step_row and "ok 500ms 247/23" in step_row
        assert max(len(row.rstrip()) for row in drawn) <= size[0]


async def test_at_100_columns_two_uuid_headings_leave_room_too(
        tmp_path: Path, monitors: list[LiveMonitor]) -> None:
    """Two executions compared by id (no replay_of): the headings are the ids, 36 cells
    each, and a column is as wide as its heading."""
    left, right = "0f8fad5b-d9cb-469f-a165-70867728950e", "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    error = "LLMProviderError: gpt-4o-mini: 429 rate limit exceeded, retry after 20s (org)"
    lines = []
    for eid, at, ok in ((left, 0, False), (right, 10, True)):
        lines += [line("workflow_start", eid, at, workflow_name="support_ticket"),
                  line("step_start", eid, at, step_name="classify", step_type="llm"),
                  line("step_complete", eid, at + 1, step_name="classify", duration_ms=1000,
                       success=ok, **({} if ok else {"error": error})),
                  line("workflow_complete", eid, at + 1,
                       status="success" if ok else "failure", duration_ms=1000)]
    log = tmp_path / "app.log"
    log.write_bytes(b"\n".join(lines) + b"\n")
    app, _ = compare_host(log, monitors, left, right)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: rows_of(screen), "the rows")
        await pilot.pause()
        [row] = rows_of(screen)
        assert row[4] == "status, error"
        table = screen.query_one(DataTable)
        assert table.virtual_size.width <= 100, table.virtual_size
