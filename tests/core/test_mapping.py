"""Logs in other shapes, mapped onto ours: the same events must give the same figures.

Every shape here is written from one list of events (`EVENTS`, in our own shape); the
structlog and python-json-logger records come from those libraries themselves.
"""

from __future__ import annotations

import io
import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

import pytest
import structlog
from pythonjsonlogger.json import JsonFormatter

from wftui.core.figures import log_figures
from wftui.core.ledger import Ledger
from wftui.core.mapping import MappingError, build_mapping
from wftui.core.steps import build_detail
from wftui.core.timestamps import parse_timestamp

T0_MS = 1_767_268_800_000  # 2026-01-01T12:00:00Z


def _events() -> list[dict[str, Any]]:
    """Sixty executions: two steps each, one in five fails (a step and the workflow),
    a queue depth now and then. Times are whole milliseconds."""
    out: list[dict[str, Any]] = []
    for i in range(60):
        run, start = f"run-{i:03d}", T0_MS + i * 7_300
        fails = i % 5 == 3
        at = start
        out.append({"event": "workflow_start", "execution_id": run, "t": at,
                    "workflow_name": f"flow-{i % 3}"})
        for n, step in enumerate(("classify", "fetch")):
            at += 11 + i
            out.append({"event": "step_start", "execution_id": run, "t": at,
                        "step_name": step})
            took = 40 + (i * 37 + n * 11) % 900
            at += took
            ok = not (fails and step == "fetch")
            out.append({"event": "step_complete", "execution_id": run, "t": at,
                        "step_name": step, "duration_ms": took, "success": ok})
        if fails:
            out.append({"event": "error", "execution_id": run, "t": at + 1,
                        "step_name": "fetch", "error": "upstream 503"})
        out.append({"event": "workflow_complete", "execution_id": run, "t": at + 2,
                    "status": "failure" if fails else "success",
                    "duration_ms": at + 2 - start})
        if i % 10 == 0:
            out.append({"event": "queue_depth", "t": at + 3, "value": i})
    return out


EVENTS = _events()


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds")


def ours() -> list[bytes]:
    lines = []
    for event in EVENTS:
        record = {k: v for k, v in event.items() if k != "t"}
        record["timestamp"] = iso(event["t"])
        lines.append(json.dumps(record).encode())
    return lines


def figures_of(lines: list[bytes], logs: dict[str, Any] | None = None) -> dict[str, Any]:
    mapping = build_mapping(logs) if logs is not None else None
    ledger = Ledger(mapping=mapping)
    ledger.ingest_lines("app.log", 1, lines, read_time=T0_MS / 1000)
    end = ledger.window_anchor
    if end is None:  # no line was an event: no time was read either
        assert ledger.events_total == 0
        end = T0_MS / 1000
    now = end + 3600  # all ended
    figures = log_figures(ledger, None, end, now)
    return {"counts": ledger.counts(now), "error_rate": figures.error_rate,
            "latency": figures.latency_s, "steps": figures.step_latency_s,
            "throughput": figures.throughput_per_min, "queue": figures.queue_depth,
            "malformed": ledger.malformed_total, "events": ledger.events_total,
            "errors": sorted(e.row(now, 30.0).errors for e in ledger.executions.values()),
            "newest": end}


def same(mapped: dict[str, Any], expected: dict[str, Any]) -> None:
    assert mapped["counts"] == expected["counts"]
    assert mapped["malformed"] == expected["malformed"] == 0
    assert mapped["events"] == expected["events"]
    assert mapped["errors"] == expected["errors"]
    assert mapped["queue"] == expected["queue"]
    for key in ("error_rate", "throughput", "newest"):
        # ns epochs as floats are exact to ~0.3 us: well within 1e-9 of any figure
        assert mapped[key] == pytest.approx(expected[key], rel=1e-9), key
    assert mapped["latency"] == pytest.approx(expected["latency"], rel=1e-9)
    assert mapped["steps"].keys() == expected["steps"].keys()
    for name, stats in expected["steps"].items():
        assert mapped["steps"][name] == pytest.approx(stats, rel=1e-9), name


