"""AlertPusher's bookkeeping with a recording client: what reaches Alertmanager, and
when, without a server (tests/alerts/test_alertmanager.py uses the real one)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wftui.alerts.alertmanager import (
    AlertmanagerError,
    AlertmanagerSettings,
    AlertPusher,
    delivery_warning,
)
from wftui.core.thresholds import ThresholdState

ACTION = "Page on-call, investigate root cause"


class Recorder:
    """Stands in for AlertmanagerClient: keeps each POST; `during_post` runs inside one
    (as another thread would while the request is on the wire)."""

    def __init__(self) -> None:
        self.posts: list[list[dict[str, Any]]] = []
        self.during_post: Callable[[], None] | None = None
        self.down = False  # refuse every call, as an Alertmanager that is down

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        if self.down:
            raise AlertmanagerError("Alertmanager at http://127.0.0.1:9: ConnectError: "
                                    "refused")
        self.posts.append(alerts)
        job, self.during_post = self.during_post, None
        if job is not None:
            job()

    def silences(self) -> list[Any]:
        if self.down:
            raise AlertmanagerError("Alertmanager at http://127.0.0.1:9 answered 503: ")
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



def test_while_down_the_waiting_alerts_are_counted_and_the_latest_state_is_sent() -> None:
    push, client = pusher()
    client.down = True
    push.update([state("error_rate", 0.2, "firing"), state("queue_depth", 5, "ok")], 100.0)
    push._round()  # noqa: SLF001 - one round of the thread's loop, here and now
    status = push.status()
    # By hand: one alert fired and reached no one; queue_depth never fired.
    assert (status["status"], status["waiting"]) == ("down", 1)
    assert delivery_warning(status) == (
        "alertmanager http://127.0.0.1:9: pushes failing (Alertmanager at "
        "http://127.0.0.1:9: ConnectError: refused); 1 alert waiting, kept and retried")
    # It clears while down, queue_depth fires: the latest state of each waits.
    push.update([state("error_rate", 0.01, "ok"), state("queue_depth", 20000, "firing")],
                200.0)
    push._round()  # noqa: SLF001
    assert push.status()["waiting"] == 2
    client.down = False
    push._round()  # noqa: SLF001
    assert push.status() == {"kind": "alertmanager", "name": "http://127.0.0.1:9",
                             "status": "ok", "error": None, "waiting": 0}
    assert delivery_warning(push.status()) is None
    (post,) = client.posts
    # error_rate: its end, at 200 s; queue_depth: firing (endsAt 4 resends ahead).
    assert resolved(post, "error_rate", "1970-01-01T00:03:20.000Z")
    (queue,) = [a for a in post if a["labels"]["figure"] == "queue_depth"]
    assert queue["annotations"]["value"] == "20000"


def test_an_end_not_delivered_is_still_sent_when_the_alert_fires_again() -> None:
    """Alertmanager is down while the alert clears and fires anew: when it answers, it
    must hear the first incident's end before the second's start. Sent the second alone
    (startsAt 300, within the first's endsAt), Alertmanager merges the two into one
    incident that began at 100 and never cleared."""
    push, client = pusher()
    push.update([state("error_rate", 0.2, "firing", since=100.0)], 100.0)
    push.push(100.0)
    client.down = True
    push.update([state("error_rate", 0.01, "ok", since=200.0)], 200.0)
    push._round()  # noqa: SLF001 - one round of the thread's loop, here and now
    push.update([state("error_rate", 0.3, "firing", since=300.0)], 300.0)
    push._round()  # noqa: SLF001
    assert push.status()["waiting"] == 2  # the end and the new firing
    client.down = False
    push.push(310.0)
    post = client.posts[-1]
    # By hand: the end at 200 s (00:03:20), then the new incident from 300 s (00:05:00),
    # valid 4 resend intervals of 60 s past this push at 310 s (00:09:10).
    assert [(a["startsAt"], a["endsAt"]) for a in post] == [
        ("1970-01-01T00:01:40.000Z", "1970-01-01T00:03:20.000Z"),
        ("1970-01-01T00:05:00.000Z", "1970-01-01T00:09:10.000Z")]
    assert push.status()["waiting"] == 0
    push.push(370.0)  # a resend: the end was delivered, only the firing goes
    assert [a["startsAt"] for a in client.posts[-1]] == ["1970-01-01T00:05:00.000Z"]


def test_an_alert_flapping_while_alertmanager_is_down_keeps_two_ends_to_send() -> None:
    """Down for a long while, an alert clearing and firing again and again: the end of
    the incident Alertmanager holds matters, and the latest end (its firing may have
    been on the wire); the firings between never reached it. One end was kept per flap,
    without bound: every push carried them all, and the source line said '51 alerts
    waiting' for one alert."""
    push, client = pusher()
    push.update([state("error_rate", 0.2, "firing", since=100.0)], 100.0)
    push.push(100.0)
    client.down = True
    for i in range(50):
        t = 200.0 + 20 * i
        push.update([state("error_rate", 0.01, "ok", since=t)], t)
        push.update([state("error_rate", 0.3, "firing", since=t + 10)], t + 10)
        push._round()  # noqa: SLF001 - one round of the thread's loop, here and now
    assert push.status()["waiting"] == 3  # two ends and the firing
    client.down = False
    push.push(1200.0)
    # By hand: the end at 200 s (00:03:20) of the incident from 100 s (00:01:40); the
    # latest end: the 50th refiring, from 200 + 20 * 48 + 10 = 1170 s (00:19:30) to
    # 1180 s (00:19:40); the last firing from 1190 s (00:19:50), valid 4 x 60 s past
    # this push at 1200 s: 1440 s (00:24:00).
    assert [(a["startsAt"], a["endsAt"]) for a in client.posts[-1]] == [
        ("1970-01-01T00:01:40.000Z", "1970-01-01T00:03:20.000Z"),
        ("1970-01-01T00:19:30.000Z", "1970-01-01T00:19:40.000Z"),
        ("1970-01-01T00:19:50.000Z", "1970-01-01T00:24:00.000Z")]
    assert push.status()["waiting"] == 0
