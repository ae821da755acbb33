"""Cost of one UI refresh's computation at a big ledger (a benchmark, not a test).

Folds OTLP spans (bench/otlp.py's traces, 10 spans an execution) into a LiveMonitor
until --executions are retained, then, --rounds times, folds --new more executions and
computes a refresh (`compute_refresh`: snapshot, table rows, filter and sort) with the
row cache kept from the round before, as the app does. Prints the CPU time of each
part (median and min-max over the rounds): this runs in the UI's worker thread, and
every millisecond of it is one the UI thread may wait for the interpreter lock.

    python bench/refresh_cost.py [--executions 30000] [--new 1500] [--rounds 9]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (  # noqa: E402
    ExportTraceServiceRequest,
)
from otlp import SPANS_PER_REQUEST, build_bodies  # noqa: E402

from wftui.cli import GC_THRESHOLDS  # noqa: E402
from wftui.config import Settings  # noqa: E402
from wftui.core.spans import SpanReader  # noqa: E402
from wftui.live import LiveMonitor  # noqa: E402
from wftui.sources.otlp.receiver import OtlpReceiver  # noqa: E402
from wftui.view.live_rows import LiveRows  # noqa: E402
from wftui.view.refresh import compute_refresh  # noqa: E402
from wftui.view.rows import TableQuery  # noqa: E402

SPANS_PER_EXECUTION = 10


def timed(parts: dict[str, float], name: str, function):  # noqa: ANN001, ANN201
    """`function`, its CPU time added to parts[name]."""
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            parts[name] = parts.get(name, 0.0) + time.process_time() - started
    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--executions", type=int, default=30_000)
    parser.add_argument("--new", type=int, default=1_500)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--sort", default="start_ts")
    parser.add_argument("--status", default="all")
    parser.add_argument("--cli-gc", action="store_true",
                        help="the wftui command's collector thresholds (GC_THRESHOLDS)")
    args = parser.parse_args()
    if args.cli_gc:
        gc.set_threshold(*GC_THRESHOLDS)
    total = (args.executions + args.new * (args.rounds + 1)) * SPANS_PER_EXECUTION
    bodies = build_bodies(total + SPANS_PER_REQUEST)
    monitor = LiveMonitor(Settings(), [], otlp=OtlpReceiver("127.0.0.1", 0))
    reader = SpanReader()
    per_body = SPANS_PER_REQUEST // SPANS_PER_EXECUTION
    feed = iter(bodies)

    def fold(executions: int) -> None:
        for _ in range(max(executions // per_body, 1)):
            lines = reader.read_traces(ExportTraceServiceRequest.FromString(next(feed)),
                                       time.time())
            monitor._ingest_spans("otlp", lines)  # noqa: SLF001 - as the receiver does

    fold(args.executions - args.new * args.rounds)
    parts: dict[str, float] = {}
    monitor.snapshot = timed(parts, "snapshot", monitor.snapshot)  # type: ignore[method-assign]
    cache = LiveRows()
    cache.update = timed(parts, "rows", cache.update)  # type: ignore[method-assign]
    query = TableQuery(status=args.status, sort=args.sort)
    # The first refresh hands out a first page in the default order (rows built as
    # drawn), the second builds every row: neither is measured.
    for _ in range(2):
        compute_refresh(monitor, cache, query, time.time())
    rounds: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        fold(args.new)
        parts.clear()
        started = time.process_time()
        result = compute_refresh(monitor, cache, query, time.time())
        parts["total"] = time.process_time() - started
        for name, value in parts.items():
            rounds.setdefault(name, []).append(value * 1000)
    print(f"retained {result.retained}, shown {len(result.rows)}, "
          f"+{args.new} executions a round, {args.rounds} rounds (CPU ms)")
    for name, values in rounds.items():
        print(f"  {name:9} {statistics.median(values):7.1f}  "
              f"({min(values):.1f}-{max(values):.1f})")


if __name__ == "__main__":
    main()