def test_our_shape_gives_the_figures_worked_out_by_hand() -> None:
    figures = figures_of(ours())
    # 60 executions, 12 of them (i % 5 == 3) failed; 66 + 23 events per... counted:
    assert figures["counts"] == {"total": 60, "running": 0, "succeeded": 48, "failed": 12}
    assert figures["error_rate"] == pytest.approx(12 / 60)
    assert figures["events"] == len(EVENTS) == 60 * 6 + 12 + 6
    assert figures["queue"] == 50
    assert figures["errors"] == sorted([1] * 12 + [0] * 48)


# The issue's example: other names, nested fields, other event names and status words,
# epoch milliseconds.
ISSUE_CONFIG: dict[str, Any] = {
    "fields": {"event": "kind", "execution_id": "run", "timestamp": "ts",
               "duration_ms": "data.elapsed_ms", "success": "data.ok",
               "step_name": "task", "status": "outcome", "value": "depth"},
    "events": {"step_start": "task.begin", "step_complete": ["task.end", "task.done"],
               "workflow_start": "run.begin", "workflow_complete": ["run.end", "run.done"],
               "error": "run.error", "queue_depth": "queue"},
    "statuses": {"success": ["completed"], "failure": ["crashed"]},
}
_KINDS = {"step_start": "task.begin", "workflow_start": "run.begin", "error": "run.error",
          "queue_depth": "queue"}


def issue_shape(unit: int = 1) -> list[bytes]:
    """EVENTS in the issue's example shape; `unit`: 1 epoch ms, 1000 us, 10**6 ns."""
    lines = []
    for n, event in enumerate(EVENTS):
        kind = event["event"]
        if kind == "step_complete":
            kind = ("task.end", "task.done")[n % 2]
        elif kind == "workflow_complete":
            kind = ("run.end", "run.done")[n % 2]
        record: dict[str, Any] = {"kind": _KINDS.get(kind, kind), "ts": event["t"] * unit}
        if "execution_id" in event:
            record["run"] = event["execution_id"]
        data = {}
        for ours_, theirs in (("duration_ms", "elapsed_ms"), ("success", "ok")):
            if ours_ in event:
                data[theirs] = event[ours_]
        if data:
            record["data"] = data
        for ours_, theirs in (("step_name", "task"), ("value", "depth"),
                              ("workflow_name", "workflow_name"), ("error", "error")):
            if ours_ in event:
                record[theirs] = event[ours_]
        if "status" in event:
            record["outcome"] = {"success": "completed", "failure": "crashed"}[event["status"]]
        lines.append(json.dumps(record).encode())
    return lines


@pytest.mark.parametrize("unit", [1, 1000, 1_000_000], ids=["ms", "us", "ns"])
def test_the_issue_example_shape_gives_our_figures(unit: int) -> None:
    same(figures_of(issue_shape(unit), ISSUE_CONFIG), figures_of(ours()))


def test_without_the_mapping_that_shape_is_all_malformed() -> None:
    figures = figures_of(issue_shape())
    assert figures["events"] == 0 and figures["malformed"] == len(EVENTS)


def test_the_tolerant_path_maps_too() -> None:
    """A text prefix or a field of another type sends a line down the tolerant path:
    it must read the mapped shape as the typed decoder does."""
    lines = [b"2026-01-01 12:00:00 INFO " + line for line in issue_shape()]
    same(figures_of(lines, ISSUE_CONFIG), figures_of(ours()))


