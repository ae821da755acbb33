"""Read the sources once, print one snapshot, and exit 0 (ok), 1 (firing) or 2 (error).

For cron and CI: files are read to their end; metrics URLs are scraped twice, an
interval apart, so rates exist; a Prometheus server is asked once (it keeps the
history).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from dataclasses import replace
from typing import Any

import orjson

from wftui.alerts.alertmanager import alertmanager_settings, read_silences
from wftui.alerts.desk import Silencing
from wftui.alerts.silences import Silence, SilenceStore, gather
from wftui.commands.common import add_source_arguments, fail, settings_from
from wftui.commands.signals import exit_on_signals
from wftui.config import ConfigError, Settings, parse_duration
from wftui.core import format as fmt
from wftui.core.clock import history_warning, log_clock
from wftui.core.ledger import Ledger
from wftui.core.mapping import build_mapping
from wftui.core.snapshot import Snapshot, file_source_entry, prime_for_check, take_snapshot
from wftui.core.thresholds import FIRING, Alert, ThresholdEngine
from wftui.core.understood import annotate, log_warnings, not_understood_sources
from wftui.view.render_text import alert_entry, alert_lines, snapshot_text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser)
    parser.add_argument("--format", choices=("json", "text"), default="json",
                        help="json (one object) or text (for people); default json")
    parser.add_argument("--at", metavar="TIME",
                        help="the figures as they stood at a moment of the log: a "
                             "timestamp (2026-03-01T09:29:50Z, or epoch seconds or "
                             "milliseconds as a log line writes them), a time of day "
                             "(09:29) or a time before its end (--at=-10m, "
                             "--at=-1h30m: with '=', as argparse reads '-10m' as an "
                             "option)")
    parser.add_argument("--alerts", action="store_true",
                        help="add every alert the log's history holds: when each fired "
                             "and cleared, judged along the log's own time (a "
                             "post-mortem of yesterday's log)")
    parser.add_argument("--explain", action="store_true",
                        help="add why each figure is where it is (breakdowns by step, "
                             "error, workflow, model, tool; slow executions; queue growth)")


def read_files(paths: list[str], settings: Settings, *, keep_raw: bool = False
               ) -> tuple[Ledger, list[dict[str, Any]]]:
    """Read every file to its end: the ledger, and one source entry per file.

    keep_raw: keep each execution's lines, for step trees (`wftui diff`); without them
    (`check`) a big file is read in parts, one process per core.
    """
    from wftui.sources.otlp.files import is_otlp_file
    from wftui.sources.otlp.options import prices_from
    from wftui.sources.split import read_once

    # Spans beside logs: a step both logged and traced must count once, and without
    # lines kept that takes every execution's step marks (only then: they cost memory).
    spans = any(is_otlp_file(path) for path in paths)

    def new_ledger() -> Ledger:
        return Ledger(retention=settings.retention, idle_timeout=settings.idle_timeout_s,
                      keep_raw=keep_raw, step_marks=spans, mapping=mapping)

    mapping = build_mapping(settings.section("logs"))
    try:  # spans of OTLP JSON files are priced as the monitor prices them
        prices = prices_from(settings.section("otlp").get("prices", {}), "otlp.prices")
    except ConfigError as error:
        fail(str(error))
        raise

    ledger, statuses = read_once(paths, new_ledger, prices)
    return ledger, [check_entry(annotate(file_source_entry(ledger, status), ledger))
                    for status in statuses]


def _history_warning(ledger: Ledger, settings: Settings, at: bool = False) -> list[str]:
    """An old log (its newest event older than the window) is judged as of its end (or
    of --at, `at`): a cron job reading it must be told that this is history, not now."""
    clock = log_clock(ledger.window_anchor, time.time(), settings.window_s)
    warning = history_warning(clock, "the moment asked (--at)" if at else "its end")
    return [warning] if warning is not None else []


def _empty_warnings(sources: list[dict[str, Any]]) -> list[str]:
    """A file read but empty: not an error (a quiet service), but a cron job that reads
    only the exit code and the states must be told that nothing at all was judged."""
    return [f"{source['name']}: empty: no lines, so no figure and no threshold is judged"
            for source in sources if source.get("kind") == "file"
            and source.get("status") == "ok" and not source.get("lines")
            and not source.get("skipped_long_lines")]  # those are said on their own


def _broken_warning(source: dict[str, Any]) -> str:
    """A file read in part, then failed: what the figures stand on."""
    return (f"{_reason(source)}: read {source['lines']:,} lines before that; the figures "
            "are of those lines only")


def _fail_if_broken(broken: list[dict[str, Any]]) -> None:
    """Once the figures are printed: a file that failed part-way ends the check in
    error (2), its warning on stderr."""
    if broken:
        fail("; ".join(fmt.visible(_broken_warning(s)) for s in broken))


def _reason(source: dict[str, Any]) -> str:
    """`name: why`, without the name twice (a tailer's error often starts with the path)."""
    name, why = str(source["name"]), str(source.get("error") or source.get("status"))
    return f"{name}: {why.removeprefix(f'{name}: ')}"


def unread_files(entries: list[dict[str, Any]]) -> list[str]:
    """`name: why` of each file entry not read (`check_entry`), made visible: file names
    come from the command line and errors may quote them."""
    return [fmt.visible(_reason(entry)) for entry in entries if entry.get("status") != "ok"]


def check_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """`check` reads once: a file is "ok" when read, "missing" or "error" otherwise."""
    state = entry.get("status")
    if state == "waiting":
        entry["status"] = "missing"
        entry["error"] = entry.get("error") or "no such file"
    elif state != "error":
        entry["status"], entry["error"] = "ok", entry.get("not_understood")
    return entry


def read_metrics(options: argparse.Namespace, settings: Settings
                 ) -> tuple[dict[str, Any] | None, list[dict[str, Any]], list[str]]:
    """Two scrapes of every --metrics URL (or PromQL over --prometheus)."""
    if not options.metrics and not options.prometheus:
        return None, [], []
    from wftui.sources.connect import metric_family, read_metrics_once

    try:
        interval = (parse_duration(options.interval, "--interval")
                    if options.interval else None)
        family = metric_family(settings, options.metrics, options.prometheus,
                               health_urls=options.health, interval=interval)
    except ConfigError as error:
        fail(str(error))
        raise
    if family is None:
        return None, [], []
    import asyncio  # only here: importing it costs a log-only check a third of its start

    figures, targets = asyncio.run(read_metrics_once(family, settings.window_s))
    for target in targets:
        if target.get("status") == "waiting":
            target["status"] = "down"
    return figures, targets, list(figures.get("warnings", []))


def run(options: argparse.Namespace) -> int:
    settings = settings_from(options)
    if not options.files and not options.metrics and not options.prometheus:
        fail("nothing to check: give log files and/or --metrics URL / --prometheus URL")
    ledger: Ledger | None = None
    sources: list[dict[str, Any]] = []
    if options.files:
        # A one-shot read: the ledger's objects hold no reference cycles, so the cyclic
        # collector would only re-walk millions of live objects (~10% of the time);
        # after it, they are frozen out of its sight.
        gc.disable()
        try:
            # A big file is read by child processes: SIGTERM/SIGHUP must unwind through
            # the reader's cleanup (which stops them), not end this process on the spot.
            with exit_on_signals():
                # --explain groups failures by model and tool, which needs each
                # execution's lines: one process reads them all.
                ledger, entries = read_files(options.files, settings, keep_raw=options.explain)
        finally:
            gc.freeze()
            gc.enable()
        sources += entries
    metrics, targets, warnings = read_metrics(options, settings)
    sources += targets
    # A file that failed part-way (a damaged gzip, an I/O error) after lines were read:
    # its figures are shown, with the error, and the check still ends in error (2).
    broken = [s for s in sources if s.get("kind") == "file" and s.get("status") == "error"
              and s.get("lines")]
    if not any(source.get("status") == "ok" for source in sources) and not broken:
        reasons = "; ".join(_reason(s) for s in sources)
        fail(f"no source could be read ({reasons})")
    warnings = [*warnings, *(_broken_warning(s) for s in broken)]
    # Read but understood nothing (a log of no events, a target of none of our metrics):
    # an error, never an all-clear.
    problem = not_understood_sources(sources)
    if problem is None and metrics is not None and metrics.get("statuses_not_understood"):
        problem = f"metrics: {metrics['statuses_not_understood']}"
    if problem is not None:
        fail(problem)
    if ledger is not None:
        from wftui.sources.filestatus import long_line_warnings

        warnings = (_empty_warnings(sources) + long_line_warnings(sources)
                    + log_warnings(ledger) + warnings
                    + _history_warning(ledger, settings, options.at is not None))
    engine = ThresholdEngine(settings.thresholds)
    if options.at is not None:
        snapshot = snapshot_at_moment(options.at, ledger, engine, settings, sources,
                                      warnings, (metrics or {}).get("queue_depth"))
        # The breakdowns of that moment's window (its end is the moment).
        write(snapshot, options.format,
              explain_snapshot(ledger, snapshot, settings) if options.explain else None,
              history=alert_history(options, ledger, settings, snapshot.at))
        _fail_if_broken(broken)
        return 1 if any(state.state == FIRING for state in snapshot.thresholds) else 0
    if ledger is not None:
        prime_for_check(ledger, engine, settings.window_s)
    snapshot = take_snapshot(ledger, engine, window_s=settings.window_s, sources=sources,
                             metrics=metrics, warnings=warnings)
    explained = explain_snapshot(ledger, snapshot, settings) if options.explain else None
    remote, status = alertmanager_silences(options, settings, snapshot)
    silenced, acks, problems = gather(SilenceStore(), remote)
    silencing = Silencing(silenced, acks, problems, [status] if status else [])
    write(snapshot, options.format, explained, silencing,
          history=alert_history(options, ledger, settings))
    _fail_if_broken(broken)
    # A silenced alert is still judged and shown, but does not fail the check.
    return 1 if silencing.firing(snapshot.thresholds) else 0


def snapshot_at_moment(text: str, ledger: Ledger | None, engine: ThresholdEngine,
                       settings: Settings, sources: list[dict[str, Any]],
                       warnings: list[str], queue_now: float | None = None) -> Snapshot:
    """`--at`: the log's figures, thresholds and alerts as they stood at that moment
    (queue_now: the metrics' queue depth now, which has no past here)."""
    from wftui.core.clock import resolve_moment
    from wftui.core.history import LogHistory
    from wftui.core.travel import snapshot_at

    if ledger is None:
        fail("--at needs log files: metrics have no past here")
        raise AssertionError("unreachable")
    end = ledger.window_anchor
    try:
        at = resolve_moment(text, LogHistory(ledger, end or 0.0).start, end)
    except ValueError as error:
        fail(f"--at: {error}")
        raise AssertionError("unreachable") from error
    assert end is not None
    return snapshot_at(ledger, engine, at, settings.window_s, log_now=end,
                       sources=tuple(sources), warnings=tuple(warnings), queue_now=queue_now)


def alertmanager_silences(options: argparse.Namespace, settings: Settings,
                          snapshot: Snapshot) -> tuple[list[Silence], dict[str, Any] | None]:
    """Alertmanager's silences of our alerts, and its source entry (None: not asked)."""
    try:
        alertmanager = alertmanager_settings(settings.section("alertmanager"),
                                             options.alertmanager)
    except ConfigError as error:
        fail(str(error))
        raise
    if alertmanager is None:
        return [], None
    return read_silences(alertmanager, [state.name for state in snapshot.thresholds])


def explain_snapshot(ledger: Ledger | None, snapshot: Snapshot, settings: Settings
                     ) -> dict[str, Any]:
    """The breakdowns behind the snapshot's figures (logs; metrics where labelled)."""
    from wftui.core.explain import explain
    from wftui.core.explain_metrics import explain_metrics

    out: dict[str, Any] = {}
    if ledger is not None and snapshot.window_end is not None:
        out = explain(ledger, window_s=snapshot.window_s, end=snapshot.window_end,
                      now=snapshot.window_end, thresholds=settings.thresholds)
    if snapshot.metrics is not None:
        out["metrics"] = explain_metrics(snapshot.metrics, settings.thresholds)
    return out


def alert_history(options: argparse.Namespace, ledger: Ledger | None, settings: Settings,
                  until: float | None = None) -> list[Alert] | None:
    """--alerts: the alerts along the log's time (to `until`), None when not asked;
    metrics alone have no past here: none then (a warning says why)."""
    if not options.alerts:
        return None
    if ledger is None or ledger.window_anchor is None:
        return []
    from wftui.core.history import LogHistory, alerts_along  # only asked for: a walk

    return alerts_along(LogHistory(ledger, ledger.window_anchor), settings.thresholds,
                        settings.window_s, until)


def write(snapshot: Snapshot, form: str, explained: dict[str, Any] | None = None,
          silencing: Silencing | None = None, history: list[Alert] | None = None) -> None:
    silencing = silencing or Silencing()
    asked = history is not None
    if asked and snapshot.logs is None:  # unknown (null), never "none fired"
        history = None
        snapshot = replace(snapshot, warnings=(
            *snapshot.warnings, "--alerts: metrics have no past here; a log file has"))
    if form == "json":
        out = silencing.annotate(snapshot.to_check_dict())
        if asked:
            out["alerts"] = (None if history is None
                             else [alert_entry(alert) for alert in history])
        if explained is not None:
            out["explain"] = explained
        sys.stdout.buffer.write(orjson.dumps(out, option=orjson.OPT_INDENT_2) + b"\n")
    else:
        text = snapshot_text(snapshot, silencing.marks(snapshot.thresholds))
        if history is not None:
            text += "".join(f"{line}\n" for line in alert_lines(history))
        text += "".join(f"{line}\n" for line in silencing.text_lines())
        if explained is not None:
            from wftui.alerts.explain_text import explain_lines

            text += "\n".join(explain_lines(explained)) + "\n"
        sys.stdout.write(text)
    sys.stdout.flush()
