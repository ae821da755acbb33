"""OpenTelemetry spans and log records -> the log events executions are built from.

A trace is one execution. Its spans are written as the events a workflow log holds
(docs/log-format.md), so the ledger, figures, thresholds, table, step tree, export,
replay and compare read them unchanged, and spans carrying the `execution_id` of
logged events land in the same execution (never counted twice):

- the root span (no parent, or a parent in another process: `PARENT_IS_REMOTE`; the
  first of a trace, when spans of several services come) -> `workflow_start` at its
  start, an `error` when it failed (status ERROR or `success = false`),
  `workflow_complete` at its end;
- every other span -> one `step_complete` at its end, a whole step: with its
  `start_timestamp`, `duration_ms`, `step_id` and `parent_step_id` (the tree nests by
  them). A failed child says `span_status: "error"` instead of `success: false`: a
  retried call that failed is a failed step, not a failed execution;
- span events and OTLP log records tied to a span -> `span_event` / `span_log` events
  that the step tree shows inside that span's node.

The execution id of a trace is the `execution_id` attribute of any of its spans, else
the trace id. Spans of a trace that has shown neither such an attribute nor its root
wait (`hold_s`, bounded) so that a later part of the same trace can still name it; once
they went out under the trace id, a name that comes later does not split the trace.
Such a trace, rootless so far, goes out with a `workflow_start` naming its workflow by
its spans' `service.name` (as a root naming no workflow would), once.
"""

from __future__ import annotations

import contextlib
from binascii import hexlify
from collections import OrderedDict, deque
from typing import Any

import orjson

from wftui.core.event_lines import EventLines
from wftui.core.otlp_values import any_value
from wftui.core.parse import LogEvent
from wftui.core.sampling import UNKNOWN, adjusted_count
from wftui.core.span_conventions import read_as_genai
from wftui.core.span_fields import Prices, step_type, value_of, values_of
from wftui.core.span_steps import NANOS, encode, span_failure, usage_below, write_step

ERROR_SEVERITY = 17  # OTLP SeverityNumber ERROR and above mark the step
# LogRecord.flags' low byte is the W3C trace flags of the span the record was logged
# in; bit 0 says the span was sampled (so exported).
TRACE_FLAG_SAMPLED = 0x01


def _hex(raw: bytes) -> str:
    return raw.hex()


# Span.flags bits 8 and 9 (SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK, _IS_REMOTE_MASK): the
# span's parent is known to be in another process. Such a span is where this service's
# part of the trace begins (a workflow behind a gateway continues the caller's trace).
PARENT_IS_REMOTE = 0x300


# A span we cannot place: ids of the wrong length, or no start or end time (a zero
# time would read as 1970). Counted and answered as rejected, never guessed.
REJECTED_SPANS = ("span(s) with a trace id not 16 bytes, a span id not 8 bytes, or no "
                  "start or end time")


