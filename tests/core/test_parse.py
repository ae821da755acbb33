"""Parsing log lines (docs/log-format.md).

Every line goes through `Ledger.ingest_lines`, the way the tailer feeds it. Expected
outcomes are read off the contract: a JSON object with a string `event` (and a string
`execution_id`, except for `queue_depth`) is an event; any other non-blank line is
malformed, counted once and kept with its source and line number; blank lines are
neither.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from wftui.core.ledger import Ledger
from wftui.core.steps import build_detail

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
T0_EPOCH = 1767268800.0  # 2026-01-01T12:00:00Z, worked out with `date -d ... +%s`
READ_TIME = 1767272400.0  # one hour later: the time the lines were "read"


def iso(offset: float) -> str:
    """The article's timestamp shape: datetime.utcnow().isoformat() (no zone)."""
    return (T0 + timedelta(seconds=offset)).replace(tzinfo=None).isoformat()


def line(event: str, execution_id: str | None = "e1", offset: float = 0.0,
         **fields: Any) -> bytes:
    """One JSON line, written by the standard library (not by the code under test)."""
    record: dict[str, Any] = {"event": event}
    if execution_id is not None:
        record["execution_id"] = execution_id
    record["timestamp"] = iso(offset)
    record.update(fields)
    return json.dumps(record).encode()


def ingest(lines: list[bytes], source: str = "app.log", **kwargs: Any) -> Ledger:
    ledger = Ledger(**kwargs)
    ledger.ingest_lines(source, 1, lines, read_time=READ_TIME)
    return ledger


def detail(ledger: Ledger, execution_id: str = "e1"):
    return build_detail(ledger.executions[execution_id], READ_TIME, ledger.idle_timeout)


# -- the five core events and the three extensions -------------------------------

ARTICLE_AND_EXTENSIONS = [
    line("workflow_start", offset=0, workflow_name="support", context={"ticket": 7}),
    line("step_start", offset=1, step_name="classify", step_type="llm",
         context_keys=["ticket"]),
    line("tool_call", offset=1.5, tool_name="search", arguments={"q": "x"},
         response_keys=["hits"], duration_ms=120),
    line("branch_decision", offset=1.8, branch_name="route", path_taken="refund"),
    line("step_complete", offset=2, step_name="classify", duration_ms=1000, success=True),
    line("step_start", offset=2, step_name="refund", step_type="tool", context_keys=[]),
    line("error", offset=3, step_name="refund", error="boom",
         traceback="Traceback (most recent call last):\n  File x\nValueError: boom"),
    line("workflow_complete", offset=4, status="failure", duration_ms=4000),
    line("queue_depth", execution_id=None, offset=4, value=17),
]


def test_every_contract_event_is_an_event() -> None:
    ledger = ingest(ARTICLE_AND_EXTENSIONS)
    assert ledger.events_total == 9
    assert ledger.malformed_total == 0
    assert ledger.sources["app.log"].events == 9
    assert list(ledger.executions) == ["e1"]
    assert ledger.queue_depth == 17
    execution = ledger.executions["e1"]
    assert execution.workflow_name == "support"
    assert execution.first_ts == T0_EPOCH
    assert execution.last_ts == T0_EPOCH + 4


def test_logs_without_the_extensions_still_work() -> None:
    """Only the five core events: no workflow_start/complete, no queue_depth."""
    lines = [raw for raw in ARTICLE_AND_EXTENSIONS
             if b'"workflow_' not in raw and b'"queue_depth"' not in raw]
    ledger = ingest(lines)
    assert ledger.events_total == 6
    assert ledger.queue_depth is None
    # the error event makes it failed even without a workflow_complete
    assert ledger.counts(T0_EPOCH + 4)["failed"] == 1


def test_text_prefix_before_the_object() -> None:
    body = line("workflow_start", workflow_name="prefixed").decode()
    ledger = ingest([f"2026-01-01 12:00:00 INFO {body}".encode(),
                     f"INFO:workflow.support:{body}".encode()])
    assert ledger.events_total == 2
    assert ledger.malformed_total == 0
    assert ledger.executions["e1"].workflow_name == "prefixed"


def test_prefix_with_braces_in_it_is_malformed_not_a_crash() -> None:
    ledger = ingest([b"INFO {not json} {\"event\": \"x\""])
    assert ledger.events_total + ledger.malformed_total == 1


# -- unknown things are kept ----------------------------------------------------------

