"""Pushing to, and reading silences from, Debian's real Alertmanager on loopback.

What Alertmanager holds is read through its own API; what it would page is what its
webhook receiver (a real local HTTP server) gets, firing and then resolved.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.alerts.alertmanager_server import Alertmanager, require_binary
from tests.alerts.test_notify import Receiver
from tests.forked import run_wftui
from tests.helpers import free_port, wait_for
from tests.sources.exporter import Exporter
from tests.test_watch import WatchProcess, append, executions, start_watches
from wftui.alerts import alertmanager as alertmanager_module
from wftui.alerts.alertmanager import (
    AlertmanagerSettings,
    AlertPusher,
    alertmanager_settings,
    iso,
    read_silences,
)
from wftui.alerts.desk import AlertDesk
from wftui.alerts.silences import SilenceStore
from wftui.config import ConfigError
from wftui.core.thresholds import (
    Threshold,
    ThresholdEngine,
    ThresholdState,
    Transition,
)

ACTION = "Page on-call, investigate root cause"


@pytest.fixture(scope="module")
def hook() -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def am(hook: Receiver) -> Iterator[Alertmanager]:
    require_binary()
    server = Alertmanager(hook.url).start()
    yield server
    server.close()


@pytest.fixture
def pusher_for() -> Iterator[Any]:
    """Make pushers (no thread: the test drives them); each is closed at teardown."""
    made: list[AlertPusher] = []

    def make(config: AlertmanagerSettings) -> AlertPusher:
        made.append(AlertPusher(config))
        return made[-1]

    yield make
    for pusher in made:
        pusher.close(0)


def settings(url: str, test: str, **more: Any) -> AlertmanagerSettings:
    # A label per test keeps the tests apart in the one shared Alertmanager.
    return AlertmanagerSettings(url=url, severity="page", labels={"test": test}, **more)


def firing(since: float, value: float = 0.2) -> ThresholdState:
    return ThresholdState("error_rate", value, 0.05, "firing", ACTION, since)


def ok() -> ThresholdState:
    return ThresholdState("error_rate", 0.01, 0.05, "ok", ACTION, time.time())


def ours(am: Alertmanager, test: str) -> list[dict[str, Any]]:
    return [a for a in am.alerts() if a["labels"].get("test") == test]


def hooked(hook: Receiver, test: str, status: str) -> list[dict[str, Any]]:
    return [alert for body in hook.bodies for alert in body.get("alerts", [])
            if alert["labels"].get("test") == test and alert["status"] == status]


def test_firing_is_pushed_with_labels_annotations_and_start(
        am: Alertmanager, hook: Receiver, pusher_for: Any) -> None:
    pusher = pusher_for(settings(am.url, "push", resend_s=30.0))
    started = time.time() - 42
    pusher.update([firing(started)], time.time())
    pusher.push()
    (alert,) = wait_for(lambda: ours(am, "push"), "the alert in Alertmanager")
    assert alert["labels"] == {"alertname": "wftui_error_rate", "figure": "error_rate",
                               "severity": "page", "test": "push"}
    assert alert["annotations"]["value"] == "0.2"
    assert alert["annotations"]["threshold"] == "0.05"
    assert alert["annotations"]["action"] == ACTION
    assert alert["annotations"]["summary"] == "error_rate 20.00% above 5.00%"
    assert alert["startsAt"] == iso(started)
    # while firing it is valid for 4 resend intervals: it resolves itself if we stop
    ends = time.mktime(time.strptime(alert["endsAt"][:19], "%Y-%m-%dT%H:%M:%S")) \
        - time.timezone
    assert 115 < ends - time.time() <= 121
    wait_for(lambda: hooked(hook, "push", "firing"), "the webhook told it fires")
    # cleared: sent once more with endsAt now; Alertmanager resolves it and says so
    pusher.update([ok()], time.time())
    pusher.push()
    wait_for(lambda: not ours(am, "push"), "the alert gone from the active ones")
    wait_for(lambda: hooked(hook, "push", "resolved"), "the webhook told it resolved")
    assert pusher.payload(time.time()) == []  # delivered: forgotten


def test_annotations_say_what_is_true_while_the_alert_fires(am: Alertmanager,
                                                             pusher_for: Any) -> None:
    """The page explains the breach at every push: a value still firing under `clear`
    (hysteresis) is not "above" the threshold, a spell of no data keeps the value that
    fired, and a p95 in the +Inf bucket is a lower bound, as watch says it."""
    engine = ThresholdEngine((Threshold("error_rate", 0.2, ACTION, clear=0.1),
                              Threshold("latency_p95_s", 60.0, "look at slow steps")))
    pusher = pusher_for(settings(am.url, "true"))
    now = time.time()

    def pushed(figures: dict[str, Any], at: float) -> None:
        states, _ = engine.update(figures, at)
        pusher.update(states, at)
        pusher.push(at)

    def annotations(figure: str, want: str) -> dict[str, str]:
        def got() -> dict[str, str] | None:
            found = {a["labels"]["figure"]: a["annotations"] for a in ours(am, "true")}
            return found.get(figure) if found.get(figure, {}).get("summary") == want \
                else None
        return wait_for(got, f"Alertmanager's {figure} to read {want!r}")

    pushed({"error_rate": 0.5, "latency_s": {"p95": 1.0, "at_least": {}}}, now)
    assert annotations("error_rate", "error_rate 50.00% above 20.00%")["value"] == "0.5"
    # 15%: under the threshold, above `clear`: still firing, but not "above 20%"
    pushed({"error_rate": 0.15, "latency_s": {"p95": 1.0, "at_least": {}}}, now + 1)
    assert annotations("error_rate", "error_rate 15.00%, fired above 20.00%; firing until "
                                     "at or below 10.00%")["value"] == "0.15"
    # The target goes down: no value, the alert keeps firing, and says what it last was.
    pushed({"error_rate": None, "latency_s": {"p95": None, "at_least": {}}}, now + 2)
    assert annotations("error_rate", "error_rate no data now (last 15.00%, fired above "
                                     "20.00%); firing until a value at or below 10.00%"
                       )["value"] == ""
    # p95 in the +Inf bucket of a histogram topped at 60 s: more than 60 s, not 60 s.
    pushed({"error_rate": 0.5, "latency_s": {"p95": 60.0, "at_least": {"p95": True}}},
           now + 3)
    latency = annotations("latency_p95_s", "latency_p95_s ≥ 1m00s above 1m00s")
    assert (latency["value"], latency["at_least"]) == ("60", "true")


def test_workflow_name_label_where_known(am: Alertmanager, pusher_for: Any) -> None:
    pusher = pusher_for(settings(am.url, "workflow"))
    pusher.update([firing(time.time())], time.time(), {"error_rate": "billing"})
    pusher.push()
    (alert,) = wait_for(lambda: ours(am, "workflow"), "the alert")
    assert alert["labels"]["workflow_name"] == "billing"


def test_silence_made_in_alertmanager_shows_here(am: Alertmanager, pusher_for: Any) -> None:
    silence_id = am.add_silence([{"name": "figure", "value": "error_rate", "isRegex": False,
                                  "isEqual": True},
                                 {"name": "test", "value": "sil.*", "isRegex": True,
                                  "isEqual": True}], 3600, by="ana", comment="deploy")
    pusher = pusher_for(settings(am.url, "silenced"))
    pusher.update([firing(time.time())], time.time())
    pusher.poll_silences()
    (silence,) = pusher.silences()
    assert (silence.id, silence.alert, silence.created_by, silence.comment) == (
        silence_id, "error_rate", "ana", "deploy")
    assert silence.ends_at == pytest.approx(time.time() + 3600, abs=30)
    assert "by ana (Alertmanager): deploy" in silence.describe()
    # a silence that does not match our labels is not ours
    other = pusher_for(settings(am.url, "other"))
    other.update([firing(time.time())], time.time())
    other.poll_silences()
    assert other.silences() == []
    # check's one look
    found, status = read_silences(settings(am.url, "silenced"), ["error_rate", "queue_depth"])
    assert [s.alert for s in found] == ["error_rate"] and status["status"] == "ok"


def test_an_alert_firing_at_the_first_judgement_honours_alertmanagers_silence(
        am: Alertmanager, tmp_path: Path) -> None:
    """wftui restarted during an incident someone silenced in Alertmanager: the alert
    fires at the very first judgement. Its labels were only learnt when it was first
    pushed, after the silences were matched, so it read as unsilenced and paged."""
    am.add_silence([{"name": "figure", "value": "error_rate", "isRegex": False,
                     "isEqual": True},
                    {"name": "test", "value": "restarted", "isRegex": False,
                     "isEqual": True}], 3600, by="ana", comment="known incident")
    desk = AlertDesk(SilenceStore(tmp_path / "s.json"), settings(am.url, "restarted"))
    pusher = desk.pusher
    assert pusher is not None
    try:
        pusher.poll_silences()  # the pusher's first round reads them at start
        state = firing(time.time() - 30)
        silencing = desk.judge([state])  # the first judgement
        assert list(silencing.silenced) == ["error_rate"]
        assert not desk.may_notify(Transition("error_rate", "ok", "firing", 0.2, 0.05,
                                              ACTION, time.time()))
    finally:
        desk.close(0)


def test_s_with_alertmanager_attached_creates_the_silence_there(am: Alertmanager,
                                                                tmp_path: Any) -> None:
    desk = AlertDesk(SilenceStore(tmp_path / "s.json"), settings(am.url, "desk"))
    try:
        silence_id = desk.silence("queue_depth", 1800, "scaling up", "bo")
        assert isinstance(silence_id, str)
        (made,) = [s for s in am.silences() if s["id"] == silence_id]
        assert made["createdBy"] == "bo" and made["comment"] == "scaling up"
        assert {(m["name"], m["value"]) for m in made["matchers"]} == {
            ("alertname", "wftui_queue_depth"), ("figure", "queue_depth")}
        assert SilenceStore(tmp_path / "s.json").silences() == []  # not kept locally
    finally:
        desk.close(0)


def test_a_local_silence_withdraws_the_alert_from_alertmanager(
        am: Alertmanager, hook: Receiver, tmp_path: Path) -> None:
    """Silenced on this machine (e.g. `wftui silence add`) while Alertmanager has it: it
    is not resent there (it would page again); it is ended now, once, and sent afresh
    when the silence is removed while it still fires."""
    store = SilenceStore(tmp_path / "s.json")
    desk = AlertDesk(store, settings(am.url, "withdrawn", resend_s=30.0))
    pusher = desk.pusher
    assert pusher is not None
    try:
        began = time.time() - 10
        desk.judge([firing(began)])
        pusher._round()  # noqa: SLF001 - one round of the thread's loop, here and now
        wait_for(lambda: ours(am, "withdrawn"), "the alert in Alertmanager")
        silence = store.add("error_rate", 600, "known incident", by="ana")
        desk.judge([firing(began)])
        assert [a["endsAt"] for a in pusher.payload(time.time())] != []  # the withdrawal
        pusher._round()  # noqa: SLF001
        wait_for(lambda: not ours(am, "withdrawn"), "the alert ended in Alertmanager")
        desk.judge([firing(began)])
        assert pusher.payload(time.time()) == []  # nothing more while silenced
        store.remove(silence.id)
        desk.judge([firing(began)])
        pusher._round()  # noqa: SLF001
        (alert,) = wait_for(lambda: ours(am, "withdrawn"), "the alert back after the silence")
        assert alert["startsAt"] == iso(began)
    finally:
        desk.close(0)


def test_down_then_back_nothing_lost(hook: Receiver, pusher_for: Any) -> None:
    require_binary()
    port = free_port()
    pusher = pusher_for(settings(f"http://127.0.0.1:{port}", "outage", resend_s=1.0))
    pusher.update([firing(time.time())], time.time())
    pusher._round()  # noqa: SLF001 - one round of the thread's loop, here and now
    assert pusher.status()["status"] == "down"
    assert "ConnectError" in (pusher.status()["error"] or "")
    server = Alertmanager(hook.url, port).start()
    try:
        pusher._round()  # noqa: SLF001
        assert pusher.status() == {"kind": "alertmanager", "name": server.url,
                                   "status": "ok", "error": None, "waiting": 0}
        wait_for(lambda: ours(server, "outage"), "the alert sent once it was back")
        # down again while it clears: the resolution waits, then is delivered
        server.stop()
        pusher.update([ok()], time.time())
        pusher._round()  # noqa: SLF001
        assert pusher.status()["status"] == "down"
        assert [a["labels"]["test"] for a in pusher.payload(time.time())] == ["outage"]
        server.start()
        pusher._round()  # noqa: SLF001
        assert pusher.status()["status"] == "ok"
        assert pusher.payload(time.time()) == []
    finally:
        server.close()


@pytest.mark.parametrize(("table", "flag", "message"), [
    ({"url": "ftp://x"}, None, "alertmanager.url: expected an http"),
    ({}, "nope", "--alertmanager: expected an http"),
    ({"url": "http://x", "severity": 3}, None, "alertmanager.severity"),
    ({"url": "http://x", "resend": "soon"}, None, "alertmanager.resend"),
    ({"url": "http://x", "colour": "red"}, None, "colour"),
])
def test_bad_settings_are_one_line(table: dict[str, Any], flag: str | None,
                                   message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        alertmanager_settings(table, flag)


def test_no_url_no_alertmanager() -> None:
    assert alertmanager_settings({}, None) is None
    made = alertmanager_settings({"url": "http://127.0.0.1:9093/", "resend": "2m"}, None)
    assert made is not None and (made.url, made.resend_s) == ("http://127.0.0.1:9093", 120)


# -- end to end: watch and check as real subprocesses -------------------------------------

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "logs" / "support_check.log"  # error rate 1/3


def config(tmp_path: Path, url: str, test: str) -> Path:
    path = tmp_path / f"{test}.toml"
    path.write_text(f'[alertmanager]\nurl = "{url}"\nseverity = "page"\nresend = "1s"\n'
                    f'labels = {{test = "{test}"}}\n')
    return path


@pytest.fixture
def watch(tmp_path: Path) -> Iterator[Callable[..., WatchProcess]]:
    yield from start_watches(tmp_path)


def test_watch_pushes_firing_then_resolved(am: Alertmanager, hook: Receiver, tmp_path: Path,
                                           watch: Callable[..., WatchProcess]) -> None:
    log = tmp_path / "app.log"
    log.touch()
    proc = watch(str(log), "--every", "0.2s", "--window", "all",
                 "--config", str(config(tmp_path, am.url, "watch")))
    append(log, executions("s", 10))
    append(log, executions("f", 5, ok=False))  # 5 / 15 failed: fires
    (alert,) = wait_for(lambda: ours(am, "watch"), "the alert in Alertmanager")
    assert alert["labels"]["figure"] == "error_rate"
    assert alert["labels"]["workflow_name"] == "ticket"  # every failure is a "ticket" one
    assert float(alert["annotations"]["value"]) == pytest.approx(5 / 15)
    snapshot = proc.wait_snapshot(lambda s: any(src["kind"] == "alertmanager"
                                                and src["status"] == "ok"
                                                for src in s["sources"]), "AM up")
    assert snapshot["sources"][-1]["name"] == am.url
    append(log, executions("r", 200))  # 5 / 215 < 5%: clears
    wait_for(lambda: not ours(am, "watch"), "the alert resolved in Alertmanager")
    wait_for(lambda: hooked(hook, "watch", "resolved"), "the webhook told it resolved")
    assert proc.finish(signal.SIGTERM) == 0


def test_watch_over_metrics_alone_labels_the_workflow(am: Alertmanager, tmp_path: Path,
                                                     watch: Callable[..., WatchProcess]
                                                     ) -> None:
    """No log, only a real exporter whose failures all carry workflow_name="support": the
    alert says which workflow, as the monitor's does and as with a log."""
    exporter = Exporter(precreate=True)
    try:
        proc = watch("--metrics", exporter.url, "--interval", "0.3s", "--every", "0.2s",
                     "--window", "1m", "--config",
                     str(config(tmp_path, am.url, "metrics-only")))
        proc.wait_snapshot(lambda s: s["sources"][0]["status"] == "ok"
                           and not s.get("since_start"), "two scrapes of the exporter")
        exporter.run(2, 3, [0.3] * 5)  # 3 of 5 failed: fires
        (alert,) = wait_for(lambda: ours(am, "metrics-only"), "the alert in Alertmanager")
        assert alert["labels"]["figure"] == "error_rate"
        assert alert["labels"].get("workflow_name") == "support"
    finally:
        exporter.stop()


