"""Polling a service's health endpoint (``wftui --health URL``).

The article's endpoint answers ``{"status": "healthy"}`` (or ``"degraded"`` with a message)
and raises HTTP 503 with ``{"detail": "Unhealthy: ..."}`` when a dependency fails. A poll
gives one of four states: healthy, degraded, unhealthy, unreachable; or "absent" when the
answer is no health document (the metrics exposition, an HTML page).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson

from wftui.sources.failures import clean_line, innermost
from wftui.sources.http import REQUEST_ERRORS

HEALTHY_WORDS = {"healthy", "ok", "up", "pass", "green"}
DEGRADED_WORDS = {"degraded", "warn", "warning", "yellow"}
UNHEALTHY_WORDS = {"unhealthy", "down", "fail", "failed", "error", "red"}

#: Cap on a health body: it is a small JSON object, anything bigger is not read further.
MAX_HEALTH_BYTES = 65536


@dataclass(frozen=True)
class HealthResult:
    """One poll: ``state`` is healthy/degraded/unhealthy/unreachable; ``detail`` one line."""

    state: str
    detail: str | None
    http_status: int | None = None


def default_health_url(metrics_url: str) -> str | None:
    """``/health`` beside a URL whose path ends with ``/metrics``; otherwise None.

    None too for a URL that cannot be split (``http://[::1/metrics``): there is no
    guess to make, and the scrape of that URL reports the problem itself.
    """
    try:
        parts = urlsplit(metrics_url)
    except ValueError:
        return None
    path = parts.path.rstrip("/")
    if not path.endswith("/metrics"):
        return None
    return urlunsplit((parts.scheme, parts.netloc, path[: -len("metrics")] + "health", "", ""))


def _short(text: object) -> str:
    return clean_line(str(text), 200)


def not_health(body: bytes, content_type: str | None) -> str | None:
    """Why a 2xx answer is not a health document (None when it may be one): the metrics
    exposition (prometheus_client's server answers every path with it) or an HTML page."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    start = body.lstrip()[:7]
    if media in ("application/openmetrics-text",) or "version=0.0.4" in (content_type or "") \
            or start.startswith((b"# HELP ", b"# TYPE ")):
        return "answers with the metrics exposition, not a health document"
    if media == "text/html" or start[:1] == b"<":
        return "answers with an HTML page, not a health document"
    return None


def classify(http_status: int, body: bytes, content_type: str | None = None) -> HealthResult:
    """Read a health answer: the JSON ``status`` field and the HTTP status (pure).

    A 2xx that is not a health document is "absent": there is no health endpoint there.
    """
    if 200 <= http_status < 300:
        absent = not_health(body, content_type)
        if absent is not None:
            return HealthResult("absent", absent, http_status)
    payload: object = None
    try:
        payload = orjson.loads(body.decode("utf-8", errors="replace")) if body.strip() else None
    except orjson.JSONDecodeError:  # not JSON, or nested too deep to be a status
        payload = None
    status_word = ""
    detail = None
    if isinstance(payload, dict):
        raw_status = payload.get("status")
        status_word = raw_status.strip().lower() if isinstance(raw_status, str) else ""
        for key in ("message", "detail", "error"):
            if isinstance(payload.get(key), str | int | float):
                detail = _short(payload[key])
                break
    if http_status == 503 or http_status >= 500:
        return HealthResult("unhealthy", detail or f"HTTP {http_status}", http_status)
    if http_status >= 400 or http_status < 200:
        return HealthResult("unhealthy", f"HTTP {http_status}" + (f": {detail}" if detail else ""),
                            http_status)
    if status_word in DEGRADED_WORDS:
        return HealthResult("degraded", detail, http_status)
    if status_word in UNHEALTHY_WORDS:
        return HealthResult("unhealthy", detail, http_status)
    if status_word and status_word not in HEALTHY_WORDS:
        return HealthResult("degraded", f"unknown status {_short(status_word)!r}", http_status)
    # A 2xx without a JSON status is a plain liveness answer.
    return HealthResult("healthy", detail, http_status)


async def poll_health(client: httpx.AsyncClient, url: str, deadline: float) -> HealthResult:
    """GET the health URL once, within ``deadline`` seconds overall."""
    try:
        async with asyncio.timeout(deadline):
            async with client.stream("GET", url, headers={"Accept": "application/json"}) as resp:
                body = b""
                async for chunk in resp.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_HEALTH_BYTES:
                        break
                return classify(resp.status_code, body[:MAX_HEALTH_BYTES],
                                resp.headers.get("content-type"))
    except TimeoutError:
        return HealthResult("unreachable", f"no answer within {deadline:g} s")
    except REQUEST_ERRORS as error:
        cause = innermost(error)
        return HealthResult("unreachable", _short(f"{type(cause).__name__}: {cause}"))


class HealthPoller:
    """Keeps the latest health state of one endpoint.

    ``optional`` pollers are guesses (``/health`` beside ``/metrics``): they report nothing
    until the endpoint has answered once, and turn themselves off on a 404 or 405.
    """

    def __init__(self, url: str, client: httpx.AsyncClient, *, optional: bool = False) -> None:
        self.url = url
        self._client = client
        self.optional = optional
        self.enabled = True
        self.result: HealthResult | None = None

    @property
    def state(self) -> str | None:
        """healthy/degraded/unhealthy/unreachable, or None before the first poll or if off."""
        return self.result.state if self.enabled and self.result is not None else None

    @property
    def detail(self) -> str | None:
        """The last poll's one-line detail."""
        return self.result.detail if self.enabled and self.result is not None else None

    async def poll(self, deadline: float) -> None:
        """Poll once (does nothing once an optional endpoint has proved absent)."""
        if not self.enabled:
            return
        result = await poll_health(self._client, self.url, deadline)
        if self.optional and self.result is None:
            if result.http_status in (404, 405) or result.state == "absent":
                self.enabled = False  # the service has no health endpoint there
                return
            if result.state == "unreachable":
                return  # not answered yet (the service may not be up): no health to show
        self.result = result
