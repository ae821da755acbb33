"""Helpers for the demo service tests: a real service in a child process per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from demo.process import DemoProcess, start_demo_process

REPO_ROOT = Path(__file__).resolve().parents[2]
# Generous: the suite must hold on a loaded two-core machine.
WAIT_S = 45.0


@pytest.fixture
def start_demo(tmp_path: Path) -> Iterator[Callable[..., DemoProcess]]:
    """Start demo services (fast: speed 20); every one is stopped at teardown."""
    started: list[DemoProcess] = []

    def start(log: Path | None = None, **opts: Any) -> DemoProcess:
        opts = {"speed": 20, "rate": 40, "workers": 8, "seed": 7, **opts}
        log = log or tmp_path / f"demo-{len(started)}.log"
        demo = start_demo_process(log, **opts)
        started.append(demo)
        return demo

    yield start
    for demo in started:
        demo.stop()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    """An HTTP client that ignores proxy settings (the service is on 127.0.0.1)."""
    with httpx.Client(timeout=10, trust_env=False, follow_redirects=False) as client:
        yield client


def read_events(path: Path) -> list[dict[str, Any]]:
    """Every complete line of the log, parsed with orjson (a half-written tail is left)."""
    data = path.read_bytes()
    complete = data[: data.rfind(b"\n") + 1]
    return [orjson.loads(line) for line in complete.splitlines()]


def by_execution(events: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Events grouped by execution_id, in log order (queue_depth left out)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        if event.get("event") != "queue_depth":
            groups.setdefault(event["execution_id"], []).append(event)
    return groups


def completed(events: list[dict[str, Any]]) -> dict[str, str]:
    """execution_id -> status of every execution with a workflow_complete."""
    return {e["execution_id"]: e["status"] for e in events if e["event"] == "workflow_complete"}
