"""Read the sources once, print one snapshot, and exit 0 (ok), 1 (firing) or 2 (error).

For cron and CI: files are read to their end; metrics URLs are scraped twice, an
interval apart, so rates exist.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

import orjson

from wftui.commands.common import add_source_arguments, fail, settings_from
from wftui.config import ConfigError, Settings, parse_duration
from wftui.core.ledger import Ledger
from wftui.core.snapshot import Snapshot, take_snapshot
from wftui.core.thresholds import FIRING, ThresholdEngine
from wftui.render_text import snapshot_text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser)
    parser.add_argument("--format", choices=("json", "text"), default="json",
                        help="json (one object) or text (for people); default json")


def read_files(paths: list[str], ledger: Ledger) -> list[dict[str, Any]]:
    """Read every file to its end into the ledger; one source entry per file."""
    from wftui.sources.files import FileTailer

    tailer = FileTailer(paths)
    try:
        while batches := tailer.read_available():
            for batch in batches:
                ledger.ingest_lines(batch.source, batch.first_lineno, batch.lines)
        for batch in tailer.flush_partial():
            ledger.ingest_lines(batch.source, batch.first_lineno, batch.lines)
        return [file_source(status.as_dict(), ledger) for status in tailer.statuses]
    finally:
        tailer.close()


def file_source(status: dict[str, Any], ledger: Ledger) -> dict[str, Any]:
    """A file's entry in `sources`: the tailer's facts plus the ledger's counts."""
    counts = ledger.sources.get(status["name"])
    events = counts.events if counts else 0
    malformed = counts.malformed if counts else 0
    entry = {"kind": "file", "name": status["name"], "lines": events + malformed,
             "events": events, "malformed": malformed}
    state = status.get("status")
    if state == "waiting":
        entry["status"], entry["error"] = "missing", status.get("error") or "no such file"
    elif state == "error":
        entry["status"], entry["error"] = "error", status.get("error")
    else:
        entry["status"], entry["error"] = "ok", None
    for key in ("rotations", "truncations", "skipped_long_lines", "offset"):
        if key in status:
            entry[key] = status[key]
    return entry


def read_metrics(options: argparse.Namespace, settings: Settings
                 ) -> tuple[dict[str, Any] | None, list[dict[str, Any]], list[str]]:
    """Two scrapes of every --metrics URL (or PromQL over --prometheus)."""
    if not options.metrics and not options.prometheus:
        return None, [], []
    from wftui.sources.metrics import metrics_settings, run_check_metrics

    try:
        interval = (parse_duration(options.interval, "--interval")
                    if options.interval else None)
    except ConfigError as error:
        fail(str(error))
    metric_settings = metrics_settings(settings, interval=interval)
    figures, targets = asyncio.run(run_check_metrics(
        options.metrics, options.prometheus, metric_settings, settings.window_s))
    warnings = list(figures.get("warnings", [])) if figures else []
    return figures, targets, warnings


def run(options: argparse.Namespace) -> int:
    settings = settings_from(options)
    if not options.files and not options.metrics and not options.prometheus:
        fail("nothing to check: give log files and/or --metrics URL / --prometheus URL")
    ledger: Ledger | None = None
    sources: list[dict[str, Any]] = []
    if options.files:
        ledger = Ledger(retention=settings.retention, idle_timeout=settings.idle_timeout_s)
        sources += read_files(options.files, ledger)
    metrics, targets, warnings = read_metrics(options, settings)
    sources += targets
    if not any(source.get("status") == "ok" for source in sources):
        reasons = "; ".join(f"{s['name']}: {s.get('error') or s.get('status')}"
                            for s in sources)
        fail(f"no source could be read ({reasons})")
    snapshot = take_snapshot(ledger, ThresholdEngine(settings.thresholds),
                             window_s=settings.window_s, sources=sources,
                             metrics=metrics, warnings=warnings)
    write(snapshot, options.format)
    return 1 if any(state.state == FIRING for state in snapshot.thresholds) else 0


def write(snapshot: Snapshot, form: str) -> None:
    if form == "json":
        sys.stdout.buffer.write(orjson.dumps(snapshot.to_check_dict(),
                                             option=orjson.OPT_INDENT_2) + b"\n")
    else:
        sys.stdout.write(snapshot_text(snapshot))
    sys.stdout.flush()
