"""Notification hooks for `wftui watch`: run a command and/or POST JSON when an alert changes.

An operator is told when a threshold starts firing and when it is back to ok; nothing
else (pending, no data) and never twice in a row for the same state, so a value that
flaps between firing and no data does not page anyone again.

Deliveries run in their own thread (one event loop, `wftui.background`; one worker per
hook, each with a bounded queue), so a hook that hangs never delays the snapshots. Each
delivery has an overall deadline (httpx's timeouts are per phase, so a trickling server
would never trip them), failures are one line on stderr, and retriable ones are retried
with exponential backoff. The command is split once with shlex and run without a shell;
placeholders are replaced only where they are a whole argument (the rule replay hooks
follow).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from wftui.background import BackgroundLoop
from wftui.config import ConfigError, check_keys, parse_duration
from wftui.core import format as fmt
from wftui.core.figures import rounded
from wftui.core.thresholds import FIRING, OK, Transition
from wftui.core.timestamps import format_timestamp
from wftui.hooks import split_template, substitute
from wftui.sources.failures import innermost

if TYPE_CHECKING:
    import httpx

#: Placeholders a notify command may use, each as a whole argument.
PLACEHOLDERS = ("alert", "state", "from", "value", "threshold", "action", "at")
NOTIFY_KEYS = frozenset({"command", "url", "timeout"})
#: The states worth telling someone about: an alert starts, an alert ends.
NOTIFIED_STATES = (FIRING, OK)
#: HTTP answers worth asking again (the receiver is busy or broken for now).
_RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
_STDERR_TAIL_BYTES = 2048


@dataclass(frozen=True)
class NotifySettings:
    """Where notifications go and how hard to try."""

    command: tuple[str, ...] = ()  # argv template; empty = no command hook
    url: str | None = None
    timeout_s: float = 10.0  # overall deadline of one attempt
    attempts: int = 4  # first try plus retries
    backoff_s: float = 1.0  # wait before the first retry; doubles each time
    backoff_max_s: float = 30.0
    queue_size: int = 100  # pending notifications per hook; beyond this they are dropped

    @property
    def enabled(self) -> bool:
        return bool(self.command) or self.url is not None


def transition_record(transition: Transition) -> dict[str, Any]:
    """A transition as the JSON object watch prints and the URL hook receives."""
    # Numbers as the snapshot objects beside it write them (60, not 60.0; 6 decimals).
    record = {"alert": transition.name, "from": transition.before, "to": transition.after,
              "value": rounded(transition.value), "threshold": rounded(transition.threshold),
              "action": transition.action, "at": format_timestamp(transition.at)}
    if transition.at_least:  # a quantile in the +Inf bucket: the value is a lower bound
        record["at_least"] = True
    return record


def parse_command(text: Any, where: str) -> tuple[str, ...]:
    """A notify command template as argv (see `wftui.hooks.split_template`), whose
    program must exist: a typo is found at start, not at 3 a.m. when an alert fires."""
    argv = split_template(text, PLACEHOLDERS, where)
    if shutil.which(argv[0]) is None:
        raise ConfigError(f"{where}: {argv[0]}: program not found")
    return argv


def placeholder_values(record: Mapping[str, Any]) -> dict[str, str]:
    """The text each placeholder stands for (numbers as JSON: 0.062, null when none)."""
    def text(value: Any) -> str:
        return value if isinstance(value, str) else orjson.dumps(value).decode()

    return {"alert": text(record["alert"]), "state": text(record["to"]),
            "from": text(record["from"]), "value": text(record["value"]),
            "threshold": text(record["threshold"]), "action": text(record["action"]),
            "at": text(record["at"])}


def command_argv(template: tuple[str, ...], record: Mapping[str, Any]) -> list[str]:
    """The argv for one notification: whole-argument placeholders replaced, nothing else."""
    return substitute(template, placeholder_values(record))


def notify_settings(table: Any, *, command: str | None = None, url: str | None = None,
                    timeout: str | None = None) -> NotifySettings:
    """Settings from the config's [notify] table, each key overridden by its flag."""
    table = check_keys(table, NOTIFY_KEYS, "config: notify")
    out: dict[str, Any] = {}
    if command is not None:
        out["command"] = parse_command(command, "--notify-cmd")
    elif "command" in table:
        out["command"] = parse_command(table["command"], "config: notify.command")
    where, url_value = ("--notify-url", url) if url is not None else (
        "config: notify.url", table.get("url"))
    if url_value is not None:
        from wftui.sources.http import check_url  # httpx: only with a notify URL

        check_url(url_value, where)
        out["url"] = url_value
    if timeout is not None:
        out["timeout_s"] = parse_duration(timeout, "--notify-timeout")
    elif "timeout" in table:
        out["timeout_s"] = parse_duration(table["timeout"], "config: notify.timeout")
    return NotifySettings(**out)


