"""AlertPusher's bookkeeping with a recording client: what reaches Alertmanager, and
when, without a server (tests/alerts/test_alertmanager.py uses the real one)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wftui.alerts.alertmanager import AlertmanagerSettings, AlertPusher
from wftui.core.thresholds import ThresholdState

ACTION = "Page on-call, investigate root cause"


class Recorder:
    """Stands in for AlertmanagerClient: keeps each POST; `during_post` runs inside one
    (as another thread would while the request is on the wire)."""

    def __init__(self) -> None:
        self.posts: list[list[dict[str, Any]]] = []
        self.during_post: Callable[[], None] | None = None

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        self.posts.append(alerts)
        job, self.during_post = self.during_post, None
        if job is not None:
            job()

    def silences(self) -> list[Any]:
        return []

    def close(self) -> None:
        pass


def pusher() -> tuple[AlertPusher, Recorder]:
    client = Recorder()
    settings = AlertmanagerSettings(url="http://127.0.0.1:9")
    return AlertPusher(settings, client=client), client  # type: ignore[arg-type]


def state(name: str, value: float, state: str, since: float = 100.0) -> ThresholdState:
    return ThresholdState(name, value, 0.05, state, ACTION, since)


def resolved(post: list[dict[str, Any]], name: str, at: str) -> bool:
    return any(a["labels"]["figure"] == name and a["endsAt"] == at for a in post)


def test_a_threshold_no_longer_judged_is_resolved_in_alertmanager() -> None:
    """A firing threshold disabled by a reloaded config gets no state any more: its
    alert must be resolved, not resent as firing for as long as wftui runs."""
    push, client = pusher()
    push.update([state("error_rate", 0.2, "firing"), state("queue_depth", 1, "ok")], 100.0)
    push.push(100.0)
    push.update([state("queue_depth", 1, "ok")], 200.0)  # error_rate disabled
    push.push(200.0)
    assert resolved(client.posts[-1], "error_rate", "1970-01-01T00:03:20.000Z")
    push.push(300.0)
    assert len(client.posts) == 2  # nothing more to send: it is forgotten


def test_a_resolution_seen_while_a_push_is_on_the_wire_is_still_sent() -> None:
    """The alert clears while the POST of its firing state is in flight: the resolution
    is not in that POST, so it must be in the next one, not dropped (Alertmanager would
    page it as firing until its endsAt, four resend intervals later)."""
    push, client = pusher()
    push.update([state("error_rate", 0.2, "firing")], 100.0)
    client.during_post = lambda: push.update([state("error_rate", 0.01, "ok")], 101.0)
    push.push(100.5)
    assert not resolved(client.posts[0], "error_rate", "1970-01-01T00:01:41.000Z")
    push.push(102.0)
    assert len(client.posts) == 2
    assert resolved(client.posts[1], "error_rate", "1970-01-01T00:01:41.000Z")

