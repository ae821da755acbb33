"""Ask your system to replay an execution (its configured hook), then print the new id.

    wftui replay EXEC-000123 app.log [--yes] [--dry-run] [--replay-cmd CMD | --replay-url URL]

The log files give the execution's workflow name and logged context. What will run is
shown first (the exact argv, or the URL and JSON body) and must be confirmed on the
terminal, unless --yes. Only the new execution id goes to stdout (for scripts); the
plan and the outcome go to stderr. Exit 0 when the hook succeeded, 1 when it failed,
2 for a refused or unusable request.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from wftui.commands.common import fail, report_refused
from wftui.commands.signals import exit_on_signals
from wftui.config import ConfigError, load_settings
from wftui.core.ledger import Ledger
from wftui.core.mapping import MappingError, build_mapping
from wftui.replay.plan import ReplayError, ReplayHook, build_plan, check_id, hook_from
from wftui.replay.run import ReplayResult, interrupted_message, replay


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("execution_id", metavar="ID", help="the execution to replay")
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="JSON-lines log files holding the execution (for its context)")
    parser.add_argument("--yes", "-y", action="store_true",
                        help="do not ask for confirmation (for scripts)")
    parser.add_argument("--dry-run", action="store_true",
                        help="show what would run and stop; nothing is run or audited")
    hooks = parser.add_mutually_exclusive_group()
    hooks.add_argument("--replay-cmd", metavar="CMD",
                       help="command template, e.g. 'myapp replay {execution_id}' "
                            "(placeholders: {execution_id} {workflow_name} {context_file}, "
                            "each a whole argument; run without a shell)")
    hooks.add_argument("--replay-url", metavar="URL",
                       help="POST {execution_id, workflow_name, context} as JSON to this URL")
    parser.add_argument("--config", metavar="PATH", help="config file (TOML)")
    parser.epilog = ("exit status:\n"
                     "  0  the hook succeeded; the new execution id is on stdout\n"
                     "  1  the hook failed, or the replay cannot be followed\n"
                     "  2  a refused or unusable request (nothing was run)")


class _LogReader:
    """The log files, read to their end now and again (to see the replay appear)."""

    def __init__(self, paths: Sequence[str], ledger: Ledger) -> None:
        from wftui.sources.files import FileTailer

        self.ledger = ledger
        self.tailer = FileTailer(list(paths)) if paths else None

    def read(self) -> None:
        if self.tailer is None:
            return
        while batches := self.tailer.read_available():
            for batch in batches:
                self.ledger.ingest_lines(batch.source, batch.first_lineno, batch.lines)

    def replays_of(self, execution_id: str) -> list[str]:
        self.read()
        execution = self.ledger.get(execution_id)
        return list(execution.replays) if execution is not None else []

    def unread(self) -> list[str]:
        """`name: why` of each given file not read (missing, unreadable)."""
        if self.tailer is None:
            return []
        from wftui.commands.check import check_entry, unread_files

        return unread_files([check_entry({"name": status.name, "status": status.status,
                                          "error": status.error})
                             for status in self.tailer.statuses])

    def close(self) -> None:
        if self.tailer is not None:
            self.tailer.close()


def confirm(prompt: str, stdin: TextIO, stderr: TextIO) -> bool:
    """Ask on the terminal; anything but y/yes is no. Refuses without a terminal."""
    if stdin is None or stdin.closed or not stdin.isatty():
        fail("refusing to replay without confirmation: standard input is not a terminal "
             "(check the plan with --dry-run, then pass --yes)")
    stderr.write(prompt)
    stderr.flush()
    try:
        answer = stdin.readline()
    except (OSError, ValueError):
        return False
    return answer.strip().lower() in ("y", "yes")


def run(options: argparse.Namespace) -> int:
    try:
        execution_id = check_id(options.execution_id)
        settings = load_settings(options.config)
        report_refused(settings)
        hook = hook_from(settings, options.replay_cmd, options.replay_url)
        mapping = build_mapping(settings.section("logs"))
    except (ReplayError, ConfigError, MappingError) as error:
        fail(str(error))
        raise
    ledger = Ledger(retention=settings.retention, idle_timeout=settings.idle_timeout_s,
                    mapping=mapping)
    reader = _LogReader(options.files, ledger)
    try:
        return _replay(options, execution_id, hook, reader)
    finally:
        reader.close()


def _replay(options: argparse.Namespace, execution_id: str, hook: ReplayHook | None,
            reader: _LogReader) -> int:
    err = sys.stderr
    reader.read()
    execution = reader.ledger.get(execution_id)
    context = None
    workflow_name = None
    if execution is not None:
        from wftui.core.steps import build_detail

        mapping = reader.ledger.mapping
        detail = build_detail(execution, execution.last_ts, reader.ledger.idle_timeout,
                              mapping.contract_dict if mapping is not None else None)
        context, workflow_name = detail.context, detail.workflow_name
    elif options.files:
        from wftui.core.format import visible
        from wftui.core.understood import ledger_not_understood

        problem = ledger_not_understood(reader.ledger)  # a log in another shape, unmapped
        unread = reader.unread()  # a mistyped file name may be why
        fail(f"{execution_id} is not in the given log files"
             + (f": {visible(problem)}" if problem is not None else "")
             + (f" (not read: {'; '.join(unread)})" if unread else ""))
    else:
        print(f"note: no log files given: replaying {execution_id} without its logged "
              "context and workflow name", file=err)
    try:
        plan = build_plan(hook, execution_id, workflow_name, context)
    except ReplayError as error:
        fail(str(error))
        raise
    head = f"replay {execution_id}" + (f" ({workflow_name})" if workflow_name else "")
    if options.dry_run:
        print("\n".join([f"dry run: {head} would", *plan.describe(),
                         "nothing was run"]))
        return 0
    print("\n".join([f"{head}:", *plan.describe()]), file=err)
    if not options.yes and not confirm("run it? [y/N] ", sys.stdin, err):
        print("not confirmed: nothing was run", file=err)
        return 2
    try:
        # SIGTERM/SIGHUP unwind like ctrl+c: the hook's process group is killed, the
        # context file removed and the interruption audited before wftui exits.
        with exit_on_signals():
            result = replay(plan, replays=(lambda: reader.replays_of(execution_id))
                            if options.files else None)
    except (KeyboardInterrupt, SystemExit) as error:
        print(interrupted_message(error), file=err)
        raise
    if result.refused:
        fail(result.outcome.message)
    return _report(result, err)


def _report(result: ReplayResult, err: TextIO) -> int:
    outcome = result.outcome
    facts = [f"took {outcome.elapsed_s:.2f} s"]
    if outcome.exit_code is not None:
        facts.append(f"exit code {outcome.exit_code}")
    if outcome.http_status is not None:
        facts.append(f"HTTP {outcome.http_status}")
    print(f"{outcome.message} ({', '.join(facts)})", file=err)
    for note in outcome.notes:
        print(f"note: {note}", file=err)
    if not outcome.ok and outcome.stderr_tail:
        print("stderr (end):", file=err)
        for line in outcome.stderr_tail.split("\u240a")[-10:]:
            print(f"  {line}", file=err)
    if result.audit_error:
        print(f"warning: {result.audit_error}", file=err)
    if not outcome.ok:
        return 1
    if result.new_id is None:
        print(f"cannot follow the replay: {result.id_source}", file=err)
        return 1
    print(f"following {result.new_id} (from {result.id_source})", file=err)
    print(result.new_id)
    return 0
