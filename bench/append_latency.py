"""Append-to-delivery latency of FileTailer.follow (a benchmark, not a test).

A writer thread appends numbered lines to a temporary file one at a time, at random
intervals; for each line we take the time just before write()+flush() and the time
on_batch sees it, and print the median and p99 in milliseconds per run.

    python bench/append_latency.py [--lines 300] [--runs 3] [--step 5] [--debounce 50]

Target (project brief): median <= 20 ms, p99 <= 100 ms on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wftui.sources import filefollow  # noqa: E402
from wftui.sources.files import Batch, FileTailer  # noqa: E402


def p99(values: list[float]) -> float:
    """99th percentile, linear between closest ranks (numpy's default)."""
    ordered = sorted(values)
    rank = 0.99 * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


async def one_run(lines: int, seed: int) -> list[float]:
    """Latencies in ms of ``lines`` appended lines."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "app.log"
        log.write_bytes(b"")
        written: dict[int, float] = {}
        seen: dict[int, float] = {}
        done = asyncio.Event()
        loop = asyncio.get_running_loop()

        def on_batch(batch: Batch) -> None:
            now = time.perf_counter()
            for line in batch.lines:
                seq = int(line.split(b" ", 1)[0])
                seen.setdefault(seq, now)
            if len(seen) >= lines:
                done.set()

        def writer() -> None:
            rng = random.Random(seed)
            with open(log, "ab") as out:
                for seq in range(lines):
                    time.sleep(rng.uniform(0.005, 0.030))
                    data = b'%d {"event": "step_complete", "execution_id": "e-%d"}\n' % (seq, seq)
                    written[seq] = time.perf_counter()
                    out.write(data)
                    out.flush()

        tailer = FileTailer([str(log)])
        stop = asyncio.Event()
        task = asyncio.create_task(filefollow.follow(tailer, on_batch, stop))
        await asyncio.sleep(0.3)  # let the watcher start before the first write
        thread = threading.Thread(target=writer, daemon=True)
        thread.start()
        await asyncio.wait_for(done.wait(), timeout=lines * 0.05 + 30)
        stop.set()
        await task
        tailer.close()
        await loop.run_in_executor(None, thread.join)
        return [(seen[s] - written[s]) * 1000 for s in range(lines)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--step", type=int, default=filefollow.WATCH_STEP_MS)
    parser.add_argument("--debounce", type=int, default=filefollow.WATCH_DEBOUNCE_MS)
    args = parser.parse_args()
    filefollow.WATCH_STEP_MS = args.step
    filefollow.WATCH_DEBOUNCE_MS = args.debounce
    print(f"watchfiles step={args.step} ms debounce={args.debounce} ms, {args.lines} lines/run")
    medians, p99s = [], []
    for run in range(args.runs):
        lat = asyncio.run(one_run(args.lines, seed=run))
        medians.append(statistics.median(lat))
        p99s.append(p99(lat))
        print(f"run {run + 1}: n={len(lat)} median={medians[-1]:.1f} ms "
              f"p99={p99s[-1]:.1f} ms max={max(lat):.1f} ms")
    print(f"over {args.runs} runs: median {min(medians):.1f}-{max(medians):.1f} ms, "
          f"p99 {min(p99s):.1f}-{max(p99s):.1f} ms")


if __name__ == "__main__":
    main()
