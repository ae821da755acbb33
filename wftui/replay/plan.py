"""Asking the operator's system to replay an execution (docs/reliability.md).

wftui never runs a workflow itself: it runs a *hook* the operator configured, either a
command or an HTTP endpoint, then follows the new execution in the log.

- Command hook (``[replay] command`` or ``--replay-cmd``): the template is split ONCE
  with `shlex` into argv and run with exec (no shell, stdin from /dev/null, its own
  process group). The placeholders ``{execution_id}``, ``{workflow_name}`` and
  ``{context_file}`` are substituted only when one is a WHOLE argument, so whatever a
  log holds ends up as one inert argument, never as shell syntax or extra arguments.
  A template that embeds a placeholder inside a larger argument (``--id={execution_id}``)
  is REFUSED with a message rather than left literal: left literal, the operator's tool
  would receive the text ``{execution_id}`` and might replay the wrong thing (or fail in
  a confusing way); refusing says at once how to write it (``--id {execution_id}``).
  A whole argument that looks like a placeholder but is not one (``{execution-id}``)
  is refused too: it is almost certainly a typo.
- HTTP hook (``[replay] url`` or ``--replay-url``): POST a JSON body
  ``{execution_id, workflow_name, context}`` to that fixed URL; the id travels in the
  body, never in the URL. Timeouts apply, redirects are not followed (a 3xx is a failure).

Execution ids (and workflow names that go into argv) must match `ID_RE`: letters,
digits and ``._:-``, not starting with ``-`` (option injection), at most 128 characters.

Running a plan lives in `wftui.replay.run`, the audit log in `wftui.replay.audit`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from wftui.config import ConfigError, Settings, check_keys, parse_duration
from wftui.core.format import visible
from wftui.core.json_out import dumps
from wftui.hooks import placeholder, split_template

ID_RE = re.compile(r"[A-Za-z0-9._:][A-Za-z0-9._:-]{0,127}")
PLACEHOLDERS = ("execution_id", "workflow_name", "context_file")
DEFAULT_TIMEOUT_S = 30.0
REPLAY_KEYS = frozenset({"command", "url", "timeout"})
# How the temporary context file is shown before it exists (it is created at run time).
CONTEXT_FILE_SHOWN = "<context file>"


class ReplayError(ValueError):
    """A replay that cannot be planned; the message is one line for the operator."""


def check_id(value: Any, what: str = "execution id") -> str:
    """`value` if it is a safe id; else ReplayError saying what the rule is."""
    if isinstance(value, str) and ID_RE.fullmatch(value):
        return value
    shown = visible(repr(value)) if isinstance(value, str) else type(value).__name__
    if isinstance(value, str) and len(shown) > 60:
        shown = shown[:57] + "..."
    raise ReplayError(
        f"refusing {what} {shown}: it must be 1-128 letters, digits or ._:- "
        "and must not start with '-'"
    )


@dataclass(frozen=True)
class ReplayHook:
    """How to ask for a replay: a command template (argv) or a URL, and a timeout."""

    command: tuple[str, ...] | None = None
    url: str | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    origin: str = "config"  # where it came from, for messages: config or the CLI flag

    @property
    def kind(self) -> str:
        """``command`` or ``http``."""
        return "command" if self.command is not None else "http"


def split_command(template: str | list[Any], where: str) -> tuple[str, ...]:
    """A replay command template as argv (see `wftui.hooks.split_template`); it must take
    the execution id or its context, or it cannot know what to replay."""
    argv = split_template(template, PLACEHOLDERS, where)
    if not {placeholder(arg) for arg in argv} & {"execution_id", "context_file"}:
        raise ConfigError(f"{where}: the command must take {{execution_id}} or "
                          "{context_file} as an argument, or it cannot know what to replay")
    return argv


def _checked_url(url: object, where: str) -> str:
    """The URL checked as the request will read it. httpx (half of a replay's start)
    loads here, only for a URL hook."""
    from wftui.sources.http import check_url

    return check_url(url, where)


def hook_from(settings: Settings, replay_cmd: str | None = None,
              replay_url: str | None = None) -> ReplayHook | None:
    """The hook from the CLI flags (which win) or the [replay] table; None if neither.

    Raises ConfigError (one line naming the key or flag) for anything unusable.
    """
    table = check_keys(settings.section("replay"), REPLAY_KEYS, "config: replay")
    timeout = DEFAULT_TIMEOUT_S
    if "timeout" in table:
        timeout = parse_duration(table["timeout"], "config: replay.timeout") or timeout
    if replay_cmd is not None and replay_url is not None:
        raise ConfigError("give --replay-cmd or --replay-url, not both")
    if replay_cmd is not None:
        return ReplayHook(command=split_command(replay_cmd, "--replay-cmd"),
                          timeout_s=timeout, origin="--replay-cmd")
    if replay_url is not None:
        return ReplayHook(url=_checked_url(replay_url, "--replay-url"), timeout_s=timeout,
                          origin="--replay-url")
    if "command" in table and "url" in table:
        raise ConfigError("config: replay: set command or url, not both")
    if "command" in table:
        return ReplayHook(command=split_command(table["command"], "config: replay.command"),
                          timeout_s=timeout)
    if "url" in table:
        return ReplayHook(url=_checked_url(table["url"], "config: replay.url"),
                          timeout_s=timeout)
    return None


def with_replay_given(settings: Settings, given: dict[str, Any]) -> Settings:
    """The [replay] table with `given` (a command or URL from a flag, or the demo's) in
    place of the file's, whose timeout stays; kept in `replay_given` so that a reload
    of the file applies it again."""
    table = {k: v for k, v in settings.section("replay").items() if k == "timeout"}
    return replace(settings, sections={**settings.sections, "replay": {**table, **given}},
                   replay_given=dict(given))


NO_HOOK = ("no replay hook configured: set [replay] command or url in the config file, "
           "or pass --replay-cmd / --replay-url")


@dataclass(frozen=True)
class ReplayPlan:
    """Exactly what will run: the argv (or URL and JSON body), shown before confirming."""

    execution_id: str
    workflow_name: str | None
    context: dict[str, Any] | None
    hook: ReplayHook
    argv: tuple[str, ...] | None = None  # CONTEXT_FILE_SHOWN where the temp file goes
    body: dict[str, Any] | None = None
    context_file_args: tuple[int, ...] = field(default=())  # argv indexes of the file

    def hook_record(self) -> dict[str, Any]:
        """The hook as the audit log keeps it."""
        if self.argv is not None:
            return {"kind": "command", "argv": list(self.argv)}
        return {"kind": "http", "url": self.hook.url}

    def describe(self) -> list[str]:
        """Lines for the confirmation (already made visible: safe to print)."""
        if self.argv is not None:
            lines = ["run (no shell, each line one argument):"]
            lines += [f"  [{i}] {visible(arg)}" for i, arg in enumerate(self.argv)]
            if self.context_file_args:
                lines.append(f"{CONTEXT_FILE_SHOWN}: a temporary JSON file holding the "
                             "logged context, removed afterwards")
        else:
            lines = [f"POST {visible(self.hook.url or '')}",
                     "JSON body: " + visible(_json_text(self.body))]
        lines.append(f"timeout: {self.hook.timeout_s:g} s")
        return lines


def _json_text(value: Any) -> str:
    return dumps(value, sort_keys=True).decode()


def build_plan(hook: ReplayHook | None, execution_id: Any, workflow_name: str | None,
               context: dict[str, Any] | None) -> ReplayPlan:
    """The plan for replaying one execution; ReplayError (one line) when refused."""
    execution_id = check_id(execution_id)
    if hook is None:
        raise ReplayError(NO_HOOK)
    if hook.command is None:
        body = {"execution_id": execution_id, "workflow_name": workflow_name,
                "context": context}
        return ReplayPlan(execution_id, workflow_name, context, hook, body=body)
    argv: list[str] = []
    file_args: list[int] = []
    for index, arg in enumerate(hook.command):
        if arg == "{execution_id}":
            argv.append(execution_id)
        elif arg == "{workflow_name}":
            if workflow_name is None:
                raise ReplayError("the command needs {workflow_name} but the log does not "
                                  f"name the workflow of {execution_id}")
            argv.append(check_id(workflow_name, "workflow name"))
        elif arg == "{context_file}":
            if context is None:
                raise ReplayError("the command needs {context_file} but no context was "
                                  f"logged for {execution_id} (workflow_start.context)")
            argv.append(CONTEXT_FILE_SHOWN)
            file_args.append(index)
        else:
            argv.append(arg)
    return ReplayPlan(execution_id, workflow_name, context, hook, argv=tuple(argv),
                      context_file_args=tuple(file_args))


def follow_id(original_id: str, answered: str | None, replays_before: list[str] | tuple[str, ...],
              replays_now: list[str] | tuple[str, ...]) -> tuple[str | None, str]:
    """Which execution to follow: (id, how it was found).

    The hook's answer first; else a replay of the original that appeared in the log
    since the trigger (events with ``replay_of``); else ``<id>-replay``.
    The id is None only when even the convention would not be a safe id.
    """
    if answered is not None and ID_RE.fullmatch(answered):
        return answered, "the hook's answer"
    new = [replay for replay in replays_now if replay not in replays_before]
    if new:
        return new[-1], "the log (replay_of)"
    guess = f"{original_id}-replay"
    if ID_RE.fullmatch(guess):
        return guess, "the <id>-replay convention (not confirmed)"
    return None, "nothing (the hook did not say and <id>-replay is too long)"
