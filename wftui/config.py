"""Settings: CLI flags, then `WFTUI_*` environment, then the TOML file, then defaults.

The file is `$XDG_CONFIG_HOME/wftui/config.toml` (default `~/.config/wftui/`) or the
path given with `--config`. Its keys are checked against one schema
(wftui/config_schema.py; docs/configuration.md for users); a bad file is one clear
message naming the file and the key.

Reading the file never blocks and never reads without bound: it is opened
non-blocking, must be a regular file (not a FIFO, a device or a directory) and at most
`MAX_CONFIG_BYTES`. A file that another user could have written (writable by group or
others, or owned by someone other than you or root) still gives its thresholds and
windows, but not its commands and URLs: those would run as you (docs/reliability.md).
"""

from __future__ import annotations

import errno
import os
import shlex
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from msgspec import UNSET

from wftui.config_schema import (
    HOOK_KEYS,
    SECTIONS,
    ConfigError,
    ConfigFile,
    ThresholdsTable,
    decode,
    parse_duration,
)
from wftui.core.thresholds import DEFAULT_THRESHOLDS, Threshold

__all__ = ["MAX_CONFIG_BYTES", "OWNED_SECTIONS", "WINDOWS", "ConfigError", "Settings",
           "check_keys", "default_config_path", "load_settings", "parse_duration"]

WINDOWS = {"1m": 60.0, "5m": 300.0, "15m": 900.0, "1h": 3600.0, "all": None}

#: A config file is a page of TOML; anything bigger is a mistake (a log, a device).
MAX_CONFIG_BYTES = 1 << 20

# Tables other parts of wftui read through `Settings.section()`.
OWNED_SECTIONS = SECTIONS


def check_keys(table: Any, allowed: set[str] | frozenset[str], where: str) -> dict[str, Any]:
    """The table if it is one and has only allowed keys; else a ConfigError naming the key."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table")
    for key in table:
        if key not in allowed:
            raise ConfigError(f"{where}.{key}: unknown key (expected one of: "
                              f"{', '.join(sorted(allowed))})")
    return table


@dataclass(frozen=True)
class Settings:
    """Everything configurable, after every layer is applied.

    ``refused`` holds one line per command or URL of the file that was not used
    because the file is not trusted (it says why and how to fix it).
    """

    window_s: float | None = 300.0
    idle_timeout_s: float | None = 30.0
    retention: int = 50_000
    thresholds: tuple[Threshold, ...] = DEFAULT_THRESHOLDS
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    config_path: Path | None = None
    refused: tuple[str, ...] = ()
    # The replay command or URL given outside the file (--replay-cmd / --replay-url, or
    # `wftui demo`'s service): it wins over the file's [replay], also at each reload.
    replay_given: dict[str, Any] = field(default_factory=dict)

    def section(self, name: str) -> dict[str, Any]:
        """A table owned by another part of wftui (empty when not in the file)."""
        return self.sections.get(name, {})


def default_config_path() -> Path:
    """`$XDG_CONFIG_HOME/wftui/config.toml`, `~/.config/wftui/config.toml` by default."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "wftui" / "config.toml"


def _thresholds(table: ThresholdsTable, name: str) -> tuple[Threshold, ...]:
    out: list[Threshold] = []
    for default in DEFAULT_THRESHOLDS:
        spec = getattr(table, default.name, UNSET)
        if spec is UNSET:
            out.append(default)
            continue
        threshold = default
        if spec.threshold is not UNSET:
            threshold = replace(threshold, above=float(spec.threshold))
        if spec.for_ is not UNSET:
            for_s = parse_duration(spec.for_, "for", allow_zero=True)
            threshold = replace(threshold, for_s=for_s or 0.0)
        if spec.clear is not UNSET:
            threshold = replace(threshold, clear=float(spec.clear))
        if spec.action is not UNSET:
            threshold = replace(threshold, action=spec.action)
        if spec.enabled is not UNSET:
            threshold = replace(threshold, enabled=spec.enabled)
        if threshold.clear is not None and threshold.clear > threshold.above:
            raise ConfigError(f"{name}: thresholds.{default.name}.clear: must be at or below "
                              f"the threshold ({threshold.clear} > {threshold.above})")
        out.append(threshold)
    return tuple(out)


