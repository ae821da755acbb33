"""Incidents switched on live change what the service does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import wait_for

from .conftest import by_execution


def _finished_after(path: Path, offset: int) -> dict[str, str]:
    """Status of executions that started past byte `offset` of the log and have ended."""
    data = path.read_bytes()
    started = {e["execution_id"] for e in _parse(data[offset:]) if e["event"] == "workflow_start"}
    return {
        e["execution_id"]: e["status"]
        for e in _parse(data)
        if e["event"] == "workflow_complete" and e["execution_id"] in started
    }


def _parse(data: bytes) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in data[: data.rfind(b"\n") + 1].splitlines()]


def _failure_fraction(statuses: dict[str, str], first: int) -> float:
    chosen = sorted(statuses)[:first]
    return sum(statuses[i] == "failure" for i in chosen) / len(chosen)


def test_error_spike_raises_the_failure_fraction(start_demo, http) -> None:
    demo = start_demo(rate=60)
    n = 200
    # Baseline failure rate is about 3%, the spike's about 30%: with 200 executions
    # each, the 12% / 15% cut-offs sit more than four standard deviations from both.
    baseline = wait_for(
        lambda: len(f := _finished_after(demo.log_path, 0)) >= n and f,
        f"{n} executions before the switch",
    )
    assert http.post(demo.incident_url, json={"incident": "error-spike"}).status_code == 200
    offset = demo.log_path.stat().st_size
    spike = wait_for(
        lambda: len(f := _finished_after(demo.log_path, offset)) >= n and f,
        f"{n} executions after the switch",
    )
    before, during = _failure_fraction(baseline, n), _failure_fraction(spike, n)
    assert before < 0.12, before
    assert during > 0.15, during
    # A failed LLM call names its model, as a successful one does (explain groups
    # failures by model): about a third of the spike's ~60 failures are LLM ones.
    failed_llm = [e for e in _parse(demo.log_path.read_bytes())
                  if e["event"] == "step_complete" and not e["success"]
                  and str(e.get("error", "")).startswith("LLMProviderError")]
    assert failed_llm, "no failed LLM step in the spike"
    assert {e.get("model") for e in failed_llm} <= {"gpt-4o", "gpt-4o-mini"}
    assert all(e["error"].startswith(f"LLMProviderError: {e['model']}:") for e in failed_llm)


def test_slow_tool_makes_fetch_ticket_slow(start_demo, http) -> None:
    speed = 40
    demo = start_demo(speed=speed)
    assert http.post(demo.incident_url, json={"incident": "slow-tool"}).status_code == 200
    offset = demo.log_path.stat().st_size

    def slow_fetches() -> list[float]:
        data = demo.log_path.read_bytes()[offset:]
        runs = by_execution(_parse(data))
        return [
            e["duration_ms"]
            for run in runs.values()
            if run[0]["event"] == "workflow_start"
            for e in run
            if e["event"] == "step_complete" and e["step_name"] == "fetch_ticket" and e["success"]
        ]

    durations = wait_for(lambda: len(d := slow_fetches()) >= 3 and d, "three slow fetches")
    # 60-120 s of simulated ticket API time, divided by the speed factor.
    assert min(durations) >= 60_000 / speed * 0.95, durations
    assert http.get(demo.health_url).json()["status"] == "degraded"


def _gauge(http: Any, url: str, name: str) -> float:
    text = http.get(url).text
    family = next(f for f in text_string_to_metric_families(text) if f.name == name)
    return family.samples[0].value


def test_backlog_makes_queue_depth_and_active_workflows_climb(start_demo, http) -> None:
    workers = 4
    demo = start_demo(workers=workers, rate=20)
    assert http.post(demo.incident_url, json={"incident": "backlog"}).status_code == 200
    offset = demo.log_path.stat().st_size

    def deep_queue() -> int:
        depths = [
            e["value"]
            for e in _parse(demo.log_path.read_bytes()[offset:])
            if e["event"] == "queue_depth"
        ]
        return max(depths, default=0) >= 200

    wait_for(deep_queue, "a logged queue depth of 200 or more")
    assert _gauge(http, demo.metrics_url, "workflow_queue_depth") >= 200
    # Every worker busy: the gauge is read from another thread, so poll for it.
    wait_for(
        lambda: _gauge(http, demo.metrics_url, "active_workflows") == workers, "all workers busy"
    )
    assert http.post(demo.incident_url, json={"incident": "none"}).status_code == 200
