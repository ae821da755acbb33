"""Operator-configured hooks, shared by replay and notifications: argv templates and URLs.

A command template is split once (shlex) into arguments; placeholders such as
`{execution_id}` are substituted only where they are a whole argument, and the program
is run without a shell, so a hostile value reaches it as one inert argument.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from wftui.config import ConfigError

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.-]*)\}")


def placeholder(arg: str) -> str | None:
    """The name when the argument is one placeholder-like word in braces ("{alert}")."""
    match = _PLACEHOLDER.fullmatch(arg)
    return match.group(1) if match else None


def split_template(template: Any, placeholders: Sequence[str], where: str) -> tuple[str, ...]:
    """A command template (text split with shlex, or a list of strings) as argv.

    ConfigError (naming `where`) when it is empty, cannot be split, names an unknown
    placeholder, puts a placeholder inside a larger argument (`--id={execution_id}`:
    refused rather than guessed at), or makes the program itself a placeholder.
    """
    if isinstance(template, list):
        if not all(isinstance(arg, str) for arg in template):
            raise ConfigError(f"{where}: a command list must hold only strings")
        argv = tuple(template)
    elif isinstance(template, str):
        try:
            argv = tuple(shlex.split(template))
        except ValueError as error:
            raise ConfigError(f"{where}: cannot split the command: {error}") from None
    else:
        raise ConfigError(f"{where}: expected a command (text), got {template!r}")
    if not argv:
        raise ConfigError(f"{where}: the command is empty")
    known = ", ".join("{" + name + "}" for name in placeholders)
    for arg in argv:
        name = placeholder(arg)
        if name is not None:
            if name not in placeholders:
                raise ConfigError(f"{where}: unknown placeholder {arg!r} (known: {known})")
            continue
        for candidate in placeholders:
            if "{" + candidate + "}" in arg:
                raise ConfigError(
                    f"{where}: placeholder {{{candidate}}} must be a whole argument, not "
                    f"part of {arg!r} (write it as a separate argument, e.g. "
                    f"--id {{{candidate}}})")
    if placeholder(argv[0]) is not None:
        raise ConfigError(f"{where}: the program itself cannot be a placeholder")
    return argv


def substitute(template: Sequence[str], values: Mapping[str, str]) -> list[str]:
    """argv with each whole-argument placeholder replaced by its value, nothing else."""
    return [values.get(name, arg) if (name := placeholder(arg)) else arg for arg in template]


#: What sending one request to an operator-given URL can raise besides httpx's own errors:
#: socket errors httpx does not wrap, ValueError/OverflowError for a URL the socket layer
#: refuses (httpx accepts port 99999; connecting raises OverflowError), and the
#: ExceptionGroup anyio's connect wraps them in. Each is a failed request, never a crash.
REQUEST_ERRORS: tuple[type[Exception], ...] = (
    httpx.HTTPError, httpx.InvalidURL, OSError, ValueError, OverflowError, ExceptionGroup)


def innermost(error: BaseException) -> BaseException:
    """The first error inside (nested) exception groups: the one worth a line."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


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
