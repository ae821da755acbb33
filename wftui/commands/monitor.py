"""Watch workflow executions live: figures, thresholds, executions, step trees.

`wftui [FILE ...] [--metrics URL ...] [--prometheus URL] [--from-end]` opens the
terminal UI. A bad argument or config is one line on stderr and exit 2; an unexpected
failure inside the UI is one line on stderr too, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from collections.abc import Callable
from typing import Any

from wftui.commands.common import add_source_arguments, fail, settings_from
from wftui.config import ConfigError, Settings, parse_duration


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from wftui.sources.otlp.options import add_otlp_arguments

    add_source_arguments(parser)
    add_otlp_arguments(parser)
    parser.add_argument("--from-end", action="store_true",
                        help="start at the end of the files (only new lines)")
    parser.add_argument("--replay-cmd", metavar="CMD",
                        help="replay with this command (no shell): placeholders "
                             "{execution_id} {workflow_name} {context_file}")
    parser.add_argument("--replay-url", metavar="URL",
                        help="replay by POSTing {execution_id, workflow_name, context} here")


def with_replay_flags(settings: Settings, options: argparse.Namespace) -> Settings:
    """--replay-cmd / --replay-url win over the config's [replay] table (checked now, so
    a bad template is one line at start, not a surprise during an incident)."""
    if options.replay_cmd is None and options.replay_url is None:
        return settings
    from wftui.replay.plan import hook_from, with_replay_given

    try:
        hook_from(settings, options.replay_cmd, options.replay_url)
    except ConfigError as error:
        fail(str(error))
    given = ({"command": options.replay_cmd} if options.replay_cmd is not None
             else {"url": options.replay_url})
    return with_replay_given(settings, given)


def build_monitor(options: argparse.Namespace, settings: Settings) -> Any:
    """The LiveMonitor for these options; bad URLs or config end with one line, exit 2."""
    from wftui.live import LiveMonitor
    from wftui.sources.otlp.options import receiver_from

    try:
        interval = parse_duration(options.interval, "--interval") if options.interval else None
        family = None
        if options.metrics or options.prometheus:
            # Only then: the scrapers' imports (httpx, prometheus_client) cost a tenth
            # of a second before the first screen.
            from wftui.sources.connect import metric_family

            family = metric_family(settings, options.metrics, options.prometheus,
                                   health_urls=options.health, interval=interval)
        receiver = receiver_from(options, settings)
    except ConfigError as error:
        fail(str(error))
        raise
    return LiveMonitor(settings, options.files, metrics=family, from_end=options.from_end,
                       otlp=receiver)


def build_desk(options: argparse.Namespace, settings: Settings) -> Any:
    """Silences and, with --alertmanager or [alertmanager], the push to Alertmanager."""
    from wftui.alerts.alertmanager import alertmanager_settings
    from wftui.alerts.desk import AlertDesk

    try:
        alertmanager = alertmanager_settings(settings.section("alertmanager"),
                                             options.alertmanager)
    except ConfigError as error:
        fail(str(error))
        raise
    return AlertDesk(alertmanager=alertmanager)


NO_TERMINAL = ("the monitor draws on a terminal, and standard error is not one; run it "
               "in a terminal, or use `wftui watch` (a stream of snapshots) or "
               "`wftui check` (one)")


def require_terminal() -> None:
    """Refuse at once (exit 2, `NO_TERMINAL`) when there is no terminal to draw on:
    Textual draws on stderr, and without a terminal there it guessed two sizes (80x24
    and 80x25) and resized between them forever at 100% CPU."""
    stderr = sys.__stderr__
    if stderr is None or not stderr.isatty():
        fail(NO_TERMINAL)


def run_app(make: Callable[[], Any]) -> int:
    """Run a Textual app; an unexpected error becomes one line on stderr (exit 1)."""
    app = None
    # What Textual prints on stderr as the app ends: its traceback of an error in an
    # event handler (it has no public hook for those), shown below as one line.
    printed = io.StringIO()
    try:
        app = make()
        with contextlib.redirect_stderr(printed):
            result = app.run()
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # noqa: BLE001 - the operator gets one line, not a traceback
        print(f"wftui: unexpected error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    finally:
        # run() returned: leaving did not hang; the caller's cleanup runs unhurried.
        guard = getattr(app, "exit_guard", None)
        if guard is not None:
            guard.close()
    # The app ends itself on an unexpected error (WftuiApp.crash): the traceback is in
    # a file, and the operator gets one line naming it.
    crash = getattr(app, "crash_line", None)
    if crash is not None:
        print(f"wftui: unexpected error: {crash}", file=sys.stderr)
        return 1
    return_code = app.return_code
    text = printed.getvalue()
    if return_code == 1 and text and not os.environ.get("WFTUI_DEBUG"):
        from wftui.ui.crash import textual_crash
        from wftui.view.text import safe

        found = textual_crash(text)
        if found is not None:
            line, where = found
            print(f"wftui: unexpected error: {safe(line)}"
                  + (f" (details in {where})" if where else ""), file=sys.stderr)
            return 1
    sys.stderr.write(text)  # anything else printed is the operator's to see
    return int(result or 0) if return_code in (None, 0) else int(return_code)


def take_stdin_for_logs() -> int:
    """`wftui -`: the log comes on stdin, but the UI needs the terminal for keys.

    The piped log moves to a new descriptor (returned, for the tailer) and the
    controlling terminal takes its place as descriptor 0, where Textual reads keys.
    """
    if sys.stdin is None or sys.stdin.isatty():
        fail("'-' reads the log from standard input, but standard input is a terminal "
             "(pipe a log in: tail -f app.log | wftui -)")
    try:
        terminal = os.open("/dev/tty", os.O_RDWR)
    except OSError as error:
        fail(f"'-' needs a terminal for the keys and none is available "
             f"({error.strerror}); try `wftui watch -`")
        raise
    logs = os.dup(0)
    os.dup2(terminal, 0)
    os.close(terminal)
    return logs


def run(options: argparse.Namespace) -> int:
    settings = with_replay_flags(settings_from(options), options)
    monitor = build_monitor(options, settings)
    if (not options.files and not options.metrics and not options.prometheus
            and monitor.otlp is None):
        fail("nothing to watch: give log files and/or --metrics URL / --prometheus URL "
             "/ --otlp [HOST:]PORT (or try `wftui demo`)")
    require_terminal()
    logs_fd = take_stdin_for_logs() if "-" in options.files else None
    if logs_fd is not None and monitor.tailer is not None:
        monitor.tailer.stdin_fd = logs_fd

    desk = build_desk(options, settings)
    # A big log's first readers start now, before the Textual import and the first
    # screen (which keep one core busy); the monitor starts once that screen is drawn.
    monitor.start_readers_early()

    def make() -> Any:
        from wftui.ui.app import make_app

        return make_app(settings, monitor, desk=desk)

    try:
        return run_app(make)
    finally:
        monitor.stop()
