"""Notification hooks: settings, argv building, repeat suppression, and real deliveries.

Deliveries go to a real HTTP server on 127.0.0.1 and to real child processes (small
Python scripts written per test); nothing is mocked.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import wait_for
from wftui.alerts.notify import (
    Notifier,
    NotifySettings,
    command_argv,
    notify_settings,
    parse_command,
    transition_record,
)
from wftui.config import ConfigError
from wftui.core.thresholds import Transition

WAIT_S = 30.0  # generous: the suite must hold on a loaded two-core machine
PY = sys.executable


class Receiver:
    """A real HTTP server on a free 127.0.0.1 port: records POSTs, answers as scripted.

    `answers` are the status codes of the first requests (then 200); 302 answers carry a
    Location to /elsewhere. With `hang`, requests are held until `release()`.
    """

    def __init__(self, answers: list[int] | None = None, *, hang: bool = False) -> None:
        self.answers = list(answers or [])
        self.hang = hang
        self.released = threading.Event()
        self.bodies: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str, int]] = []  # (method, path, status answered)
        self.arrived = 0  # requests received, answered or not
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with lock:
                    receiver.arrived += 1
                    status = receiver.answers.pop(0) if receiver.answers else 200
                if receiver.hang:
                    receiver.released.wait(WAIT_S)
                    return
                with lock:
                    receiver.requests.append(("POST", self.path, status))
                    if status == 200:
                        receiver.bodies.append(json.loads(body))
                self.send_response(status)
                if status in (301, 302, 307, 308):
                    self.send_header("Location", "/elsewhere")
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


def record(alert: str, before: str, after: str, value: float | None = 0.2) -> dict[str, Any]:
    """A transition record as watch builds it."""
    return transition_record(Transition(alert, before, after, value, 0.05,
                                        "Page on-call, investigate root cause",
                                        1_780_000_000.5))


@pytest.fixture
def notifier_factory() -> Iterator[Callable[..., tuple[Notifier, list[str]]]]:
    """Start notifiers that report into a list; each is closed at teardown."""
    started: list[Notifier] = []

    def make(**settings: Any) -> tuple[Notifier, list[str]]:
        said: list[str] = []
        notifier = Notifier(NotifySettings(**settings), report=said.append)
        notifier.start()
        started.append(notifier)
        return notifier, said

    yield make
    for notifier in started:
        notifier.close(grace=0.0)


def argv_logger(tmp_path: Path, *, exit_code: int = 0, hang: bool = False) -> Path:
    """A script that appends its argv (one JSON list a line) to calls.jsonl, then exits
    with `exit_code` (after a line on stderr), or first starts a sleeping grandchild and
    sleeps itself (`hang`)."""
    script = tmp_path / "hook.py"
    calls = tmp_path / "calls.jsonl"
    script.write_text(f"""
import json, subprocess, sys, time
with open({str(calls)!r}, "a") as out:
    out.write(json.dumps(sys.argv[1:]) + "\\n")
if {hang!r}:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with open({str(tmp_path / "grandchildren.txt")!r}, "a") as out:
        out.write(f"{{child.pid}}\\n")
    time.sleep(600)
if {exit_code!r}:
    print("receiver said no", file=sys.stderr)
