"""Property-based fuzzing of ingestion (docs/reliability.md).

Whatever the bytes, `Ledger.ingest_lines` never raises, and every non-blank line (one
that is not all ASCII whitespace) is counted exactly once, as an event or as malformed.
For lines built from known JSON objects the test also knows which of the two it must
be (docs/log-format.md). What comes after ingestion (step trees, the check object)
must not raise either, and the check object must be strict JSON (no NaN/Infinity).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from wftui.core.execution import SUMMARY_FIELDS
from wftui.core.ledger import Ledger
from wftui.core.snapshot import take_snapshot
from wftui.core.steps import build_detail
from wftui.core.thresholds import ThresholdEngine

READ_TIME = 1767268800.0

EVENTS = ["step_start", "step_complete", "branch_decision", "tool_call", "error",
          "workflow_start", "workflow_complete", "queue_depth"]
FIELDS = ["step_name", "step_type", "context_keys", "duration_ms", "success", "error",
          "branch_name", "path_taken", "tool_name", "arguments", "response_keys",
          "traceback", "workflow_name", "context", "replay_of", "status", "value", "model",
          "input_tokens", "output_tokens", "cost_usd", "some_unknown_field"]


def is_blank(raw: bytes) -> bool:
    return not raw.strip()  # bytes.strip: ASCII whitespace only


def check_everything_after(ledger: Ledger, lines: list[bytes]) -> None:
    non_blank = sum(1 for raw in lines if not is_blank(raw))
    assert ledger.events_total + ledger.malformed_total == non_blank
    counts = ledger.sources.get("fuzz.log")
    if counts is not None:
        assert counts.events + counts.malformed == non_blank
    for execution in ledger.executions.values():
        detail = build_detail(execution, READ_TIME, ledger.idle_timeout)
        json.dumps(detail.as_dict(), default=str)
    for window in (300.0, None):
        out = take_snapshot(ledger, ThresholdEngine(), window_s=window).to_check_dict()
        json.dumps(out, allow_nan=False)


# -- arbitrary bytes -------------------------------------------------------------------------

@given(st.lists(st.binary(max_size=200), max_size=25))
def test_arbitrary_bytes_never_raise_and_count_once(lines: list[bytes]) -> None:
    ledger = Ledger(malformed_kept=5)
    ledger.ingest_lines("fuzz.log", 1, lines, read_time=READ_TIME)
    check_everything_after(ledger, lines)
    assert len(ledger.malformed) <= 5


# -- JSON-ish lines covering every case of section B -----------------------------------------

json_scalars = (st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1)
                | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20))
json_values = st.recursive(json_scalars,
                           lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                           max_leaves=8)

offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
datetimes = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30))


@st.composite
def timestamps(draw: st.DrawFn) -> Any:
    """Every shape section B names: ISO with and without zone, future, far past, epoch
    numbers, unparseable text, wrong types."""
    kind = draw(st.sampled_from(["naive", "z", "offset", "epoch", "epoch_int", "ms", "text",
                                 "wrong", "edge"]))
    moment = draw(datetimes)
    if kind == "naive":
        text = moment.isoformat(sep=draw(st.sampled_from(["T", " "])))
        # beyond the microsecond: readers round (or cut) the 7th digit on
        return text + draw(st.sampled_from(["", "", "7", "999"])) if "." in text else text
    if kind == "z":
        return moment.isoformat() + "Z"
    if kind == "offset":
        return moment.replace(tzinfo=draw(offsets)).isoformat()
    if kind == "epoch":
        return draw(st.floats(allow_nan=False, allow_infinity=False))
    if kind == "epoch_int":
        return draw(st.integers(-(2**63), 2**63 - 1))
    if kind == "ms":
        return int(moment.replace(tzinfo=UTC).timestamp() * 1000)
    if kind == "text":
        return draw(st.text(max_size=30))
    if kind == "edge":
        return draw(st.sampled_from([
            "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00",
            "9999-12-31T23:59:59.999999Z", "2026-01-01T12:00:00+99:99", "2026-02-30T00:00:00",
            "2026-01-01T12:00:00.", "2026-01-01T12:00:00,5Z", "1970-01-01T00:00:00Z"]))
    return draw(json_values)


@st.composite
def event_objects(draw: st.DrawFn) -> dict[str, Any]:
    """An object that may or may not be an event: right and wrong types everywhere."""
    record: dict[str, Any] = {}
    if draw(st.integers(0, 9)):
        record["event"] = draw(st.sampled_from(EVENTS) | st.text(max_size=10)
                               if draw(st.integers(0, 5)) else json_values)
    if draw(st.integers(0, 9)):
        record["execution_id"] = draw(st.sampled_from(["e1", "e2", "e3", "-x", ""])
                                      if draw(st.integers(0, 5)) else json_values)
    if draw(st.integers(0, 9)):
        record["timestamp"] = draw(timestamps())
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=4, unique=True)):
        if name == "duration_ms":
            record[name] = draw(st.floats(allow_nan=False, allow_infinity=False)
                                | st.integers(-(2**63), 2**63 - 1) | json_values)
        elif name == "step_name":
            record[name] = draw(st.sampled_from(["a", "b", "c"]) | json_values)
        elif name == "status":
            record[name] = draw(st.sampled_from(["success", "failure"]) | json_values)
        elif name == "success":
            record[name] = draw(st.booleans() | json_values)
        else:
            record[name] = draw(json_values)
    return record


def is_event(value: Any) -> bool:
    """docs/log-format.md, written out independently of the parser."""
    if not isinstance(value, dict) or not isinstance(value.get("event"), str):
        return False
    return value["event"] == "queue_depth" or isinstance(value.get("execution_id"), str)


# Mutations whose result the contract decides: the line must be classified as is_event says.
CLEAN = ["plain", "raw_utf8", "prefix", "bom", "padded"]
# Mutations that may be read sanely or be malformed: only the count is checked.
HOSTILE = ["nan", "duplicate", "deep", "huge_int", "bad_utf8", "nul", "cut", "infinity"]


@st.composite
def lines_with_kinds(draw: st.DrawFn) -> tuple[bytes, bool | None]:
    """(line, expected is-an-event) with None when either outcome is acceptable."""
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return draw(st.sampled_from([b"", b" ", b"\t\t", b"\r", b" \x0b\x0c "])), None
    value: Any = draw(event_objects()) if choice > 1 else draw(json_values)
    mutation = draw(st.sampled_from(CLEAN + HOSTILE))
    text = json.dumps(value, ensure_ascii=mutation != "raw_utf8")
    raw = text.encode("utf-8")
    expected: bool | None = is_event(value)
    if mutation == "prefix":
        raw = draw(st.sampled_from([b"2026-01-01 12:00:00 INFO ", b"INFO:root:", b"x "])) + raw
    elif mutation == "bom":
        raw = b"\xef\xbb\xbf" + raw
    elif mutation == "padded":
        raw = b"  " + raw + b" \r"
    elif mutation in HOSTILE:
        expected = None
        if mutation == "nan":
            raw = raw.replace(b"0", b"NaN", 1) if b"0" in raw else raw + b"NaN"
        elif mutation == "infinity":
            raw = raw[:-1] + b', "duration_ms": Infinity}' if raw.endswith(b"}") else raw
        elif mutation == "duplicate":
            raw = raw[:-1] + b', "event": "step_start"}' if raw.endswith(b"}") else raw
        elif mutation == "deep":
            depth = draw(st.sampled_from([100, 1500, 100_000]))
            raw = b"[" * depth + raw + b"]" * depth
        elif mutation == "huge_int":
            digits = b"9" * draw(st.sampled_from([20, 400, 4000]))
            raw = raw[:-1] + b', "duration_ms": ' + digits + b"}" if raw.endswith(b"}") \
                else digits
        elif mutation in ("bad_utf8", "nul", "cut"):
            at = draw(st.integers(0, len(raw)))
            junk = {"bad_utf8": b"\xff\xc3", "nul": b"\x00", "cut": b""}[mutation]
            raw = raw[:at] + junk + (raw[at:] if mutation != "cut" else b"")
    return raw, expected


@given(st.lists(lines_with_kinds(), max_size=15))
def test_jsonish_lines_are_classified_per_contract(cases: list[tuple[bytes, bool | None]]
                                                   ) -> None:
    lines = [raw for raw, _ in cases]
    ledger = Ledger(malformed_kept=1000, retention=3)
    # one line per call, so each line's outcome can be seen on its own
    for number, (raw, expected) in enumerate(cases, start=1):
        events, malformed = ledger.events_total, ledger.malformed_total
        ledger.ingest_lines("fuzz.log", number, [raw], read_time=READ_TIME)
        got_event = ledger.events_total - events
        got_malformed = ledger.malformed_total - malformed
        if is_blank(raw):
            assert (got_event, got_malformed) == (0, 0), raw
        else:
            assert got_event + got_malformed == 1, raw
            if expected is not None:
                assert got_event == int(expected), raw
            if got_malformed:
                assert ledger.malformed[-1].lineno == number
    check_everything_after(ledger, lines)


@given(st.lists(lines_with_kinds(), max_size=20), st.integers(1, 8))
def test_batches_count_the_same_as_single_lines(cases: list[tuple[bytes, bool | None]],
                                                batch: int) -> None:
    lines = [raw for raw, _ in cases]
    ledger = Ledger(retention=5)
    for first in range(0, len(lines), batch):
        ledger.ingest_lines("fuzz.log", first + 1, lines[first:first + batch],
                            read_time=READ_TIME)
    check_everything_after(ledger, lines)


# -- the typed decoder and the tolerant path read every field the same way ----------------

def ledger_state(ledger: Ledger) -> tuple[Any, ...]:
    """What the figures are made of, with times rounded to a microsecond: the typed path
    reads RFC 3339 text in C, the tolerant one with `parse_timestamp`, and the two sums
    (days, seconds, microseconds vs. seconds + fraction) may differ in the last bit."""
    def rounded(value: Any) -> Any:
        return round(value, 6) if isinstance(value, float) else value

    executions = sorted(
        (tuple(rounded(getattr(execution, name)) for name in SUMMARY_FIELDS
               if name not in ("open_steps", "early_completes")),
         sorted((key, rounded(v) if isinstance(v, float) else [rounded(s) for s in v])
                for key, v in execution.open_steps.items()))
        for execution in ledger.executions.values())
    steps = sorted((name, [rounded(t) for t in series.times], list(series.values),
                    list(series.failed_at)) for name, series in ledger.step_samples.items())
    return (executions, steps, rounded(ledger.queue_depth), rounded(ledger.newest_ts),
            ledger.events_total, ledger.malformed_total, ledger.unknown_events)


# Numbers json.dumps cannot write: past a double (valid JSON all the same) and past uint64.
ODD_NUMBERS = [b', "extra": 1e999', b', "input_tokens": 18446744073709551616',
               b', "output_tokens": 99999999999999999999999', b', "cost_usd": 1e400']


@given(st.lists(st.tuples(event_objects(), st.sampled_from([b"", b"", *ODD_NUMBERS])),
                max_size=12))
def test_typed_and_tolerant_paths_read_the_same(records: list[tuple[dict[str, Any], bytes]]
                                                ) -> None:
    """A text prefix before `{` makes the typed decoder refuse a line, so the same
    objects with and without one must leave the same figures behind (docs/log-format.md)."""
    lines = []
    for record, odd in records:
        text = json.dumps(record).encode()
        lines.append(text[:-1] + odd + b"}" if odd and text.endswith(b"}") else text)
    typed, tolerant = Ledger(), Ledger()
    typed.ingest_lines("fuzz.log", 1, lines, read_time=READ_TIME)
    tolerant.ingest_lines("fuzz.log", 1, [b"INFO " + raw for raw in lines],
                          read_time=READ_TIME)
    assert ledger_state(typed) == ledger_state(tolerant)
