"""The `wftui` command: the live monitor by default, or a subcommand.

Subcommands are imported only when used, so `wftui check` in cron never pays for
loading the UI toolkit.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from wftui import __version__
from wftui.core.format import visible

# name -> (module under wftui.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("check", "read the sources once, print a snapshot, exit 0/1/2"),
    "watch": ("watch", "follow the sources headless, print snapshots and alerts"),
    "demo": ("demo", "start the example workflow service and monitor it"),
    "replay": ("replay", "ask your system to replay an execution, print the new id"),
    "diff": ("diff", "compare two executions step by step"),
    "silence": ("silence", "silence, acknowledge and list alerts"),
}
MONITOR = ("monitor", "the live monitor (default)")
# Ingestion allocates and frees millions of small dicts; the default collector
# thresholds make it rescan the ledger's long-lived objects over and over.
GC_THRESHOLDS = (100_000, 50, 1000)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit 2, no usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        # The message may quote an argument as typed: control characters made visible.
        self.exit(2, f"wftui: {visible(message)} (see {self.prog} --help)\n")


def _parser_for(name: str) -> tuple[argparse.ArgumentParser, ModuleType]:
    module_name, help_text = COMMANDS.get(name, MONITOR)
    module = importlib.import_module(f"wftui.commands.{module_name}")
    prog = "wftui" if name not in COMMANDS else f"wftui {name}"
    description = (module.__doc__ or help_text).strip().splitlines()[0]
    epilog = None
    if name not in COMMANDS:
        epilog = "commands:\n" + "\n".join(f"  {cmd:<8} {text}"
                                           for cmd, (_, text) in COMMANDS.items())
    parser = _Parser(prog=prog, description=description, epilog=epilog,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"wftui {__version__}")
    module.add_arguments(parser)
    return parser, module


def _misplaced_command(args: list[str]) -> str | None:
    """A command name after options (`wftui --config x.toml check app.log`): the monitor
    would read "check" as a log file and fail on the command's options. None when no
    such word is there, or a file of that name is (then it is a log after all)."""
    if not args or not args[0].startswith("-"):
        return None
    return next((arg for arg in args[1:] if arg in COMMANDS and not os.path.exists(arg)),
                None)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `wftui` console script and `python -m wftui`."""
    args = list(sys.argv[1:] if argv is None else argv)
    name = args[0] if args and args[0] in COMMANDS else ""
    if name:
        args = args[1:]
    if not name:
        misplaced = _misplaced_command(args)
        if misplaced is not None:
            print(f"wftui: the command comes first, then its options: wftui {misplaced} "
                  f"{' '.join(a for a in args if a != misplaced)}", file=sys.stderr)
            return 2
    gc.set_threshold(*GC_THRESHOLDS)
    # httpx imports its own command line (click, pygments, rich's progress and syntax)
    # when they are installed, as they are beside Textual: 50-130 ms of every start that
    # sends requests (watch, replay, the monitor), for a CLI wftui never calls. Marked
    # missing, httpx skips it (its `httpx.main` would say to install httpx[cli]).
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    try:
        parser, module = _parser_for(name)
    except ImportError as error:  # a broken install: one line, not a traceback
        print(f"wftui: cannot load the {name or 'monitor'} command: {error}", file=sys.stderr)
        return 2
    # Intermixed: options may come after positionals (`wftui replay ID --yes app.log`).
    # After "--" everything is positional, which intermixed parsing does not keep (it
    # would call an id "-rf" an unknown option): there, options come first anyway.
    # `wftui silence` has sub-commands, which intermixed parsing cannot take.
    options = (parser.parse_args(args) if "--" in args or name == "silence"
               else parser.parse_intermixed_args(args))
    try:
        return int(module.run(options))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `wftui check | head`: the reader left; say nothing more.
        sys.stderr.close()
        return 0
