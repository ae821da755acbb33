"""Settings: CLI flags, then `WFTUI_*` environment, then the TOML file, then defaults.

The file is `$XDG_CONFIG_HOME/wftui/config.toml` (default `~/.config/wftui/`) or the
path given with `--config`. A bad file is one clear message naming the key.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from wftui.core.thresholds import DEFAULT_THRESHOLDS, Threshold

WINDOWS = {"1m": 60.0, "5m": 300.0, "15m": 900.0, "1h": 3600.0, "all": None}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}

# Sections other parts of wftui read (replay, notify, metrics, prometheus): kept as
# tables here, each validated by its owner with `check_keys`.
OWNED_SECTIONS = ("metrics", "prometheus", "replay", "notify", "health")


class ConfigError(ValueError):
    """A setting that cannot be used; the message names where and why."""


def parse_duration(value: Any, where: str, *, allow_all: bool = False,
                   allow_zero: bool = False) -> float | None:
    """"5m", "30s", "1.5h", "250ms" or a number of seconds; "all" -> None if allowed."""
    if allow_all and isinstance(value, str) and value.strip().lower() == "all":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    else:
        hint = ' or "all"' if allow_all else ""
        raise ConfigError(f"{where}: expected a duration like 30s, 5m or 1h{hint}, "
                          f"got {value!r}")
    if not math.isfinite(seconds) or seconds < 0 or (seconds == 0 and not allow_zero):
        raise ConfigError(f"{where}: must be a positive duration, got {value!r}")
    return seconds


def check_keys(table: Any, allowed: set[str] | frozenset[str], where: str) -> dict[str, Any]:
    """The table if it is one and has only allowed keys; else a ConfigError naming the key."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table")
    for key in table:
        if key not in allowed:
            raise ConfigError(f"{where}.{key}: unknown key (expected one of: "
                              f"{', '.join(sorted(allowed))})")
    return table


def _number(value: Any, where: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    raise ConfigError(f"{where}: expected a number, got {value!r}")


@dataclass(frozen=True)
class Settings:
    """Everything configurable, after every layer is applied."""

    window_s: float | None = 300.0
    idle_timeout_s: float | None = 30.0
    retention: int = 50_000
    thresholds: tuple[Threshold, ...] = DEFAULT_THRESHOLDS
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    config_path: Path | None = None

    def section(self, name: str) -> dict[str, Any]:
        """A table owned by another part of wftui (empty when not in the file)."""
        return self.sections.get(name, {})


def default_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "wftui" / "config.toml"


_THRESHOLD_KEYS = frozenset({"threshold", "for", "clear", "action", "enabled"})
_TOP_KEYS = frozenset({"window", "idle_timeout", "retention", "thresholds", *OWNED_SECTIONS})


def _thresholds(table: Any, where: str) -> tuple[Threshold, ...]:
    check_keys(table, {t.name for t in DEFAULT_THRESHOLDS}, where)
    out: list[Threshold] = []
    for default in DEFAULT_THRESHOLDS:
        spec = table.get(default.name)
        if spec is None:
            out.append(default)
            continue
        at = f"{where}.{default.name}"
        check_keys(spec, _THRESHOLD_KEYS, at)
        threshold = default
        if "threshold" in spec:
            threshold = replace(threshold, above=_number(spec["threshold"], f"{at}.threshold"))
        if "for" in spec:
            for_s = parse_duration(spec["for"], f"{at}.for", allow_zero=True)
            threshold = replace(threshold, for_s=for_s or 0.0)
        if "clear" in spec:
            threshold = replace(threshold, clear=_number(spec["clear"], f"{at}.clear"))
        if "action" in spec:
            if not isinstance(spec["action"], str):
                raise ConfigError(f"{at}.action: expected text")
            threshold = replace(threshold, action=spec["action"])
        if "enabled" in spec:
            if not isinstance(spec["enabled"], bool):
                raise ConfigError(f"{at}.enabled: expected true or false")
            threshold = replace(threshold, enabled=spec["enabled"])
        if threshold.clear is not None and threshold.clear > threshold.above:
            raise ConfigError(f"{at}.clear: must be at or below the threshold "
                              f"({threshold.clear} > {threshold.above})")
        out.append(threshold)
    return tuple(out)


def _retention(value: Any, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    raise ConfigError(f"{where}: expected a whole number of executions >= 1, got {value!r}")


def _apply_file(settings: Settings, path: Path) -> Settings:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError as error:
        raise ConfigError(f"{path}: no such config file") from error
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from error
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not UTF-8 text (byte {error.start})") from error
    name = path.name
    check_keys(data, _TOP_KEYS, name)
    if "window" in data:
        settings = replace(settings, window_s=parse_duration(
            data["window"], f"{name}: window", allow_all=True))
    if "idle_timeout" in data:
        settings = replace(settings, idle_timeout_s=parse_duration(
            data["idle_timeout"], f"{name}: idle_timeout"))
    if "retention" in data:
        settings = replace(settings, retention=_retention(data["retention"],
                                                          f"{name}: retention"))
    if "thresholds" in data:
        settings = replace(settings, thresholds=_thresholds(data["thresholds"],
                                                            f"{name}: thresholds"))
    sections = {key: check_keys(data[key], set(data[key]) if isinstance(data[key], dict)
                                else set(), f"{name}: {key}")
                for key in OWNED_SECTIONS if key in data}
    return replace(settings, sections=sections, config_path=path)


def load_settings(config: str | None = None, *, window: str | None = None,
                  idle_timeout: str | None = None, retention: int | None = None,
                  environ: dict[str, str] | None = None) -> Settings:
    """Build settings from the layers. Raises ConfigError with a one-line message."""
    env = os.environ if environ is None else environ
    settings = Settings()
    path_text = config or env.get("WFTUI_CONFIG")
    if path_text:
        settings = _apply_file(settings, Path(path_text).expanduser())
    elif default_config_path().is_file():
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
