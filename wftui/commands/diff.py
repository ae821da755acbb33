"""Compare two executions step by step (an original and its replay, or any two).

    wftui diff EXEC-000123 EXEC-000123-replay app.log [--format text|json]

Prints the verdict, both executions' headers and one row per step aligned by name and
order. Exit 0 when nothing differs, 1 when something does (like diff(1)), 2 when an
execution is not in the files or they cannot be read.
"""

from __future__ import annotations

import argparse
import sys
import time

import orjson

from wftui.commands.common import fail
from wftui.config import ConfigError, load_settings
from wftui.core import format as fmt
from wftui.core.compare import Comparison, StepRow, StepSide, compare, shown_same
from wftui.core.ledger import Ledger
from wftui.core.steps import build_detail
from wftui.core.understood import ledger_not_understood


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("left", metavar="ID_A", help="the first execution (the original)")
    parser.add_argument("right", metavar="ID_B", help="the second execution (the replay)")
    parser.add_argument("files", nargs="+", metavar="FILE", help="JSON-lines log files")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text (for people, default) or json")
    parser.add_argument("--config", metavar="PATH", help="config file (TOML)")
    parser.add_argument("--idle-timeout", metavar="30s",
                        help="a running execution silent this long counts as succeeded")
    parser.epilog = ("exit status:\n"
                     "  0  the two executions do not differ\n"
                     "  1  they differ (like diff(1))\n"
                     "  2  an execution is not in the files, no file can be read, or the\n"
                     "     arguments are wrong")


def run(options: argparse.Namespace) -> int:
    from wftui.commands.check import read_files, unread_files

    try:
        settings = load_settings(options.config, idle_timeout=options.idle_timeout)
    except ConfigError as error:
        fail(str(error))
        raise
    ledger, entries = read_files(options.files, settings, keep_raw=True)
    unread = unread_files(entries)
    if len(unread) == len(entries):
        fail("no file could be read (" + "; ".join(unread) + ")")
    # A file not read (a mistyped name) may hold either execution: always said.
    not_read = f" (not read: {'; '.join(unread)})" if unread else ""
    now = time.time()
    details = []
    for execution_id in (options.left, options.right):
        execution = ledger.get(execution_id)
        if execution is None:
            fail(f"{fmt.visible(execution_id)} is not in the given log files"
                 + _why_missing(ledger) + not_read)
            raise AssertionError("unreachable")
        mapping = ledger.mapping
        details.append(build_detail(execution, now, ledger.idle_timeout,
                                    mapping.contract_dict if mapping is not None else None))
    if unread:
        print(f"wftui: warning: not read: {'; '.join(unread)}", file=sys.stderr)
    comparison = compare(details[0], details[1])
    if options.format == "json":
        sys.stdout.buffer.write(orjson.dumps(comparison.as_dict(),
                                             option=orjson.OPT_INDENT_2) + b"\n")
    else:
        sys.stdout.write(comparison_text(comparison))
    sys.stdout.flush()
    return 1 if comparison.differs else 0


def _why_missing(ledger: Ledger) -> str:
    """A file read but not understood (a log in another shape without its [logs]
    mapping): said after "not in the given log files", or the id looks mistyped."""
    problem = ledger_not_understood(ledger)
    return f": {fmt.visible(problem)}" if problem is not None else ""


def side_text(side: StepSide | None) -> str:
    """One side of a row as text: status, duration, path, error (made visible)."""
    if side is None:
        return "-"
    parts = [side.status, fmt.seconds(side.duration_s, "?")]
    if side.path_taken:
        parts.append(f"-> {side.path_taken}")
    if side.input_tokens is not None or side.output_tokens is not None:
        parts.append(f"{fmt.count(side.input_tokens, '?')}/"
                     f"{fmt.count(side.output_tokens, '?')} tok")
    if side.cost_usd is not None:
        parts.append(fmt.dollars(side.cost_usd, "$0"))
    if side.error:
        parts.append(f"error: {side.error[:80]}")
    return fmt.visible(" ".join(parts))


def row_note(row: StepRow) -> str:
    """The differences of a row, with the duration ratio where it matters."""
    notes = []
    for kind in row.differences:
        if kind in ("slower", "faster") and row.duration_ratio is not None:
            notes.append(f"{kind} x{fmt.ratio(row.duration_ratio)}")
        else:
            notes.append(kind)
    return ", ".join(notes)


def comparison_text(comparison: Comparison) -> str:
    """The whole comparison for a terminal or a file."""
    left, right = comparison.left, comparison.right
    lines = [fmt.visible(comparison.verdict), ""]
    for label, summary in ((comparison.left_label, left), (comparison.right_label, right)):
        where = f" at {summary.failed_step}" if summary.failed_step else ""
        tokens, cost = fmt.usage(summary.input_tokens, summary.output_tokens,
                                 summary.cost_usd)
        lines.append(fmt.visible(
            f"{label}: {summary.execution_id} {summary.status}{where}, "
            f"{fmt.seconds(summary.duration_s, 'running')}, {summary.steps} "
            f"step{'' if summary.steps == 1 else 's'}, tokens {tokens}, cost {cost}"
            + (f", error: {summary.error[:120]}" if summary.error else "")))
    if comparison.duration_ratio is not None:
        # Both read 0ms (or any same figure): their ratio is what rounding hid, not news.
        same = shown_same(right.duration_s, left.duration_s)
        lines.append(fmt.visible(
            f"duration ratio ({comparison.right_label} / {comparison.left_label}): "
            + (f"same ({fmt.seconds(left.duration_s)} each)" if same
               else fmt.ratio(comparison.duration_ratio))))
    if comparison.running:
        lines.append("(still running: this comparison will change)")
    lines.append("")
    cells = [(fmt.visible(row.name), side_text(row.left), side_text(row.right), row_note(row))
             for row in comparison.rows]
    # A label may be an execution id as typed on the command line: made visible too.
    header = ("step", fmt.visible(comparison.left_label), fmt.visible(comparison.right_label),
              "differences")
    widths = [max(len(header[i]), *(len(c[i]) for c in cells)) if cells else len(header[i])
              for i in range(3)]
    for i, cell in enumerate([header, *cells]):
        mark = "*" if i and cell[3] else " "
        lines.append(f"{mark} {cell[0]:<{widths[0]}} | {cell[1]:<{widths[1]}} | "
                     f"{cell[2]:<{widths[2]}} | {cell[3]}".rstrip())
    if not cells:
        lines.append("  (no steps logged on either side)")
    return "\n".join(lines) + "\n"
