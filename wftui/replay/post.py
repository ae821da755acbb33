"""Running a URL hook: one POST of the plan's JSON body, bounded in time and size.

No proxy from the environment, no redirects followed (a 3xx is a failure).
"""

from __future__ import annotations

import threading
import time

import httpx
import orjson

from wftui.core.format import visible
from wftui.replay.outcome import ReplayOutcome, Tail, garbage, id_in, last_line
from wftui.replay.plan import ReplayPlan
from wftui.sources.http import REQUEST_ERRORS, innermost

MAX_HTTP_BODY = 1 << 20


def post(plan: ReplayPlan, cancel: threading.Event | None) -> ReplayOutcome:
    url = plan.hook.url or ""
    timeout = plan.hook.timeout_s
    started = time.monotonic()
    deadline = started + timeout
    shown_url = visible(url)
    body = bytearray()
    try:
        # trust_env=False: no proxy from the environment between us and the operator's
        # fixed URL; follow_redirects=False: a redirect is reported, never followed.
        with httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False,
                          trust_env=False) as client, client.stream(
                "POST", url, json=plan.body) as response:
            # httpx's timeouts are per phase: a trickling server needs a deadline too.
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_HTTP_BODY:
                    return _http_fail(f"{shown_url} answered more than "
                                      f"{MAX_HTTP_BODY // 1024} KiB; stopped reading",
                                      started, response.status_code, body)
                if time.monotonic() > deadline:
                    return _http_fail(f"{shown_url} did not finish answering within "
                                      f"{timeout:g} s", started, response.status_code, body,
                                      timed_out=True)
                if cancel is not None and cancel.is_set():
                    return _http_fail("cancelled while reading the answer", started,
                                      response.status_code, body)
            status = response.status_code
            location = response.headers.get("location")
            reason = response.reason_phrase
    except httpx.TimeoutException:
        return _http_fail(f"{shown_url} did not answer within {timeout:g} s", started,
                          timed_out=True)
    except REQUEST_ERRORS as error:
        cause = innermost(error)
        return _http_fail(f"cannot reach {shown_url}: "
                          f"{visible(str(cause) or type(cause).__name__)}", started)
    return _http_result(shown_url, status, reason, location, bytes(body), started)


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
    common = {"elapsed_s": time.monotonic() - started, "http_status": status,
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
            detail = last_line(tail.text()) or reason
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