def read_config_bytes(path: Path) -> tuple[bytes, os.stat_result]:
    """The file's bytes and its status, without ever blocking.

    O_NONBLOCK makes opening a FIFO return at once (a plain open waits for a writer);
    fstat on the opened descriptor then tells what it really is, so a swap between a
    check and the open cannot fool it.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except OSError as error:
        if error.errno == errno.ENXIO:  # a socket, or a FIFO nobody writes to
            raise ConfigError(f"{path}: not a regular file; a config must be one") from None
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"{path}: is {_kind(info.st_mode)}, not a regular file; "
                              "a config must be a regular file")
        if info.st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: {info.st_size:,} bytes is too big for a config "
                              f"file (at most {MAX_CONFIG_BYTES:,})")
        chunks: list[bytes] = []
        size = 0
        # Read to the cap and one byte more: a file still growing is refused as well.
        while size <= MAX_CONFIG_BYTES:
            chunk = os.read(fd, MAX_CONFIG_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: more than {MAX_CONFIG_BYTES:,} bytes is too big "
                              "for a config file")
        return b"".join(chunks), info
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    kinds = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISSOCK, "a socket"))
    return next((text for test, text in kinds if test(mode)), "not a regular file")


def distrust(path: Path, info: os.stat_result) -> str | None:
    """Why commands in this file may not be run (None when the file is trusted).

    Like ssh with ~/.ssh/config: only you (or root) may be able to change the file.
    """
    owner = info.st_uid
    if owner not in (0, os.getuid()):
        return (f"it is owned by another user (uid {owner}); "
                f"make it yours (chown) or use your own copy")
    loose = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    if loose:
        who = "group and others" if loose == stat.S_IWGRP | stat.S_IWOTH else (
            "its group" if loose == stat.S_IWGRP else "others")
        return (f"it is writable by {who} (mode {stat.S_IMODE(info.st_mode):04o}); "
                f"fix it with: chmod go-w {shlex.quote(str(path))}")
    return None


def _apply_file(settings: Settings, path: Path) -> Settings:
    data, info = read_config_bytes(path)
    name = str(path)
    parsed, raw = decode(data, name)
    settings = _apply_parsed(settings, parsed, name)
    sections = {key: dict(raw[key]) for key in SECTIONS if key in raw}
    refused: list[str] = []
    if (why := distrust(path, info)) is not None:
        for table, key in HOOK_KEYS:
            if key in sections.get(table, {}):
                del sections[table][key]
                refused.append(f"{path}: {table}.{key} not used: {why}")
    return replace(settings, sections=sections, config_path=path, refused=tuple(refused))


def _apply_parsed(settings: Settings, parsed: ConfigFile, name: str) -> Settings:
    if parsed.window is not UNSET:
        settings = replace(settings, window_s=parse_duration(parsed.window, "window",
                                                             allow_all=True))
    if parsed.idle_timeout is not UNSET:
        settings = replace(settings, idle_timeout_s=parse_duration(parsed.idle_timeout,
                                                                   "idle_timeout"))
    if parsed.retention is not UNSET:
        settings = replace(settings, retention=parsed.retention)
    if parsed.thresholds is not UNSET:
        settings = replace(settings, thresholds=_thresholds(parsed.thresholds, name))
    return settings


def _retention(value: Any, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    raise ConfigError(f"{where}: expected a whole number of executions >= 1, got {value!r}")


def load_settings(config: str | None = None, *, window: str | None = None,
                  idle_timeout: str | None = None, retention: int | None = None,
                  environ: dict[str, str] | None = None) -> Settings:
    """Build settings from the layers. Raises ConfigError with a one-line message."""
    env = os.environ if environ is None else environ
    settings = Settings()
    path_text = config or env.get("WFTUI_CONFIG")
    if path_text:
        settings = _apply_file(settings, Path(path_text).expanduser())
    elif default_config_path().exists():
        # Anything at the default path is read: a FIFO or a directory there is
        # refused with a message, not silently skipped.
        settings = _apply_file(settings, default_config_path())
    layers = (
        ("WFTUI_WINDOW", env.get("WFTUI_WINDOW"), "WFTUI_IDLE_TIMEOUT",
         env.get("WFTUI_IDLE_TIMEOUT"), "WFTUI_RETENTION", env.get("WFTUI_RETENTION")),
        ("--window", window, "--idle-timeout", idle_timeout, "--retention", retention),
    )
    for window_name, window_value, idle_name, idle_value, keep_name, keep_value in layers:
        if window_value is not None:
            settings = replace(settings, window_s=parse_duration(
                window_value, window_name, allow_all=True))
        if idle_value is not None:
            settings = replace(settings, idle_timeout_s=parse_duration(idle_value, idle_name))
        if keep_value is not None:
            try:
                count = int(keep_value)
            except ValueError as error:
                raise ConfigError(f"{keep_name}: expected a whole number, "
                                  f"got {keep_value!r}") from error
            settings = replace(settings, retention=_retention(count, keep_name))
    return settings
