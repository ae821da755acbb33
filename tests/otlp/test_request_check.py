"""The receiver answers once a request is checked, before its spans are read: the
check's counts (spans, rejected; log records, rejected) must be those the reader comes
to when it reads the same request. Random requests, both counted, compared."""

from __future__ import annotations

import random

import orjson
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)

from wftui.core.span_view import as_view
from wftui.core.spans import SpanReader, usable_records, usable_spans

T0_NS = 1_767_268_800 * 10**9
ID_LENGTHS = (0, 1, 7, 8, 9, 15, 16, 17)


def random_traces(rng: random.Random) -> ExportTraceServiceRequest:
    message = ExportTraceServiceRequest()
    for _ in range(rng.randint(0, 3)):
        resource = message.resource_spans.add()
        for _ in range(rng.randint(0, 3)):
            scope = resource.scope_spans.add()
            for _ in range(rng.randint(0, 6)):
                span = scope.spans.add()
                span.trace_id = rng.randbytes(rng.choice((16, 16, 16, *ID_LENGTHS)))
                span.span_id = rng.randbytes(rng.choice((8, 8, 8, *ID_LENGTHS)))
                span.parent_span_id = rng.randbytes(rng.choice((0, 8, *ID_LENGTHS)))
                span.name = "step"
                span.start_time_unix_nano = rng.choice((0, T0_NS, T0_NS))
                span.end_time_unix_nano = rng.choice((0, T0_NS + 10**9, T0_NS + 10**9))
    return message


def random_logs(rng: random.Random) -> ExportLogsServiceRequest:
    message = ExportLogsServiceRequest()
    for _ in range(rng.randint(0, 3)):
        scope = message.resource_logs.add().scope_logs.add()
        for _ in range(rng.randint(0, 8)):
            record = scope.log_records.add()
            record.time_unix_nano = T0_NS
            record.trace_id = rng.randbytes(rng.choice((0, 16, *ID_LENGTHS)))
            record.span_id = rng.randbytes(rng.choice((0, 8, *ID_LENGTHS)))
            shape = rng.randrange(4)
            if shape == 0:  # one of our events, as JSON text: never rejected
                record.body.string_value = orjson.dumps(
                    {"event": "workflow_start", "execution_id": "e"}).decode()
            elif shape == 1:  # ... as a map
                entry = record.body.kvlist_value.values.add()
                entry.key, entry.value.string_value = "event", "step_start"
            elif shape == 2:  # JSON text that is not an event
                record.body.string_value = '{"message": "hello"}'
            else:
                record.body.string_value = "plain text"
    return message


def test_the_check_counts_the_spans_the_reader_rejects() -> None:
    rng = random.Random(31)
    rejected_seen = 0
    for _ in range(300):
        message = random_traces(rng)
        reader = SpanReader()
        reader.read_traces(as_view(message), 0.0)
        # The check reads the plain message and the view alike.
        expected = (reader.spans, reader.last_rejected)
        assert usable_spans(message) == expected
        assert usable_spans(as_view(message)) == expected
        rejected_seen += reader.last_rejected
    assert rejected_seen > 100  # the random requests did hold rejected spans


def test_the_check_counts_the_log_records_the_reader_rejects() -> None:
    rng = random.Random(32)
    rejected_seen = kept_events = 0
    for _ in range(300):
        message = random_logs(rng)
        reader = SpanReader()
        reader.read_logs(message, 0.0)
        assert usable_records(message) == (reader.log_records, reader.last_rejected)
        rejected_seen += reader.last_rejected
        kept_events += sum(
            1 for resource in message.resource_logs for scope in resource.scope_logs
            for record in scope.log_records
            if len(record.trace_id) != 16 and record.body.HasField("kvlist_value"))
    assert rejected_seen > 100 and kept_events > 50
