"""Command templates of operator-configured hooks, shared by replay and notifications.

It lives at the top of the package, beside neither `wftui.replay` nor `wftui.alerts`,
because both use it and neither should import the other for it. URL checks are in
`wftui.sources.http` with the other HTTP helpers.

A command template is split once (shlex) into arguments; placeholders such as
`{execution_id}` are substituted only where they are a whole argument, and the program
is run without a shell, so a hostile value reaches it as one inert argument.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

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
