"""A step span's event line (a whole `step_complete`), written for speed.

Every span but a trace's root passes here, so this is the receiver's hot path
(bench/otlp.py): each protobuf field read builds a Python object, and so does each
call, tuple and format, so the lines are written with as few of them as the span
allows. What the lines say is in `wftui.core.spans`' module doc.
"""

from __future__ import annotations

from binascii import hexlify
from typing import TYPE_CHECKING, Any

import msgspec

from wftui.core.event_lines import EventLines
from wftui.core.otlp_values import attributes_of
from wftui.core.parse import LogEvent
from wftui.core.span_conventions import read_as_genai
from wftui.core.span_fields import Found, cost, count_of, json_or_text, step_type, text_of, value_of

if TYPE_CHECKING:
    from wftui.core.spans import SpanReader

STATUS_UNSET, STATUS_ERROR = 0, 2
# How a status travels where it has no field of its own (OpenTelemetry's mapping to
# Zipkin and Jaeger, and instrumentations that only set attributes): wftui reads it
# when the span's own status is unset.
STATUS_ATTRIBUTE, STATUS_TEXT_ATTRIBUTE = "otel.status_code", "otel.status_description"
NANOS = 1e-9
# A span's line, written by %-formatting (a dict and a dumps each cost twice as much);
# strings go in through msgspec (escaped); times as `t // 10**9, t % 10**9`, not
# `*divmod(t, 10**9)`: unpacking into the arguments builds them as a list first, and the
# line cost half as much again (measured). One line, a whole step: a span arrives ended,
# so its start rides on its completion (`start_timestamp`) instead of a `step_start`
# line of its own (half the lines, events and memory a span costs). An LLM step's
# completion has its own template (model, tokens, cost) rather than a second format
# and a concatenation.
STEP_COMPLETE = (b'{"event":"step_complete","execution_id":%b,"timestamp":%d.%09d,'
                 b'"start_timestamp":%d.%09d,"step_name":%b,"step_type":%b,'
                 b'"duration_ms":%d.%06d,"step_id":"%b","parent_step_id":"%b",'
                 b'"span_status":"%b"')
LLM_COMPLETE = STEP_COMPLETE + b',"model":%b,"input_tokens":%b,"output_tokens":%b,"cost_usd":%b'
NULL = b"null"
# Lines are kept (each execution's raw lines): msgspec's bytes are allocated at their
# size, orjson's are not, and keeping those cost ~3 us each (measured, bench/otlp.py).
encode = msgspec.json.Encoder().encode


def span_events(span: Any) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The span's events (time, name, attributes), and its first exception event's."""
    events: list[dict[str, Any]] = []
    exception: dict[str, Any] | None = None
    for item in span.events:
        attrs = attributes_of(item.attributes)
        events.append({"name": item.name, "timestamp": item.time_unix_nano * NANOS,
                       "attributes": attrs})
        if exception is None and item.name == "exception":
            exception = attrs
    return events, exception


def exception_text(attrs: dict[str, Any]) -> str:
    """An exception event's one-line error: `type: message`, or what it says."""
    kind, message = attrs.get("exception.type"), attrs.get("exception.message")
    if type(kind) is str and type(message) is str:
        return f"{kind}: {message}"
    return str(message if message is not None else kind or "exception")


def span_failure(span: Any, found: Found) -> tuple[bool, str | None, str | None,
                                                   list[dict[str, Any]]]:
    """(failed, error, traceback, events) of a span: failed when its status is ERROR
    (else, the status unset, its `otel.status_code` attribute is "ERROR") or it says
    `success = false`; the error from `error`, else its exception event, else
    the status message. A string, bool or int field reads as ""/False/0 when the value
    is of another type: only then is the value's type asked."""
    said = found.get("success")
    # Read only when set: most spans have no status (each field read builds an object).
    code = span.status.code if span.HasField("status") else STATUS_UNSET
    failed = (code == STATUS_ERROR
              or (said is not None and not said.bool_value
                  and said.WhichOneof("value") == "bool_value"))
    by_attribute = (code == STATUS_UNSET and STATUS_ATTRIBUTE in found
                    and value_of(found, STATUS_ATTRIBUTE) == "ERROR")
    failed = failed or by_attribute
    error = traceback = None
    events: list[dict[str, Any]] = []
    if span.events:
        events, exception = span_events(span)
        if exception is not None:
            error = exception_text(exception)
            stack = exception.get("exception.stacktrace")
            traceback = stack if type(stack) is str else None
    if failed:
        message = (text_of(found, STATUS_TEXT_ATTRIBUTE) if by_attribute
                   else span.status.message)
        error = (text_of(found, "error") or error or message
                 or "span status ERROR")
    return failed, error, traceback, events


