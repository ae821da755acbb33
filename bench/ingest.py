"""Ingest benchmark (not a test): `wftui check` against the bare read + orjson floor.

Generates a seed-format log (default 1M lines, ~8 events per execution, 3% failing,
~50 executions interleaved), then prints, in one run:
  - the floor: a bare `for line in file: orjson.loads(line)` loop (lines/s);
  - `wftui check --window all FILE` as a subprocess: lines/s end to end, CPU seconds,
    peak RSS of all its processes together (a big file is read in parts, one process
    per core);
  - their ratio (the target: within 2x of the floor);
  - append-to-core latency: a line appended to a followed file until the ledger has it
    (median and p99 over --appends appends).
Each timing is repeated (--repeat) and printed with its spread: the machine is noisy.

    python bench/ingest.py [--lines 1000000] [--repeat 3] [--appends 300] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from seedlog import generate  # noqa: E402


def floor_rate(path: Path) -> float:
    """Lines per second of the bare read + orjson.loads loop."""
    loads = orjson.loads
    started = time.perf_counter()
    count = 0
    with path.open("rb") as handle:
        for line in handle:
            loads(line)
            count += 1
    return count / (time.perf_counter() - started)


def tree_memory(pid: int, peaks: dict[int, float]) -> float:
    """Resident memory (MB) of a process and its children now (Linux /proc); records
    each one's own peak so far (VmHWM) in `peaks`, whose sum bounds any instant."""
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                for row in status:
                    if row.startswith("VmRSS:"):
                        total += int(row.split()[1]) / 1024.0
                    elif row.startswith("VmHWM:"):
                        peaks[current] = int(row.split()[1]) / 1024.0
            with open(f"/proc/{current}/task/{current}/children") as children:
                pending += [int(child) for child in children.read().split()]
        except (OSError, ValueError):
            continue  # ended meanwhile
    return total


def check_run(path: Path, lines: int) -> tuple[float, float, float, float, int]:
    """(lines/s, peak RSS of all its processes together sampled every 5 ms, the sum of
    each process's own peak (an upper bound), CPU seconds, exit code) of `wftui check
    --window all`. A big file is read in parts by forked processes: their memory adds
    up. (ru_maxrss would not do: it is per process, and a child forked from this big
    process starts out counting this one's pages.)"""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "wftui", "check", "--window", "all", str(path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=HERE.parent)
    together = 0.0
    peaks: dict[int, float] = {}
    outcome: list[tuple[int, int, os.struct_rusage]] = []
    waiter = threading.Thread(target=lambda: outcome.append(os.wait4(process.pid, 0)))
    waiter.start()
    while waiter.is_alive():
        together = max(together, tree_memory(process.pid, peaks))
        waiter.join(0.005)
    elapsed = time.perf_counter() - started
    _, status, usage = outcome[0]
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"wftui check failed ({code}): {process.stderr.read().decode()}")
    cpu = usage.ru_utime + usage.ru_stime
    return lines / elapsed, together, sum(peaks.values()), cpu, code


def append_latency(appends: int) -> list[float]:
    """Seconds from write() of a line to the ledger having it, through the live engine."""
    from wftui.config import Settings
    from wftui.live import LiveMonitor

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "live.log"
        path.write_bytes(b"")
        monitor = LiveMonitor(Settings(), [str(path)])
        arrived = threading.Event()
        monitor.on_change = arrived.set
        monitor.start()
        time.sleep(0.5)  # let the watcher settle
        samples: list[float] = []
        try:
            with path.open("ab", buffering=0) as out:
                for n in range(appends):
                    before = monitor.ledger.events_total
                    line = orjson.dumps({"event": "step_start", "execution_id": f"e{n}",
                                         "step_name": "fetch_ticket"}) + b"\n"
                    arrived.clear()
                    started = time.perf_counter()
                    out.write(line)
                    while monitor.ledger.events_total == before:
                        if not arrived.wait(2.0):
                            break
                        arrived.clear()
                    samples.append(time.perf_counter() - started)
                    time.sleep(0.005 + (n % 7) * 0.004)
        finally:
            monitor.stop()
    return samples


def spread(values: list[float]) -> str:
    if len(values) < 2:
        return ""
    return f" (min {min(values):,.0f}, max {max(values):,.0f}, n={len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--appends", type=int, default=300)
    parser.add_argument("--keep", help="folder to keep (and reuse) the generated log in")
    args = parser.parse_args()

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="wftui-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"seed-{args.lines}.log"
    if not path.exists():
        print(f"generating {args.lines:,} lines ...", flush=True)
        generate(str(path), args.lines)
    size_mb = path.stat().st_size / 1e6
    print(f"log: {path} ({args.lines:,} lines, {size_mb:,.0f} MB); cpus: {os.cpu_count()}")
    path.read_bytes()  # into the page cache

    floors, rates, together, bounds, cpus = [], [], [], [], []
    for _ in range(args.repeat):
        floors.append(floor_rate(path))
        rate, tree, bound, cpu, code = check_run(path, args.lines)
        rates.append(rate)
        together.append(tree)
        bounds.append(bound)
        cpus.append(cpu)
    floor, rate = statistics.median(floors), statistics.median(rates)
    print(f"floor (read + orjson.loads): {floor:,.0f} lines/s{spread(floors)}")
    print(f"wftui check --window all:    {rate:,.0f} lines/s{spread(rates)}, exit {code}")
    print(f"  CPU {statistics.median(cpus):.2f} s (user+sys, all processes); peak RSS of "
          f"all processes together {statistics.median(together):,.0f} MB "
          f"(max {max(together):,.0f}; at most {max(bounds):,.0f}, the sum of each "
          f"one's own peak)")
    print(f"ratio floor/check: {floor / rate:.2f}x (target <= 2x; absolute target >= 600k)")
    if args.appends:
        samples = sorted(append_latency(args.appends))
        p99 = samples[min(len(samples) - 1, int(round(0.99 * (len(samples) - 1))))]
        print(f"append to core: median {statistics.median(samples) * 1000:.1f} ms, "
              f"p99 {p99 * 1000:.1f} ms over {len(samples)} appends "
              f"(targets: median <= 20 ms, p99 <= 100 ms)")
    if not args.keep:
        path.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
