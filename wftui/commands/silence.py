"""Silence, acknowledge and list alerts (shared with the monitor and `watch`).

    wftui silence add error_rate 1h -m "known incident"
    wftui silence list
    wftui silence remove ID
    wftui silence ack error_rate

A silenced alert is still judged and shown but notifies no one, and `wftui check`
exits 0 for it. With --alertmanager URL (or [alertmanager] url in the config) the
silence is created in, listed from and removed from Alertmanager instead.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from typing import Any

import orjson

from wftui.alerts.alertmanager import (
    AlertmanagerError,
    AlertmanagerSettings,
    alertmanager_settings,
    silence_command,
)
from wftui.alerts.silences import Silence, SilenceError, SilenceStore, user_name
from wftui.commands.common import fail
from wftui.config import ConfigError, load_settings, parse_duration
from wftui.core import format as fmt
from wftui.core.thresholds import DEFAULT_THRESHOLDS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="PATH", help="config file (TOML)")
    parser.add_argument("--alertmanager", metavar="URL",
                        help="keep the silences in this Alertmanager (its v2 API)")
    # Sub-commands parse like their parent: a usage error is one line, exit 2.
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION",
                                    parser_class=type(parser))
    add = actions.add_parser("add", help="silence an alert for a while")
    add.add_argument("alert", help="the threshold: " + ", ".join(
        t.name for t in DEFAULT_THRESHOLDS))
    add.add_argument("duration", help="how long: 30m, 2h, ...")
    # argparse takes "-1h" for an option (only "-1" looks like a number to it) and
    # said the duration was missing: read it as the duration, refused as negative.
    add._negative_number_matcher = re.compile(r"^-\.?\d")
    add.add_argument("-m", "--comment", default="", help="why (shown beside the alert)")
    add.add_argument("--by", help="who (default: your user name)")
    listing = actions.add_parser("list", help="the silences in force")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    remove = actions.add_parser("remove", help="end a silence now")
    remove.add_argument("id", help="the silence's id (from list)")
    ack = actions.add_parser("ack", help="acknowledge an alert (who and when)")
    ack.add_argument("alert")
    ack.add_argument("--by", help="who (default: your user name)")


def _alertmanager(options: argparse.Namespace) -> AlertmanagerSettings | None:
    """--alertmanager, else [alertmanager] url in the config; None: silences stay local."""
    try:
        settings = load_settings(options.config)
        return alertmanager_settings(settings.section("alertmanager"), options.alertmanager)
    except ConfigError as error:
        fail(str(error))
        raise


def _line(silence: Silence, now: float) -> str:
    left = fmt.seconds(float(max(int(silence.ends_at - now), 0)))
    return (f"{silence.id}  {fmt.visible(silence.alert)}  {left} left  "
            f"{silence.describe()}")


def run(options: argparse.Namespace) -> int:
    alertmanager = _alertmanager(options)
    names = {t.name for t in DEFAULT_THRESHOLDS}
    if getattr(options, "alert", None) is not None and options.alert not in names:
        fail(f"unknown alert {options.alert!r}: one of {', '.join(sorted(names))}")
    try:
        if alertmanager is not None:
            try:
                return silence_command(alertmanager, options, out=sys.stdout)
            except (AlertmanagerError, ConfigError) as error:
                fail(str(error))
        return _local(options, SilenceStore())
    except SilenceError as error:
        fail(str(error))
    return 2


def _local(options: argparse.Namespace, store: SilenceStore) -> int:
    now = time.time()
    if options.action == "add":
        try:
            duration = parse_duration(options.duration, "duration")
        except ConfigError as error:
            fail(str(error))
            raise
        assert duration is not None
        silence = store.add(options.alert, duration, options.comment,
                            by=options.by or user_name())
        print(_line(silence, now))
    elif options.action == "list":
        silences = store.silences(now)
        if options.format == "json":
            items: list[dict[str, Any]] = [{"alert": s.alert, **s.as_dict()} for s in silences]
            sys.stdout.buffer.write(orjson.dumps(items, option=orjson.OPT_INDENT_2) + b"\n")
        elif not silences:
            print("no silences in force")
        else:
            for silence in silences:
                print(_line(silence, now))
    elif options.action == "remove":
        if not store.remove(options.id):
            fail(f"no silence {options.id!r} in force (see wftui silence list)", 1)
        print(f"removed {options.id}")
    else:
        ack = store.acknowledge(options.alert, by=options.by or user_name())
        print(f"{fmt.visible(ack.alert)}: {ack.describe()}")
    return 0
