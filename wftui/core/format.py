"""How figures read to an operator: one place, so the UI, `check` and `watch` agree.

None is never printed as 0: it reads "no data" (or the caller's word for it).
"""

from __future__ import annotations

from datetime import UTC, datetime

NO_DATA = "no data"
#: From here on a number is said short (1.23T, 4.5e30): in full it wraps a panel or is
#: cut in a table cell, where "1,000,00…" reads as a million.
SHORT_FROM = 1e12
_PREFIXES = ((1e3, "k"), (1e6, "M"), (1e9, "G"), (1e12, "T"), (1e15, "P"), (1e18, "E"))


def short(value: float) -> str:
    """A number in at most 7 cells (8 when negative): 950, 12.3k, 4.56G, 1.0e30."""
    magnitude = abs(value)
    if magnitude != magnitude or magnitude == float("inf"):
        return str(value)
    if magnitude < 999.5:
        return f"{value:.0f}" if float(value).is_integer() else f"{value:.3g}"
    for size, prefix in _PREFIXES:
        scaled = value / size
        # Three significant digits, the prefix chosen after rounding (999.96k is 1.00M).
        text = f"{scaled:.{2 if abs(scaled) < 9.995 else 1 if abs(scaled) < 99.95 else 0}f}"
        if abs(float(text)) < 1000:
            return text + prefix
    return power(value)


def power(value: float) -> str:
    """A number as a power of ten, in at most 7 cells: 1.0e30, 1.2e303."""
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def seconds(value: float | None, none: str = NO_DATA) -> str:
    """A duration: 850ms, 2.41s, 3m05s, 1h02m, 3d04h (not 76h: an age of days). The
    unit is chosen after rounding: 59.996 s is 1m00s, not 60.00s."""
    if value is None:
        return none
    # Compared as floats, not round(value * 1000) < 1000 (the same test): a finite
    # duration above ~1.8e305 s (a config's `window = 1e308`) is inf in milliseconds,
    # which round() cannot turn into an int.
    if value >= 100_000 * 86_400:  # before round(): int(1e308) has 309 digits
        return f"{power(value / 86_400)}d"
    if value * 1000 < 999.5:
        return f"{value * 1000:.0f}ms"
    if round(value, 2) < 60.0:
        return f"{value:.2f}s"
    whole = int(round(value))
    if whole < 3600:
        minutes, rest = divmod(whole, 60)
        return f"{minutes}m{rest:02d}s"
    if whole < 86_400:
        hours, rest = divmod(whole, 3600)
        return f"{hours}h{rest // 60:02d}m"
    days, rest = divmod(whole, 86_400)
    if days >= 100_000:  # 274 years: a clock's or a unit's mistake, said in 7 cells
        return f"{power(value / 86_400)}d"
    return f"{days:,}d{rest // 3600:02d}h"


def count_in(value: float, width: int) -> str:
    """A count in at most `width` cells (a table column): in full when it fits, else
    short (cut, 1,234,567,890 would read "1,234,5…", a thousand times less)."""
    text = count(value)
    return text if len(text) <= width else short(value)


def percent(value: float | None, none: str = "no traffic") -> str:
    """A rate 0..1 as a percentage: 4.76%."""
    if value is None:
        return none
    return f"{value * 100:.2f}%"


def count(value: float | None, none: str = NO_DATA) -> str:
    """A count or gauge: 1,234 (or 12.5 when it is not whole)."""
    if value is None:
        return none
    if abs(value) >= SHORT_FROM:
        return short(value)
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def rate_per_min(value: float | None, none: str = NO_DATA) -> str:
    if value is None:
        return none
    if abs(value) >= SHORT_FROM:
        return f"{short(value)}/min"
    return f"{value:,.1f}/min"


def ratio(value: float) -> str:
    """A ratio of two durations: 0.52, 2.43, 1.2e300 (never hundreds of digits)."""
    return f"{value:.2f}" if value < 10_000 else short(value)


def threshold_figure(name: str, value: float | None, none: str = NO_DATA) -> str:
    """A threshold's value in its figure's own unit."""
    if name == "error_rate":
        return percent(value, none)
    if name.startswith("latency_"):
        return seconds(value, none)
    return count(value, none)