def structlog_shape() -> list[bytes]:
    """EVENTS written by structlog's JSONRenderer (log.info(event, **fields))."""
    out = io.StringIO()
    structlog.configure(processors=[structlog.processors.add_log_level,
                                    structlog.processors.JSONRenderer()],
                        logger_factory=structlog.PrintLoggerFactory(out),
                        cache_logger_on_first_use=False)
    try:
        log = structlog.get_logger()
        for event in EVENTS:
            fields = {k: v for k, v in event.items() if k not in ("event", "t")}
            # TimeStamper(fmt="iso") writes this shape; given here so the times are ours.
            log.info(event["event"], timestamp=iso(event["t"]).replace("+00:00", "Z"),
                     **fields)
    finally:
        structlog.reset_defaults()
    return [line.encode() for line in out.getvalue().splitlines()]


def test_structlog_records_give_our_figures() -> None:
    lines = structlog_shape()
    assert json.loads(lines[0])["level"] == "info"  # really structlog's records
    same(figures_of(lines, {"format": "structlog"}), figures_of(ours()))


def structlog_epoch_shape() -> list[bytes]:
    """structlog's own TimeStamper without fmt writes epoch seconds (a float)."""
    out = io.StringIO()
    structlog.configure(processors=[structlog.processors.TimeStamper(),
                                    structlog.processors.JSONRenderer()],
                        logger_factory=structlog.PrintLoggerFactory(out),
                        cache_logger_on_first_use=False)
    try:
        structlog.get_logger().info("workflow_start", execution_id="x")
    finally:
        structlog.reset_defaults()
    return [out.getvalue().strip().encode()]


def test_structlog_epoch_timestamps_are_read() -> None:
    before = time.time()
    ledger = Ledger(mapping=build_mapping({"format": "structlog"}))
    ledger.ingest_lines("app.log", 1, structlog_epoch_shape(), read_time=0.0)
    assert ledger.events_total == 1
    assert ledger.newest_ts is not None and before - 1 <= ledger.newest_ts <= time.time()


class _EventTime(logging.Filter):
    """Stamps a record with its event's time (as if logged then)."""

    def filter(self, record: logging.LogRecord) -> bool:
        millis = record.__dict__.pop("t")
        record.created = millis / 1000
        record.msecs = millis % 1000
        return True


