"""Benchmark: parsing a 10,000-series /metrics body, wftui's way vs a full parse.

Run from the repository root: ``python bench/metrics_parse.py [--repeat N]``.

Two expositions of 10,000 sample lines each, in Prometheus text format:

* ``service``: what a busy workflow service exposes. wftui's families (20 workflows,
  40 steps, the article's buckets) are ~700 lines; the rest is other instrumentation
  (per-route HTTP histograms, per-model token counters, process metrics).
* ``all-needed``: every line belongs to a family wftui reads (a step histogram with
  1,000 label sets); the pre-filter cannot help, this is the worst case.

For each, it prints the median (and min-max) over ``--repeat`` runs of prometheus_client's
full parse of the same text and of :func:`wftui.sources.metrics_parse.parse_exposition`
(decode + filter + parse), measured in the same process one after the other.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from wftui.sources.metrics_parse import MetricNames, parse_exposition  # noqa: E402

WORKFLOW_BUCKETS = ("0.1", "0.5", "1.0", "5.0", "10.0", "60.0", "+Inf")
STEP_BUCKETS = ("0.01", "0.1", "0.5", "1.0", "5.0", "10.0", "+Inf")


def _histogram(name: str, label_sets: list[str], buckets: tuple[str, ...]) -> list[str]:
    lines = [f"# HELP {name} {name}", f"# TYPE {name} histogram"]
    for i, labels in enumerate(label_sets):
        cumulative = 0
        for j, bound in enumerate(buckets):
            cumulative += (i * 7 + j * 3) % 11
            lines.append(f'{name}_bucket{{{labels},le="{bound}"}} {cumulative}.0')
        lines.append(f"{name}_count{{{labels}}} {cumulative}.0")
        lines.append(f"{name}_sum{{{labels}}} {cumulative * 0.37:.3f}")
    return lines


def workflow_lines(workflows: int, steps: int) -> list[str]:
    """The article's families for ``workflows`` workflows and ``steps`` steps."""
    lines = ["# HELP workflow_executions_total Total workflow executions",
             "# TYPE workflow_executions_total counter"]
    for w in range(workflows):
        for status in ("success", "failure"):
            lines.append(f'workflow_executions_total{{workflow_name="wf{w}",status="{status}"}}'
                         f" {w * 13 + len(status)}.0")
    lines += _histogram("workflow_duration_seconds",
                        [f'workflow_name="wf{w}"' for w in range(workflows)], WORKFLOW_BUCKETS)
    lines += _histogram("step_duration_seconds",
                        [f'step_name="step{s}",step_type="llm"' for s in range(steps)],
                        STEP_BUCKETS)
    lines += ["# HELP active_workflows Active", "# TYPE active_workflows gauge",
              "active_workflows 7.0"]
    return lines


def other_lines(count: int) -> list[str]:
    """``count`` sample lines of instrumentation wftui does not read."""
    lines = ["# HELP http_request_duration_seconds HTTP latency",
             "# TYPE http_request_duration_seconds histogram"]
    n = 0
    route = 0
    while n < count - 200:
        labels = f'method="POST",route="/api/v1/route{route}",status="200"'
        for bound in ("0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "+Inf"):
            lines.append(f'http_request_duration_seconds_bucket{{{labels},le="{bound}"}} {n}.0')
            n += 1
        lines.append(f"http_request_duration_seconds_count{{{labels}}} {n}.0")
        lines.append(f"http_request_duration_seconds_sum{{{labels}}} {n * 0.01:.3f}")
        n += 2
        route += 1
    lines += ["# HELP llm_tokens_total Tokens", "# TYPE llm_tokens_total counter"]
    while n < count:
        lines.append(f'llm_tokens_total{{model="model-{n}",direction="input"}} {n * 100}.0')
        n += 1
    return lines


def exposition(kind: str) -> str:
    """A 10,000-sample exposition of the given kind (``service`` or ``all-needed``)."""
    if kind == "service":
        ours = workflow_lines(20, 40)
        ours_samples = sum(1 for line in ours if not line.startswith("#"))
        lines = other_lines(10_000 - ours_samples)[:2] + ours + other_lines(10_000 - ours_samples)
    else:
        lines = workflow_lines(0, 1111)
    text = "\n".join(lines) + "\n"
    return text


def timed(fn, repeat: int) -> list[float]:
    """Wall times in milliseconds of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    names = MetricNames()
    for kind in ("service", "all-needed"):
        text = exposition(kind)
        body = text.encode()
        samples = sum(1 for line in text.splitlines() if line and not line.startswith("#"))

        def full(text: str = text) -> None:
            for family in text_string_to_metric_families(text):
                list(family.samples)

        def ours(body: bytes = body) -> None:
            parse_exposition(body, "text/plain; version=0.0.4", names)

        kept = len(parse_exposition(body, "text/plain", names).samples)
        for label, fn in (("prometheus_client full parse", full), ("wftui filter+parse", ours)):
            times = timed(fn, args.repeat)
            print(f"{kind:10s} {samples:6d} samples ({kept:5d} kept)  {label:30s} "
                  f"median {statistics.median(times):7.1f} ms  "
                  f"min {min(times):7.1f}  max {max(times):7.1f}  (n={args.repeat})")


if __name__ == "__main__":
    main()