def dollars(value: float | None, none: str = NO_DATA) -> str:
    """$0.0061; a cost too small for four decimals is "<$0.0001" (not $0.0000, which
    reads as free); $0 for a cost of 0 (a model priced at 0: free); `none` when
    nothing was priced (None)."""
    if value is None:
        return none
    if value == 0:
        return "$0"
    if 0 < value < 0.00005:
        return "<$0.0001"
    if value >= 10_000:  # $9999.9999 is a table cell's width already
        return f"${short(value)}"
    return f"${value:.4f}"


def usage(input_tokens: int, output_tokens: int, cost_usd: float | None
          ) -> tuple[str, str]:
    """An execution's tokens ("1,200 in / 300 out") and cost ("$0.0061"); "—" for each
    that nothing logged (token sums start at 0: a log without token fields is no data,
    not 0; a cost is None until one is told)."""
    tokens = (f"{count(input_tokens)} in / {count(output_tokens)} out"
              if input_tokens or output_tokens else "—")
    return tokens, dollars(cost_usd, "—")


def usage_values(input_tokens: int, output_tokens: int, cost_usd: float | None
                 ) -> tuple[int | None, int | None, float | None]:
    """An execution's tokens and cost for JSON, as `usage` says them: None (null) where
    it shows "—", for the token sums start at 0 and 0 is what nothing logged leaves
    (the cost is None then already; 0.0 is a cost: priced, and free)."""
    told = bool(input_tokens or output_tokens)
    return (input_tokens if told else None, output_tokens if told else None, cost_usd)


def clock(epoch: float | None, none: str = "-") -> str:
    """Wall-clock time of day, UTC: 12:00:03."""
    if epoch is None:
        return none
    try:
        return datetime.fromtimestamp(epoch, tz=UTC).strftime("%H:%M:%S")
    except (ValueError, OverflowError, OSError):  # outside years 1..9999: a log's odd clock
        return none


def dated_clock(epoch: float, day_of: float | None) -> str:
    """The time of day, UTC (23:59:30), with the date when its day is not that of
    `day_of` (the log's end; live: now), as a silence of days shows it: 03-01 23:59:30.
    In a log of several days, an alert of two days before its end read as that
    evening's. (day_of None: the time alone.)"""
    time_of_day = clock(epoch)
    if day_of is None:
        return time_of_day
    try:
        day = datetime.fromtimestamp(epoch, tz=UTC).date()
        if day == datetime.fromtimestamp(day_of, tz=UTC).date():
            return time_of_day
        return f"{day:%m-%d} {time_of_day}"
    except (ValueError, OverflowError, OSError):  # outside years 1..9999, as `clock`
        return time_of_day


def window(window_s: float | None) -> str:
    if window_s is None:
        return "all"
    for label, size in (("h", 3600), ("m", 60)):
        if window_s >= size and window_s % size == 0:
            return f"{int(window_s // size)}{label}"
    return seconds(window_s)


# C0 controls (except tab) -> the Control Pictures block, DEL -> ␡, C1 -> ␦, and the
# bidirectional overrides/isolates and invisible characters -> ⍰: log text must never
# steer the terminal, reorder what the operator reads, or hide in a name ("payments"
# with a zero-width space is another workflow that looks the same) (docs/reliability.md).
_VISIBLE = {code: 0x2400 + code for code in range(0x20) if code != 0x09}
_VISIBLE[0x7F] = 0x2421
_VISIBLE.update({code: 0x2426 for code in range(0x80, 0xA0)})
_VISIBLE.update({code: 0x2370 for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A),
                                            0x200E, 0x200F, 0x061C,
                                            0x200B, 0x2060, 0xFEFF)})


ELLIPSIS = "…"


def clip(value: str, width: int) -> str:
    """At most `width` cells, with an ellipsis when something was cut."""
    if width <= 0:
        return ""
    if len(value) <= width:
        return value
    return value[: max(width - 1, 0)] + ELLIPSIS


def visible(text: str) -> str:
    """Text with every control character replaced by a visible symbol."""
    return text.translate(_VISIBLE)
