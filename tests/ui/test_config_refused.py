"""Commands/URLs left out of an untrusted config file are said in the UI, not only on
stderr before it starts (the operator may not have seen that line)."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from tests.ui.conftest import T0, execution, settled, wait_for
from tests.ui.screen import screen_text
from wftui.config import load_settings

T0_NS = int(T0) * 1_000_000_000

LOOSE = """
[thresholds.error_rate]
threshold = 0.2

[replay]
command = "myapp replay {execution_id}"

[notify]
url = "http://127.0.0.1:9/hook"
"""


def _loose_config(tmp_path: Path) -> Path:
    path = tmp_path / "loose.toml"
    path.write_text(LOOSE)
    path.chmod(0o666)  # anyone may write it: its commands and URLs are not used
    return path


async def test_an_untrusted_config_is_said_on_the_status_line_and_in_the_palette(
        harness, tmp_path: Path) -> None:
    config = _loose_config(tmp_path)
    settings = load_settings(str(config))
    events = execution("e-1", T0 + 10)
    h = harness(events, settings=settings)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        # two left out: replay.command and notify.url
        status = next(line for line in screen_text(h.app).splitlines() if "wftui" in line)
        assert "⚠ config: 2 commands/URLs not used, file not trusted" in status
        # at start, a notice names each one and why
        start = "\n".join(h.notes)
        assert "replay.command not used" in start and "notify.url not used" in start
        assert str(config) in start
        h.notes.clear()
        titles = {c.title for c in h.app.get_system_commands(h.app.screen)}
        assert "Config: what was not used" in titles
        await pilot.press("ctrl+p")
        await pilot.press(*"Config: what")
        await wait_for(pilot, lambda: "Config: what was not used" in screen_text(h.app),
                       "the palette entry")
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("notify.url not used" in n for n in h.notes),
                       "the palette's notice")
        # fixed on disk and reloaded: the warning goes
        config.chmod(0o600)
        h.app.action_reload_config()
        await wait_for(pilot, lambda: not h.app.settings.refused, "the reload")
        await wait_for(pilot, lambda: "⚠ config" not in screen_text(h.app),
                       "the warning to go")
        assert h.app.settings.section("replay")["command"] == "myapp replay {execution_id}"


async def test_a_trusted_config_says_nothing(harness, tmp_path: Path) -> None:
    config = _loose_config(tmp_path)
    os.chmod(config, 0o600)
    events = execution("e-1", T0 + 10)
    h = harness(events, settings=load_settings(str(config)))
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        assert "⚠ config" not in screen_text(h.app)
        assert not any("not used" in note for note in h.notes)


async def test_the_palette_entry_without_a_config_file_says_so(harness) -> None:
    h = harness([])
    async with h.app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: h.app.refreshes > 0, "a first refresh")
        await h.app.run_action("config_refused")
        await wait_for(pilot, lambda: "config: no config file is read" in h.notes,
                       "the notice")


def _watched(path: Path, text: str) -> tuple[Any, list[object], threading.Event]:
    """A config file written with `text` (only its owner may write it) and a reloader
    watching it, with what it delivers and an event set at each delivery."""
    from wftui.ui.config_reload import ConfigReloader

    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    got: list[object] = []
    delivered = threading.Event()
    reloader = ConfigReloader(path, lambda result: (got.append(result), delivered.set()))
    return reloader, got, delivered


def test_a_chmod_alone_reloads_the_config(tmp_path: Path) -> None:
    """`chmod o+w` (or the fix, `chmod go-w`) leaves the contents and the mtime alone:
    watched by mtime only, the monitor went on using the replay command of a file that
    anyone could now change, and kept its warning after the fix."""
    from wftui.config import Settings

    path = tmp_path / "config.toml"
    reloader, got, delivered = _watched(
        path, '[replay]\ncommand = "myapp replay {execution_id}"\n')
    reloader.check()
    assert not delivered.is_set()  # nothing changed yet
    path.chmod(0o666)
    reloader.check()
    assert delivered.wait(5.0), "a chmod o+w was not noticed"
    settings = got[0]
    assert isinstance(settings, Settings) and settings.refused


def test_a_change_made_while_a_read_is_under_way_is_read_after_it(tmp_path: Path) -> None:
    """An editor saving in two writes: the first change starts a read, the second comes
    while it is under way. It was marked seen then and never read: the half-written
    file stayed in use until the next edit."""
    from wftui.config import Settings

    path = tmp_path / "config.toml"
    reloader, got, delivered = _watched(path, "[thresholds.error_rate]\nthreshold = 0.1\n")
    reloader.reading = True  # a read of the first write is under way
    path.write_text("[thresholds.error_rate]\nthreshold = 0.25\n", encoding="utf-8")
    os.utime(path, ns=(T0_NS, T0_NS))  # a time of its own, however coarse the clock
    reloader.check()
    assert not delivered.is_set()  # not while that read is under way
    reloader.reading = False  # that read is done
    reloader.check()
    assert delivered.wait(5.0), "the change made during the read was never read"
    settings = got[0]
    assert isinstance(settings, Settings)
    assert [t.above for t in settings.thresholds if t.name == "error_rate"] == [0.25]


async def test_replay_flags_win_over_the_file_at_every_reload(harness, tmp_path: Path) -> None:
    """`--replay-cmd` wins over the file's [replay] (docs/configuration.md), at start and
    after a reload too: a reload of a file whose [replay] sets only a timeout lost the
    flag's command ("no replay hook configured ... or pass --replay-cmd"), and one whose
    [replay] sets a command put it in the flag's place."""
    import argparse

    from wftui.commands.monitor import with_replay_flags
    from wftui.replay.plan import hook_from

    config = tmp_path / "config.toml"
    config.write_text('[replay]\ntimeout = "5s"\n', encoding="utf-8")
    config.chmod(0o600)
    flags = argparse.Namespace(replay_cmd="myapp replay {execution_id}", replay_url=None)
    settings = with_replay_flags(load_settings(str(config)), flags)
    events = execution("e-1", T0 + 10)
    h = harness(events, settings=settings)
    flag_argv = ("myapp", "replay", "{execution_id}")
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        start = hook_from(h.app.settings)
        assert start is not None and start.command == flag_argv and start.timeout_s == 5.0
        config.write_text('[replay]\ntimeout = "6s"\n', encoding="utf-8")
        h.app.action_reload_config()
        await wait_for(pilot, lambda: h.app.settings.section("replay").get("timeout") == "6s",
                       "the reload")
        reloaded = hook_from(h.app.settings)
        # the file's timeout, the flag's command
        assert reloaded is not None and reloaded.command == flag_argv
        assert reloaded.timeout_s == 6.0
        config.write_text('[replay]\ncommand = "other {execution_id}"\ntimeout = "7s"\n',
                          encoding="utf-8")
        h.app.action_reload_config()
        await wait_for(pilot, lambda: h.app.settings.section("replay").get("timeout") == "7s",
                       "the second reload")
        again = hook_from(h.app.settings)
        assert again is not None and again.command == flag_argv


async def test_a_replay_command_removed_from_the_file_is_gone_after_a_reload(
        harness, tmp_path: Path) -> None:
    """Without flags the file is the only say: its [replay] deleted, no hook is left (the
    old command stayed in use, though the file no longer names it)."""
    from wftui.replay.plan import hook_from

    config = tmp_path / "config.toml"
    config.write_text('[replay]\ncommand = "myapp replay {execution_id}"\n', encoding="utf-8")
    config.chmod(0o600)
    events = execution("e-1", T0 + 10)
    h = harness(events, settings=load_settings(str(config)))
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        assert hook_from(h.app.settings) is not None
        config.write_text("[thresholds.error_rate]\nthreshold = 0.5\n", encoding="utf-8")
        h.app.action_reload_config()
        await wait_for(pilot, lambda: h.monitor.engine.thresholds[0].above == 0.5,
                       "the reload")
        assert hook_from(h.app.settings) is None
