"""Follow the sources headless: a snapshot every --every, alert changes as they happen.

For pipes, sidecars and paging: one JSON object a line (or plain text), flushed line by
line. Thresholds are evaluated several times between snapshots so an alert change is
printed (and notified) within about half a second, not at the next snapshot. Runs until
--duration, SIGINT, SIGTERM or SIGHUP (or until every source has ended: stdin at its end, gzip
files), prints a final snapshot, and exits 0, or 1 if a threshold is firing then (2 on a
usage error, or when not even the final snapshot could be taken).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import select
import signal
import socket
import sys
import time
from dataclasses import replace
from types import FrameType
from typing import TYPE_CHECKING, Any

import orjson

from wftui.alerts.alertmanager import AlertmanagerSettings, alertmanager_settings
from wftui.alerts.desk import SILENCES_READ_AGAIN, AlertDesk, ProblemNews, Silencing
from wftui.alerts.notify import Notifier, NotifySettings, notify_settings, say, transition_record
from wftui.commands.common import add_source_arguments, fail, settings_from
from wftui.config import ConfigError, Settings, parse_duration
from wftui.core import format as fmt
from wftui.core.clock import history_warning
from wftui.core.snapshot import Snapshot
from wftui.core.thresholds import FIRING, Transition
from wftui.core.timestamps import format_timestamp
from wftui.core.understood import not_understood_sources
from wftui.live import LiveMonitor
from wftui.sources.failures import one_line
from wftui.sources.otlp.options import add_otlp_arguments, receiver_from, wait_listening
from wftui.view.render_text import snapshot_text

if TYPE_CHECKING:  # the scrapers (httpx, prometheus_client) load only when asked for
    from wftui.sources.connect import MetricFamily

#: How often thresholds are evaluated (at most): alert changes show up this fast.
EVALUATE_EVERY_S = 0.5
#: Evaluating must not eat the machine on a huge ledger: at most this share of one core.
EVALUATE_CPU_SHARE = 0.25
#: At the start and end, let the reader catch up: wait for this much quiet,
SETTLE_QUIET_S = 0.2
#: but never longer than this,
SETTLE_MAX_S = 1.0
#: and at the start, first for what the files held (a huge file is not waited out).
START_READ_MAX_S = 5.0
#: At the end, notifications and Alertmanager's last push get this long to go out,
NOTIFY_GRACE_S = 5.0
#: but after SIGHUP (the terminal closed) only this: whoever closed it wants it gone
#: now, and a hook or an Alertmanager that hangs must not hold it for its timeout.
HANGUP_GRACE_S = 0.5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser)
    add_otlp_arguments(parser)
    parser.add_argument("--every", metavar="5s", default="5s",
                        help="time between snapshots (default 5s)")
    parser.add_argument("--duration", metavar="10m",
                        help="stop after this long (default: until SIGINT, SIGTERM or SIGHUP)")
    parser.add_argument("--format", choices=("jsonl", "text"), default="jsonl",
                        help="jsonl (one JSON object a line) or text; default jsonl")
    parser.add_argument("--from-end", action="store_true",
                        help="start files that exist now at their end")
    parser.add_argument("--notify-cmd", metavar="CMD",
                        help="run this (no shell) when an alert fires or clears; "
                             "placeholders {alert} {state} {value} {from} {threshold} "
                             "{action} {at}, each a whole argument")
    parser.add_argument("--notify-url", metavar="URL",
                        help="POST the alert change as JSON to this URL")
    parser.add_argument("--notify-timeout", metavar="10s",
                        help="deadline of one notification attempt (default 10s)")


class StopSignal:
    """SIGINT/SIGTERM/SIGHUP set a flag and wake the loop at once (a self-pipe, no locks).

    A handler that set a threading.Event could deadlock if the signal arrived while the
    main thread held the event's lock; writing one byte to a socket cannot.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._old_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        self._old = {sig: signal.signal(sig, self._handle)
                     for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.signum = signum

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds; True as soon as a stop was asked for."""
        if self.signum is None and timeout > 0:
            select.select([self._reader], [], [], timeout)
            with contextlib.suppress(BlockingIOError):
                while self._reader.recv(512):
                    pass
        return self.signum is not None

    def restore(self) -> None:
        """Put the previous handlers back."""
        for sig, handler in self._old.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(self._old_fd)
        self._reader.close()
        self._writer.close()


class Output:
    """Writes whole lines to stdout and flushes each one (a pipe reader sees it now)."""

    def __init__(self, form: str) -> None:
        self.form = form
        self.stream = sys.stdout.buffer
        self.encoding = sys.stdout.encoding or "utf-8"

    def _write(self, data: bytes) -> None:
        self.stream.write(data)
        self.stream.flush()

    def snapshot(self, snapshot: Snapshot, at: float,
                 silencing: Silencing | None = None) -> None:
        silencing = silencing or Silencing()
        old = (history_warning(snapshot.clock, reading=snapshot.reading is not None)
               if snapshot.clock is not None else None)
        if old is not None:  # `at` is the wall clock; the figures are the log's end
            snapshot = replace(snapshot, warnings=(*snapshot.warnings, old))
        if self.form == "jsonl":
            self._write(orjson.dumps({"at": format_timestamp(at),
                                      **silencing.annotate(snapshot.to_check_dict())}) + b"\n")
        else:
            body = snapshot_text(snapshot, silencing.marks(snapshot.thresholds))
            body += "".join(f"{line}\n" for line in silencing.text_lines())
            text = f"--- {format_timestamp(at)} ---\n{body}"
            self._write(text.encode(self.encoding, "replace"))

    def transition(self, record: dict[str, Any]) -> None:
        if self.form == "jsonl":
            self._write(orjson.dumps(record) + b"\n")
            return
        name = record["alert"]
        bound = "≥ " if record.get("at_least") else ""
        line = (f"{record['at']} alert {fmt.visible(name)}: {record['from']} -> "
                f"{record['to']} ({bound}{fmt.threshold_figure(name, record['value'])}, "
                f"threshold {fmt.threshold_figure(name, record['threshold'])})")
        if record["to"] == FIRING:
            line += f" -- {fmt.visible(record['action'])}"
        if record.get("silenced"):
            silenced = record["silenced"]
            line += (f" (silenced until {silenced['until']} by "
                     f"{fmt.visible(str(silenced['by']))}: notifies no one)")
        self._write((line + "\n").encode(self.encoding, "replace"))


class Watch:
    """The loop: evaluate often, print a snapshot every `every` seconds, notify changes."""

    def __init__(self, monitor: LiveMonitor, output: Output, notifier: Notifier | None, *,
                 every: float, duration: float | None, desk: AlertDesk | None = None) -> None:
        self.monitor = monitor
        self.desk = desk if desk is not None else AlertDesk()
        self.silencing = Silencing()
        self.silence_news = ProblemNews()
        self.pushes_failing = False
        self.output = output
        self.notifier = notifier
        self.every = every
        self.duration = duration
        self.tick = min(EVALUATE_EVERY_S, every)
        self.problems: set[str] = set()

    def evaluate(self) -> Snapshot | None:
        """Evaluate thresholds now; print and notify what changed (None: it failed)."""
        started = time.monotonic()
        try:
            snapshot = self.monitor.snapshot()
        except Exception as error:  # noqa: BLE001 - said on stderr; a sidecar keeps going
            problem = one_line(error)
            if problem not in self.problems:  # once, not every half second
                self.problems.add(problem)
                say(f"watch: cannot take a snapshot: {fmt.visible(problem)}")
            return None
        # A slow snapshot (a huge ledger) spaces the evaluations out instead of
        # keeping a core busy.
        cost = time.monotonic() - started
        self.tick = max(min(EVALUATE_EVERY_S, self.every), cost / EVALUATE_CPU_SHARE)
        if self.desk.pusher is not None and any(
                t.after == FIRING for t in snapshot.transitions):
            # Which workflow is behind it (a label for Alertmanager), once per firing:
            # from the log, else from the metrics' labels (no log at all is no reason
            # to page without it: the monitor's alerts carry it).
            try:
                self.desk.learn_workflows(self.monitor.explain())
            except Exception:  # noqa: BLE001 - the alert goes out without the label
                self.desk.workflow_names = {}
        # Silences (the file's, Alertmanager's) and the push to Alertmanager.
        was_silenced = set(self.silencing.silenced)
        self.silencing = self.desk.judge(snapshot.thresholds)
        fresh, gone = self.silence_news.news(self.silencing.problems)
        for problem in fresh:
            say(f"watch: {fmt.visible(problem)}")
        if gone:
            say(f"watch: {SILENCES_READ_AGAIN}")
        self.tell_deliveries()
        for transition in snapshot.transitions:
            record = transition_record(transition)
            silence = self.silencing.silenced.get(transition.name)
            if silence is not None:
                record["silenced"] = silence.as_dict()
            self.output.transition(record)
            if self.notifier is not None:
                if self.desk.may_notify(transition):
                    self.notifier.offer(record)
                else:
                    self.notifier.withhold(record)
            self.desk.cleared(transition)
        if self.notifier is not None:
            self.notify_unsilenced(snapshot, was_silenced)
        return snapshot

    def tell_deliveries(self) -> None:
        """Pushes to Alertmanager began failing (with how many alerts wait) or work
        again: one line on stderr each, beside the warning in every snapshot."""
        failing = self.silencing.delivery_warnings()
        if failing and not self.pushes_failing:
            say(f"watch: {failing[0]}")
        elif not failing and self.pushes_failing:
            say("watch: alertmanager answers again: alerts delivered")
        self.pushes_failing = bool(failing)

    def notify_unsilenced(self, snapshot: Snapshot, was_silenced: set[str]) -> None:
        """A silence ended while its alert still fires: the hooks are told now (firing
        -> firing), as Alertmanager is sent it afresh; otherwise an incident that
        outlived its silence would page no one until it cleared and fired again. One
        the hooks already heard of before the silence is no news (the notifier's rule).
        One that ended during the silence: the hooks hear of that end now."""
        assert self.notifier is not None
        moved = {transition.name for transition in snapshot.transitions}
        for state in snapshot.thresholds:
            if state.name not in was_silenced or state.name in self.silencing.silenced:
                continue
            if state.state != FIRING:
                self.notifier.silence_ended(state.name)
            elif state.name not in moved:
                self.notifier.offer(transition_record(Transition(
                    state.name, FIRING, FIRING, state.value, state.threshold,
                    state.action, time.time(), state.at_least)))

    def all_ended(self, snapshot: Snapshot) -> bool:
        """Only files that cannot grow (stdin at its end, gzip) and no metrics: done."""
        if (self.monitor.metrics is not None or self.monitor.otlp is not None
                or not snapshot.sources):
            return False
        return all(source.get("status") == "ended" for source in snapshot.sources)

    def run(self, stop: StopSignal) -> Snapshot | None:
        """Run until the duration is over, a stop signal, or every source ended."""
        # The first evaluation waits for the first read, or every threshold would go
        # from "no data" to "ok" a moment after start: not news.
        self.read_what_was_there()
        self.settle()
        start = time.monotonic()
        end = start + self.duration if self.duration is not None else math.inf
        next_print = start + self.every
        while True:
            snapshot = self.evaluate()
            now = time.monotonic()
            if now >= end or (snapshot is not None and self.all_ended(snapshot)):
                break
            if now >= next_print and snapshot is not None:
                self.output.snapshot(snapshot, time.time(), self.silencing)
                next_print += self.every
                if next_print <= now:  # fell behind: skip ahead rather than burst
                    next_print = now + self.every
            wake = min(now + self.tick, next_print, end)
            if stop.wait(wake - time.monotonic()):
                break
        return self.finish()

    def read_what_was_there(self) -> None:
        """Wait (up to START_READ_MAX_S) until files are read up to their size at start."""
        tailer = self.monitor.tailer
        if tailer is None:
            return
        sizes: dict[int, int] = {}
        for status in tailer.statuses:
            with contextlib.suppress(OSError):
                sizes[id(status)] = os.stat(status.path).st_size

        def behind() -> bool:
            # Only files being followed: a gzip file's offset counts decompressed bytes,
            # and missing or failed files have nothing to catch up on.
            return any(status.status == "following"
                       and status.offset < sizes.get(id(status), 0)
                       for status in tailer.statuses)

        deadline = time.monotonic() + START_READ_MAX_S
        while behind() and time.monotonic() < deadline:
            time.sleep(0.02)

    def settle(self) -> None:
        """Wait (briefly) until the reader has caught up: the version stops changing."""
        deadline = time.monotonic() + SETTLE_MAX_S
        seen = self.monitor.version
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            if self.monitor.version != seen:
                seen, quiet_since = self.monitor.version, time.monotonic()
            elif time.monotonic() - quiet_since >= SETTLE_QUIET_S:
                return

    def finish(self) -> Snapshot | None:
        """The final snapshot, once lines written just before the stop have been read
        (and spans answered just before it folded)."""
        self.monitor.stop_receiving()
        self.settle()
        snapshot = self.evaluate()
        if snapshot is not None:
            self.output.snapshot(snapshot, time.time(), self.silencing)
        return snapshot


def _parse_options(options: argparse.Namespace
                   ) -> tuple[Settings, float, float | None, NotifySettings, MetricFamily | None,
                              Any, AlertmanagerSettings | None]:
    """Everything that can be a usage error, checked before anything starts."""
    settings = settings_from(options)
    try:
        receiver = receiver_from(options, settings)
    except ConfigError as error:
        fail(str(error))
        raise
    if (not options.files and not options.metrics and not options.prometheus
            and receiver is None):
        fail("nothing to watch: give log files and/or --metrics URL / --prometheus URL "
             "/ --otlp [HOST:]PORT")
    try:
        every = parse_duration(options.every, "--every")
        duration = (parse_duration(options.duration, "--duration")
                    if options.duration is not None else None)
        interval = (parse_duration(options.interval, "--interval")
                    if options.interval else None)
        notify = notify_settings(settings.section("notify"), command=options.notify_cmd,
                                 url=options.notify_url, timeout=options.notify_timeout)
        family = None
        if options.metrics or options.prometheus:
            from wftui.sources.connect import metric_family

            family = metric_family(settings, options.metrics, options.prometheus,
                                   health_urls=options.health, interval=interval)
        alertmanager = alertmanager_settings(settings.section("alertmanager"),
                                             options.alertmanager)
    except ConfigError as error:
        fail(str(error))
        raise
    assert every is not None
    return settings, every, duration, notify, family, receiver, alertmanager


def _quiet_stdout() -> None:
    """The reader left: point stdout at /dev/null so the exit flush cannot fail (see the
    SIGPIPE note in Python's signal docs)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def run(options: argparse.Namespace) -> int:
    settings, every, duration, notify, family, receiver, alertmanager = _parse_options(options)
    output = Output(options.format)
    notifier = Notifier(notify) if notify.enabled else None
    monitor = LiveMonitor(settings, options.files, metrics=family, from_end=options.from_end,
                          otlp=receiver)
    desk = AlertDesk(alertmanager=alertmanager)
    stop = StopSignal()
    code = 0
    try:
        if notifier is not None:
            notifier.start()
        desk.start()
        monitor.start()
        if receiver is not None and (problem := wait_listening(receiver)):
            fail(problem)
        watch = Watch(monitor, output, notifier, every=every, duration=duration, desk=desk)
        final = watch.run(stop)
        problem = not_understood_sources(final.sources) if final is not None else None
        if final is None:
            code = 2  # no final snapshot; the reason is already on stderr
        elif problem is not None:
            print(f"wftui: {problem}", file=sys.stderr)  # read, but understood nothing
            code = 2
        else:
            # A silenced alert is still shown firing, but does not fail the watch.
            code = 1 if watch.silencing.firing(final.thresholds) else 0
    except BrokenPipeError:
        _quiet_stdout()
        code = 0
    finally:
        stop.restore()
        grace = HANGUP_GRACE_S if stop.signum == signal.SIGHUP else NOTIFY_GRACE_S
        deadline = time.monotonic() + grace
        desk.begin_closing()  # its last push goes out during the hooks' grace, not after
        monitor.stop()
        if notifier is not None:
            notifier.close(grace)
        desk.close(max(0.0, deadline - time.monotonic()))
        if lost := desk.undelivered():
            say(f"watch: alertmanager: ended with {lost} alert(s) not delivered")
    return code