def json_logger_shape(**formatter: Any) -> list[bytes]:
    """EVENTS written by python-json-logger: logger.info(event, extra=fields)."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    json_formatter = JsonFormatter(**formatter)
    json_formatter.converter = time.gmtime  # asctime in UTC
    handler.setFormatter(json_formatter)
    handler.addFilter(_EventTime())
    logger = logging.Logger("workflow")
    logger.addHandler(handler)
    for event in EVENTS:
        logger.info(event["event"], extra={k: v for k, v in event.items() if k != "event"})
    return [line.encode() for line in out.getvalue().splitlines()]


@pytest.mark.parametrize("formatter", [
    {"fmt": "%(asctime)s %(levelname)s %(message)s"},
    {"fmt": "%(levelname)s %(message)s", "timestamp": True},
], ids=["asctime", "timestamp"])
def test_python_json_logger_records_give_our_figures(formatter: dict[str, Any]) -> None:
    lines = json_logger_shape(**formatter)
    first = json.loads(lines[0])
    assert first["message"] == "workflow_start" and first["levelname"] == "INFO"
    same(figures_of(lines, {"format": "python-json-logger"}), figures_of(ours()))


def test_the_step_tree_reads_the_mapped_shape() -> None:
    mapping = build_mapping(ISSUE_CONFIG)
    assert mapping is not None
    ledger = Ledger(mapping=mapping)
    ledger.ingest_lines("app.log", 1, issue_shape(), read_time=0.0)
    detail = build_detail(ledger.executions["run-003"], T0_MS / 1000 + 3600,
                          ledger.idle_timeout, mapping.contract_dict)
    assert [step.name for step in detail.steps] == ["classify", "fetch"]
    assert [step.status for step in detail.steps] == ["ok", "failed"]


@pytest.mark.parametrize(("value", "epoch"), [
    (1_767_268_800, 1_767_268_800.0),  # seconds
    (1_767_268_800.25, 1_767_268_800.25),
    (1_767_268_800_250, 1_767_268_800.25),  # milliseconds
    (1_767_268_800_250_000, 1_767_268_800.25),  # microseconds
    (1_767_268_800_250_000_000, 1_767_268_800.25),  # nanoseconds
    (10**22, None),  # beyond nanoseconds of year 2200
    (-5, None),
])
def test_epoch_units_are_told_apart_by_magnitude(value: float, epoch: float | None) -> None:
    assert parse_timestamp(value) == (pytest.approx(epoch) if epoch is not None else None)


def test_status_words_beyond_success_and_failure() -> None:
    """'failed' is a failure word by default; an unknown word is neither, and counted."""
    lines = [json.dumps(r).encode() for r in (
        {"event": "workflow_complete", "execution_id": "a", "status": "failed"},
        {"event": "workflow_complete", "execution_id": "b", "status": "done"},
        {"event": "workflow_complete", "execution_id": "c", "status": "crashed"},
    )]
    ledger = Ledger(idle_timeout=None)
    ledger.ingest_lines("app.log", 1, lines, read_time=100.0)
    rows = {e.execution_id: e.status(200.0, None) for e in ledger.executions.values()}
    assert rows == {"a": "failed", "b": "succeeded", "c": "running"}
    assert ledger.unknown == {("status", "crashed"): 1}
    mapped = Ledger(idle_timeout=None,
                    mapping=build_mapping({"statuses": {"failure": "crashed"}}))
    mapped.ingest_lines("app.log", 1, lines, read_time=100.0)
    assert mapped.executions["c"].status(200.0, None) == "failed"


@pytest.mark.parametrize(("table", "message"), [
    ({"fields": {"nope": "x"}}, "logs.fields.nope: unknown field"),
    ({"fields": {"event": ""}}, "logs.fields.event: expected a name"),
    ({"fields": {"event": "a..b"}}, "not a field name or dotted path"),
    ({"events": {"step_begin": "x"}}, "logs.events.step_begin: unknown event"),
    ({"statuses": {"maybe": ["x"]}}, "logs.statuses.maybe: unknown key"),
    ({"format": "log4j"}, "logs.format: unknown format 'log4j'"),
    ({"fields": {"duration_ms": "data", "success": "data.ok"}}, "data"),
    ({"fieldz": {}}, "logs.fieldz: unknown key"),
])
def test_a_bad_mapping_is_one_message_naming_the_key(table: dict[str, Any],
                                                     message: str) -> None:
    with pytest.raises(MappingError, match=message.replace(".", r"\.").replace("'", "'")):
        build_mapping(table)


def test_no_mapping_is_our_shape() -> None:
    assert build_mapping({}) is None
    assert build_mapping({"format": "wftui"}) is None


# -- steps: failures count as errors; a completion alone keeps its duration ------------------

def _lines(*records: dict[str, Any]) -> list[bytes]:
    return [json.dumps({"timestamp": f"2026-01-01T12:00:0{n}Z", **r}).encode()
            for n, r in enumerate(records)]


def test_a_failed_step_counts_in_the_errors_column() -> None:
    ledger = Ledger()
    ledger.ingest_lines("app.log", 1, _lines(
        {"event": "step_start", "execution_id": "a", "step_name": "fetch"},
        {"event": "step_complete", "execution_id": "a", "step_name": "fetch",
         "success": False, "duration_ms": 5},
        # b: the article's order, an error event then the failed completion: one error
        {"event": "step_start", "execution_id": "b", "step_name": "fetch"},
        {"event": "error", "execution_id": "b", "step_name": "fetch", "error": "503"},
        {"event": "step_complete", "execution_id": "b", "step_name": "fetch",
         "success": False},
    ), read_time=0.0)
    rows = {e.execution_id: e.row(T0_MS / 1000 + 60, 30.0) for e in ledger.executions.values()}
    assert (rows["a"].status, rows["a"].errors) == ("failed", 1)
    assert (rows["b"].status, rows["b"].errors) == ("failed", 1)


def test_a_completion_without_its_start_keeps_its_duration() -> None:
    ledger = Ledger()
    ledger.ingest_lines("app.log", 1, _lines(
        {"event": "workflow_start", "execution_id": "a"},
        {"event": "step_complete", "execution_id": "a", "step_name": "late",
         "duration_ms": 1500, "success": True},
    ), read_time=0.0)
    end = T0_MS / 1000 + 1
    figures = log_figures(ledger, None, end, end)
    assert figures.step_latency_s["late"]["p50"] == 1.5
    detail = build_detail(ledger.executions["a"], end, 30.0)
    assert [(s.name, s.duration_s) for s in detail.steps] == [("late", 1.5)]


def test_step_ids_are_mappable() -> None:
    mapping = build_mapping({"fields": {"step_id": "span", "parent_step_id": "parent"}})
    assert mapping is not None
    assert mapping.contract_dict({"event": "step_start", "execution_id": "a", "span": "s2",
                                  "parent": "s1"}) == {
        "event": "step_start", "execution_id": "a", "step_id": "s2", "parent_step_id": "s1"}


def test_a_thousand_executions_in_one_millisecond_are_too_short_to_rate() -> None:
    from wftui.core.snapshot import take_snapshot
    from wftui.core.thresholds import ThresholdEngine

    lines = []
    for n in range(1000):
        stamp = iso(T0_MS + n // 1000)  # all within the same millisecond
        lines += [json.dumps({"event": "workflow_start", "execution_id": f"e{n}",
                              "timestamp": stamp}).encode(),
                  json.dumps({"event": "workflow_complete", "execution_id": f"e{n}",
                              "status": "success", "timestamp": stamp}).encode()]
    ledger = Ledger()
    ledger.ingest_lines("app.log", 1, lines, read_time=0.0)
    out = take_snapshot(ledger, ThresholdEngine(), window_s=300.0).to_check_dict()
    assert out["executions"]["succeeded"] == 1000
    assert out["throughput_per_min"] is None
    assert any("too short to rate (1,000 executions" in w for w in out["warnings"])


def test_a_log_not_understood_gets_a_mapping_suggestion_that_reads_it() -> None:
    from wftui.core.understood import not_understood, suggest_mapping, suggested_table

    kinds = {"step_start": "task.begin", "step_complete": "task.end",
             "workflow_start": "run.start", "workflow_complete": "run.end", "error": "fault"}
    lines = []
    for event in EVENTS:
        if "execution_id" not in event:
            continue  # their log has no queue depth
        record = {"type": kinds[event["event"]], "trace_id": event["execution_id"],
                  "ts": iso(event["t"])}
        for ours, theirs in (("step_name", "task"), ("duration_ms", "elapsed_ms"),
                             ("success", "success"), ("status", "status")):
            if ours in event:
                record[theirs] = event[ours]
        lines.append(json.dumps(record).encode())
    ledger = Ledger()
    ledger.ingest_lines("their.log", 1, lines, read_time=0.0)
    assert ledger.events_total == 0
    table = suggested_table(ledger, "their.log")
    assert table == {
        "fields": {"event": "type", "execution_id": "trace_id", "timestamp": "ts",
                   "duration_ms": "elapsed_ms", "step_name": "task"},
        "events": {"workflow_start": "run.start", "step_start": "task.begin",
                   "step_complete": "task.end", "workflow_complete": "run.end"},
    }
    text = suggest_mapping(ledger, "their.log")
    assert text is not None and text.startswith('[logs.fields] event = "type"')
    assert text in (not_understood(ledger, "their.log") or "")
    # Taking the suggestion reads every line ("fault" is no word it could guess: it stays
    # an unknown event, but the step failures still count).
    mapped = Ledger(mapping=build_mapping(table))
    mapped.ingest_lines("their.log", 1, lines, read_time=0.0)
    assert mapped.malformed_total == 0 and mapped.events_total == len(lines)
    assert mapped.counts(T0_MS / 1000 + 3600)["failed"] == 12


def test_the_suggested_event_field_is_the_one_every_line_has() -> None:
    # python-json-logger's records of our own events: the event name is in `message`
    # on every line; `error` (one text, on the 12 errors' lines only) is a step-like
    # word ("...Error...") repeated, but no event field: most lines do not have it.
    from wftui.core.understood import suggested_table

    lines = []
    for event in EVENTS:
        record = {"asctime": iso(event["t"]).replace("T", " ").removesuffix("Z"),
                  "levelname": "INFO", "message": event["event"]}
        record.update({k: v for k, v in event.items() if k not in ("event", "t")})
        if "error" in record:
            record["error"] = "TimeoutError: upstream 503"
        lines.append(json.dumps(record).encode())
    ledger = Ledger()
    ledger.ingest_lines("pjl.log", 1, lines, read_time=0.0)
    assert ledger.events_total == 0
    table = suggested_table(ledger, "pjl.log")
    assert table is not None
    assert table["fields"]["event"] == "message"
    assert table["fields"]["timestamp"] == "asctime"
    assert "events" not in table  # its words are our event names already


def _failed_detail(lines: list[bytes], config: dict[str, Any]) -> Any:
    mapping = build_mapping(config)
    assert mapping is not None
    ledger = Ledger(mapping=mapping)
    ledger.ingest_lines("app.log", 1, lines, read_time=0.0)
    return build_detail(ledger.executions["run-1"], time.time() + 3600,
                        ledger.idle_timeout, mapping.contract_dict)


def _raise() -> None:
    raise ZeroDivisionError("division by zero")


@pytest.mark.parametrize("library", ["structlog", "python-json-logger"])
def test_a_logged_exception_is_the_errors_traceback(library: str) -> None:
    """`log.exception("error", ...)`: structlog's format_exc_info writes the traceback
    under `exception`, python-json-logger's JsonFormatter under `exc_info`. The presets
    read them as the error's traceback, as `traceback` is in our shape."""
    out = io.StringIO()
    fields = {"execution_id": "run-1", "step_name": "load", "error": "ZeroDivisionError"}
    if library == "structlog":
        structlog.configure(processors=[structlog.processors.TimeStamper(fmt="iso"),
                                        structlog.processors.format_exc_info,
                                        structlog.processors.JSONRenderer()],
                            logger_factory=structlog.PrintLoggerFactory(out),
                            cache_logger_on_first_use=False)
        try:
            log = structlog.get_logger()
            log.info("step_start", execution_id="run-1", step_name="load")
            try:
                _raise()
            except ZeroDivisionError:
                log.exception("error", **fields)
        finally:
            structlog.reset_defaults()
    else:
        handler = logging.StreamHandler(out)
        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(message)s"))
        logger = logging.Logger("workflow")
        logger.addHandler(handler)
        logger.info("step_start", extra={"execution_id": "run-1", "step_name": "load"})
        try:
            _raise()
        except ZeroDivisionError:
            logger.exception("error", extra=fields)
    lines = [line.encode() for line in out.getvalue().splitlines()]
    assert len(lines) == 2
    detail = _failed_detail(lines, {"format": library})
    [step] = detail.steps
    [error] = [item for item in step.items if item.kind == "error"]
    assert error.event["error"] == "ZeroDivisionError"
    traceback = error.event.get("traceback") or ""
    assert traceback.startswith("Traceback (most recent call last):"), error.event
    assert traceback.rstrip().endswith("ZeroDivisionError: division by zero")
