"""Event timestamps: ISO 8601 strings (no zone means UTC) or epoch numbers (seconds,
milliseconds, microseconds or nanoseconds, told apart by magnitude), to epoch floats.

Parsing runs once per log line, so the common shape ("2026-01-01T12:00:00.123456", with
an optional "Z" or "+00:00") takes a fast path: the date-and-seconds prefix is converted
once and cached, and only the fraction and zone are read per line.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

# Prefix "YYYY-MM-DDTHH:MM:SS" -> epoch seconds. Bounded: cleared when it grows past this
# (a log has a few distinct seconds per line at most, so hits dominate).
_PREFIX_CACHE: dict[str, float] = {}
_PREFIX_CACHE_MAX = 200_000

# Times outside this range are not believable (years 1970..2200), however written:
# they are read as absent, so the event is stamped with the time it was read.
MIN_EPOCH = 0.0
MAX_EPOCH = 7_258_118_400.0
# What a datetime is measured from: a naive one is UTC (docs/log-format.md), an aware one is not
# comparable with a naive epoch, hence both.
EPOCH_NAIVE = datetime(1970, 1, 1)
EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)


def _prefix_epoch(prefix: str) -> float | None:
    try:
        dt = datetime(
            int(prefix[0:4]), int(prefix[5:7]), int(prefix[8:10]),
            int(prefix[11:13]), int(prefix[14:16]), int(prefix[17:19]), tzinfo=UTC,
        )
    except ValueError:
        return None
    if len(_PREFIX_CACHE) >= _PREFIX_CACHE_MAX:
        _PREFIX_CACHE.clear()
    value = dt.timestamp()
    _PREFIX_CACHE[prefix] = value
    return value


def _zone_offset(zone: str) -> float | None:
    """Seconds east of UTC for "Z", "+HH:MM", "-HHMM", "+HH"; None if unreadable."""
    if zone in ("Z", "z"):
        return 0.0
    sign = zone[:1]
    if sign not in ("+", "-"):
        return None
    digits = zone[1:].replace(":", "")
    if not digits.isdigit() or len(digits) not in (2, 4):
        return None
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 23 or minutes > 59:
        return None
    seconds = hours * 3600 + minutes * 60
    return float(seconds if sign == "+" else -seconds)


def _slow_parse(text: str) -> float | None:
    try:
        dt = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    try:
        return dt.timestamp()
    except (OverflowError, OSError, ValueError):
        return None


def _with_zone(value: str, base: float, rest: str) -> float | None:
    """The rest after seconds: an optional fraction (`.` or `,`) then a zone."""
    frac = 0.0
    if rest[0] in ".,":
        end = 1
        while end < len(rest) and rest[end].isdigit():
            end += 1
        if end > 1:
            frac = round(float("0." + rest[1:end]), 6)  # to the microsecond, as datetime
        rest = rest[end:]
        if not rest:
            return base + frac
    offset = _zone_offset(rest)
    if offset is None:
        return _slow_parse(value)
    return base + frac - offset


def parse_timestamp(value: object) -> float | None:
    """Epoch seconds for an event's `timestamp`, or None when absent, unreadable, or
    outside the years 1970..2200."""
    kind = type(value)
    if kind is str:
        # Python logging's asctime ("2026-01-01 12:00:00,123"): one lookup per part.
        base = _PREFIX_CACHE.get(value[:19])  # type: ignore[index]
        if base is not None:
            millis = _COMMA_MILLIS.get(value[19:])  # type: ignore[index]
            if millis is not None:
                epoch = base + millis
                return epoch if MIN_EPOCH <= epoch <= MAX_EPOCH else None
    elif kind is float or kind is int:  # epoch numbers
        if MIN_EPOCH <= value <= MAX_EPOCH:  # type: ignore[operator]
            return float(value)  # type: ignore[arg-type]
        return _scaled_epoch(value)  # type: ignore[arg-type]
    parsed = _parse_timestamp(value)
    if parsed is None or not MIN_EPOCH <= parsed <= MAX_EPOCH:
        return None
    return parsed


def _scaled_epoch(value: float) -> float | None:
    """Epoch milliseconds, microseconds or nanoseconds, told apart by magnitude: each
    unit's years 1970..2200 lie above the one before's."""
    try:
        number = float(value)
    except OverflowError:
        return None
    if not math.isfinite(number) or number < MIN_EPOCH:
        return None
    for scale in _EPOCH_SCALES:
        if number <= MAX_EPOCH * scale:
            return number / scale
    return None


_EPOCH_SCALES = (1e3, 1e6, 1e9)
# ",123" -> 0.123, as the fraction is read below (round(float("0.123"), 6)).
_COMMA_MILLIS = {f",{n:03d}": round(float(f"0.{n:03d}"), 6) for n in range(1000)}


def _parse_timestamp(value: object) -> float | None:
    if isinstance(value, str):
        base = _PREFIX_CACHE.get(value[:19])
        if base is None:
            if len(value) < 19 or value[4] != "-" or value[10] not in "T t":
                return _slow_parse(value)
            base = _prefix_epoch(value[:19])
            if base is None:
                return _slow_parse(value)
        rest = value[19:]
        if not rest:
            return base
        # The common shapes ".123456" and ".123456Z" in one float() call.
        fraction = rest[:-1] if rest[-1] in "Zz" else rest
        if fraction[:1] == "." and fraction[1:].isascii() and fraction[1:].isdigit():
            # To the microsecond, as datetime (and the ledger's typed decoder) read it.
            return base + round(float(fraction), 6)
        if fraction[:1] == "," and fraction[1:].isascii() and fraction[1:].isdigit():
            # Python logging's asctime ("2026-01-01 12:00:00,123")
            return base + round(float("0." + fraction[1:]), 6)
        if not fraction:
            return base
        return _with_zone(value, base, rest)
    if isinstance(value, bool):  # bool is an int subclass: true/false are not times
        return None
    if isinstance(value, int | float):
        return _scaled_epoch(value) if value >= MIN_EPOCH else None
    return None


def format_timestamp(epoch: float | None) -> str | None:
    """ISO 8601 UTC with a trailing Z (seconds, or milliseconds when fractional)."""
    if epoch is None:
        return None
    try:
        dt = datetime.fromtimestamp(epoch, tz=UTC)
    except (ValueError, OverflowError, OSError):
        # Outside datetime's years 1..9999 (a log's odd clock): epoch seconds, not a crash.
        return f"{epoch:.3f}"
    if dt.microsecond:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


# Durations as operators type them: 30s, 5m, 1.5h, 250ms, 2d, and compound ones as
# Prometheus writes them (1h30m, 54m30s, 1d12h).
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)")
_DURATION = re.compile(r"(?:\s*\d+(?:\.\d+)?\s*(?:ms|s|m|h|d))+\s*")
DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def duration_seconds(text: str) -> float | None:
    """The seconds a duration says (None when the text is not one)."""
    if not _DURATION.fullmatch(text):
        return None
    return sum(float(number) * DURATION_UNITS[unit]
               for number, unit in _DURATION_PART.findall(text))