def test_watch_with_alertmanager_down_says_so_and_judges(tmp_path: Path,
                                                         watch: Callable[..., WatchProcess]
                                                         ) -> None:
    log = tmp_path / "app.log"
    log.touch()
    url = f"http://127.0.0.1:{free_port()}"
    proc = watch(str(log), "--every", "0.2s", "--window", "all",
                 "--config", str(config(tmp_path, url, "down")))
    append(log, executions("f", 5, ok=False))
    snapshot = proc.wait_snapshot(
        lambda s: any(src["kind"] == "alertmanager" and src["status"] == "down"
                      for src in s["sources"])
        and any(t["state"] == "firing" for t in s["thresholds"]), "down, still firing")
    assert "Connect" in snapshot["sources"][-1]["error"]
    assert proc.finish(signal.SIGTERM) == 1
    assert b"Traceback" not in proc.stderr


def test_watch_with_alertmanager_down_says_where_alerts_are_shown_then_delivers(
        tmp_path: Path, hook: Receiver, watch: Callable[..., WatchProcess]) -> None:
    log = tmp_path / "app.log"
    log.touch()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = watch(str(log), "--every", "0.2s", "--window", "all",
                 "--config", str(config(tmp_path, url, "comes-back")))
    append(log, executions("f", 5, ok=False))  # 5 / 5 failed: firing
    # Nothing answers on the port: the firing alert waits, and the operator is told
    # with the alerts, not only on Alertmanager's source entry.
    snapshot = proc.wait_snapshot(
        lambda s: any(w.startswith(f"alertmanager {url}: pushes failing")
                      for w in s.get("warnings", [])), "the warning in a snapshot")
    (warning,) = [w for w in snapshot["warnings"] if w.startswith("alertmanager")]
    assert "ConnectError" in warning
    assert warning.endswith("; 1 alert waiting, kept and retried")
    assert snapshot["sources"][-1]["waiting"] == 1
    wait_for(lambda: b"pushes failing" in proc.stderr, "the line on stderr")
    server = Alertmanager(hook.url, port).start()
    try:
        # Retried (every 5 s while down) until it answers: the alert is not lost.
        (alert,) = wait_for(lambda: ours(server, "comes-back"), "the alert once it answers",
                            timeout=30)
        assert alert["labels"]["figure"] == "error_rate"
        proc.wait_snapshot(lambda s: not any(w.startswith("alertmanager")
                                             for w in s.get("warnings", [])),
                           "no warning once delivered")
        assert proc.finish(signal.SIGTERM) == 1
    finally:
        server.close()
    said = proc.stderr.decode().splitlines()
    # One line when pushes began failing, one when they work again; nothing lost at end.
    assert len(said) == 2, said
    assert said[0].startswith(f"wftui: watch: alertmanager {url}: pushes failing (")
    assert said[0].endswith("; 1 alert waiting, kept and retried")
    assert said[1] == "wftui: watch: alertmanager answers again: alerts delivered"


