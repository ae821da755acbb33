"""Benchmark: parsing a 10,000-series /metrics body, wftui's way vs a full parse.

Run from the repository root: ``python bench/metrics_parse.py [--repeat N]``.

Two prometheus_client registries whose expositions have about 10,000 sample lines each,
rendered by prometheus_client itself in Prometheus text and in OpenMetrics:

* ``service``: what a busy workflow service exposes. wftui's families (20 workflows,
  40 steps, the demo's buckets) are ~650 lines; the rest is other instrumentation
  (per-route HTTP histograms, per-model token counters).
* ``all-needed``: nearly every line belongs to a family wftui reads (a step histogram with
  990 label sets); the pre-filter cannot help, this is the worst case.

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

from prometheus_client import (  # noqa: E402
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.openmetrics.exposition import (  # noqa: E402
    generate_latest as generate_openmetrics,
)
from prometheus_client.openmetrics.parser import (  # noqa: E402
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import (  # noqa: E402
    text_string_to_metric_families as text_families,
)

from wftui.sources.metrics_parse import MetricNames, parse_exposition  # noqa: E402

ARTICLE_WORKFLOW_BUCKETS = (0.1, 0.5, 1, 5, 10, 60)
ARTICLE_STEP_BUCKETS = (0.01, 0.1, 0.5, 1, 5, 10)


def registry(kind: str) -> CollectorRegistry:
    """A prometheus_client registry whose text exposition has about 10,000 sample lines."""
    reg = CollectorRegistry()
    executions = Counter("workflow_executions_total", "Total workflow executions",
                         ["workflow_name", "status"], registry=reg)
    workflows = Histogram("workflow_duration_seconds", "Workflow execution duration",
                          ["workflow_name"], buckets=ARTICLE_WORKFLOW_BUCKETS, registry=reg)
    steps = Histogram("step_duration_seconds", "Step execution duration",
                      ["step_name", "step_type"], buckets=ARTICLE_STEP_BUCKETS, registry=reg)
    Gauge("active_workflows", "Active workflow executions", registry=reg).set(7)
    step_count = 40 if kind == "service" else 990
    for w in range(20):
        executions.labels(f"wf{w}", "success").inc(w * 13)
        executions.labels(f"wf{w}", "failure").inc(w)
        workflows.labels(f"wf{w}").observe(w * 0.7)
    for s in range(step_count):
        steps.labels(f"step{s}", "llm").observe(s * 0.01)
    if kind == "service":
        http = Histogram("http_request_duration_seconds", "HTTP latency",
                         ["method", "route", "status"], registry=reg)
        tokens = Counter("llm_tokens_total", "Tokens", ["model", "direction"], registry=reg)
        for r in range(480):
            http.labels("POST", f"/api/v1/route{r}", "200").observe(r * 0.001)
        for m in range(180):
            tokens.labels(f"model-{m}", "input").inc(m)
    return reg


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
        reg = registry(kind)
        for fmt, body, content_type, full_parser in (
            ("text", generate_latest(reg), "text/plain; version=0.0.4", text_families),
            ("openmetrics", generate_openmetrics(reg), "application/openmetrics-text",
             openmetrics_families),
        ):
            text = body.decode()
            samples = sum(1 for line in text.splitlines() if line and not line.startswith("#"))
            kept = len(parse_exposition(body, content_type, names).samples)

            def full(text: str = text, parser=full_parser) -> None:
                for family in parser(text):
                    list(family.samples)

            def ours(body: bytes = body, content_type: str = content_type) -> None:
                parse_exposition(body, content_type, names)

            for label, fn in (("prometheus_client full parse", full),
                              ("wftui filter+parse", ours)):
                times = timed(fn, args.repeat)
                print(f"{kind:10s} {fmt:11s} {samples:6d} samples ({kept:5d} kept)  "
                      f"{label:28s} median {statistics.median(times):6.1f} ms  "
                      f"min {min(times):6.1f}  max {max(times):6.1f}  (n={args.repeat})")


if __name__ == "__main__":
    main()
