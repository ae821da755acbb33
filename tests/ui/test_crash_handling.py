"""An error in any event handler ends `wftui` with one line naming a crash file, never
Textual's full-screen traceback. Real Textual apps, run headless through the CLI's
run_app (Pilot re-raises handler errors, so it cannot show what an operator gets)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from wftui.commands.monitor import run_app
from wftui.config import Settings
from wftui.live import LiveMonitor
from wftui.ui import app as app_module
from wftui.ui.app import WftuiApp
from wftui.ui.messages import FilterChanged

CRASH_LINE = re.compile(r"^wftui: unexpected error: (.+) \(details in (\S+)\)$")


class HeadlessApp(WftuiApp):
    """The real app, without a terminal: `run()` as the CLI calls it."""

    CSS_PATH = str(Path(app_module.__file__).parent / "app.tcss")  # not beside this file

    def run(self, *args: Any, **kwargs: Any) -> int | None:
        kwargs["headless"] = True
        return super().run(*args, **kwargs)


class BrokenFilter(HeadlessApp):
    """A bug in a message handler (not the refresh path)."""

    def on_mount(self) -> None:
        super().on_mount()
        self.post_message(FilterChanged("late-night"))

    def on_filter_changed(self, message: FilterChanged) -> None:
        raise LookupError(f"no index for filter {message.text!r}")


class Leaves(HeadlessApp):
    def on_mount(self) -> None:
        super().on_mount()
        self.call_later(self.exit)


def _run(app_class: type[WftuiApp], tmp_path: Path) -> int:
    log = tmp_path / "app.log"
    log.write_text("")
    monitor = LiveMonitor(Settings(), [str(log)])
    try:
        return run_app(lambda: app_class(Settings(), monitor, export_dir=tmp_path))
    finally:
        monitor.stop()


def test_an_error_in_a_message_handler_is_one_line_and_a_crash_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WFTUI_DEBUG", raising=False)
    printed, text = _one_crash_line(tmp_path, capsys)
    # the whole traceback went to the file: where it happened, and the error
    assert "on_filter_changed" in text
    assert "LookupError" in text
    assert "Traceback" not in printed


def _one_crash_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    """Run the app whose filter handler raises: it exits 1 and says one line on stderr,
    the error and the crash file. (What it printed, the crash file's text; the file is
    removed.)"""
    assert _run(BrokenFilter, tmp_path) == 1
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err[-2000:]
    match = CRASH_LINE.match(lines[0])
    assert match, lines[0]
    assert match.group(1) == "LookupError: no index for filter 'late-night'"
    report = Path(match.group(2))
    try:
        return captured.out + captured.err, report.read_text()
    finally:
        report.unlink()


def test_a_clean_exit_prints_nothing(tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(Leaves, tmp_path) == 0
    assert capsys.readouterr().err == ""


def test_wftui_debug_keeps_textuals_whole_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WFTUI_DEBUG", "1")
    assert _run(BrokenFilter, tmp_path) == 1
    err = capsys.readouterr().err
    assert "on_filter_changed" in err and "LookupError" in err
    assert "details in" not in err


def test_in_a_colour_terminal_an_error_is_still_one_line_and_a_crash_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """In a real terminal, Textual's report comes coloured (escape codes before each
    line): the box's last line no longer began with '╰', and the operator got the whole
    traceback with every frame's locals over the terminal (a history view's plotext
    error, hundreds of lines) instead of the one line."""
    monkeypatch.delenv("WFTUI_DEBUG", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")  # as a terminal makes Rich colour it
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLORTERM", "truecolor")
    _, text = _one_crash_line(tmp_path, capsys)
    assert "on_filter_changed" in text and "LookupError" in text
    assert "\x1b[" not in text  # the file reads as text, not escape codes
