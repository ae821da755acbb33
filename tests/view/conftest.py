"""Plain data for the view tests: a ledger fed JSON lines, no app, no threads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from wftui.core.ledger import Ledger
from wftui.core.snapshot import Snapshot, take_snapshot
from wftui.core.thresholds import ThresholdEngine

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC).timestamp()


def run(eid: str, start: float, seconds: float, *, failed: bool = False,
        workflow: str = "support", step: str = "classify") -> list[dict[str, Any]]:
    """One execution with one step, `seconds` long."""
    end = start + seconds
    return [
        {"event": "workflow_start", "execution_id": eid, "workflow_name": workflow,
         "timestamp": start},
        {"event": "step_start", "execution_id": eid, "step_name": step, "timestamp": start},
        {"event": "step_complete", "execution_id": eid, "step_name": step,
         "success": not failed, "duration_ms": seconds * 1000, "timestamp": end},
        {"event": "workflow_complete", "execution_id": eid,
         "status": "failure" if failed else "success", "duration_ms": seconds * 1000,
         "timestamp": end},
    ]


def ledger_of(events: list[dict[str, Any] | bytes]) -> Ledger:
    ledger = Ledger(retention=1000, idle_timeout=30.0)
    lines = [e if isinstance(e, bytes) else orjson.dumps(e) for e in events]
    ledger.ingest_lines("app.log", 1, lines, T0 + 100)
    return ledger


def snapshot_of(events: list[dict[str, Any] | bytes], now: float = T0 + 100) -> Snapshot:
    return take_snapshot(ledger_of(events), ThresholdEngine(), window_s=300.0, now=now,
                         sources=[])