def test_unknown_event_and_fields_are_kept_and_shown() -> None:
    ledger = ingest([
        line("workflow_start", offset=0, colour="blue"),
        line("step_start", offset=1, step_name="plan", shard=3),
        line("human_review", offset=1.5, reviewer="ana"),
        line("step_complete", offset=2, step_name="plan", success=True, gpu="a100"),
        line("checkpoint_saved", offset=3, path="/tmp/x"),
    ])
    assert ledger.events_total == 5
    assert ledger.malformed_total == 0
    shown = detail(ledger)
    every_event = [item.event for item in shown.items]
    for step in shown.steps:
        every_event += [item.event for item in step.items]
        every_event += [e for e in (step.start_event, step.complete_event) if e]
    kinds = [e["event"] for e in every_event]
    assert "human_review" in kinds
    assert "checkpoint_saved" in kinds
    review = next(e for e in every_event if e["event"] == "human_review")
    assert review["reviewer"] == "ana"
    assert shown.steps[0].start_event is not None
    assert shown.steps[0].start_event["shard"] == 3
    assert shown.steps[0].complete_event is not None
    assert shown.steps[0].complete_event["gpu"] == "a100"
    start = next(e for e in every_event if e["event"] == "workflow_start")
    assert start["colour"] == "blue"


# -- malformed lines ------------------------------------------------------------------

MALFORMED = [
    b"[]",
    b"42",
    b'"x"',
    b"null",
    b"true",
    b"this is not json",
    b'{"execution_id": "e1"}',  # no event
    b'{"event": 5, "execution_id": "e1"}',  # event not a string
    b'{"event": null, "execution_id": "e1"}',
    b'{"event": "step_start"}',  # no execution_id
    b'{"event": "step_start", "execution_id": 12}',  # execution_id not a string
    b'{"event": "step_start", "execution_id": null}',
    b'{"event": "step_start", "execution_id": ["e1"]}',
    b'{"event": "step_start", "execution_id": "e1"',  # cut short
    b"\x00\x00\x00\x00",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    b"{" * 3,
]


@pytest.mark.parametrize("raw", MALFORMED)
def test_malformed_line_is_counted_and_kept_with_where(raw: bytes) -> None:
    ledger = Ledger()
    ledger.ingest_lines("svc.log", 41, [line("workflow_start"), raw], read_time=READ_TIME)
    assert ledger.events_total == 1
    assert ledger.malformed_total == 1
    assert ledger.sources["svc.log"].malformed == 1
    assert ledger.sources["svc.log"].events == 1
    kept = list(ledger.malformed)
    assert len(kept) == 1
    assert kept[0].source == "svc.log"
    assert kept[0].lineno == 42  # the second line of a batch starting at line 41
    assert kept[0].reason  # says why


def test_queue_depth_needs_no_execution_id_but_needs_an_event() -> None:
    ledger = ingest([b'{"event": "queue_depth", "value": 3}', b'{"value": 3}'])
    assert ledger.events_total == 1
    assert ledger.malformed_total == 1
    assert ledger.queue_depth == 3


def test_queue_depth_with_an_execution_id_is_still_only_a_queue_depth() -> None:
    """queue_depth is the log's gauge (docs/log-format.md), not a step of a workflow: a logger
    that stamps every record with an execution_id must not make up an execution that
    then counts as succeeded (and as a 0 s duration) in the figures."""
    ledger = ingest([line("queue_depth", execution_id="worker-7", offset=1, value=5)])
    assert ledger.events_total == 1
    assert ledger.queue_depth == 5
    assert ledger.executions == {}
    assert ledger.counts(READ_TIME) == {"total": 0, "running": 0, "succeeded": 0,
                                        "failed": 0}


def test_malformed_lines_kept_are_bounded_newest_last() -> None:
    ledger = Ledger(malformed_kept=3)
    ledger.ingest_lines("a.log", 1, [b"junk %d" % i for i in range(10)], read_time=READ_TIME)
    assert ledger.malformed_total == 10
    assert [m.lineno for m in ledger.malformed] == [8, 9, 10]
    assert ledger.malformed[-1].text == "junk 9"


def test_malformed_excerpt_is_bounded() -> None:
    ledger = ingest([b"x" * 1_000_000])
    assert ledger.malformed_total == 1
    assert len(ledger.malformed[0].text) <= 1000


def test_line_numbers_continue_across_batches_and_sources() -> None:
    ledger = Ledger()
    ledger.ingest_lines("a.log", 1, [line("workflow_start"), b"bad"], read_time=READ_TIME)
    ledger.ingest_lines("b.log", 1, [b"bad"], read_time=READ_TIME)
    ledger.ingest_lines("a.log", 3, [b"", b"bad again"], read_time=READ_TIME)
    assert [(m.source, m.lineno) for m in ledger.malformed] == [
        ("a.log", 2), ("b.log", 1), ("a.log", 4)]
    assert ledger.sources["a.log"].malformed == 2
    assert ledger.sources["b.log"].malformed == 1
    assert ledger.sources["a.log"].events == 1


