"""OTLP benchmark (not a test): spans received over HTTP and folded, against two floors.

Builds ExportTraceServiceRequest bodies shaped like the article's traces (a root
`workflow_execution` and 9 step spans each, with execution_id, step_type, duration_ms,
success and a few GenAI attributes; 512 spans a request, the SDK's batch size), then
prints, in one run (each timing repeated, --repeat, with its spread; in-process figures
are CPU time of this process, as the machine may be shared):
  - floor 1: bare `ExportTraceServiceRequest.FromString` (spans/s);
  - floor 2: decode, then a plain Python loop reading each span's ids, times, status and
    attributes into a dict (spans/s): where the time goes;
  - fold: decode + `SpanReader.read_traces` + `Ledger.ingest_lines`, in process (and
    the ledger's share of it);
  - the same fold of the same requests as OTLP/JSON bodies (hex ids, 64-bit integers
    as strings, as the JSON exporters write them), for reference (no goal);
  - HTTP: the receiver (aiohttp, this process, one core for it) folding into a ledger,
    fed by a client in another process posting the bodies (keep-alive) as fast as the
    answers come: spans/s from the first request sent to the last span folded (wall),
    and per CPU second of this process;
  - the ratios of fold and HTTP to floor 2 (the goal: HTTP >= 100k spans/s and within
    1.5x of floor 2).

Everything runs with the garbage collector's thresholds the `wftui` command sets
(`GC_THRESHOLDS`, the floors too), as the receiver runs in `wftui` and `wftui watch`
(--default-gc: the interpreter's, as this benchmark did before).

    python bench/otlp.py [--spans 200000] [--repeat 3] [--default-gc]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (  # noqa: E402
    ExportTraceServiceRequest,
)

from wftui.cli import GC_THRESHOLDS  # noqa: E402
from wftui.core.ledger import Ledger  # noqa: E402
from wftui.core.spans import SpanReader  # noqa: E402
from wftui.sources.otlp.decode import decode_json, decode_protobuf  # noqa: E402
from wftui.sources.otlp.receiver import OtlpReceiver, ReceiverLimits  # noqa: E402

SPANS_PER_REQUEST = 512
STEPS = ("fetch_ticket", "classify", "search", "rank", "draft", "review", "tool_call",
         "summarise", "respond")
T0_NS = 1_767_268_800 * 10**9


def _attr(span: Any, key: str, value: Any) -> None:
    kv = span.attributes.add()
    kv.key = key
    if isinstance(value, bool):
        kv.value.bool_value = value
    elif isinstance(value, int):
        kv.value.int_value = value
    elif isinstance(value, float):
        kv.value.double_value = value
    else:
        kv.value.string_value = value


def build_bodies(total_spans: int) -> list[bytes]:
    """Serialized requests holding `total_spans` spans (10 per execution)."""
    bodies: list[bytes] = []
    message = ExportTraceServiceRequest()
    scope = None
    made = 0
    execution = 0
    while made < total_spans:
        if scope is None:
            resource = message.resource_spans.add()
            _attr(resource.resource, "service.name", "support-service")
            scope = resource.scope_spans.add()
            scope.scope.name = "workflow"
        execution += 1
        trace = execution.to_bytes(16, "big")
        root_id = (execution * 16).to_bytes(8, "big")
        start = T0_NS + execution * 10**9
        for index, name in enumerate(STEPS):
            span = scope.spans.add()
            span.trace_id, span.span_id = trace, (execution * 16 + index + 1).to_bytes(8, "big")
            span.parent_span_id = root_id
            span.name, span.kind = name, 1
            span.start_time_unix_nano = start + index * 10**8
            span.end_time_unix_nano = start + (index + 1) * 10**8
            _attr(span, "execution_id", f"EXEC-{execution}")
            _attr(span, "step_type", "llm" if index % 3 else "tool")
            _attr(span, "duration_ms", 100.0)
            _attr(span, "success", True)
            if index % 3:
                _attr(span, "gen_ai.operation.name", "chat")
                _attr(span, "gen_ai.request.model", "gpt-4o")
                _attr(span, "gen_ai.usage.input_tokens", 800)
                _attr(span, "gen_ai.usage.output_tokens", 200)
        root = scope.spans.add()
        root.trace_id, root.span_id, root.name, root.kind = trace, root_id, \
            "workflow_execution", 1
        root.start_time_unix_nano, root.end_time_unix_nano = start, start + 10**9
        _attr(root, "execution_id", f"EXEC-{execution}")
        _attr(root, "workflow_name", "support_ticket")
        if execution % 30 == 0:
            root.status.code = 2
            root.status.message = "ticket service down"
        made += len(STEPS) + 1
        if sum(len(s.spans) for r in message.resource_spans
               for s in r.scope_spans) >= SPANS_PER_REQUEST:
            bodies.append(message.SerializeToString())
            message = ExportTraceServiceRequest()
            scope = None
    if message.resource_spans:
        bodies.append(message.SerializeToString())
    return bodies


def count_spans(bodies: list[bytes]) -> int:
    return sum(len(s.spans) for body in bodies
               for r in ExportTraceServiceRequest.FromString(body).resource_spans
               for s in r.scope_spans)


def floor_decode(bodies: list[bytes]) -> float:
    started = time.process_time()
    for body in bodies:
        ExportTraceServiceRequest.FromString(body)
    return time.process_time() - started


def floor_read(bodies: list[bytes]) -> float:
    """Decode + read ids, times, status and every attribute of each span into a dict."""
    started = time.process_time()
    out = []
    for body in bodies:
        message = ExportTraceServiceRequest.FromString(body)
        for resource in message.resource_spans:
            for scope in resource.scope_spans:
                for span in scope.spans:
                    attrs = {}
                    for kv in span.attributes:
                        value = kv.value
                        attrs[kv.key] = getattr(value, value.WhichOneof("value"))
                    out.append({"trace_id": span.trace_id, "span_id": span.span_id,
                                "parent": span.parent_span_id,
                                "start": span.start_time_unix_nano,
                                "end": span.end_time_unix_nano,
                                "status": span.status.code, "attrs": attrs})
    return time.process_time() - started


def json_bodies(bodies: list[bytes]) -> list[bytes]:
    """The requests as OTLP/JSON: the protobuf JSON mapping, its ids in hex."""
    import orjson
    from google.protobuf import json_format

    def hex_ids(node: Any) -> Any:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("traceId", "spanId", "parentSpanId"):
                    node[key] = base64.b64decode(value).hex()
                else:
                    hex_ids(value)
        elif isinstance(node, list):
            for item in node:
                hex_ids(item)
        return node

    return [orjson.dumps(hex_ids(json_format.MessageToDict(
        ExportTraceServiceRequest.FromString(body)))) for body in bodies]


def fold_json(bodies: list[bytes]) -> float:
    """CPU seconds of the fold of OTLP/JSON bodies (decoded as the receiver does)."""
    reader = SpanReader()
    ledger = Ledger(retention=50_000)
    started = time.process_time()
    for number, body in enumerate(bodies):
        ledger.ingest_lines("otlp", number, reader.read_traces(decode_json(body, "traces"),
                                                               0.0))
    return time.process_time() - started


def fold_in_process(bodies: list[bytes]) -> tuple[float, float]:
    """CPU seconds of the whole fold, and of its `Ledger.ingest_lines` part."""
    reader = SpanReader()
    ledger = Ledger(retention=50_000)
    clock = time.process_time
    ingest = 0.0
    started = clock()
    for number, body in enumerate(bodies):
        # Decoded as the receiver decodes a protobuf body (into the view whose spans'
        # attributes are a map): not the plain message, which the reader would
        # serialize and decode again (8% of this figure, a cost the receiver never pays).
        lines = reader.read_traces(decode_protobuf(body, "traces"), 0.0)
        before = clock()
        ledger.ingest_lines("otlp", number, lines)
        ingest += clock() - before
    elapsed = clock() - started
    assert ledger.events_total > 0
    return elapsed, ingest


CLIENT = """
import sys, time, httpx
paths = sys.argv[2:]
bodies = [open(p, "rb").read() for p in paths]
with httpx.Client(timeout=60) as client:
    print(time.time(), flush=True)
    for body in bodies:
        while True:
            answer = client.post(sys.argv[1], content=body,
                                 headers={"Content-Type": "application/x-protobuf"})
            if answer.status_code == 200:
                break
            time.sleep(float(answer.headers.get("Retry-After", "0.05")) / 20)
