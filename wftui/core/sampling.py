"""How a trace was sampled: its adjusted count (how many executions it stands for).

A sampled trace stands for 1/probability executions: a trace kept with probability 0.1
stands for ten. Counting each kept trace once would bias every figure taken from
traces ("10% of executions, or 100% of errors" keeps every failure but one success in
ten: the error rate read unweighted is ten times too high), so the figures weight each
trace-only execution by this count (docs/figures.md, "Sampled traces").

Read from, in this order (the first that states a probability wins):

- the W3C `tracestate` entry `ot` of OpenTelemetry's consistent probability sampling:
  `th:<hex>`, a rejection threshold of up to 14 hex digits (trailing zeros dropped),
  probability = (2^56 - threshold) / 2^56 (`th:0` is 100%, `th:8` 50%); else the older
  `p:<n>`, probability 2^-n (`p:63` means "not sampled": the span stands for none);
- a `sample_rate` attribute: a probability (0.1: one in ten), or above 1 a "1 in N"
  rate (10: one in ten);
- a `sampling.priority` attribute above 0: the trace was kept on purpose, whatever a
  sampler would have said, so it stands for itself (1). 0 or below asks for the trace
  to be dropped and states no probability: unknown.

Anything else (absent, malformed, out of range) is unknown (None): never an exception.
Pure functions: no IO.
"""

from __future__ import annotations

import math
from typing import Any

# OpenTelemetry's consistent sampling works on 56 bits of randomness.
RANDOMNESS_BITS = 56
MAX_THRESHOLD_DIGITS = RANDOMNESS_BITS // 4  # 14 hex digits
# The older `p` value: probability 2^-p, 0..62; 63 means zero probability.
MAX_P = 63
# The most executions one trace can stand for: what `p:62` states. A rate claiming more
# (1e-300, "1 in 1e308") is no sampler's: two such weights summed to inf, and every
# figure of the window failed with it.
MAX_COUNT = float(1 << (MAX_P - 1))
HEX_DIGITS = frozenset("0123456789abcdefABCDEF")

# What an execution's figures are based on (docs/figures.md): the words `wftui check`
# prints and the panels show.
FROM_LOGS = "logs"
FROM_WEIGHTED_TRACES = "traces, weighted by sampling"
FROM_UNKNOWN_TRACES = "traces, sampling unknown"
FROM_METRICS = "metrics"
# What a trace's root says when nothing states how it was sampled (the event lines'
# `sampling` field: an adjusted count, or this word).
UNKNOWN = "unknown"


def threshold_count(value: str) -> float | None:
    """Adjusted count of an `ot` `th:` value (the hex digits), None when malformed."""
    if not 1 <= len(value) <= MAX_THRESHOLD_DIGITS or not HEX_DIGITS.issuperset(value):
        return None
    threshold = int(value.ljust(MAX_THRESHOLD_DIGITS, "0"), 16)
    kept = (1 << RANDOMNESS_BITS) - threshold  # > 0: at most 14 f's < 2^56
    return (1 << RANDOMNESS_BITS) / kept


def p_count(value: str) -> float | None:
    """Adjusted count of an `ot` `p:` value (2^p; 0 for p = 63), None when malformed."""
    if not value.isdigit() or not value.isascii() or len(value) > 2:
        return None
    p = int(value)
    if p > MAX_P:
        return None
    return 0.0 if p == MAX_P else float(1 << p)


def tracestate_count(tracestate: str) -> float | None:
    """Adjusted count stated by a W3C tracestate's `ot` entry, None when it states none
    (or states it in a way we cannot read)."""
    if "ot=" not in tracestate:  # the common case: one substring test
        return None
    for member in tracestate.split(","):
        key, sep, value = member.strip().partition("=")
        if not sep or key != "ot":
            continue
        fields: dict[str, str] = {}
        for part in value.split(";"):
            name, colon, field_value = part.partition(":")
            if colon and name not in fields:
                fields[name] = field_value
        if "th" in fields:
            return threshold_count(fields["th"])
        if "p" in fields:
            return p_count(fields["p"])
        return None
    return None


def _number(value: Any) -> float | None:
    """An attribute read as a finite number (numbers, or text holding one)."""
    if type(value) is bool:
        return None
    if type(value) is str:
        try:
            value = float(value)
        except ValueError:
            return None
    if type(value) is not int and type(value) is not float:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def rate_count(value: Any) -> float | None:
    """Adjusted count of a `sample_rate` attribute: a probability in (0, 1], or above
    1 a "1 in N" rate; None for anything else (0, negative, not a number)."""
    rate = _number(value)
    if rate is None or rate <= 0:
        return None
    count = 1.0 / rate if rate <= 1 else rate
    return count if count <= MAX_COUNT else None


def priority_count(value: Any) -> float | None:
    """Adjusted count of a `sampling.priority` attribute: 1 when above 0 (kept on
    purpose), None otherwise (0 asks for a drop: no probability stated)."""
    priority = _number(value)
    return 1.0 if priority is not None and priority > 0 else None


def adjusted_count(tracestate: str, attributes: dict[str, Any]) -> float | None:
    """How many executions a trace stands for, from its root span's tracestate and
    attributes (the module doc's order); None when nothing says (unknown)."""
    count = tracestate_count(tracestate) if tracestate else None
    if count is None:
        rate = attributes.get("sample_rate")
        if rate is not None:
            count = rate_count(rate)
    if count is None:
        priority = attributes.get("sampling.priority")
        if priority is not None:
            count = priority_count(priority)
    return count


def stated_count(said: float | str | None) -> float | str:
    """A line's `sampling` as an execution keeps it: an adjusted count from 0 to
    MAX_COUNT, else UNKNOWN (text, absent, or a number no trace can say: a log's own
    `sampling` of -1 weighted its executions below nothing, and read "no traffic")."""
    if type(said) is float and 0.0 <= said <= MAX_COUNT:
        return said
    return UNKNOWN


def weight_of(logged: bool, sampling: float | str | None) -> float | None:
    """An execution's weight in the figures: 1 when a log gave any of its events (logs
    cover every execution) or no span spoke of it, else its trace's adjusted count;
    None for a trace-only execution whose sampling is unknown."""
    if sampling is None or logged:
        return 1.0
    return sampling if type(sampling) is float else None
