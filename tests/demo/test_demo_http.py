"""The demo's HTTP side: /metrics parses with the expected families, /health answers."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import wait_for

from .conftest import completed, read_events


def _families(text: str) -> dict[str, Any]:
    return {family.name: family for family in text_string_to_metric_families(text)}


def test_metrics_have_the_article_families_types_and_labels(start_demo, http) -> None:
    demo = start_demo()
    wait_for(lambda: len(completed(read_events(demo.log_path))) >= 30, "30 executions")
    # Bracket the scrape with two reads of the log: each execution is logged before it
    # is counted, so the counter lies between the two counts.
    before = completed(read_events(demo.log_path))
    response = http.get(demo.metrics_url)
    after = completed(read_events(demo.log_path))

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families = _families(response.text)

    executions = families["workflow_executions"]
    assert executions.type == "counter"
    totals = {
        s.labels["status"]: s.value
        for s in executions.samples
        if s.name == "workflow_executions_total"
    }
    assert set(totals) <= {"success", "failure"} and "success" in totals
    assert all(s.labels["workflow_name"] == "support_ticket" for s in executions.samples)
    counted = sum(totals.values())
    workers = 8
    assert len(before) - workers <= counted <= len(after)

    duration = families["workflow_duration_seconds"]
    assert duration.type == "histogram"
    buckets = {
        s.labels["le"]: s.value
        for s in duration.samples
        if s.name == "workflow_duration_seconds_bucket"
    }
    bounds = sorted(float(le) for le in buckets)
    assert 60.0 in bounds, "the p95 threshold is a bucket bound"
    assert any(60.0 < b < math.inf for b in bounds), "buckets reach past 60 s"
    values = [buckets[le] for le in sorted(buckets, key=float)]
    assert values == sorted(values), "cumulative buckets never decrease"
    count = next(s.value for s in duration.samples if s.name.endswith("_count"))
    assert buckets["+Inf"] == count
    assert len(before) - workers <= count <= len(after)

    steps = families["step_duration_seconds"]
    assert steps.type == "histogram"
    pairs = {(s.labels["step_name"], s.labels["step_type"]) for s in steps.samples}
    assert pairs >= {
        ("fetch_ticket", "tool"),
        ("classify", "llm"),
        ("route_ticket", "branch"),
        ("auto_reply", "llm"),
    }
    assert pairs <= {
        ("fetch_ticket", "tool"),
        ("classify", "llm"),
        ("route_ticket", "branch"),
        ("auto_reply", "llm"),
        ("escalate", "tool"),
    }

    for gauge in ("active_workflows", "workflow_queue_depth"):
        assert families[gauge].type == "gauge"
        (sample,) = families[gauge].samples
        assert sample.labels == {} and sample.value >= 0


def test_metrics_speak_openmetrics_when_asked(start_demo, http) -> None:
    demo = start_demo()
    accept = "application/openmetrics-text; version=1.0.0; charset=utf-8"
    response = http.get(demo.metrics_url, headers={"Accept": accept})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    names = {f.name for f in openmetrics_families(response.text)}
    assert {"workflow_executions", "workflow_duration_seconds", "active_workflows"} <= names


def test_health_is_healthy_then_degraded_during_an_incident(start_demo, http) -> None:
    demo = start_demo()
    response = http.get(demo.health_url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["status"] == "healthy" and body["timestamp"].endswith("Z")

    switched = http.post(demo.incident_url, json={"incident": "error-spike"})
    assert switched.status_code == 200 and switched.json()["incident"] == "error-spike"
    assert http.get(demo.incident_url).json()["incident"] == "error-spike"
    degraded = http.get(demo.health_url)
    assert degraded.status_code == 200 and degraded.json()["status"] == "degraded"

    assert http.post(demo.incident_url, json={"incident": "none"}).status_code == 200
    assert http.get(demo.health_url).json()["status"] == "healthy"


def test_incident_given_at_start_shows_and_bad_requests_are_refused(start_demo, http) -> None:
    demo = start_demo(incident="backlog")
    assert http.get(demo.health_url).json()["status"] == "degraded"
    assert http.get(demo.incident_url).json()["incident"] == "backlog"
    bad = http.post(demo.incident_url, json={"incident": "meltdown"})
    assert bad.status_code == 400 and "error-spike" in bad.json()["error"]
    not_json = http.post(demo.incident_url, content=b"{nope")
    assert not_json.status_code == 400
    assert http.get(demo.incident_url).json()["incident"] == "backlog"
    assert http.get(f"{demo.base_url}/nowhere").status_code == 404


def test_service_stops_when_its_parent_goes_away(start_demo) -> None:
    demo = start_demo()
    # The parent's death closes the child's stdin; closing it here is the same signal.
    assert demo.process.stdin is not None
    demo.process.stdin.close()
    assert demo.process.wait(timeout=30) == 0
    with pytest.raises(httpx.ConnectError):
        httpx.get(demo.health_url, timeout=2, trust_env=False)


def test_health_answers_503_when_no_worker_makes_progress(start_demo, http) -> None:
    # One worker inside a 60-120 s ticket API call (speed 1), tickets piling up behind
    # it, and a one-second patience: the service must own up to being stuck.
    demo = start_demo(workers=1, speed=1, incident="slow-tool", stuck_after=1)
    answer = wait_for(
        lambda: (r := http.get(demo.health_url)).status_code == 503 and r, "a 503 from /health"
    )
    body = answer.json()
    assert body["status"] == "unhealthy" and "stuck" in body["detail"]
    assert body["timestamp"].endswith("Z")