"""


def over_http(bodies: list[bytes], spans: int, workdir: Path) -> tuple[float, float]:
    """Seconds from the first request sent to the last span folded, and the CPU seconds
    this process (receiver and fold; the client is another process) spent on it."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ledger = Ledger(retention=50_000)
    receiver = OtlpReceiver("127.0.0.1", port, limits=ReceiverLimits())
    lock = threading.Lock()
    folded_at: list[float] = []  # when each batch was folded

    def sink(source: str, lines: list[bytes]) -> None:
        with lock:
            ledger.ingest_lines(source, 1, lines)
        folded_at.append(time.time())

    loop = asyncio.new_event_loop()
    stop_box: list[asyncio.Event] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        stop_box.append(asyncio.Event())
        loop.run_until_complete(receiver.run(sink, stop_box[0]))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    while not receiver.listening:
        time.sleep(0.01)
    paths = []
    for index, body in enumerate(bodies):
        path = workdir / f"body{index}.pb"
        path.write_bytes(body)
        paths.append(str(path))
    cpu_before = time.process_time()
    client = subprocess.Popen([sys.executable, "-c", CLIENT,
                               f"http://127.0.0.1:{port}/v1/traces", *paths],
                              stdout=subprocess.PIPE, text=True)
    assert client.stdout is not None
    first_sent = float(client.stdout.readline())
    client.wait(600)
    # Every answer came, so every request was read and queued: the last span is folded
    # once nothing accepted is left unfolded (spans are counted as they are read, ahead
    # of the fold: the count alone stopped the clock up to a batch early).
    deadline = time.time() + 120
    while (receiver.unfolded_bytes or receiver.reader.spans < spans) \
            and time.time() < deadline:
        time.sleep(0.005)
    cpu = time.process_time() - cpu_before
    loop.call_soon_threadsafe(stop_box[0].set)
    thread.join(10)
    loop.close()
    assert not receiver.unfolded_bytes and receiver.reader.spans >= spans, \
        "not every span was folded"
    return folded_at[-1] - first_sent, cpu


