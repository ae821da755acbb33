"""A minimal host app for driving one screen with Pilot, and replay test data."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from textual.app import App
from textual.screen import Screen
from textual.widgets import Static

from wftui.config import Settings
from wftui.core.ledger import Ledger
from wftui.core.steps import ExecutionDetail, build_detail

T0 = 1767268800.0
WAIT_S = 45.0


class Host(App[None]):
    """Pushes one screen at start and keeps what it dismissed with."""

    def __init__(self, make: Callable[[], Screen[Any]]) -> None:
        super().__init__()
        self.make = make
        self.results: list[Any] = []

    def on_mount(self) -> None:
        self.push_screen(self.make(), self.results.append)


async def wait_for(pilot: Any, condition: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + WAIT_S
    while not (value := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await pilot.pause(0.05)
    return value


def shown(screen: Screen[Any], selector: str) -> str:
    content = screen.query_one(selector, Static).content
    return content.plain if hasattr(content, "plain") else str(content)


def line(kind: str, eid: str, t: float, **fields: Any) -> bytes:
    return orjson.dumps({"event": kind, "execution_id": eid, "timestamp": T0 + t, **fields})


def detail_of(lines: list[bytes], eid: str) -> ExecutionDetail:
    ledger = Ledger()
    ledger.ingest_lines("app.log", 1, lines)
    execution = next(e for e in ledger.summaries() if e.execution_id == eid)
    return build_detail(execution, T0 + 60, 30.0)


def original(eid: str = "EXEC-1", workflow: str = "support_ticket",
             context: dict[str, Any] | None = None) -> list[bytes]:
    """fetch_ticket ok (0.5 s), classify fails (RateLimitError)."""
    return [
        line("workflow_start", eid, 0, workflow_name=workflow,
             context=context or {"ticket_id": "TKT-1"}),
        line("step_start", eid, 0, step_name="fetch_ticket", step_type="tool"),
        line("step_complete", eid, 0.5, step_name="fetch_ticket", duration_ms=500, success=True),
        line("step_start", eid, 0.5, step_name="classify", step_type="llm"),
        line("error", eid, 1.5, step_name="classify", error="RateLimitError: 429"),
        line("step_complete", eid, 1.5, step_name="classify", duration_ms=1000, success=False,
             error="RateLimitError: 429"),
        line("workflow_complete", eid, 1.5, status="failure", duration_ms=1500),
    ]


def hook_settings(tmp_path: Path, code: str, timeout: str = "20s") -> Settings:
    script = tmp_path / "hook.py"
    script.write_text(code, encoding="utf-8")
    command = [sys.executable, str(script), "{execution_id}", "{context_file}"]
    return Settings(sections={"replay": {"command": command, "timeout": timeout}})
