"""A /metrics target with a million series (a benchmark, not a test).

Serves (from a child process, so its memory is not counted) a ~40 MB Prometheus text body
of `workflow_executions_total` with --series label sets (the worst case: every line is of
a family wftui reads, the pre-filter cannot help), and scrapes it with
`MetricsSource` --repeat times. Prints per scrape: the time it took, the series read and
left out past the `max_series` cap, and this process's peak RSS growth. Then the same
with --churn: every scrape a new set of label values (the series tracker must forget).

    python bench/metrics_series.py [--series 1000000] [--repeat 3] [--max-series 100000]

Targets: a scrape within the 5 s interval (deadline over the whole scrape), peak memory
bounded by the cap, not by the body (the issue measured 1.2 GB and 10-16 s per scrape).
"""

from __future__ import annotations

import argparse
import asyncio
import http.server
import multiprocessing
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wftui.sources.metrics import MetricsSettings, MetricsSource  # noqa: E402


def body(series: int, generation: int) -> bytes:
    lines = ["# HELP workflow_executions_total runs", "# TYPE workflow_executions_total counter"]
    lines += [f'workflow_executions_total{{status="{"failure" if n % 10 == 0 else "success"}",'
              f'id="{generation}-{n}"}} {n % 97 + generation}'
              for n in range(series)]
    return ("\n".join(lines) + "\n").encode()


def serve(port: int, series: int, churn: bool, ready: multiprocessing.synchronize.Event
          ) -> None:
    state = {"generation": 0, "body": body(series, 0)}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            payload = state["body"]
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            if churn:
                state["generation"] += 1
                state["body"] = body(series, state["generation"])

        def log_message(self, *args: object) -> None:
            pass

    print(f"serving {len(state['body']) / 1e6:.0f} MB bodies", flush=True)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    ready.set()
    server.serve_forever()


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def scrape(url: str, repeat: int, max_series: int) -> list[tuple[float, dict]]:
    # The body cap raised: a million series of this family is ~60 MB (worse than 40 MB).
    settings = MetricsSettings(interval=5.0, max_series=max_series,
                               max_body_bytes=200_000_000)
    source = MetricsSource([url], settings, health_urls=[""])
    out = []
    try:
        for _ in range(repeat):
            started = time.perf_counter()
            await source.scrape_once()
            out.append((time.perf_counter() - started, source.target_statuses()[0]))
            await asyncio.sleep(1.0)  # as between scrapes: a late parse may finish
    finally:
        await source.aclose()
    return out


def run(series: int, repeat: int, max_series: int, churn: bool, port: int) -> None:
    ready = multiprocessing.Event()
    child = multiprocessing.Process(target=serve, args=(port, series, churn, ready),
                                    daemon=True)
    child.start()
    ready.wait(120)
    before = rss_mb()
    try:
        results = asyncio.run(scrape(f"http://127.0.0.1:{port}/metrics", repeat, max_series))
    finally:
        child.terminate()
        child.join()
    print(f"{series:,} series, cap {max_series:,}, churn {churn}:")
    for took, status in results:
        print(f"  scrape {took:.2f} s  {status['status']}  error={status['error']}  "
              f"dropped {status['series_dropped']:,}")
    times = [took for took, _ in results]
    print(f"  median {statistics.median(times):.2f} s (min {min(times):.2f}, "
          f"max {max(times):.2f}); peak RSS grew {rss_mb() - before:.0f} MB "
          f"(to {rss_mb():.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--series", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-series", type=int, default=50_000)
    parser.add_argument("--churn", action="store_true")
    parser.add_argument("--port", type=int, default=18931)
    args = parser.parse_args()
    run(args.series, args.repeat, args.max_series, args.churn, args.port)


if __name__ == "__main__":
    main()