@pytest.mark.parametrize("blank", [b"", b" ", b"\t", b"\r", b"   \t  \r"])
def test_empty_lines_are_skipped_and_not_counted(blank: bytes) -> None:
    ledger = ingest([blank, line("workflow_start"), blank])
    assert ledger.events_total == 1
    assert ledger.malformed_total == 0
    assert ledger.sources["app.log"].malformed == 0


# -- wrong types are read as absent, not malformed --------------------------------------

def test_wrong_type_fields_are_absent_not_malformed() -> None:
    ledger = ingest([
        line("workflow_start", offset=0, workflow_name=42, context="not an object",
             replay_of=7),
        line("step_start", offset=1, step_name="classify", step_type=3, context_keys="abc"),
        # duration_ms is text: the step's duration comes from its timestamps (2 s)
        line("step_complete", offset=3, step_name="classify", duration_ms="fast",
             success="yes", input_tokens="10", output_tokens=[1], cost_usd="0.5",
             model=5),
        line("tool_call", offset=3.5, tool_name=None, arguments="x", duration_ms="slow"),
        line("workflow_complete", offset=5, status="success", duration_ms="long"),
        line("queue_depth", execution_id=None, offset=5, value="12"),
    ])
    assert ledger.events_total == 6
    assert ledger.malformed_total == 0
    execution = ledger.executions["e1"]
    assert execution.workflow_name is None
    assert execution.replay_of is None
    assert execution.input_tokens == 0
    assert execution.output_tokens == 0
    assert execution.cost_usd is None  # no cost read: nothing priced, not $0
    assert ledger.queue_depth is None  # "12" is text: no depth known
    row = execution.row(T0_EPOCH + 5, 30.0)
    # "success": "yes" is not false: not a failure; workflow_complete says success
    assert row.status == "succeeded"
    # duration_ms "long" is absent: end (5) minus first event (0)
    assert row.duration_s == pytest.approx(5.0)
    shown = detail(ledger)
    assert shown.context is None
    step = shown.steps[0]
    assert step.duration_s == pytest.approx(2.0)
    assert step.step_type is None
    assert step.context_keys is None
    assert step.model is None
    assert step.input_tokens is None
    assert step.cost_usd is None


# -- docs/reliability.md: hostile JSON --------------------------------------------------------

def test_bom_is_read() -> None:
    ledger = ingest([b"\xef\xbb\xbf" + line("workflow_start", workflow_name="bom")])
    assert ledger.events_total == 1
    assert ledger.executions["e1"].workflow_name == "bom"


def test_nan_is_used_sanely_or_malformed() -> None:
    raw = (b'{"event": "step_complete", "execution_id": "e1", "step_name": "s",'
           b' "duration_ms": NaN, "timestamp": "2026-01-01T12:00:00"}')
    ledger = ingest([raw])
    assert ledger.events_total + ledger.malformed_total == 1
    if ledger.events_total:  # used: a NaN duration must not reach the figures as a number
        for series in ledger.step_samples.values():
            values, _, _, _ = series.window(None, T0_EPOCH + 10)
            assert all(v == v for v in values)


def test_duplicate_keys_are_one_event() -> None:
    raw = (b'{"event": "workflow_start", "execution_id": "e1", "workflow_name": "a",'
           b' "workflow_name": "b", "timestamp": "2026-01-01T12:00:00"}')
    ledger = ingest([raw])
    assert ledger.events_total == 1
    assert ledger.executions["e1"].workflow_name in ("a", "b")


@pytest.mark.parametrize("raw", [
    b"[" * 100_000,
    b"[" * 100_000 + b"]" * 100_000,
    b"{\"a\":" * 100_000,
    (b'{"event": "step_start", "execution_id": "e1", "deep": ' + b"[" * 100_000
     + b"]" * 100_000 + b"}"),
    b"INFO " + b"{" * 100_000,
])
def test_deep_nesting_never_raises(raw: bytes) -> None:
    ledger = ingest([raw])
    assert ledger.events_total + ledger.malformed_total == 1
    for execution in ledger.executions.values():
        build_detail(execution, READ_TIME, 30.0)


def test_integers_of_thousands_of_digits() -> None:
    huge = b"9" * 5000
    lines = [
        b'{"event": "step_complete", "execution_id": "e1", "duration_ms": ' + huge + b"}",
        b'{"event": "workflow_start", "execution_id": "e2", "timestamp": ' + huge + b"}",
        b'{"event": "queue_depth", "value": -' + huge + b"}",
        b"[" + huge + b"]",
    ]
    ledger = ingest(lines)
    assert ledger.events_total + ledger.malformed_total == 4
    assert ledger.malformed_total >= 1  # the array is never an event
    for execution in ledger.executions.values():
        build_detail(execution, READ_TIME, 30.0)
        execution.row(READ_TIME, 30.0)


