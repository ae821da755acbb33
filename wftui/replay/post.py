"""Running a URL hook: one POST of the plan's JSON body, bounded in time and size.

No proxy from the environment, no redirects followed (a 3xx is a failure).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
import orjson

from wftui.core.format import visible
from wftui.core.json_out import dumps
from wftui.replay.outcome import ReplayOutcome, Tail, garbage, id_in, last_line
from wftui.replay.plan import ReplayPlan
from wftui.sources.failures import innermost
from wftui.sources.http import REQUEST_ERRORS

MAX_HTTP_BODY = 1 << 20
# The body is the one the confirmation showed (`plan.describe`): httpx's own encoding
# refused an infinity in a logged context (1e999) that the confirmation showed as null,
# and the replay failed as "cannot reach" a URL it had not tried.
JSON_BODY = {"Content-Type": "application/json"}
_HTML_START = re.compile(rb"\s*<(!doctype html|html)[\s>]", re.IGNORECASE)
_HTML_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _html_reason(raw: bytes, reason: str) -> str | None:
    """For an error page in HTML (a proxy's, a framework's): its title, else the HTTP
    reason; its last line would be ``</html>``, which says nothing. None if not HTML."""
    if not _HTML_START.match(raw[:1024]):
        return None
    match = _HTML_TITLE.search(raw[:65536])
    title = " ".join(match.group(1).decode("utf-8", "replace").split()) if match else ""
    return f"an HTML page: {title or reason or 'no title'}"


def post(plan: ReplayPlan, cancel: threading.Event | None) -> ReplayOutcome:
    """POST the plan's body to its URL; the whole exchange (connect, send, every byte of
    the answer) must end within the hook's timeout. Blocking: runs its own event loop."""
    return anyio.run(_post, plan, cancel)


@dataclass
class _Answer:
    """What has come back so far (kept when the deadline cuts the answer short)."""

    status: int | None = None
    reason: str = ""
    location: str | None = None
    body: bytearray = field(default_factory=bytearray)
    too_big: bool = False
    done: bool = False  # read to its end (or to MAX_HTTP_BODY)
    error: Exception | None = None  # the request failed (kept here: a task group would
    # wrap it in an exception group)


async def _post(plan: ReplayPlan, cancel: threading.Event | None) -> ReplayOutcome:
    url = plan.hook.url or ""
    timeout = plan.hook.timeout_s
    started = time.monotonic()
    shown_url = visible(url)
    answer = _Answer()
    try:
        # httpx's timeouts are per phase (a server trickling one byte at a time resets
        # the read timeout with each): the deadline is over the whole exchange.
        with anyio.fail_after(timeout):
            async with anyio.create_task_group() as group:
                if cancel is not None:
                    group.start_soon(_watch_cancel, cancel, group.cancel_scope)
                await _exchange(url, plan, timeout, answer)
                group.cancel_scope.cancel()  # the exchange is over: stop watching
    except TimeoutError:
        if answer.status is None:
            return _http_fail(f"{shown_url} did not answer within {timeout:g} s", started,
                              timed_out=True)
        return _http_fail(f"{shown_url} did not finish answering within {timeout:g} s",
                          started, answer.status, answer.body, timed_out=True)
    if isinstance(answer.error, httpx.TimeoutException):
        return _http_fail(f"{shown_url} did not answer within {timeout:g} s", started,
                          timed_out=True)
    if answer.error is not None:
        cause = innermost(answer.error)
        return _http_fail(f"cannot reach {shown_url}: "
                          f"{visible(str(cause) or type(cause).__name__)}", started)
    if not answer.done:  # the watcher cancelled the exchange
        return _http_fail("cancelled while waiting for the answer", started, answer.status,
                          answer.body)
    if answer.too_big:
        return _http_fail(f"{shown_url} answered more than {MAX_HTTP_BODY // 1024} KiB; "
                          "stopped reading", started, answer.status, answer.body)
    assert answer.status is not None
    return _http_result(shown_url, answer.status, answer.reason, answer.location,
                        bytes(answer.body), started)


async def _exchange(url: str, plan: ReplayPlan, phase_s: float, answer: _Answer) -> None:
    try:
        await _request(url, plan, phase_s, answer)
    except REQUEST_ERRORS as error:
        answer.error = error


async def _request(url: str, plan: ReplayPlan, phase_s: float, answer: _Answer) -> None:
    # trust_env=False: no proxy from the environment between us and the operator's
    # fixed URL; follow_redirects=False: a redirect is reported, never followed.
    async with httpx.AsyncClient(timeout=httpx.Timeout(phase_s), follow_redirects=False,
                                 trust_env=False) as client, client.stream(
            "POST", url, content=dumps(plan.body), headers=JSON_BODY) as response:
        answer.status = response.status_code
        answer.reason = response.reason_phrase
        answer.location = response.headers.get("location")
        async for chunk in response.aiter_bytes():
            answer.body += chunk
            if len(answer.body) > MAX_HTTP_BODY:
                answer.too_big = True
                break
    answer.done = True


async def _watch_cancel(cancel: threading.Event, scope: anyio.CancelScope) -> None:
    """Cancel the exchange soon after `cancel` is set (checked every 0.1 s)."""
    while not cancel.is_set():  # noqa: ASYNC110 - a threading.Event, set by another thread
        await anyio.sleep(0.1)
    scope.cancel()


def _http_fail(message: str, started: float, status: int | None = None,
               body: bytes | bytearray = b"", timed_out: bool = False) -> ReplayOutcome:
    tail = Tail()
    tail.add(bytes(body))
    return ReplayOutcome(False, message, time.monotonic() - started, http_status=status,
                         stdout_tail=tail.text(), timed_out=timed_out)


def _http_result(url: str, status: int, reason: str, location: str | None, raw: bytes,
                 started: float) -> ReplayOutcome:
    tail = Tail()
    tail.add(raw)
    common: dict[str, Any] = {"elapsed_s": time.monotonic() - started, "http_status": status,
              "stdout_tail": tail.text()}
    try:
        answer = orjson.loads(raw) if raw.strip() else None
    except orjson.JSONDecodeError:  # not JSON, or nested too deep to be an answer
        answer = None
    if 300 <= status < 400:
        where = f" to {visible(location)[:200]}" if location else ""
        return ReplayOutcome(False, f"{url} answered {status} (a redirect{where}); "
                             "redirects are not followed: configure the final URL", **common)
    if not 200 <= status < 300:
        detail = answer.get("error") if isinstance(answer, dict) else None
        if not isinstance(detail, str):
            detail = _html_reason(raw, reason) or last_line(tail.text()) or reason
        return ReplayOutcome(False, f"{url} answered {status}: {visible(detail)[:200]}",
                             **common)
    notes: list[str] = []
    new_id: str | None = None
    if isinstance(answer, dict):
        new_id, note = id_in(answer)
        if note:
            notes.append(note)
    else:
        notes.append("the answer is not a JSON object"
                     + (" (unreadable output)" if garbage(raw) else ""))
    message = (f"{url} answered {status}; new execution {new_id}" if new_id
               else f"{url} answered {status} but did not say which execution it started")
    return ReplayOutcome(True, message, answered_id=new_id, notes=tuple(notes), **common)
