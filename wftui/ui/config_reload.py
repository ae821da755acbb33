"""Reloading the config file when it changes, without ever reading it on the UI thread.

The file is read in a daemon thread of its own: a config path that never answers (a
FIFO, a hung network mount) must not freeze the UI, nor keep the process from
exiting (a thread of the default executor would be waited for at exit).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from wftui.config import ConfigError, Settings, load_settings
from wftui.replay.plan import with_replay_given
from wftui.ui.mixin_base import AppMixinBase
from wftui.view.text import safe

if TYPE_CHECKING:
    from wftui.live import LiveMonitor


# What a read gives the UI thread: new settings, or one line saying why not.
ReadResult = Settings | str


def mtime(path: Path | None) -> tuple[int, int, int, int] | None:
    """What says the file changed (None: no file, or it cannot be looked at): its
    modification time, and its mode and owner, because the trust rule reads those: a
    `chmod o+w` must drop its commands at once, `chmod go-w` clear the warning."""
    if path is None:
        return None
    try:
        info = os.stat(path)  # stat never opens: a FIFO does not block it
    except OSError:
        return None
    return info.st_mtime_ns, info.st_mode, info.st_uid, info.st_gid


def read_settings(path: Path) -> ReadResult:
    """Settings from the file, or why they could not be read (one line)."""
    try:
        return load_settings(str(path))
    except ConfigError as error:
        return str(error)
    except Exception as error:  # noqa: BLE001 - one line on screen, not a crash
        return f"{type(error).__name__}: {error}"


class ConfigReloader:
    """Notices a changed config file and reads it in a thread, one read at a time."""

    def __init__(self, path: Path | None, deliver: Callable[[ReadResult], None]) -> None:
        """`deliver` is called in the reading thread: it must hand over thread-safely
        (`App.call_from_thread`)."""
        self.path = path
        self.deliver = deliver
        self.reading = False
        self._seen = mtime(path)

    def check(self) -> None:
        """Reload if the file changed since it was last seen."""
        now = mtime(self.path)
        if self.path is None or now == self._seen or self.reading:
            # A read under way may have read the file before this change (an editor
            # saving in two writes): the change stays unseen, for the next check.
            return
        self._seen = now
        self.reload()

    def reload(self) -> None:
        """Read the file now (unless a read is still under way)."""
        path = self.path
        if path is None or self.reading:
            return
        self.reading = True

        def read() -> None:
            result = read_settings(path)
            self.reading = False
            with contextlib.suppress(RuntimeError):  # the app has ended meanwhile
                self.deliver(result)

        threading.Thread(target=read, name="wftui-config", daemon=True).start()


def refused_notice(settings: Settings) -> tuple[str, bool]:
    """What to tell about the config's commands/URLs the loader left out (the file is
    writable by others or not the operator's), and whether any were."""
    if settings.refused:
        return "\n".join(safe(line) for line in settings.refused), True
    if settings.config_path is None:
        return "config: no config file is read", False
    return f"config: {safe(settings.config_path)}: every command and URL in it is used", False


class ConfigReloading(AppMixinBase):
    """The app's side of a reload (mixed into `WftuiApp`): the key, and the result,
    delivered on the UI thread: new thresholds to the monitor, or the reason shown and
    the old settings kept."""

    settings: Settings
    monitor: LiveMonitor
    config_error: str | None
    _config: ConfigReloader

    if TYPE_CHECKING:
        def _request(self) -> None: ...

    def action_reload_config(self) -> None:
        """Re-read the config file (in a thread); a bad one is shown, the old kept."""
        self._config.reload()

    def _config_read(self, result: ReadResult) -> None:
        if isinstance(result, str):
            self.config_error = result
            self.notify(f"config not reloaded: {safe(result)}", title="Config",
                        severity="error", timeout=10, markup=False)
            self._request()
            return
        old = self.settings
        reloaded = result
        if old.replay_given:
            # --replay-cmd / --replay-url (or the demo's service) win over the file now
            # as at start; without them, the file's [replay] is all (one deleted: none).
            reloaded = with_replay_given(result, old.replay_given)
        self.settings = replace(old, thresholds=reloaded.thresholds,
                                sections=reloaded.sections, refused=reloaded.refused)
        self.monitor.set_settings(self.settings)
        self.config_error = None
        self.notify("config reloaded: thresholds updated", title="Config", markup=False)
        self._request()