def usage_below(reader: SpanReader, trace: bytes, parent: bytes) -> None:
    """Note that the span `parent` of `trace` has spans under it whose tokens counted
    (spans end, and are exported, before their parent: it comes later)."""
    if not parent:
        return
    marks = reader.usage_below
    below = marks.get(trace)
    if below is None:
        below = marks[trace] = set()
        if len(marks) > reader.max_traces:  # roots that never came
            del marks[next(iter(marks))]
    below.add(parent)


def write_step(reader: SpanReader, execution_id: str, quoted: bytes, span: Any,
               found: Found, span_id: bytes, parent: bytes, start_ns: int, end_ns: int,
               lines: EventLines, trace: bytes, sampling: float | None = None) -> None:
    """A step span's `step_complete` line (with its `start_timestamp`: a whole step),
    with the event it says (`EventLines`: the ledger does not decode it again).
    `sampling`: the adjusted count another service's root of the trace states (a step
    here: `SpanReader._span_lines`), carried for the ledger to weight the execution.
    `quoted` is the execution id as JSON; the span's ids and times were read by
    `read_traces`. Times are written as exact decimals of the integer nanoseconds (no
    float repr); the event's times are those decimals read back (int / int rounds
    once, as parsing does)."""
    # An attribute is looked up as `found[key] if key in found` (upb's map `get` costs
    # a quarter more when the key is there, nearly three times as much when it is not);
    # never `found[key]` alone: on a map of messages, that adds the key.
    said = found["success"] if "success" in found else None
    # Most spans did not fail and have no events: that is told from the fields
    # `span_failure` would read, without it (its call, tuple and list cost ~0.5 us a
    # span); any sign of a failure or of events, and it reads the span.
    if ((said is None or said.bool_value) and "status" not in span  # (HasField, cheaper)
            and STATUS_ATTRIBUTE not in found and not span.events):
        failed, error, events = False, None, None
    else:
        failed, error, _, events = span_failure(span, found)
    duration_ns = end_ns - start_ns
    if duration_ns < 0:
        duration_ns = 0
    step_id = hexlify(span_id)
    parent_id = hexlify(parent)
    step_text = step_id.decode()
    parent_text = parent_id.decode()
    name = span.name
    value = found["step_type"] if "step_type" in found else None
    if (value is None and "gen_ai.operation.name" not in found
            and read_as_genai(found, span)):  # OpenInference or OpenLLMetry: `span_conventions`
        value = found["step_type"] if "step_type" in found else None
    kind = encode((value.string_value if value is not None else "")
                  or step_type(found, span))
    quoted_name = encode(name)
    # Text read inline: most spans of an LLM workflow pass here.
    value = (found["gen_ai.response.model"] if "gen_ai.response.model" in found
             else None)
    model = value.string_value if value is not None else ""
    answered = bool(model)  # else the model asked for is the one shown (and priced)
    if not answered:
        value = (found["gen_ai.request.model"] if "gen_ai.request.model" in found
                 else None)
        model = value.string_value if value is not None else ""
    status = b"error" if failed else b"ok"
    tokens_in = tokens_out = price = None
    # Tokens count without a model too (an instrumentation that does not say which
    # model answered still says what it used); the model is then null. Their values
    # are taken as they are looked up (a span with tokens has both, most often).
    said_in = (found["gen_ai.usage.input_tokens"] if "gen_ai.usage.input_tokens" in found
               else None)
    said_out = (found["gen_ai.usage.output_tokens"]
                if "gen_ai.usage.output_tokens" in found else None)
    said_usage = said_in is not None or said_out is not None
    marks = reader.usage_below
    below = marks.get(trace) if marks else None
    summed = below is not None and span_id in below
    if (summed or said_usage) and parent:
        # Its ancestors' usage sums its tokens (`usage_below`, inline when the trace
        # already has marks: most spans with tokens).
        if below is None:
            usage_below(reader, trace, parent)
        else:
            below.add(parent)
    if summed:
        # Spans under it counted their tokens: what it says (an agent's usage, per the
        # GenAI conventions) is their sum, counted twice were it counted here.
        said_usage = False
    if model or said_usage:
        if said_usage:
            # A token count: the int field read inline, its type asked (`count_of`)
            # only when it reads 0 or less.
            if said_in is not None:
                tokens_in = said_in.int_value
                if tokens_in <= 0:
                    tokens_in = count_of(found, "gen_ai.usage.input_tokens")
            if said_out is not None:
                tokens_out = said_out.int_value
                if tokens_out <= 0:
                    tokens_out = count_of(found, "gen_ai.usage.output_tokens")
            prices = reader.prices
            if prices:
                price = cost(prices, model, tokens_in, tokens_out)
                if price is None and answered:
                    # Providers answer with a dated snapshot ("gpt-4o-2024-08-06")
                    # of the model asked for; a table priced by the name asked for
                    # ("gpt-4o") still prices the call (read only then: most spans
                    # are priced by the model that answered, or not at all).
                    value = (found["gen_ai.request.model"]
                             if "gen_ai.request.model" in found else None)
                    requested = value.string_value if value is not None else ""
                    if requested and requested != model:
                        price = cost(prices, requested, tokens_in, tokens_out)
        complete = LLM_COMPLETE % (
            quoted, end_ns // 1_000_000_000, end_ns % 1_000_000_000,
            start_ns // 1_000_000_000, start_ns % 1_000_000_000, quoted_name, kind,
            duration_ns // 1_000_000, duration_ns % 1_000_000, step_id, parent_id, status,
            encode(model) if model else NULL,
            NULL if tokens_in is None else b"%d" % tokens_in,
            NULL if tokens_out is None else b"%d" % tokens_out,
            NULL if price is None else encode(price))
    else:
        complete = STEP_COMPLETE % (
            quoted, end_ns // 1_000_000_000, end_ns % 1_000_000_000,
            start_ns // 1_000_000_000, start_ns % 1_000_000_000, quoted_name, kind,
            duration_ns // 1_000_000, duration_ns % 1_000_000, step_id, parent_id, status)
    event: dict[str, Any] | None = None  # what else the completion says, if anything
    if failed:
        failed_child = reader.failed_child
        failed_child[trace] = name
        if len(failed_child) > reader.max_traces:  # roots that never came
            del failed_child[next(iter(failed_child))]
        event = {"error": error}  # its stack trace is in the span's exception event
    elif reader.failed_child and reader.failed_child.get(trace) == name:
        # It succeeded where its namesake had failed: a retry that recovered. A root
        # failing later failed for another reason than that step.
        del reader.failed_child[trace]
    if "gen_ai.tool.name" in found:
        tool = value_of(found, "gen_ai.tool.name")
        if type(tool) is str:
            if event is None:
                event = {}
            event["tool_name"] = tool
            event["arguments"] = json_or_text(value_of(found, "gen_ai.tool.call.arguments"))
            event["result"] = json_or_text(value_of(found, "gen_ai.tool.call.result"))
    if events:
        if event is None:
            event = {}
        event["span_events"] = events
    if sampling is not None:
        if event is None:
            event = {}
        event["sampling"] = sampling
    # `lines.add(line, event)`, inline (a call per span costs more than its two appends)
    list.append(lines, complete + b"," + encode(event)[1:] if event else complete + b"}")
    lines.events.append(
        LogEvent("step_complete", execution_id, end_ns / 1_000_000_000, name,
                 duration_ns / 1_000_000, error=error if failed else None,
                 start_timestamp=start_ns / 1_000_000_000,
                 input_tokens=tokens_in, output_tokens=tokens_out, cost_usd=price,
                 span_status="error" if failed else "ok", sampling=sampling,
                 step_id=step_text, parent_step_id=parent_text))
