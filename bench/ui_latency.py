"""UI latency under load (a benchmark, not a test): wftui with 20,000 events/s appended.

Runs the real app headless (`run_test`) on a log file that a separate writer process
appends to at --rate events per second (seed-format executions, 8 events each), and
measures:

- key press -> screen: time from a `j`/`k` key event handed to the driver to the first
  frame composed with the moved cursor (headless: the frame is ready to be written;
  writing it to a real terminal adds the terminal's own time) (p50/p95/max);
- keeping up: the bytes written but not yet read (file size - tailer offset) sampled
  every second, and how long it takes to catch up once the writer stops;
- idle CPU: process CPU time over --idle seconds once nothing new arrives.

With --otlp, the events are OpenTelemetry spans instead: a separate process posts
--rate spans/s (bench/otlp.py's traces, 512 spans a request) to the app's own OTLP/HTTP
receiver, and keeping up is the spans posted but not yet folded (--json: as OTLP/JSON
bodies, as the JSON exporters send them).

The app runs with the `wftui` command's collector thresholds (`GC_THRESHOLDS`), as
the monitor does (--default-gc: the interpreter's, as this benchmark did before: a
full collection of the retained executions then stops the UI thread for ~0.1-0.2 s).

Usage: python bench/ui_latency.py [--rate 20000] [--seconds 30] [--idle 10] [--otlp]
                                  [--json] [--default-gc]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from textual import events  # noqa: E402

from wftui.cli import GC_THRESHOLDS  # noqa: E402
from wftui.config import Settings  # noqa: E402
from wftui.live import LiveMonitor  # noqa: E402
from wftui.ui.app import make_app  # noqa: E402
from wftui.ui.widgets.executions_table import ExecutionsTable  # noqa: E402


def writer(path: str, rate: float, seconds: float) -> None:
    """Append `rate` events/s for `seconds` in 10 ms batches; print the lines written."""
    started = time.time()
    written = 0
    n = 0
    with open(path, "ab", buffering=0) as handle:
        tick = 0
        while True:
            now = time.time()
            if now - started >= seconds:
                break
            due = int((now - started) * rate)
            chunk = []
            while written + len(chunk) < due:
                n += 1
                eid = f"load-{n:08d}"
                stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + \
                    f".{int(now * 1e6) % 1_000_000:06d}"
                base = f'"execution_id":"{eid}","timestamp":"{stamp}"'
                failed = n % 33 == 0
                chunk += [
                    f'{{"event":"workflow_start",{base},"workflow_name":"support",'
                    f'"context":{{"ticket":"T-{n}"}}}}',
                    f'{{"event":"step_start",{base},"step_name":"fetch_ticket",'
                    f'"step_type":"tool","context_keys":["ticket"]}}',
                    f'{{"event":"tool_call",{base},"tool_name":"fetch_ticket",'
                    f'"arguments":{{"id":"T-{n}"}},"duration_ms":120.5}}',
                    f'{{"event":"step_complete",{base},"step_name":"fetch_ticket",'
                    f'"duration_ms":130.0,"success":true}}',
                    f'{{"event":"step_start",{base},"step_name":"classify","step_type":"llm"}}',
                    f'{{"event":"step_complete",{base},"step_name":"classify",'
                    f'"duration_ms":850.0,"success":{"false" if failed else "true"},'
                    f'"input_tokens":900,"output_tokens":40,"cost_usd":0.0031}}',
                    f'{{"event":"workflow_complete",{base},'
                    f'"status":"{"failure" if failed else "success"}","duration_ms":990.0}}',
                    f'{{"event":"queue_depth","value":{n % 50},"timestamp":"{stamp}"}}',
                ]
            if chunk:
                handle.write(("\n".join(chunk) + "\n").encode())
                written += len(chunk)
            tick += 1
            time.sleep(0.01)
    print(json.dumps({"lines": written}), flush=True)


def poster(url: str, rate: float, seconds: float, as_json: bool = False) -> None:
    """Post `rate` spans/s for `seconds` (whole requests, on time); print spans posted."""
    import httpx

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from otlp import build_bodies, count_spans, json_bodies

    bodies = build_bodies(int(rate * seconds) + 1024)
    sizes = [count_spans([body]) for body in bodies]
    content_type = "application/x-protobuf"
    if as_json:
        bodies, content_type = json_bodies(bodies), "application/json"
    started = time.time()
    posted = 0
    index = 0
    with httpx.Client(timeout=60) as client:
        while time.time() - started < seconds and index < len(bodies):
            if posted > (time.time() - started) * rate:
                time.sleep(0.002)
                continue
            answer = client.post(url, content=bodies[index],
                                 headers={"Content-Type": content_type})
            if answer.status_code == 200:
                posted += sizes[index]
                index += 1
    print(json.dumps({"lines": posted}), flush=True)


def start_poster(url: str, rate: float, seconds: float,
                 as_json: bool) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, __file__, "--poster", url, "--rate", str(rate),
                             "--seconds", str(seconds), *(["--json"] if as_json else [])],
                            stdout=subprocess.PIPE, text=True)


def start_writer(log: Path, rate: float, seconds: float) -> subprocess.Popen[str]:
    """The writer runs in its own process, as the instrumented service would."""
    return subprocess.Popen([sys.executable, __file__, "--writer", str(log), "--rate",
                             str(rate), "--seconds", str(seconds)],
                            stdout=subprocess.PIPE, text=True)


def file_size(path: Path) -> int:
    return os.path.getsize(path)


def clean_up(workdir: Path) -> None:
    for entry in workdir.iterdir():
        entry.unlink()
    workdir.rmdir()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(int(round(q / 100 * (len(ordered) - 1))), len(ordered) - 1)
    return ordered[index]


def send_key(app, key: str) -> None:
    """What the terminal driver does when a key arrives (as Pilot does, minus its waits)."""
    event = events.Key(key, key)
    event.set_sender(app)
    app._driver.send_message(event)


async def key_to_screen(app, table, frames: list[tuple[float, str | None]], key: str
                        ) -> float | None:
    """Post a key as the terminal driver would; ms until a frame shows its effect."""
    before = table.selected_id
    pressed = time.perf_counter()
    send_key(app, key)
    after = None
    for _ in range(2000):
        if after is None and table.selected_id != before:
            after = table.selected_id
        if after is not None:
            shown = [t for t, selected in frames[-50:] if t >= pressed and selected == after]
            if shown:
                return (shown[0] - pressed) * 1000
        await asyncio.sleep(0.001)
    return None


async def measure(args: argparse.Namespace) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="wftui-bench-"))
    log = workdir / "load.log"
    log.touch()
    settings = Settings()
    receiver = None
    if args.otlp:
        from tests.helpers import free_port
        from wftui.sources.otlp.receiver import OtlpReceiver

        receiver = OtlpReceiver("127.0.0.1", free_port())
    monitor = LiveMonitor(settings, [] if args.otlp else [str(log)], otlp=receiver)
    app = make_app(settings, monitor, export_dir=workdir)
    frames: list[tuple[float, int]] = []  # (time written, cursor shown)
    out: dict = {"rate": args.rate, "seconds": args.seconds,
                 "source": "otlp spans" if args.otlp else "log lines",
                 "gc_thresholds": gc.get_threshold()}
    async with app.run_test(size=(160, 45)) as pilot:
        table = app.screen.query_one(ExecutionsTable)
        original_display = app._display

        def display(screen, renderable) -> None:
            # Headless apps compose each frame and hand it here instead of writing it
            # to a terminal: the moment a frame is ready to be written.
            if renderable is not None:
                frames.append((time.perf_counter(), table.selected_id))
            original_display(screen, renderable)

        app._display = display  # type: ignore[method-assign]
        if receiver is not None:
            while not receiver.listening:  # noqa: ASYNC110 (a flag set by another task)
                await asyncio.sleep(0.05)
            proc = start_poster(f"http://127.0.0.1:{receiver.port}/v1/traces", args.rate,
                                args.seconds, args.json)
        else:
            proc = start_writer(log, args.rate, args.seconds)
        latencies: list[float] = []
        backlog: list[int] = []
        started = time.monotonic()
        last_sample = started
        cpu_start = time.process_time()
        key = "j"
        while proc.poll() is None:
            await asyncio.sleep(0.2)
            if time.monotonic() - last_sample >= 1.0:
                last_sample = time.monotonic()
                backlog.append(receiver.requests if receiver is not None else
                               file_size(log) - monitor.tailer.statuses[0].offset)
            if len(table.rows) < 50:
                continue
            if table.cursor < 3:
                # off the top row: there the cursor follows new executions, below it the
                # cursor stays on its execution, so only a key can change the selection
                for _ in range(3):
                    send_key(app, "j")
                continue
            latency = await key_to_screen(app, table, frames, key)
            if latency is not None:
                latencies.append(latency)
            key = "k" if key == "j" else "j"
        load_cpu = time.process_time() - cpu_start
        load_wall = time.monotonic() - started
        lines = json.loads(proc.stdout.read())["lines"]
        caught_up_at = time.monotonic()
        ledger = monitor.ledger
        def behind() -> bool:
            if receiver is not None:
                return receiver.reader.spans < lines or receiver.unfolded_bytes > 0
            return ledger.events_total + ledger.malformed_total < lines

        while behind():
            await pilot.pause(0.05)
            if time.monotonic() - caught_up_at > 120:
                break
        catch_up = time.monotonic() - caught_up_at
        out.update({
            "lines_written": lines,
            "events_read": ledger.events_total,
            "malformed": ledger.malformed_total,
            "retained_executions": len(ledger.executions),
            "catch_up_after_writer_stopped_s": round(catch_up, 2),
            "backlog_bytes_per_second": backlog,
            "key_samples": len(latencies),
            "key_to_screen_ms": {
                "p50": round(statistics.median(latencies), 1),
                "p95": round(percentile(latencies, 95), 1),
                "max": round(max(latencies), 1),
            } if latencies else None,
            "cpu_during_load_pct_of_core": round(100 * load_cpu / load_wall, 1),
            "last_snapshot_s": round(app.latest.took_s, 3) if app.latest else None,
        })
        await pilot.pause(3)  # let the last refreshes settle
        cpu0, wall0 = time.process_time(), time.monotonic()
        await asyncio.sleep(args.idle)
        idle = (time.process_time() - cpu0) / (time.monotonic() - wall0)
        out["idle_cpu_pct_of_core"] = round(100 * idle, 2)
    monitor.stop()
    clean_up(workdir)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=20_000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--idle", type=float, default=10)
    parser.add_argument("--otlp", action="store_true",
                        help="post spans to the app's OTLP receiver instead of a log")
    parser.add_argument("--json", action="store_true",
                        help="with --otlp: post OTLP/JSON bodies (hex ids), not protobuf")
    parser.add_argument("--default-gc", action="store_true",
                        help="the interpreter's collector thresholds, not wftui's")
    parser.add_argument("--writer", metavar="PATH", help=argparse.SUPPRESS)
    parser.add_argument("--poster", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.poster:
        poster(args.poster, args.rate, args.seconds, args.json)
        return
    if args.writer:
        writer(args.writer, args.rate, args.seconds)
        return
    if not args.default_gc:
        gc.set_threshold(*GC_THRESHOLDS)  # as `wftui` runs the monitor
    print(json.dumps(asyncio.run(measure(args)), indent=2))


if __name__ == "__main__":
    main()
