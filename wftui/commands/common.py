"""Arguments and set-up shared by the commands that read sources."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from wftui.config import ConfigError, Settings, load_settings
from wftui.core.mapping import MappingError, build_mapping


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    """FILE ..., --metrics, --prometheus, --window, --config and friends."""
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="JSON-lines log files, or OpenTelemetry Collector OTLP JSON "
                             "files, to read ('-' for standard input); gzip too")
    parser.add_argument("--metrics", action="append", default=[], metavar="URL",
                        help="a Prometheus /metrics URL to scrape (repeatable; summed)")
    parser.add_argument("--prometheus", metavar="URL",
                        help="a Prometheus server to query with PromQL")
    parser.add_argument("--health", action="append", default=[], metavar="URL",
                        help="a health endpoint to poll (default: /health beside /metrics)")
    parser.add_argument("--window", metavar="5m|all",
                        help="the window figures cover: 1m, 5m, 15m, 1h, all, or a duration")
    parser.add_argument("--interval", metavar="5s", default=None,
                        help="time between metrics scrapes (default 5s)")
    parser.add_argument("--config", metavar="PATH", help="config file (TOML)")
    parser.add_argument("--idle-timeout", metavar="30s",
                        help="a running execution silent this long counts as succeeded")
    parser.add_argument("--retention", metavar="N",
                        help="executions kept in full detail (default 50000)")
    parser.add_argument("--alertmanager", metavar="URL",
                        help="an Alertmanager: alerts are pushed to it (watch, monitor) "
                             "and its silences count here")


def settings_from(options: argparse.Namespace) -> Settings:
    """Settings for these options; a bad value is one line on stderr and exit 2.

    Commands and URLs refused from an untrusted config file are said on stderr here,
    once, before anything runs.
    """
    try:
        settings = load_settings(options.config, window=options.window,
                                 idle_timeout=options.idle_timeout,
                                 retention=options.retention)
        build_mapping(settings.section("logs"))  # a bad [logs] table fails here, once
    except (ConfigError, MappingError) as error:
        fail(str(error))
    report_refused(settings)
    return settings


def report_refused(settings: Settings) -> None:
    """One stderr line per command or URL of the config file that will not be used."""
    for line in settings.refused:
        print(f"wftui: {line}", file=sys.stderr)


def fail(message: str, code: int = 2) -> NoReturn:
    """One line on stderr, then exit: what an operator gets instead of a traceback."""
    print(f"wftui: {message}", file=sys.stderr)
    raise SystemExit(code)
