"""A real prometheus_client exporter with the default metric names, for the metrics tests."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from tests.helpers import free_port


class Exporter:
    """The article's metrics served on 127.0.0.1; ``restart`` is a process restart.

    precreate: create the series at 0 before the first increment (Prometheus then
    sees them from its first scrape).
    """

    def __init__(self, *, precreate: bool = False) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/metrics"
        self.precreate = precreate
        self._server = None
        self.start()

    def start(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.executions = Counter("workflow_executions_total", "Total workflow executions",
                                  ["workflow_name", "status"], registry=registry)
        self.duration = Histogram("workflow_duration_seconds", "Workflow execution duration",
                                  ["workflow_name"], buckets=(0.1, 0.5, 1, 5, 10, 60),
                                  registry=registry)
        self.steps = Histogram("step_duration_seconds", "Step execution duration",
                               ["step_name", "step_type"], buckets=(0.01, 0.1, 0.5, 1, 5, 10),
                               registry=registry)
        self.active = Gauge("active_workflows", "Active", registry=registry)
        self.queue = Gauge("workflow_queue_depth", "Queue", registry=registry)
        if self.precreate:
            for status in ("success", "failure"):
                self.executions.labels("support", status)
            self.duration.labels("support")
            self.steps.labels("classify", "llm")
        self._server, _ = start_http_server(self.port, addr="127.0.0.1", registry=registry)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def restart(self) -> None:
        """A process restart: every counter starts again from zero."""
        self.stop()
        self.start()

    def run(self, success: int, failure: int, durations: list[float]) -> None:
        self.executions.labels("support", "success").inc(success)
        self.executions.labels("support", "failure").inc(failure)
        for seconds in durations:
            self.duration.labels("support").observe(seconds)
