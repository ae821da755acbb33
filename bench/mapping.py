"""Mapped ingest against unmapped ingest (a benchmark, not a test).

One seed-format log (bench/seedlog.py) is rewritten into two other shapes, event for
event: the shape of the README's `[logs.fields]` example (other field names, a nested
object, event names and status words of its own, epoch-millisecond times) and
python-json-logger's (`message`, `asctime`). Each is ingested into a fresh ledger (no
raw lines kept, as `check` reads), the runs interleaved so that machine noise falls on
all shapes alike; the median, min and max seconds of each are printed, with the ratio
of medians to our own shape. Target: mapped <= 1.3x unmapped. The figures of every
shape are compared too (they must be the same).

    python bench/mapping.py [--lines 300000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from seedlog import generate  # noqa: E402

from wftui.core.figures import log_figures  # noqa: E402
from wftui.core.ledger import Ledger  # noqa: E402
from wftui.core.mapping import build_mapping  # noqa: E402
from wftui.core.timestamps import parse_timestamp  # noqa: E402

EXAMPLE = {
    "fields": {"event": "kind", "execution_id": "run", "timestamp": "ts",
               "duration_ms": "data.elapsed_ms", "success": "data.ok", "step_name": "task"},
    "events": {"step_start": "task.begin", "step_complete": "task.end",
               "workflow_complete": ["run.end", "run.done"]},
    "statuses": {"success": ["completed"], "failure": ["crashed"]},
}
_EVENTS = {"step_start": "task.begin", "step_complete": "task.end",
           "workflow_complete": "run.end"}


def example_shape(record: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    data: dict[str, Any] = {}
    for key, value in record.items():
        if key == "event":
            out["kind"] = _EVENTS.get(value, value)
        elif key == "execution_id":
            out["run"] = value
        elif key == "timestamp":
            epoch = parse_timestamp(value)
            assert epoch is not None
            out["ts"] = round(epoch * 1000)
        elif key == "duration_ms":
            data["elapsed_ms"] = value
        elif key == "success":
            data["ok"] = value
        elif key == "step_name":
            out["task"] = value
        else:
            out[key] = value
    if data:
        out["data"] = data
    return out


def json_logger_shape(record: dict[str, Any]) -> dict[str, Any]:
    epoch = parse_timestamp(record["timestamp"])
    assert epoch is not None
    stamp = datetime.utcfromtimestamp(epoch)
    out = {"asctime": stamp.strftime("%Y-%m-%d %H:%M:%S,") + f"{stamp.microsecond // 1000:03d}",
           "levelname": "INFO", "message": record["event"]}
    out.update((k, v) for k, v in record.items() if k not in ("event", "timestamp"))
    return out


def ingest(lines: list[bytes], logs: dict[str, Any] | None) -> tuple[float, dict[str, Any]]:
    ledger = Ledger(keep_raw=False, mapping=build_mapping(logs) if logs else None)
    # CPU seconds of this process: the machine is shared, wall time mostly measures
    # the others' load.
    started = time.process_time()
    for start in range(0, len(lines), 10_000):
        ledger.ingest_lines("app.log", start + 1, lines[start:start + 10_000], read_time=0.0)
    took = time.process_time() - started
    end = ledger.window_anchor or 0.0
    figures = log_figures(ledger, None, end, end + 3600)
    summary = {"events": ledger.events_total, "malformed": ledger.malformed_total,
               "counts": ledger.counts(end + 3600), "error_rate": figures.error_rate,
               "p95": figures.latency_s["p95"],
               "steps": {k: v["p95"] for k, v in figures.step_latency_s.items()}}
    return took, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "seed.log"
        generate(str(path), args.lines)
        ours = path.read_bytes().splitlines()
    records = [json.loads(line) for line in ours]
    shapes: dict[str, tuple[list[bytes], dict[str, Any] | None]] = {
        "ours": (ours, None),
        "example mapping": ([json.dumps(example_shape(r)).encode() for r in records],
                            EXAMPLE),
        "python-json-logger": ([json.dumps(json_logger_shape(r)).encode()
                                for r in records], {"format": "python-json-logger"}),
    }
    times: dict[str, list[float]] = {name: [] for name in shapes}
    summaries: dict[str, dict[str, Any]] = {}
    for _ in range(args.repeat):
        for name, (lines, logs) in shapes.items():
            took, summaries[name] = ingest(lines, logs)
            times[name].append(took)
    base = statistics.median(times["ours"])
    print(f"{args.lines:,} lines, {args.repeat} runs each (interleaved)")
    for name, runs in times.items():
        median = statistics.median(runs)
        same = "same figures" if summaries[name] == summaries["ours"] else \
            f"DIFFERENT figures: {summaries[name]} vs {summaries['ours']}"
        print(f"  {name:20s} median {median:.3f} CPU s (min {min(runs):.3f}, max {max(runs):.3f})"
              f"  {args.lines / median:,.0f} lines/s  x{median / base:.2f}  {same}")


if __name__ == "__main__":
    main()