def run_check(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WFTUI_")}
    env["PYTHONPATH"] = str(REPO)
    return run_wftui(["check", str(FIXTURE), *args], cwd=REPO, env=env, timeout=120)


def test_check_honours_an_alertmanager_silence(am: Alertmanager, tmp_path: Path) -> None:
    path = config(tmp_path, am.url, "check")
    assert run_check("--config", str(path)).returncode == 1
    am.add_silence([{"name": "alertname", "value": "wftui_error_rate", "isRegex": False},
                    {"name": "test", "value": "check", "isRegex": False}], 600,
                   by="dee", comment="upstream outage")
    done = run_check("--config", str(path))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    entry = next(t for t in out["thresholds"] if t["name"] == "error_rate")
    assert entry["state"] == "firing"
    assert (entry["silenced"]["by"], entry["silenced"]["comment"],
            entry["silenced"]["origin"]) == ("dee", "upstream outage", "alertmanager")
    assert out["sources"][-1] == {"kind": "alertmanager", "name": am.url, "status": "ok",
                                  "error": None}
    text = run_check("--config", str(path), "--format", "text").stdout
    assert "FIRING · silenced until" in text and "by dee (Alertmanager): upstream outage" in text


def test_check_with_alertmanager_down(tmp_path: Path) -> None:
    done = run_check("--alertmanager", f"http://127.0.0.1:{free_port()}")
    assert done.returncode == 1  # judged locally all the same
    out = json.loads(done.stdout)
    assert out["sources"][-1]["status"] == "down"
    assert "Traceback" not in done.stderr
    # check pushes nothing (it only reads silences there) and keeps nothing after it
    # exits: its warning must not say alerts are waiting to be retried.
    (warning,) = [w for w in out["warnings"] if w.startswith("alertmanager ")]
    assert "pushes failing" not in warning and "retried" not in warning
    assert "silences could not be read" in warning


def test_silence_command_with_alertmanager(am: Alertmanager) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WFTUI_")}
    env["PYTHONPATH"] = str(REPO)

    def wftui(*args: str) -> subprocess.CompletedProcess[str]:
        return run_wftui(["silence", "--alertmanager", am.url, *args], cwd=REPO, env=env,
                         timeout=120)

    added = wftui("add", "active_workflows", "30m", "-m", "scaling", "--by", "eve")
    assert added.returncode == 0, added.stderr
    silence_id = added.stdout.split()[0]
    (made,) = [s for s in am.silences() if s["id"] == silence_id]
    assert (made["createdBy"], made["comment"]) == ("eve", "scaling")
    listed = wftui("list")
    assert silence_id in listed.stdout and "by eve (Alertmanager): scaling" in listed.stdout
    as_json = json.loads(wftui("list", "--format", "json").stdout)  # was the text form
    assert [(s["alert"], s["id"], s["by"], s["comment"], s["origin"]) for s in as_json
            if s["id"] == silence_id] == [
        ("active_workflows", silence_id, "eve", "scaling", "alertmanager")]
    # an id that is not one, or one Alertmanager does not know: said so, exit 1 (was
    # Alertmanager's raw 422 / 500 "silence not found", exit 2)
    for wrong in ("nonexistent", "00000000-0000-0000-0000-000000000000"):
        missing = wftui("remove", wrong)
        assert (missing.returncode, missing.stderr) == (
            1, f"wftui: no silence {wrong!r} in Alertmanager (see wftui silence "
               "--alertmanager URL list)\n")
    assert wftui("remove", silence_id).returncode == 0
    (gone,) = [s for s in am.silences() if s["id"] == silence_id]
    assert gone["status"]["state"] == "expired"
    down = run_wftui(["silence", "--alertmanager", f"http://127.0.0.1:{free_port()}", "list"],
                     cwd=REPO, env=env, timeout=120)
    assert down.returncode == 2 and down.stderr.startswith("wftui: Alertmanager at ")
    assert down.stderr.count("\n") == 1


def test_a_proxy_in_the_environment_is_not_used(am: Alertmanager, pusher_for: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # As every other wftui client: the operator named this Alertmanager; a proxy from
    # the environment (here one that refuses) must not stand between.
    proxy = f"http://127.0.0.1:{free_port()}"
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, proxy)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    found, status = read_silences(settings(am.url, "proxy"), ["error_rate"])
    assert status == {"kind": "alertmanager", "name": am.url, "status": "ok", "error": None}
    pusher = pusher_for(settings(am.url, "proxy"))
    pusher.update([firing(time.time())], time.time())
    pusher.push()
    assert [a["labels"]["figure"] for a in ours(am, "proxy")] == ["error_rate"]


def test_a_silence_made_in_alertmanager_is_seen_well_before_the_next_resend(
        am: Alertmanager, pusher_for: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # resend 60 s (the default): alerts are sent again that often, but a silence made
    # (or ended) in Alertmanager must not take a minute to count here, paging hooks
    # meanwhile: it is read every SILENCE_POLL_S (10 s; 1 s here, so the test does not
    # wait 10 s: what is checked is that the poll, not the resend, brings it).
    monkeypatch.setattr(alertmanager_module, "SILENCE_POLL_S", 1.0)
    pusher = pusher_for(settings(am.url, "late", resend_s=60.0))
    pusher.update([firing(time.time())], time.time())
    pusher.start()
    wait_for(lambda: pusher.last_ok is not None, "the first round")
    am.add_silence([{"name": "test", "value": "late", "isRegex": False, "isEqual": True}],
                   3600, by="ana", comment="late")
    made = time.monotonic()
    wait_for(lambda: pusher.silences(), "the silence to be seen", timeout=15)
    assert time.monotonic() - made < 15  # a resend would take 60 s