sys.exit({exit_code!r})
""")
    return script


def first_grandchild(tmp_path: Path) -> int:
    """The pid of the grandchild the first hanging command started."""
    path = tmp_path / "grandchildren.txt"
    return int(wait_for(lambda: path.exists() and path.read_text().split(), "a grandchild")[0])


def calls_of(tmp_path: Path) -> list[list[str]]:
    path = tmp_path / "calls.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


# -- settings -------------------------------------------------------------------------


def test_settings_from_config_table_and_flags_override_it() -> None:
    table = {"command": f"{PY} -c pass {{alert}}", "url": "http://127.0.0.1:9/a",
             "timeout": "3s"}
    from_file = notify_settings(table)
    assert from_file.command == (PY, "-c", "pass", "{alert}")
    assert from_file.url == "http://127.0.0.1:9/a"
    assert from_file.timeout_s == 3.0
    flags = notify_settings(table, url="https://example.invalid/b", timeout="250ms")
    assert flags.url == "https://example.invalid/b"
    assert flags.timeout_s == 0.25
    assert flags.command == from_file.command
    assert not notify_settings({}).enabled
    # A TOML list is taken as argv as it is (no splitting).
    listed = notify_settings({"command": [PY, "a b", "{state}"]})
    assert listed.command == (PY, "a b", "{state}")


@pytest.mark.parametrize(("table", "flags", "message"), [
    ({"comand": "x"}, {}, "config: notify.comand: unknown key"),
    ({}, {"command": "'unclosed"}, "--notify-cmd: cannot split"),
    ({}, {"command": ""}, "--notify-cmd: the command is empty"),
    ({}, {"command": f"{PY} {{alret}}"}, "unknown placeholder '{alret}'"),
    ({}, {"command": f"{PY} --alert={{alert}}"}, "must be a whole argument"),
    ({}, {"command": "{alert} x"}, "the program itself cannot be a placeholder"),
    ({}, {"command": "no-such-program-wftui {alert}"}, "program not found"),
    ({"command": 42}, {}, "config: notify.command: expected a command (text)"),
    ({}, {"url": "ftp://127.0.0.1/x"}, "--notify-url: expected an http:// or https://"),
    ({"url": "file:///etc/passwd"}, {}, "config: notify.url: expected an http://"),
    ({}, {"url": "http://"}, "--notify-url: expected an http:// or https:// URL, got 'http://'"),
    ({}, {"url": "http://[::1/x"}, "--notify-url: not a URL"),
    ({}, {"url": "http://127.0.0.1:99999/hook"}, "--notify-url: port 99999 is not in 1-65535"),
    ({"url": "http://127.0.0.1:0/hook"}, {}, "config: notify.url: port 0 is not in 1-65535"),
    ({"timeout": "soon"}, {}, "config: notify.timeout: expected a duration"),
    ({}, {"timeout": "0s"}, "--notify-timeout: must be a positive duration"),
])
def test_bad_settings_are_one_clear_message(table: dict[str, Any], flags: dict[str, str],
                                            message: str) -> None:
    with pytest.raises(ConfigError, match=None) as caught:
        notify_settings(table, **flags)
    assert message in str(caught.value)


def test_placeholders_are_replaced_only_as_whole_arguments() -> None:
    template = parse_command(f"{PY} notify.py {{alert}} {{state}} {{value}} {{from}} "
                             "--literal '{action}' {at} {threshold} '{\"json\": 1}' {}",
                             "test")
    got = command_argv(template, record("error_rate", "pending", "firing", 0.0625))
    assert got == [PY, "notify.py", "error_rate", "firing", "0.0625", "pending",
                   "--literal", "Page on-call, investigate root cause",
                   "2026-05-28T20:26:40.500Z", "0.05", '{"json": 1}', "{}"]
    # Checked templates never hold a placeholder inside an argument, but if one did it
    # would stay as it is: text is never spliced into an argument.
    assert command_argv((PY, "x{alert}", "{alert}y"), record("a", "ok", "firing")) == [
        PY, "x{alert}", "{alert}y"]


def test_hostile_values_stay_single_arguments() -> None:
    """Alert names come from config, but even shell syntax in them is just text."""
    template = parse_command(f"{PY} -c pass {{alert}} {{action}}", "test")
    hostile = dict(record("x", "ok", "firing"), alert="a; rm -rf / $(id) `id`",
                   action="-rf\nnext line")
    assert command_argv(template, hostile)[3:] == ["a; rm -rf / $(id) `id`", "-rf\nnext line"]


def test_value_without_data_reads_null() -> None:
    template = parse_command(f"{PY} {{value}}", "test")
    assert command_argv(template, record("queue_depth", "firing", "no_data", None)) == [
        PY, "null"]


# -- suppression ------------------------------------------------------------------------


def test_only_firing_and_back_to_ok_are_news_and_repeats_are_suppressed(
        notifier_factory: Callable[..., tuple[Notifier, list[str]]]) -> None:
    # No hook is needed: the decision is made before anything is queued.
    notifier, _said = notifier_factory()
    sequence = [("ok", "pending"), ("pending", "firing"), ("firing", "firing"),
                ("firing", "no_data"), ("no_data", "firing"), ("firing", "ok"),
                ("ok", "ok"), ("ok", "no_data"), ("no_data", "ok"), ("ok", "firing")]
    decisions = [notifier.offer(record("error_rate", a, b)) for a, b in sequence]
    # By hand: pending is not news; firing is; firing again, no_data, firing after
    # no_data (never told ok) are repeats; ok after firing is news; ok again and
    # no_data are not; ok after no_data is a repeat of ok; firing again is news.
    assert decisions == [False, True, False, False, False, True, False, False, False, True]
    # Each alert has its own state.
    assert notifier.offer(record("queue_depth", "ok", "firing"))


# -- the command hook -------------------------------------------------------------------


def test_command_gets_the_alert_as_arguments(
        tmp_path: Path, notifier_factory: Callable[..., tuple[Notifier, list[str]]]) -> None:
    script = argv_logger(tmp_path)
    notifier, said = notifier_factory(command=(PY, str(script), "{alert}", "{state}",
                                               "{value}"))
    notifier.offer(record("error_rate", "ok", "firing", 0.2))
    notifier.offer(record("error_rate", "firing", "firing", 0.3))  # a repeat: not run
    notifier.offer(record("error_rate", "firing", "ok", 0.04))
    wait_for(lambda: notifier.delivered == 2, "two deliveries")
    assert calls_of(tmp_path) == [["error_rate", "firing", "0.2"],
                                  ["error_rate", "ok", "0.04"]]
    assert said == []


def test_failing_command_is_reported_retried_with_backoff_and_given_up(
        tmp_path: Path, notifier_factory: Callable[..., tuple[Notifier, list[str]]]) -> None:
    script = argv_logger(tmp_path, exit_code=3)
    notifier, said = notifier_factory(command=(PY, str(script), "{alert}"), attempts=3,
                                      backoff_s=0.05)
    notifier.offer(record("error_rate", "ok", "firing"))
    wait_for(lambda: notifier.failed == 1, "the delivery to be given up")
    assert calls_of(tmp_path) == [["error_rate"]] * 3
    assert said == [
        "notify command (error_rate firing) failed: exit status 3: receiver said no; "
        "retrying in 0.05s",
        "notify command (error_rate firing) failed: exit status 3: receiver said no; "
        "retrying in 0.1s",
        "notify command (error_rate firing) failed: exit status 3: receiver said no; "
        "giving up after 3 attempt(s)",
    ]


def _dead(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"  # a zombie is dead
    except FileNotFoundError:
        return True


def test_hanging_command_is_killed_with_its_children_and_the_next_one_runs(
        tmp_path: Path, notifier_factory: Callable[..., tuple[Notifier, list[str]]]) -> None:
    script = argv_logger(tmp_path, hang=True)
    notifier, said = notifier_factory(command=(PY, str(script), "{alert}", "{state}"),
                                      timeout_s=3.0, attempts=1)
    notifier.offer(record("error_rate", "ok", "firing"))
    notifier.offer(record("error_rate", "firing", "ok"))
    wait_for(lambda: len(calls_of(tmp_path)) == 2, "the second notification to run")
    assert calls_of(tmp_path) == [["error_rate", "firing"], ["error_rate", "ok"]]
    pid = first_grandchild(tmp_path)
    wait_for(lambda: _dead(pid), "the first command's grandchild to be killed")
    assert said[0] == ("notify command (error_rate firing) failed: no answer within 3s; "
                       "giving up after 1 attempt(s)")


def test_full_queue_drops_with_a_message_and_never_blocks(
        tmp_path: Path, notifier_factory: Callable[..., tuple[Notifier, list[str]]]) -> None:
    script = argv_logger(tmp_path, hang=True)
    notifier, said = notifier_factory(command=(PY, str(script), "{alert}"), timeout_s=20.0,
                                      attempts=1, queue_size=2)
    notifier.offer(record("a0", "ok", "firing"))
    wait_for(lambda: calls_of(tmp_path), "the first command to start (and hang)")
    # The hook hangs for 20 s: were offering to wait for it, this would not return.
    for n in range(1, 5):
        assert notifier.offer(record(f"a{n}", "ok", "firing"))
    # By hand: a0 is being delivered, a1 and a2 fill the queue of 2, a3 and a4 are dropped.
    wait_for(lambda: notifier.dropped == 2, "two drops")
    assert said == ["notify command: 2 notifications waiting; dropped a3 firing",
                    "notify command: 2 notifications waiting; dropped a4 firing"]



def test_a_full_queue_gives_up_states_that_undo_each_other_never_one_twice_in_a_row(
        notifier_factory: Callable[..., tuple[Notifier, list[str]]]) -> None:
    with Receiver(hang=True) as receiver:
        notifier, said = notifier_factory(url=receiver.url, timeout_s=20.0, backoff_s=0.05,
                                          queue_size=3)
        states = ["firing", "ok", "firing", "ok", "firing"]  # flapping; firing at the end
        notifier.offer(record("error_rate", "ok", states[0]))
        wait_for(lambda: receiver.arrived == 1, "the first POST to arrive (and hang)")
        for before, after in zip(states, states[1:], strict=False):
            assert notifier.offer(record("error_rate", before, after))
        wait_for(lambda: notifier.dropped == 1, "one drop")
        receiver.hang = False
        receiver.released.set()  # the held request ends unanswered; its retry is answered
        wait_for(lambda: notifier.delivered == 3, "three deliveries")
        notifier.close(grace=1.0)
    # By hand: #1 (firing) in flight, #2 ok, #3 firing, #4 ok fill the queue of 3; #5
    # (firing, the newest) must go out, and the receiver, which has firing, must not get
    # firing twice in a row: #2 and #3 undo each other and both go. It hears firing
    # (#1), ok (#4, from firing), firing (#5, from ok): each change once, in turn.
    assert [(body["from"], body["to"]) for body in receiver.bodies] == [
        ("ok", "firing"), ("firing", "ok"), ("ok", "firing")]
    assert ("notify url: 3 notifications waiting; dropped the older error_rate ok and "
            "error_rate firing (undone by a newer state)") in said


def test_a_full_queue_lets_a_waiting_state_and_its_undoing_cancel_out(
        notifier_factory: Callable[..., tuple[Notifier, list[str]]]) -> None:
    with Receiver(hang=True) as receiver:
        notifier, said = notifier_factory(url=receiver.url, timeout_s=20.0, backoff_s=0.05,
                                          queue_size=2)
        notifier.offer(record("error_rate", "ok", "firing"))
        wait_for(lambda: receiver.arrived == 1, "the first POST to arrive (and hang)")
        notifier.offer(record("queue_depth", "ok", "firing"))
        notifier.offer(record("error_rate", "firing", "ok"))  # the queue of 2 is full
        notifier.offer(record("error_rate", "ok", "firing"))
        wait_for(lambda: notifier.dropped == 1, "one drop")
        receiver.hang = False
        receiver.released.set()
        wait_for(lambda: notifier.delivered == 2, "two deliveries")
        notifier.close(grace=1.0)
    # By hand: error_rate firing in flight; queue_depth firing and error_rate ok wait;
    # error_rate firing again undoes the waiting ok: both go (the receiver already has
    # firing), and nothing of error_rate follows its first firing.
    assert [(body["alert"], body["to"]) for body in receiver.bodies] == [
        ("error_rate", "firing"), ("queue_depth", "firing")]
    assert notifier.failed == 0
    assert ("notify url: 2 notifications waiting; dropped the older error_rate ok "
            "(undone by a newer state)") in said


def test_an_end_withheld_by_a_silence_is_told_before_the_next_firing(
        notifier_factory: Callable[..., tuple[Notifier, list[str]]]) -> None:
    with Receiver() as receiver:
        notifier, _said = notifier_factory(url=receiver.url)
        assert notifier.offer(record("error_rate", "ok", "firing", 0.2))
        notifier.withhold(record("error_rate", "firing", "ok", 0.01))  # silenced
        notifier.withhold(record("error_rate", "ok", "firing", 0.3))  # still silenced
        # The silence ends while it fires: a new incident, after an end never told.
        assert notifier.offer(record("error_rate", "firing", "firing", 0.3))
        wait_for(lambda: len(receiver.bodies) == 3, "three deliveries")
    # By hand: firing (0.2), then the withheld end (0.01), then firing (0.3).
    assert [(b["from"], b["to"], b["value"]) for b in receiver.bodies] == [
        ("ok", "firing", 0.2), ("firing", "ok", 0.01), ("firing", "firing", 0.3)]


def test_an_end_withheld_by_a_silence_is_told_when_the_silence_ends(
        notifier_factory: Callable[..., tuple[Notifier, list[str]]]) -> None:
    with Receiver() as receiver:
        notifier, _said = notifier_factory(url=receiver.url)
        assert notifier.offer(record("error_rate", "ok", "firing", 0.2))
        notifier.withhold(record("error_rate", "firing", "ok", 0.01))
        assert notifier.silence_ended("error_rate")
        assert not notifier.silence_ended("error_rate")  # told once
        assert not notifier.offer(record("error_rate", "firing", "ok", 0.01))  # a repeat
        assert notifier.offer(record("error_rate", "ok", "firing", 0.4))
        wait_for(lambda: len(receiver.bodies) == 3, "three deliveries")
    assert [(b["to"], b["value"]) for b in receiver.bodies] == [
        ("firing", 0.2), ("ok", 0.01), ("firing", 0.4)]
    # One that fired and ended inside a silence was never told: nothing is owed.
    notifier.withhold(record("queue_depth", "ok", "firing"))
    notifier.withhold(record("queue_depth", "firing", "ok"))
    assert not notifier.silence_ended("queue_depth")


# -- the URL hook -----------------------------------------------------------------------


def test_url_receives_the_transition_json(
        notifier_factory: Callable[..., tuple[Notifier, list[str]]]) -> None:
    with Receiver() as receiver:
        notifier, said = notifier_factory(url=receiver.url)
        sent = record("error_rate", "pending", "firing", 0.0625)
        notifier.offer(sent)
        wait_for(lambda: receiver.bodies, "the POST")
    assert receiver.bodies == [{
        "alert": "error_rate", "from": "pending", "to": "firing", "value": 0.0625,
        "threshold": 0.05, "action": "Page on-call, investigate root cause",
        "at": "2026-05-28T20:26:40.500Z"}]
    assert receiver.requests == [("POST", "/hook", 200)]
    assert said == []


def test_server_errors_are_retried_until_delivered(
        notifier_factory: Callable[..., tuple[Notifier, list[str]]]) -> None:
    with Receiver(answers=[503, 500]) as receiver:
        notifier, said = notifier_factory(url=receiver.url, backoff_s=0.05)
        notifier.offer(record("error_rate", "ok", "firing"))
        wait_for(lambda: notifier.delivered == 1, "the third attempt to succeed")
    assert [status for _m, _p, status in receiver.requests] == [503, 500, 200]
    assert said == [
        "notify url (error_rate firing) failed: HTTP 503 Service Unavailable; "
        "retrying in 0.05s",
        "notify url (error_rate firing) failed: HTTP 500 Internal Server Error; "
        "retrying in 0.1s",
    ]


@pytest.mark.parametrize(("status", "problem"), [
    (302, "HTTP 302 redirect to /elsewhere not followed"),
    (404, "HTTP 404 Not Found"),
])
def test_redirects_and_client_errors_are_not_retried(
        status: int, problem: str,
        notifier_factory: Callable[..., tuple[Notifier, list[str]]]) -> None:
    with Receiver(answers=[status]) as receiver:
        notifier, said = notifier_factory(url=receiver.url, backoff_s=0.05)
        notifier.offer(record("error_rate", "ok", "firing"))
        wait_for(lambda: notifier.failed == 1, "the delivery to be given up")
    assert receiver.requests == [("POST", "/hook", status)]  # never /elsewhere, no retry
    assert said == [f"notify url (error_rate firing) failed: {problem}; "
                    "giving up after 1 attempt(s)"]


def test_refused_connection_is_reported_and_retried(
        notifier_factory: Callable[..., tuple[Notifier, list[str]]]) -> None:
    with Receiver() as receiver:
        url = receiver.url
    # The server is gone: the port refuses connections now.
    notifier, said = notifier_factory(url=url, attempts=2, backoff_s=0.05)
    notifier.offer(record("error_rate", "ok", "firing"))
    wait_for(lambda: notifier.failed == 1, "the delivery to be given up")
    assert len(said) == 2
    assert said[0].startswith("notify url (error_rate firing) failed: ConnectError: ")
    assert said[0].endswith("; retrying in 0.05s")
    assert said[1].endswith("; giving up after 2 attempt(s)")


def test_server_that_never_answers_hits_the_overall_deadline(
        notifier_factory: Callable[..., tuple[Notifier, list[str]]]) -> None:
    with Receiver(hang=True) as receiver:
        notifier, said = notifier_factory(url=receiver.url, timeout_s=0.5, attempts=1)
        notifier.offer(record("error_rate", "ok", "firing"))
        wait_for(lambda: notifier.failed == 1, "the deadline")
        assert receiver.arrived == 1
    assert said == ["notify url (error_rate firing) failed: no answer within 0.5s; "
                    "giving up after 1 attempt(s)"]


def test_close_waits_for_pending_deliveries_then_gives_up(tmp_path: Path) -> None:
    with Receiver() as receiver:
        said: list[str] = []
        notifier = Notifier(NotifySettings(url=receiver.url), report=said.append)
        notifier.start()
        notifier.offer(record("error_rate", "ok", "firing"))
        notifier.close(grace=10.0)  # delivered within the grace period
        assert receiver.bodies and said == []
    script = argv_logger(tmp_path, hang=True)
    notifier = Notifier(NotifySettings(command=(PY, str(script)), timeout_s=30.0),
                        report=said.append)
    notifier.start()
    notifier.offer(record("error_rate", "ok", "firing"))
    pid = first_grandchild(tmp_path)
    notifier.close(grace=0.2)
    assert said == ["notify: watch ended with 1 notification(s) not delivered"]
    wait_for(lambda: _dead(pid), "the hung command to be killed at close")


def test_a_request_error_outside_httpx_fails_that_attempt_and_the_worker_goes_on(
        notifier_factory: Callable[..., tuple[Notifier, list[str]]]) -> None:
    # Built directly (notify_settings refuses this URL): connecting to port 99999 raises
    # OverflowError inside an ExceptionGroup, which httpx does not wrap. Retrying cannot
    # help, so each alert is one attempt and one line, and the next alert still goes out.
    notifier, said = notifier_factory(url="http://127.0.0.1:99999/hook", backoff_s=0.05)
    notifier.offer(record("error_rate", "ok", "firing"))
    wait_for(lambda: notifier.failed == 1, "the first delivery to be given up")
    notifier.offer(record("error_rate", "firing", "ok"))
    wait_for(lambda: notifier.failed == 2, "the second delivery to be given up")
    problem = "OverflowError: connect(): port must be 0-65535."
    assert said == [f"notify url (error_rate firing) failed: {problem}; giving up after "
                    "1 attempt(s)",
                    f"notify url (error_rate ok) failed: {problem}; giving up after "
                    "1 attempt(s)"]


def test_an_argument_the_os_refuses_fails_that_alert_and_the_next_one_runs(
        tmp_path: Path, notifier_factory: Callable[..., tuple[Notifier, list[str]]]) -> None:
    # A TOML action may hold "\u0000"; exec refuses a NUL in an argument (ValueError).
    script = argv_logger(tmp_path)
    notifier, said = notifier_factory(command=(PY, str(script), "{alert}", "{action}"))
    notifier.offer(dict(record("error_rate", "ok", "firing"), action="page\x00someone"))
    wait_for(lambda: notifier.failed == 1, "the refused command to be given up")
    notifier.offer(record("queue_depth", "ok", "firing"))
    wait_for(lambda: notifier.delivered == 1, "the next alert to be delivered")
    assert calls_of(tmp_path) == [["queue_depth", "Page on-call, investigate root cause"]]
    assert len(said) == 1
    assert said[0].startswith("notify command (error_rate firing) failed: ")
    assert "null byte" in said[0]
