"""Fixtures for the UI tests: JSON-lines logs on disk, a real LiveMonitor, a frozen clock."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from wftui.config import Settings
from wftui.live import LiveMonitor
from wftui.ui.app import WftuiApp, make_app

# 2026-01-01T12:00:00Z: every fixture event is stamped near here, and the app's clock
# is frozen at NOW, so figures, statuses and screenshots never depend on wall time.
T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC).timestamp()
NOW = T0 + 120.0
WAIT_S = 30.0  # generous: a loaded two-core machine


def stamp(at: float) -> str:
    """ISO 8601 with microseconds, UTC (no zone: docs/log-format.md says that means UTC)."""
    return datetime.fromtimestamp(at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def execution(eid: str, start: float, *, failed: bool = False, workflow: str = "support",
              steps: Iterable[tuple[str, str, float]] = (("fetch_ticket", "tool", 0.2),
                                                          ("classify", "llm", 0.5)),
              error: str = "TimeoutError: ticket API did not answer",
              complete: bool = True, context: dict[str, Any] | None = None,
              replay_of: str | None = None) -> list[dict[str, Any]]:
    """The events of one execution: workflow_start, steps back to back, completion.

    A failed execution fails in its last step with an error event and a traceback.
    """
    events: list[dict[str, Any]] = [{
        "event": "workflow_start", "execution_id": eid, "workflow_name": workflow,
        "timestamp": stamp(start), "context": context or {"ticket_id": "T-1"},
        **({"replay_of": replay_of} if replay_of else {}),
    }]
    at = start
    steps = list(steps)
    for index, (name, kind, duration) in enumerate(steps):
        events.append({"event": "step_start", "execution_id": eid, "step_name": name,
                       "step_type": kind, "context_keys": ["ticket_id"],
                       "timestamp": stamp(at)})
        last = index == len(steps) - 1
        if kind == "tool":
            events.append({"event": "tool_call", "execution_id": eid, "tool_name": name,
                           "arguments": {"ticket_id": "T-1"}, "duration_ms": duration * 900,
                           "timestamp": stamp(at + duration / 2)})
        if kind == "branch":
            events.append({"event": "branch_decision", "execution_id": eid,
                           "branch_name": name, "path_taken": "escalate",
                           "timestamp": stamp(at + duration / 2)})
        at += duration
        if failed and last:
            events.append({"event": "error", "execution_id": eid, "step_name": name,
                           "error": error, "timestamp": stamp(at),
                           "traceback": "Traceback (most recent call last):\n"
                                        '  File "flow.py", line 7, in run\n' + error})
        events.append({"event": "step_complete", "execution_id": eid, "step_name": name,
                       "duration_ms": duration * 1000, "success": not (failed and last),
                       "timestamp": stamp(at)})
    if complete:
        events.append({"event": "workflow_complete", "execution_id": eid,
                       "status": "failure" if failed else "success",
                       "duration_ms": (at - start) * 1000, "timestamp": stamp(at)})
    return events


def append(path: Path, events: Iterable[dict[str, Any] | bytes]) -> None:
    """Append events (dicts as JSON, bytes as they are) as lines."""
    with path.open("ab") as handle:
        for event in events:
            handle.write((event if isinstance(event, bytes) else orjson.dumps(event)) + b"\n")


def record_notes(app: WftuiApp) -> list[str]:
    """Every notification the app shows from now on (its message), in order: the app's
    public `notify`, through which screens and widgets notify too, is wrapped."""
    notes: list[str] = []
    shown = app.notify

    def notify(message: str, *args: Any, **kwargs: Any) -> None:
        notes.append(message)
        shown(message, *args, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    return notes


@dataclass
class Harness:
    """A real LiveMonitor on real files, and the app built by `make_app`."""

    app: WftuiApp
    monitor: LiveMonitor
    log: Path
    notes: list[str]  # the notifications shown so far


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Callable[..., Harness]]:
    """Build an app on a log file (written first) with the clock frozen at NOW."""
    monitors: list[LiveMonitor] = []

    def build(events: Iterable[dict[str, Any] | bytes] = (), *, settings: Settings | None
              = None, name: str = "app.log", clock: Callable[[], float] | None = None,
              relative: bool = False, preload: bool = False, **kwargs: Any) -> Harness:
        log = tmp_path / name
        events = list(events)
        append(log, events)
        settings = settings or Settings()
        # relative=True: the file is named as an operator in its directory would (the
        # test must chdir there), so screenshots do not depend on the temp path.
        monitor = LiveMonitor(settings, [name if relative else str(log)])
        monitors.append(monitor)
        if preload:
            # Read the whole file before the app exists: its first snapshot (and so the
            # thresholds' first transition) then sees everything, as screenshots need.
            monitor.start()
            deadline = time.monotonic() + WAIT_S
            while (monitor.ledger.events_total + monitor.ledger.malformed_total < len(events)
                   or not monitor.judged):
                if time.monotonic() > deadline:
                    pytest.fail("the monitor did not read the fixture log")
                time.sleep(0.02)
            kwargs["start_monitor"] = False
        kwargs.setdefault("export_dir", tmp_path)
        app = make_app(settings, monitor, clock=clock or (lambda: NOW), **kwargs)
        return Harness(app, monitor, log, record_notes(app))

    yield build
    for monitor in monitors:
        monitor.stop()


async def wait_for(pilot: Any, condition: Callable[[], Any], what: str,
                   limit_s: float = WAIT_S) -> Any:
    """Let the app run until `condition()` is truthy; fail after `limit_s` seconds."""
    deadline = time.monotonic() + limit_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {limit_s:.0f} s waiting for {what}")
        await pilot.pause(0.05)


async def settled(pilot: Any, app: WftuiApp, events: int) -> None:
    """Wait until the monitor has read `events` events and the screen shows a refresh
    taken after that."""
    await wait_for(pilot, lambda: app.monitor.ledger.events_total >= events
                   and app.monitor.judged, f"{events} events read")
    version = app.monitor.version
    await wait_for(pilot, lambda: app.latest is not None and app.latest.version >= version
                   and app.shown is app.latest, "a refresh after reading")
    await pilot.pause()
    await asyncio.sleep(0)


async def back_to_alerts(pilot: Any, app: WftuiApp, count: int) -> list[float]:
    """Press `t` `count` times: back to the moments the newest alerts fired, one by
    one (each waited for: the panels at that moment); those moments."""
    moments: list[float] = []
    for _ in range(count):
        await pilot.press("t")
        await wait_for(pilot, lambda: app.travel_at not in (None, *moments)
                       and app.latest.snapshot.at == app.travel_at, "the moment it fired")
        moments.append(app.travel_at)
    return moments
