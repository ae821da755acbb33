"""HTTP helpers shared by every part that talks to an operator-given URL.

Scrapers, the Prometheus API client, the health poller, replay's URL hook and alert
notifications all send requests to URLs from the config or the command line; they
agree here on what a failed request can raise and on what a usable URL is.
"""

from __future__ import annotations

from typing import Any

import httpx

from wftui.config import ConfigError

#: What sending one request to an operator-given URL can raise besides httpx's own errors:
#: socket errors httpx does not wrap, ValueError/OverflowError for a URL the socket layer
#: refuses (httpx accepts port 99999; connecting raises OverflowError), and the
#: ExceptionGroup anyio's connect wraps them in. Each is a failed request, never a crash.
REQUEST_ERRORS: tuple[type[Exception], ...] = (
    httpx.HTTPError, httpx.InvalidURL, OSError, ValueError, OverflowError, ExceptionGroup)


def check_url(url: Any, where: str) -> str:
    """An absolute http(s) URL with a host and, if given, a port in 1-65535.

    ConfigError (one line naming `where`) otherwise: a URL that cannot be connected to
    is a usage error at start, not a failure found later by a loop.
    """
    if not isinstance(url, str):
        raise ConfigError(f"{where}: expected a URL, got {url!r}")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as error:
        raise ConfigError(f"{where}: not a URL: {error}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigError(f"{where}: expected an http:// or https:// URL, got {url!r}")
    if parsed.port is not None and not 1 <= parsed.port <= 65535:
        raise ConfigError(f"{where}: port {parsed.port} is not in 1-65535 ({url!r})")
    return url
