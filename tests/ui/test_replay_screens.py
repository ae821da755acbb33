"""The replay dialog, driven with Pilot inside a minimal host app: real hook processes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from textual.widgets import Button

from tests.ui.replay_host import Host, detail_of, hook_settings, original, shown, wait_for
from wftui.config import Settings
from wftui.replay.audit import audit_path
from wftui.ui.screens.replay import DONE, REFUSED, RUNNING, ReplayScreen


@pytest.fixture(autouse=True)
def _state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))



RECORDING_HOOK = (
    "import json, pathlib, sys\n"
    "ctx = json.loads(pathlib.Path(sys.argv[2]).read_text())\n"
    "pathlib.Path(__file__).with_name('ran.json').write_text(json.dumps([sys.argv[1], ctx]))\n"
    "print('replaying...')\n"
    "print(json.dumps({'execution_id': sys.argv[1] + '-replay-5'}))\n"
)


async def test_nothing_runs_until_confirmed_then_dismisses_with_the_new_id(
        tmp_path: Path) -> None:
    settings = hook_settings(tmp_path, RECORDING_HOOK)
    ran = tmp_path / "ran.json"
    app = Host(lambda: ReplayScreen(detail_of(original(), "EXEC-1"), settings))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, ReplayScreen) and screen.state == "ready"
        plan = shown(screen, "#replay-plan")
        assert f"[0] {sys.executable}" in plan and "[2] EXEC-1" in plan
        assert "[3] <context file>" in plan
        await pilot.press("enter")  # the focus is on Cancel: enter alone never runs it
        await wait_for(pilot, lambda: app.results, "the screen to dismiss")
        assert app.results == [None] and not ran.exists()
        app.push_screen(ReplayScreen(detail_of(original(), "EXEC-1"), settings),
                        app.results.append)
        await wait_for(pilot, lambda: isinstance(app.screen, ReplayScreen)
                       and app.screen is not screen, "the screen again")
        screen = app.screen
        app.results.clear()
        await pilot.press("d")
        assert "Dry run" in shown(screen, "#replay-output")
        await pilot.pause(0.3)
        assert not ran.exists(), "a dry run runs nothing"
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.state == DONE, "the hook to finish")
        output = shown(screen, "#replay-output")
        assert "the hook succeeded; new execution EXEC-1-replay-5" in output
        assert "exit code 0" in output and "replaying..." in output
        assert "stdout (end):" in output
        # one replay per dialog: Replay and Dry run are gone, Follow is left
        assert not screen.query_one("#replay-confirm", Button).display
        assert not screen.query_one("#replay-dry", Button).display
        assert str(screen.query_one("#replay-close", Button).label) == "Follow (esc)"
        assert json.loads(ran.read_text()) == ["EXEC-1", {"ticket_id": "TKT-1"}]
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.results, "the screen to dismiss")
    assert app.results == ["EXEC-1-replay-5"]
    record = json.loads(audit_path().read_text().splitlines()[-1])  # the end record
    assert record["original_id"] == "EXEC-1" and record["new_id"] == "EXEC-1-replay-5"


async def test_cancel_before_running_dismisses_with_none(tmp_path: Path) -> None:
    settings = hook_settings(tmp_path, RECORDING_HOOK)
    app = Host(lambda: ReplayScreen(detail_of(original(), "EXEC-1"), settings))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.click("#replay-close")
        await wait_for(pilot, lambda: app.results, "the screen to dismiss")
    assert app.results == [None]
    assert not (tmp_path / "ran.json").exists()
    assert not audit_path().exists()


async def test_a_hanging_hook_is_stopped_at_the_timeout_and_the_ui_stays_live(
        tmp_path: Path) -> None:
    settings = hook_settings(tmp_path, "import time\nprint('working', flush=True)\n"
                             "time.sleep(120)\n", timeout="1s")
    app = Host(lambda: ReplayScreen(detail_of(original(), "EXEC-1"), settings))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await pilot.press("y")
        assert screen.state == RUNNING
        assert shown(screen, "#replay-status").startswith("Running (stopped after 1 s")
        await wait_for(pilot, lambda: screen.state == DONE, "the timeout")
        output = shown(screen, "#replay-output")
        assert "did not finish within 1 s and was stopped" in output
        assert "timed out" in output and "working" in output
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.results, "the screen to dismiss")
    assert app.results == [None]


async def test_esc_while_running_stops_the_hook(tmp_path: Path) -> None:
    settings = hook_settings(tmp_path, "import time\ntime.sleep(120)\n", timeout="60s")
    app = Host(lambda: ReplayScreen(detail_of(original(), "EXEC-1"), settings))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await pilot.press("y")
        assert screen.state == RUNNING
        # Handled at once although the hook sleeps for 120 s: it runs in a worker thread.
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen.state == DONE, "the hook to stop")
        assert "cancelled: the hook was stopped" in shown(screen, "#replay-output")


async def test_a_failing_hook_shows_exit_code_and_stderr(tmp_path: Path) -> None:
    settings = hook_settings(tmp_path, "import sys\nprint('no such ticket \\x1b[2J', "
                             "file=sys.stderr)\nsys.exit(3)\n")
    app = Host(lambda: ReplayScreen(detail_of(original(), "EXEC-1"), settings))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.state == DONE, "the hook to fail")
        output = shown(screen, "#replay-output")
        assert "the hook failed with exit code 3: no such ticket \u241b[2J" in output
        assert "stderr (end):" in output and "\x1b" not in output
        assert str(screen.query_one("#replay-close", Button).label) == "Close (esc)"


async def test_garbage_output_gets_a_clear_note(tmp_path: Path) -> None:
    settings = hook_settings(tmp_path, "import sys\nsys.stdout.buffer.write("
                             "b'\\x00\\xff\\x1b]0;x\\x07[@click=app.quit]' * 20)\n")
    app = Host(lambda: ReplayScreen(detail_of(original(), "EXEC-1"), settings))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.state == DONE, "the hook to finish")
        output = shown(screen, "#replay-output")
        assert "note: the hook printed unreadable output" in output
        assert "[@click=app.quit]" in output  # shown literally, never run as an action
        assert "following EXEC-1-replay (from the <id>-replay convention" in output
    assert app.return_code in (None, 0)


@pytest.mark.parametrize(("workflow", "reason"), [
    ("wf; touch MARKER", "refusing workflow name"),
    ("$(touch MARKER)", "refusing workflow name"),
])
async def test_hostile_workflow_names_are_refused_on_screen(
        tmp_path: Path, workflow: str, reason: str) -> None:
    script = tmp_path / "hook.py"
    script.write_text(f"open({str(tmp_path / 'MARKER')!r}, 'w')\n", encoding="utf-8")
    settings = Settings(sections={"replay": {"command": [
        sys.executable, str(script), "{execution_id}", "{workflow_name}"]}})
    app = Host(lambda: ReplayScreen(detail_of(original(workflow=workflow), "EXEC-1"),
                                    settings))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert screen.state == REFUSED
        assert reason in shown(screen, "#replay-plan")
        assert screen.query_one("#replay-confirm", Button).disabled
        await pilot.press("y")
        await pilot.pause(0.2)
        assert screen.state == REFUSED
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.results, "the screen to dismiss")
    assert app.results == [None]
    assert not (tmp_path / "MARKER").exists()


async def test_no_hook_configured_says_how_to_set_one() -> None:
    app = Host(lambda: ReplayScreen(detail_of(original(), "EXEC-1"), Settings()))
    async with app.run_test(size=(120, 40)):
        screen = app.screen
        assert "no replay hook configured" in shown(screen, "#replay-plan")
        # nothing can run, so nothing offers to: only Close
        assert not screen.query_one("#replay-confirm", Button).display
        assert not screen.query_one("#replay-dry", Button).display
        assert str(screen.query_one("#replay-close", Button).label) == "Close (esc)"


async def test_http_plan_shows_url_and_body_with_markup_literal() -> None:
    context = {"subject": "[bold]hi[/] [@click=app.quit]x[/] [link=http://x]y[/link]"}
    settings = Settings(sections={"replay": {"url": "http://127.0.0.1:9/replay"}})
    app = Host(lambda: ReplayScreen(detail_of(original(context=context), "EXEC-1"),
                                    settings))
    async with app.run_test(size=(120, 40)) as pilot:
        plan = shown(app.screen, "#replay-plan")
        assert "This will POST http://127.0.0.1:9/replay" in plan
        assert '"subject":"[bold]hi[/] [@click=app.quit]x[/] [link=http://x]y[/link]"' in plan
        await pilot.pause()
        assert app.is_running