class SpanReader:
    """Reads spans into event lines; keeps per-trace state across requests."""

    def __init__(self, prices: Prices | None = None, *, max_traces: int = 100_000,
                 max_waiting: int = 50_000, hold_s: float = 5.0,
                 marks_after_root: int = 10_000) -> None:
        self.prices: Prices = dict(prices or {})
        self.max_traces = max_traces
        self.max_waiting = max_waiting
        self.hold_s = hold_s
        # trace id -> execution id, for spans and log records that come later
        self.trace_ids: OrderedDict[bytes, str] = OrderedDict()
        # trace id -> (first seen, [(kind, parts...)]) not yet named: see the module doc
        self.waiting: OrderedDict[bytes, tuple[float, list[tuple[Any, ...]]]] = OrderedDict()
        self.waiting_count = 0
        # trace id -> name of its latest failed span: the root's failure names the step
        # that failed (children end, and are exported, before their root)
        self.failed_child: dict[bytes, str] = {}
        # trace id -> ids of its spans with spans under them whose tokens counted: their
        # own usage is a sum of those (`span_steps.usage_below`). Kept past the root:
        # a span of the trace another service exports later (an agent's, reporting
        # its calls' usage) may still come; but only for the `marks_after_root` traces
        # rooted last (a long-running receiver kept 100k sets, ~36 MB, for the rare
        # late span), the others' as long as their trace runs (bounded: max_traces).
        self.usage_below: dict[bytes, set[bytes]] = {}
        self.marks_after_root = marks_after_root
        self._rooted_marks: deque[bytes] = deque()  # traces rooted with marks, in order
        # traces whose root was written: a later root of the same trace (another
        # service's, its parent remote) is a step of that execution, not a second start
        self.rooted: OrderedDict[bytes, None] = OrderedDict()
        self.spans = 0
        self.log_records = 0
        self.rejected = 0  # spans with a trace id not 16 bytes or a span id not 8
        # log records with ids of the wrong length: apart, so that neither count reads
        # as the other ("1 span rejected" for a bad log record sent no bad span)
        self.rejected_records = 0
        self.last_rejected = 0  # ... of the last request read

    # -- requests ----------------------------------------------------------------------

    def read_traces(self, request: Any, now: float) -> EventLines:
        """Event lines of an ExportTraceServiceRequest (those whose execution is known)."""
        self.last_rejected = 0
        lines = EventLines()
        # Spans of a trace named in this request are written as they come (what was
        # read of them is freed at once: less for the garbage collector to walk);
        # the others wait in `by_trace` for the end of the request, then `_route`.
        named: dict[bytes, tuple[str, bytes]] = {}  # trace -> execution id, as JSON
        by_trace: dict[bytes, list[tuple[Any, ...]]] = {}
        count = 0
        # Here, not at the top: a watch of logs alone loads no protobuf (Prices, from
        # this module, is used by every source's options).
        from wftui.core.span_view import as_view

        request = as_view(request)
        for resource_spans in request.resource_spans:
            service = None
            for kv in resource_spans.resource.attributes:
                if kv.key == "service.name":
                    service = any_value(kv.value)
                    break
            for scope_spans in resource_spans.scope_spans:
                spans = scope_spans.spans
                count += len(spans)
                for span in spans:
                    # Unusable (see REJECTED_SPANS)? Each field read here once (a protobuf field
                    # read builds a new object), and handed on (to `write_step`, or in
                    # the entry of a span that waits or is a root).
                    trace = span.trace_id
                    span_id = span.span_id
                    parent = span.parent_span_id
                    start_ns = span.start_time_unix_nano
                    end_ns = span.end_time_unix_nano
                    if (len(trace) != 16 or len(span_id) != 8 or len(parent) not in (0, 8)
                            or not start_ns or not end_ns):
                        self.rejected += 1
                        self.last_rejected += 1
                        continue
                    # Its attributes by key (`span_view`), values read when needed.
                    found = span.attributes
                    root = not parent or span.flags & PARENT_IS_REMOTE == PARENT_IS_REMOTE
                    known = named.get(trace)
                    if known is not None and not root:  # most spans: straight to lines
                        write_step(self, known[0], known[1], span, found, span_id, parent,
                                   start_ns, end_ns, lines, trace)
                        continue
                    entry = ("span", span, found, service, span_id, parent, start_ns, end_ns,
                             root, trace)
                    if known is not None:
                        self._span_lines(known[0], known[1], entry, lines)
                        continue
                    execution_id = (value_of(found, "execution_id")
                                    if "execution_id" in found else None)
                    if type(execution_id) is str:
                        # The first span naming its trace: the trace's spans read before
                        # it (here and in earlier requests) go first, under its name.
                        released = self.trace_ids.get(trace)
                        if released is not None:
                            # Its first spans went out under the trace id (they waited
                            # `hold_s` for a name): it stays one execution, under that id.
                            execution_id = released
                        named[trace] = (execution_id, encode(execution_id))
                        before = by_trace.pop(trace, [])
                        before.append(entry)
                        self._route(trace, execution_id, before, now, lines)
                        continue
                    group = by_trace.get(trace)
                    if group is None:
                        by_trace[trace] = [entry]
                    else:
                        group.append(entry)
        self.spans += count
        for trace, entries in by_trace.items():
            known_id = self.trace_ids.get(trace)
            if known_id is None and any(e[8] for e in entries):
                known_id = _hex(trace)  # the root came, without execution_id
            self._route(trace, known_id, entries, now, lines)
        return lines

    def read_logs(self, request: Any, now: float) -> EventLines:
        """Event lines of an ExportLogsServiceRequest.

        A record whose body is one of our log events (JSON text or a map) is that
        event; any other record with a trace and span id shows in that span's node,
        with a trace id only in the execution's events. Records with neither are not
        ours to place: they are counted, not shown.
        """
        self.last_rejected = 0
        lines = EventLines()
        for resource_logs in request.resource_logs:
            for scope_logs in resource_logs.scope_logs:
                for record in scope_logs.log_records:
                    self.log_records += 1
                    body = record_body(record)
                    if is_event(body):
                        stamp = record.time_unix_nano or record.observed_time_unix_nano
                        if "timestamp" not in body and stamp:
                            body["timestamp"] = stamp * NANOS  # the record says when
                        lines.append(encode(body))
                        continue
                    trace = record.trace_id
                    if not trace and not record.span_id:
                        continue  # tied to no span: nowhere to show it
                    # A span id is optional: a record of the trace but of no span in
                    # it shows in the execution's events.
                    if len(trace) != 16 or len(record.span_id) not in (0, 8):
                        self.rejected_records += 1
                        self.last_rejected += 1
                        continue
                    execution_id = self.trace_ids.get(trace)
                    self._route(trace, execution_id, [("log", record, body)], now, lines)
        return lines

    # -- traces waiting for their execution id ----------------------------------------

    def _route(self, trace: bytes, execution_id: str | None,
               entries: list[tuple[Any, ...]], now: float, lines: EventLines) -> None:
        if execution_id is None:
            held = self.waiting.get(trace)
            if held is None:
                self.waiting[trace] = (now, list(entries))
            else:
                held[1].extend(entries)
            self.waiting_count += len(entries)
            while self.waiting_count > self.max_waiting and self.waiting:
                self._release_oldest(lines)
            return
        self._remember(trace, execution_id)
        held = self.waiting.pop(trace, None)
        if held is not None:
            self.waiting_count -= len(held[1])
            self._write(execution_id, held[1], lines)
        self._write(execution_id, entries, lines)

    def _release_oldest(self, lines: EventLines) -> None:
        trace, (_, entries) = self.waiting.popitem(last=False)
        self.waiting_count -= len(entries)
        if all(entry[0] == "log" for entry in entries):
            # No span of this trace came. Records logged in a span the sampler dropped
            # (ParentBased/TraceIdRatio: the SDK ties them to its ids, flags "not
            # sampled", and never exports it) have no node to show in: written, they
            # would make an execution no trace stands for, nameless and "running",
            # then a success at idle timeout. Records of sampled spans (a long step
            # still running) go out as before: its spans join them later.
            entries = [entry for entry in entries
                       if entry[1].flags & TRACE_FLAG_SAMPLED]
            if not entries:
                return
        execution_id = _hex(trace)
        self._remember(trace, execution_id)
        self._service_start(execution_id, entries, lines)
        self._write(execution_id, entries, lines)

    @staticmethod
    def _service_start(execution_id: str, entries: list[tuple[Any, ...]],
                       lines: EventLines) -> None:
        """A trace going out without its root (none came in `hold_s`: still running,
        or never exported) is named like a root that names no workflow: by its spans'
        `service.name`, on a `workflow_start` at its first span's start, written once
        for the trace (here, where it first goes out). A root that comes later names
        it with its own start. Nothing is written when no span says a service."""
        service = next((entry[3] for entry in entries
                        if entry[0] == "span" and _text(entry[3])), None)
        if service is None:
            return
        start = min(entry[6] for entry in entries if entry[0] == "span") / 1_000_000_000
        # Sampling as the trace's spans say it (unknown until a root says): a line
        # without it would read as logged, and count the execution as a log's.
        lines.add(encode({"event": "workflow_start", "execution_id": execution_id,
                          "timestamp": start, "workflow_name": service,
                          "sampling": UNKNOWN}),
                  LogEvent("workflow_start", execution_id, start, None,
                           workflow_name=service, sampling=UNKNOWN))

    def flush(self, now: float | None = None) -> EventLines:
        """Lines of traces that waited `hold_s` (all of them when `now` is None: the end
        of a file) without naming an execution: their execution id is the trace id."""
        lines = EventLines()
        while self.waiting:
            first_seen = next(iter(self.waiting.values()))[0]
            if now is not None and now - first_seen < self.hold_s:
                break
            self._release_oldest(lines)
        return lines

    def _remember(self, trace: bytes, execution_id: str) -> None:
        known = self.trace_ids
        if trace not in known:
            known[trace] = execution_id
            if len(known) > self.max_traces:
                known.popitem(last=False)

    # -- writing events ----------------------------------------------------------------

    def _write(self, execution_id: str, entries: list[tuple[Any, ...]],
               lines: EventLines) -> None:
        quoted = encode(execution_id)
        for entry in entries:
            if entry[0] == "span":
                self._span_lines(execution_id, quoted, entry, lines)
            else:
                record, body = entry[1], entry[2]
                stamp = record.time_unix_nano or record.observed_time_unix_nano
                severity = record.severity_number
                lines.append(encode({
                    "event": "span_log", "execution_id": execution_id,
                    "timestamp": stamp * NANOS, "step_id": _hex(record.span_id) or None,
                    "severity": record.severity_text or None, "severity_number": severity,
                    "body": body, "marks_error": severity >= ERROR_SEVERITY}))

    def _span_lines(self, execution_id: str, quoted: bytes, entry: tuple[Any, ...],
                    lines: EventLines) -> None:
        """A span's event lines; `entry` is what `read_traces` read of it."""
        _, span, found, service, span_id, parent, start_ns, end_ns, root, trace = entry
        sampling = None
        root_later = root and trace in self.rooted
        if root_later:
            root = False  # another service's part of a trace already begun
            # Its root may say how the trace was sampled where the execution's root
            # did not: a gateway's sampler decided (its ratio on its root), the
            # workflow behind it follows (ParentBased) knowing no ratio, and its root,
            # ending first, came first. The ledger takes the first probability said.
            weight = adjusted_count(span.trace_state, values_of(found))
            sampling = None if weight is None else float(weight)
        if not root:
            write_step(self, execution_id, quoted, span, found, span_id, parent, start_ns,
                       end_ns, lines, trace, sampling)
            return
        rooted = self.rooted
        rooted[trace] = None
        if len(rooted) > self.max_traces:
            rooted.popitem(last=False)
        if "step_type" not in found and "gen_ai.operation.name" not in found:
            read_as_genai(found, span)  # OpenInference or OpenLLMetry (`span_conventions`)
        failed, error, traceback, events = span_failure(span, found)
        # A root that is itself an LLM call (a trace of one chat span, as an
        # instrumented client sends when nothing wraps the call) is also its own step:
        # its model and tokens are a step's, and would count nowhere else.
        own_step = ((quoted, found, span_id)
                    if step_type(found, span) == "llm" else None)
        self._root_lines(execution_id, span, trace, values_of(found), service,
                         hexlify(span_id), start_ns, end_ns, failed, error, traceback,
                         events, lines, own_step)
        # A trace's own root (no parent) keeps the marks of the spans under it: one of
        # them may come after it (exported later by another service), and sums what
        # was counted under it, as it would have before the root; for a while.
        if not parent and trace in self.usage_below:
            rooted_marks = self._rooted_marks
            rooted_marks.append(trace)
            if len(rooted_marks) > self.marks_after_root:
                self.usage_below.pop(rooted_marks.popleft(), None)
        if parent and (span_id in self.usage_below.get(trace, ()) or (own_step is not None and (
                "gen_ai.usage.input_tokens" in found or "gen_ai.usage.output_tokens" in found))):
            # Another service's part, come first (its root ends before its caller's
            # spans): a caller's span above it (an invoke_agent call reporting the usage
            # of the remote run) comes later and sums what was counted here.
            usage_below(self, trace, parent)

    def _root_lines(self, execution_id: str, span: Any, trace: bytes,
                    attrs: dict[str, Any],
                    service: Any, step_id: bytes, start_ns: int, end_ns: int, failed: bool,
                    error: str | None, traceback: str | None,
                    events: list[dict[str, Any]], lines: EventLines,
                    own_step: tuple[Any, ...] | None = None) -> None:
        """A root span's lines: the execution's start, its error if it failed, its end
        (and, between them, the root's own step when `_span_lines` gives one). Each
        field of the span is read once (a read builds a new object)."""
        step_name = span.name
        start, end = start_ns * NANOS, end_ns * NANOS
        duration_ms = max(end_ns - start_ns, 0) / 1e6
        root_id = step_id.decode()
        # How many executions this trace stands for (`wftui.core.sampling`), on
        # each of the root's lines: the ledger weights trace-only executions by it.
        weight = adjusted_count(span.trace_state, attrs)
        sampling = UNKNOWN if weight is None else float(weight)
        name = (_text(attrs.get("workflow_name")) or _text(attrs.get("gen_ai.workflow.name"))
                or (step_name if attrs.get("gen_ai.operation.name") == "invoke_workflow"
                    else None) or _text(service))
        lines.add(encode({"event": "workflow_start", "execution_id": execution_id,
                          "timestamp": start, "workflow_name": name,
                          "step_name": step_name, "step_id": root_id,
                          "trace_id": _hex(trace), "sampling": sampling}),
                  LogEvent("workflow_start", execution_id, start, step_name,
                           workflow_name=name, sampling=sampling, step_id=root_id))
        if own_step is not None:
            quoted, found, span_id = own_step
            write_step(self, execution_id, quoted, span, found, span_id, b"", start_ns,
                       end_ns, lines, trace)
            events = []  # written with the step (its completion's span_events)
        for item in events:
            if failed and item["name"] == "exception":
                continue  # the error event below is this exception, with its trace
            lines.append(encode({"event": "span_event", "execution_id": execution_id,
                                 "step_id": root_id, **item}))
        failed_step = self.failed_child.pop(trace, step_name)
        if failed:
            # With its own step, the root's span events (its exception) show in that
            # step: the execution's error names no step id, or the tree would show the
            # exception twice in it.
            error_step_id = root_id if own_step is None else None
            lines.add(encode({"event": "error", "execution_id": execution_id,
                              "timestamp": end, "step_name": failed_step,
                              "error": error, "traceback": traceback,
                              "step_id": error_step_id, "sampling": sampling}),
                      LogEvent("error", execution_id, end, failed_step, error=error,
                               sampling=sampling, step_id=error_step_id))
        status = "failure" if failed else "success"
        lines.add(encode({"event": "workflow_complete", "execution_id": execution_id,
                          "timestamp": end, "status": status, "duration_ms": duration_ms,
                          "step_id": root_id, "sampling": sampling}),
                  LogEvent("workflow_complete", execution_id, end, duration_ms=duration_ms,
                           status=status, sampling=sampling, step_id=root_id))


