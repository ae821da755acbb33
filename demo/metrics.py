"""The article's Prometheus metrics, on a registry of the demo's own.

A private `CollectorRegistry` (not prometheus_client's global one) keeps the demo
importable next to anything else that uses prometheus_client, and keeps the exposition
free of process/platform collectors that are not part of the example.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder

# The article's buckets stop at 60 s, exactly the p95 threshold: a quantile there can
# only read "≥ 60". These reach past it so the threshold can be seen being crossed.
WORKFLOW_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
STEP_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class WorkflowMetrics:
    """The four standard workflow metrics plus a queue-depth gauge."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.workflow_executions_total = Counter(
            "workflow_executions_total",
            "Total workflow executions",
            ["workflow_name", "status"],
            registry=self.registry,
        )
        self.workflow_duration_seconds = Histogram(
            "workflow_duration_seconds",
            "Workflow execution duration",
            ["workflow_name"],
            buckets=WORKFLOW_BUCKETS,
            registry=self.registry,
        )
        self.step_duration_seconds = Histogram(
            "step_duration_seconds",
            "Step execution duration",
            ["step_name", "step_type"],
            buckets=STEP_BUCKETS,
            registry=self.registry,
        )
        self.active_workflows = Gauge(
            "active_workflows",
            "Number of active workflow executions",
            registry=self.registry,
        )
        self.workflow_queue_depth = Gauge(
            "workflow_queue_depth",
            "Tickets waiting in the work queue",
            registry=self.registry,
        )

    def exposition(self, accept_header: str = "") -> tuple[bytes, str]:
        """Encode the metrics for a scrape: (body, Content-Type), negotiated from Accept.

        Prometheus text by default; OpenMetrics when the scraper asks for it.
        """
        encoder, content_type = choose_encoder(accept_header)
        return encoder(self.registry), content_type