def test_invalid_utf8_still_counts_with_replacement_characters() -> None:
    raw = (b'{"event": "workflow_start", "execution_id": "e\xff1", "workflow_name": "caf\xc3",'
           b' "timestamp": "2026-01-01T12:00:00"}')
    ledger = ingest([raw, b"\xff\xfe\xfd garbage"])
    assert ledger.events_total == 1
    assert ledger.malformed_total == 1
    (execution_id,) = ledger.executions
    assert "\ufffd" in execution_id
    execution = ledger.executions[execution_id]
    assert execution.workflow_name is not None
    assert "\ufffd" in execution.workflow_name
    shown = build_detail(execution, READ_TIME, 30.0)
    assert shown.items[0].event["workflow_name"] == execution.workflow_name


@pytest.mark.parametrize("raw", [
    b"\x00",
    b'{"event": "workflow_start", "execution_id": "e1"}\x00',
    b'{"event": "workflow_start", "execution_id": "e\x001"}',  # raw NUL inside a string
    b"\x00" + line("workflow_start"),
])
def test_nul_bytes_never_crash(raw: bytes) -> None:
    ledger = ingest([raw])
    assert ledger.events_total + ledger.malformed_total == 1


def test_escaped_nul_in_a_string_is_valid_json() -> None:
    ledger = ingest([b'{"event": "workflow_start", "execution_id": "e\\u00001"}'])
    assert ledger.events_total == 1
    assert list(ledger.executions) == ["e\x001"]


# -- timestamps as events see them ---------------------------------------------------------

@pytest.mark.parametrize(("stamp", "expected"), [
    ("2026-01-01T12:00:00", T0_EPOCH),  # no zone means UTC
    ("2026-01-01T12:00:00.250000", T0_EPOCH + 0.25),
    ("2026-01-01T12:00:00Z", T0_EPOCH),
    ("2026-01-01T13:30:00+01:30", T0_EPOCH),
    (T0_EPOCH, T0_EPOCH),  # epoch seconds
    (int(T0_EPOCH) + 7, T0_EPOCH + 7),
    ("2099-06-01T00:00:00Z", 4083955200.0),  # the future as written (`date -d`)
    ("1971-01-01T00:00:00Z", 31536000.0),  # so is the far past
])
def test_event_timestamps(stamp: object, expected: float) -> None:
    raw = json.dumps({"event": "workflow_start", "execution_id": "e1",
                      "timestamp": stamp}).encode()
    ledger = ingest([raw])
    assert ledger.executions["e1"].first_ts == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("stamp", [
    None, "", "yesterday", "2026-13-45T99:00:00", "12:00:00", True, [], {},
    "2026-01-01T12:00:00+99:99", "not-a-dateT00:00:00",
])
def test_unreadable_or_missing_timestamp_is_stamped_with_read_time(stamp: object) -> None:
    record: dict[str, Any] = {"event": "workflow_start", "execution_id": "e1"}
    if stamp is not None:
        record["timestamp"] = stamp
    ledger = ingest([json.dumps(record).encode()])
    assert ledger.events_total == 1
    assert ledger.malformed_total == 0
    assert ledger.executions["e1"].first_ts == READ_TIME


def test_unstamped_event_in_step_tree_uses_read_time() -> None:
    ledger = ingest([b'{"event": "step_start", "execution_id": "e1", "step_name": "s"}'])
    shown = detail(ledger)
    assert shown.steps[0].start_ts == READ_TIME


@pytest.mark.parametrize("number", [2**64, 2**127 + 3, -(2**63) - 1, -(2**100)])
def test_an_integer_past_64_bits_is_read_as_logged(number: int) -> None:
    """orjson reads an integer it cannot hold in 64 bits as a float: a context's
    128-bit id showed (and was replayed) as 1.7014118346046923e+38. Read whole."""
    from wftui.core.parse import read_json

    line = ('{"event": "workflow_start", "execution_id": "e", "context": {"id": '
            f'{number}, "n": 12, "ts": 1772355600000000000, "x": 0.5}}}}').encode()
    assert read_json(line)["context"] == {"id": number, "n": 12, "ts": 1772355600000000000,
                                          "x": 0.5}
    ledger = Ledger()
    ledger.ingest_lines("app.log", 1, [line])
    execution = ledger.get("e")
    assert execution is not None
    detail = build_detail(execution, execution.last_ts, None)
    assert detail.context is not None and type(detail.context["id"]) is int
    assert detail.context["id"] == number
    # such digits in a line that is not JSON: still no value, and no error
    assert read_json(line[:-5]) is None
    assert read_json(b"INFO " + line) == read_json(line)  # a prefix before the {