def spread(values: list[float]) -> str:
    return (f"{statistics.median(values):,.0f}/s (min {min(values):,.0f}, "
            f"max {max(values):,.0f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--default-gc", action="store_true",
                        help="the interpreter's collector thresholds, not wftui's")
    args = parser.parse_args()
    if not args.default_gc:
        gc.set_threshold(*GC_THRESHOLDS)  # as `wftui` runs the receiver
    bodies = build_bodies(args.spans)
    spans = count_spans(bodies)
    print(f"{spans:,} spans in {len(bodies)} requests of ~{SPANS_PER_REQUEST}, "
          f"{sum(map(len, bodies)) / 1e6:.1f} MB; collector thresholds {gc.get_threshold()}")
    rates: dict[str, list[float]] = {"decode": [], "read": [], "fold": [], "json": [],
                                     "http": [], "http_cpu": []}
    as_json = json_bodies(bodies)
    ledger_share: list[float] = []
    with tempfile.TemporaryDirectory() as workdir:
        for _ in range(args.repeat):
            rates["decode"].append(spans / floor_decode(bodies))
            rates["read"].append(spans / floor_read(bodies))
            fold, ingest = fold_in_process(bodies)
            rates["fold"].append(spans / fold)
            ledger_share.append(ingest / fold)
            rates["json"].append(spans / fold_json(as_json))
            wall, cpu = over_http(bodies, spans, Path(workdir))
            rates["http"].append(spans / wall)
            rates["http_cpu"].append(spans / cpu)
    print(f"floor 1, FromString only:            {spread(rates['decode'])}")
    print(f"floor 2, decode + read into a dict:  {spread(rates['read'])}")
    print(f"wftui fold in process:               {spread(rates['fold'])}")
    print(f"  of which Ledger.ingest_lines:      {statistics.median(ledger_share):.0%} "
          f"(min {min(ledger_share):.0%}, max {max(ledger_share):.0%}); the rest is "
          "spans -> event lines")
    print(f"wftui fold of OTLP/JSON, in process: {spread(rates['json'])}")
    print(f"wftui over HTTP (receiver + fold):   {spread(rates['http'])} wall")
    print(f"                                     {spread(rates['http_cpu'])} per CPU second")
    floor = statistics.median(rates["read"])
    for name in ("fold", "http", "http_cpu"):
        ratio = floor / statistics.median(rates[name])
        print(f"{name} time / floor 2 time: {ratio:.2f}x (goal: <= 1.5x)")


if __name__ == "__main__":
    main()