def say(line: str) -> None:
    """One line on stderr; a closed stderr is not worth dying for."""
    with contextlib.suppress(OSError, ValueError):
        print(f"wftui: {line}", file=sys.stderr, flush=True)


class DeliveryError(Exception):
    """One attempt failed; `retry` says whether another attempt could help."""

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


class _Waiting(asyncio.Queue[dict[str, Any]]):
    """A hook's bounded queue that can give up a superseded record in place."""

    # asyncio.Queue's storage hooks (as its LifoQueue uses them); qsize() and full()
    # read self._queue, so the storage keeps that name.
    def _init(self, maxsize: int) -> None:
        self._queue: deque[dict[str, Any]] = deque()

    def _put(self, item: dict[str, Any]) -> None:
        self._queue.append(item)

    def _get(self) -> dict[str, Any]:
        return self._queue.popleft()

    def supersede(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        """Full: give up waiting records that undo each other, so `record` fits and the
        receiver still hears each alert's states in turn (never one state twice in a
        row: a flapping alert's queue alternates firing, ok, firing, ...).

        The oldest alert with two records waiting loses both (a change and its undoing:
        the receiver ends where it stood), and `record` is queued. Else, when `record`'s
        own alert has one waiting, the two cancel: that one goes and `record` is not
        queued (the receiver already stands where `record` would take it). The records
        given up, in queue order ([] when nothing could go: `record` is not queued)."""
        waiting: dict[str, list[int]] = {}
        for index, item in enumerate(self._queue):
            waiting.setdefault(item["alert"], []).append(index)
        pair = next((indexes[:2] for indexes in waiting.values() if len(indexes) >= 2), None)
        if pair is not None:
            removed = [self._queue[index] for index in pair]
            for index in reversed(pair):
                del self._queue[index]
            self._queue.append(record)
            self.task_done()  # two out, one in: one fewer to wait for
            return removed
        own = waiting.get(record["alert"])
        if own:
            removed = [self._queue[own[0]]]
            del self._queue[own[0]]
            self.task_done()
            return removed
        return []


class Notifier:
    """Sends alert changes to the configured hooks, in the background.

    `offer()` is called by one thread (the watch loop): it suppresses repeats and never
    blocks. `close()` gives pending deliveries a grace period, then gives up on them.
    """

    def __init__(self, settings: NotifySettings, *, report: Callable[[str], None] = say
                 ) -> None:
        self.settings = settings
        self.report = report
        self.delivered = 0  # successful deliveries (all hooks)
        self.failed = 0  # notifications given up on (all hooks)
        self.dropped = 0  # notifications that found a full queue
        self._told: dict[str, str] = {}  # alert -> the last state notified
        # alert -> its end, withheld while silenced, not yet told (see `withhold`)
        self._owed: dict[str, dict[str, Any]] = {}
        self._background = BackgroundLoop("wftui-notify")
        self._queues: dict[str, _Waiting] = {}
        self._closing = asyncio.Event()  # binds to the loop at its first use there
        self._ready = threading.Event()
        self._grace = 0.0
        self._pending = 0  # queued or being delivered (touched in the delivery thread only)

    def start(self) -> None:
        """Start the delivery thread (returns once it can take notifications)."""
        self._background.start(self._main)
        self._ready.wait(10)

    def offer(self, record: dict[str, Any]) -> bool:
        """Queue a transition record for every hook; False when it is not news."""
        state, alert = record["to"], record["alert"]
        if state not in NOTIFIED_STATES:
            return False
        if self._told.get(alert, OK) == state:
            owed = self._owed.pop(alert, None) if state == FIRING else None
            if owed is None:
                return False
            # It ended while silenced and fires anew: a new incident, which must page;
            # the receiver hears the end first, so it never gets firing twice in a row.
            self._background.call_soon(self._enqueue, dict(owed))
        self._owed.pop(alert, None)
        self._told[alert] = state
        return self._background.call_soon(self._enqueue, dict(record))

    def withhold(self, record: dict[str, Any]) -> None:
        """A change not sent (the alert is silenced). One that ended an alert the hooks
        were told fires is owed to them: sent when the silence ends, or before the
        alert's next firing (a new incident), so the receiver's firing is closed and
        the next one is not a repeat of it."""
        if record["to"] == OK and self._told.get(record["alert"]) == FIRING:
            self._owed[record["alert"]] = dict(record)

    def silence_ended(self, alert: str) -> bool:
        """The alert's silence ended while it does not fire: tell the hooks of the end
        they were not told (False when they were told nothing that it undoes)."""
        owed = self._owed.pop(alert, None)
        if owed is None:
            return False
        self._told[alert] = OK
        return self._background.call_soon(self._enqueue, owed)

    def close(self, grace: float = 5.0) -> None:
        """Wait up to `grace` seconds for pending deliveries, then stop the thread."""
        if not self._background.running:
            return
        self._grace = grace
        self._background.call_soon(self._closing.set)
        self._background.stop(grace + self.settings.timeout_s + 5.0)

    # -- the delivery thread -----------------------------------------------------------

    def _enqueue(self, record: dict[str, Any]) -> None:
        for hook, queue in self._queues.items():
            try:
                queue.put_nowait(record)
                self._pending += 1
            except asyncio.QueueFull:
                self.dropped += 1
                # Dropping the newest would leave a flapping alert's receiver with a
                # stale state for good (the last delivered "ok" while it fires, and no
                # later change to correct it): older states that undo each other go.
                removed = queue.supersede(record)
                if removed:
                    self._pending -= 1
                    given_up = " and ".join(f"{fmt.visible(r['alert'])} {r['to']}"
                                            for r in removed)
                    self.report(f"notify {hook}: {self.settings.queue_size} notifications "
                                f"waiting; dropped the older {given_up} (undone by a "
                                "newer state)")
                    continue
                self.report(f"notify {hook}: {self.settings.queue_size} notifications "
                            f"waiting; dropped {record['alert']} {record['to']}")

    async def _main(self) -> None:
        client: httpx.AsyncClient | None = None
        hooks: dict[str, Callable[[dict[str, Any]], Any]] = {}
        if self.settings.command:
            hooks["command"] = self._run_command
        if self.settings.url is not None:
            # Loaded here: a watch without a notify URL never pays httpx's import (~0.1 s).
            import httpx

            # No redirects: a notification goes where the operator said, nowhere else.
            client = httpx.AsyncClient(timeout=self.settings.timeout_s,
                                       follow_redirects=False, trust_env=False)
            hooks["url"] = lambda record: self._post(client, record)
        self._queues = {hook: _Waiting(self.settings.queue_size) for hook in hooks}
        workers = [asyncio.create_task(self._worker(hook, send, self._queues[hook]))
                   for hook, send in hooks.items()]
        self._ready.set()
        await self._closing.wait()
        if self._pending:
            await self._drain_queues()
        for worker in workers:
            worker.cancel()
        for worker in workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        if client is not None:
            await client.aclose()

    async def _drain_queues(self) -> None:
        """Give pending deliveries the grace period; say so if it is more than a moment."""
        moment = min(0.5, self._grace)
        await self._join(moment)
        if self._pending and self._grace > moment:
            self.report(f"notify: waiting up to {self._grace:g}s for {self._pending} "
                        "notification(s) to go out")
            await self._join(self._grace - moment)
        if self._pending:
            self.report(f"notify: watch ended with {self._pending} notification(s) "
                        "not delivered")

    async def _join(self, seconds: float) -> None:
        """Wait until every queue is worked off, or `seconds` have passed."""
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.gather(*(q.join() for q in self._queues.values())), seconds)

    async def _worker(self, hook: str, send: Callable[[dict[str, Any]], Any],
                      queue: asyncio.Queue[dict[str, Any]]) -> None:
        while True:
            record = await queue.get()
            try:
                await self._deliver(hook, send, record)
            except Exception as error:  # noqa: BLE001 - one notification lost, not the hook
                # A worker that died would drop every later alert without a word.
                self.failed += 1
                cause = innermost(error)
                self.report(f"notify {hook} ({fmt.visible(record['alert'])} {record['to']}) "
                            f"failed: {fmt.visible(type(cause).__name__)}: "
                            f"{fmt.visible(' '.join(str(cause).split()))[:200]}")
            finally:
                self._pending -= 1
                queue.task_done()

    async def _deliver(self, hook: str, send: Callable[[dict[str, Any]], Any],
                       record: dict[str, Any]) -> None:
        what = f"notify {hook} ({fmt.visible(record['alert'])} {record['to']})"
        delay = self.settings.backoff_s
        for attempt in range(1, self.settings.attempts + 1):
            try:
                await asyncio.wait_for(send(record), self.settings.timeout_s)
            except DeliveryError as error:
                problem, retry = str(error), error.retry
            except TimeoutError:
                problem, retry = f"no answer within {self.settings.timeout_s:g}s", True
            else:
                self.delivered += 1
                return
            if not retry or attempt == self.settings.attempts:
                self.failed += 1
                self.report(f"{what} failed: {fmt.visible(problem)}; giving up "
                            f"after {attempt} attempt(s)")
                return
            self.report(f"{what} failed: {fmt.visible(problem)}; retrying in {delay:g}s")
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.settings.backoff_max_s)

    async def _post(self, client: httpx.AsyncClient, record: dict[str, Any]) -> None:
        import httpx

        from wftui.sources.http import REQUEST_ERRORS

        assert self.settings.url is not None
        try:
            response = await client.post(self.settings.url, content=orjson.dumps(record),
                                         headers={"content-type": "application/json"})
        except REQUEST_ERRORS as error:
            # httpx's errors and socket errors may pass (the receiver is down for now);
            # anything else is the URL itself (OverflowError for port 99999, wrapped in an
            # ExceptionGroup): asking again gives the same answer.
            cause = innermost(error)
            text = " ".join(str(cause).split()) or type(cause).__name__
            raise DeliveryError(f"{type(cause).__name__}: {text}"[:300],
                                retry=isinstance(cause, httpx.HTTPError | OSError)) from error
        if response.is_success:
            return
        if response.is_redirect:
            target = response.headers.get("location", "?")
            raise DeliveryError(f"HTTP {response.status_code} redirect to {target} "
                                "not followed", retry=False)
        raise DeliveryError(f"HTTP {response.status_code} {response.reason_phrase}",
                            retry=response.status_code in _RETRY_STATUSES)

    async def _run_command(self, record: dict[str, Any]) -> None:
        argv = command_argv(self.settings.command, record)
        # stderr goes to a file, not a pipe: a grandchild that keeps a pipe open could
        # otherwise hold us past the deadline. stdout is not ours to print.
        with tempfile.TemporaryFile() as errors:
            try:
                process = await asyncio.create_subprocess_exec(
                    *argv, stdin=asyncio.subprocess.DEVNULL,
                    stdout=asyncio.subprocess.DEVNULL, stderr=errors,
                    start_new_session=True)  # its own group: a timeout kills its children too
            except OSError as error:
                raise DeliveryError(f"{argv[0]}: {error.strerror or error}",
                                    retry=False) from error
            except ValueError as error:  # an argument exec refuses ("embedded null byte")
                raise DeliveryError(f"{argv[0]}: cannot pass the arguments: {error}",
                                    retry=False) from error
            try:
                code = await process.wait()
            finally:
                if process.returncode is None:  # the deadline passed, or watch is ending
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                    await asyncio.shield(process.wait())
            if code == 0:
                return
            errors.seek(max(0, errors.seek(0, os.SEEK_END) - _STDERR_TAIL_BYTES))
            tail = errors.read().decode("utf-8", "replace").strip().splitlines()
        said = f": {tail[-1][:200]}" if tail else ""
        why = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
        raise DeliveryError(f"{why}{said}")