def usable_spans(request: Any) -> tuple[int, int]:
    """(spans, spans rejected) of an ExportTraceServiceRequest, as `read_traces` will
    count them (REJECTED_SPANS): the receiver answers with this before the spans are
    read, at a tenth of the cost of reading them (bench/otlp.py)."""
    count = rejected = 0
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            spans = scope_spans.spans
            count += len(spans)
            for span in spans:
                if (len(span.trace_id) != 16 or len(span.span_id) != 8
                        or len(span.parent_span_id) not in (0, 8)
                        or not span.start_time_unix_nano or not span.end_time_unix_nano):
                    rejected += 1
    return count, rejected


def usable_records(request: Any) -> tuple[int, int]:
    """(log records, records rejected) of an ExportLogsServiceRequest, as `read_logs`
    will count them: a record that is one of our events is never rejected; any other
    tied to a trace or span is, when an id has the wrong length."""
    count = rejected = 0
    for resource_logs in request.resource_logs:
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                count += 1
                trace, span_id = record.trace_id, record.span_id
                if ((trace or span_id) and (len(trace) != 16 or len(span_id) not in (0, 8))
                        and not is_event(record_body(record))):
                    rejected += 1
    return count, rejected


def record_body(record: Any) -> Any:
    """A log record's body; JSON text of an object as that object (our events, logged
    through an OpenTelemetry handler, arrive as their JSON line)."""
    body = any_value(record.body)
    if type(body) is str and body.lstrip()[:1] == "{":
        with contextlib.suppress(orjson.JSONDecodeError):
            body = orjson.loads(body)
    return body


def is_event(body: Any) -> bool:
    """Whether a record's body is one of our log events."""
    return type(body) is dict and type(body.get("event")) is str


def _text(value: Any) -> str | None:
    return value if type(value) is str and value else None

