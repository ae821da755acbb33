"""The executions table as text: fixed columns, headings, and the title above them.

Pure functions of rows and the operator's query; the widget (ui/widgets/
executions_table.py) only draws the rows on screen.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text

from wftui.core.execution import ExecutionRow
from wftui.core.format import clock, count, count_in, dollars, seconds
from wftui.view.refresh import Refresh, rows_held
from wftui.view.rows import COLUMNS, TableQuery
from wftui.view.text import clip, safe
from wftui.view.timeline import moment_label, open_at_end

# column key -> width in cells (the last one, workflow, takes the rest)
WIDTHS = {"status": 10, "execution_id": 22, "start_ts": 11, "duration_s": 11, "steps": 8,
          "errors": 9, "tokens": 10, "cost_usd": 10, "workflow_name": 20}
ORDER = ("status", "execution_id", "start_ts", "duration_s", "steps", "errors", "tokens",
         "cost_usd", "workflow_name")
RIGHT = {"duration_s", "steps", "errors", "tokens", "cost_usd"}
STATUS_LOOK = {"running": ("⟳ running", "cyan"), "succeeded": ("✓ ok", "green"),
               "failed": ("✗ failed", "bold red")}
OPEN_AT_END_LOOK = "◌ open"  # running where an old log ends: aged to there, not today


MIN_WORKFLOW = 12  # cells the workflow column keeps before the id column gives way
MIN_ID = 12
WIDE_ID = 38  # a whole UUID
# When even a narrowed id column does not leave room, whole columns give way, least
# needed first (a column cut at the edge, like "$0.", would say something false).
GIVE_WAY = ("workflow_name", "tokens", "steps", "cost_usd", "errors")


def _layout(width: int) -> list[tuple[str, int]]:
    """The columns shown and their widths, filling `width`: a wide terminal shows a
    whole UUID-sized execution id; a narrow one narrows the id column (ids are cut with
    …) so the workflow keeps some room, then drops whole columns (GIVE_WAY)."""
    keys = list(ORDER)
    for gone in (None, *GIVE_WAY):
        if gone is not None:
            keys.remove(gone)
        fixed = sum(WIDTHS[key] for key in keys if key not in ("execution_id", "workflow_name"))
        room = width - fixed - (MIN_WORKFLOW if "workflow_name" in keys else 0)
        if room >= MIN_ID:
            break
    wide = WIDE_ID if width >= 150 else WIDTHS["execution_id"]
    id_size = max(min(room, wide) if "workflow_name" in keys else min(room, WIDE_ID), MIN_ID)
    out: list[tuple[str, int]] = []
    used = 0
    for key in keys:
        size = id_size if key == "execution_id" else WIDTHS[key]
        if key == "workflow_name":  # the last: what is left
            size = max(width - used, 0)
        out.append((key, size))
        used += size
    return out


def _duration(row: ExecutionRow) -> tuple[str, str]:
    """How long it took; for one still running, how long it has run so far ("12.30s…",
    in the running colour): on-call sees a stuck execution's age without opening it."""
    if row.status == "running" and row.duration_s is None:
        if row.running_for_s is None:
            return "…", "dim"
        return seconds(row.running_for_s) + "…", "cyan"
    return seconds(row.duration_s, "-"), ""


def _cells(row: ExecutionRow) -> dict[str, tuple[str, str]]:
    """Each column's text and style (text already made visible-safe)."""
    label, style = STATUS_LOOK.get(row.status, (row.status, ""))
    if row.open_at_end:
        label = OPEN_AT_END_LOOK
    marker = ""
    if row.replay_of is not None:
        marker = " ↻"  # this is a replay
    elif row.replays:
        marker = f" ⟲{len(row.replays)}"  # this was replayed
    tokens = row.input_tokens + row.output_tokens
    return {
        "status": (label, style),
        "execution_id": (safe(row.execution_id) + marker, "bold" if row.replays else ""),
        "start_ts": (clock(row.start_ts), ""),
        "duration_s": _duration(row),
        "steps": (count_in(row.steps, WIDTHS["steps"] - 1), ""),
        "errors": (count_in(row.errors, WIDTHS["errors"] - 1) if row.errors else "-",
                   "bold red" if row.errors else "dim"),
        "tokens": (count_in(tokens, WIDTHS["tokens"] - 1) if tokens else "-", ""),
        "cost_usd": (dollars(row.cost_usd, "-"), ""),
        "workflow_name": (safe(row.workflow_name or "-"), ""),
    }


def row_text(row: ExecutionRow, width: int) -> Text:
    """One row laid out in fixed columns; the workflow column takes what is left."""
    text = Text(no_wrap=True, end="")
    cells = _cells(row)
    for key, size in _layout(width):
        value, style = cells[key]
        value = clip(value, size - 1)
        pad = " " * max(size - 1 - cell_len(value), 0)
        text.append(pad + value if key in RIGHT else value + pad, style=style)
        text.append(" ")
    return text


def header_text(width: int, sort: str, descending: bool) -> Text:
    """Column headings, the sorted one marked with an arrow."""
    text = Text(no_wrap=True, end="", style="bold")
    for key, size in _layout(width):
        name = COLUMNS[key] + ((" ▼" if descending else " ▲") if key == sort else "")
        name = clip(name, size - 1)
        pad = " " * max(size - 1 - cell_len(name), 0)
        text.append((pad + name if key in RIGHT else name + pad) + " ",
                    style="bold reverse" if key == sort else "bold")
    return text


def column_at(width: int, x: int) -> str | None:
    """The column under cell `x` of a header laid out by `header_text` (None: outside)."""
    used = 0
    for key, size in _layout(width):
        if used <= x < used + size:
            return key
        used += size
    return None


def table_title(refresh: Refresh) -> Text:
    """"Executions", how many are shown of how many kept, and the filters in force."""
    query = refresh.query
    title = Text(no_wrap=True, end="")
    title.append("Executions", style="bold")
    moment = moment_label(refresh.snapshot)
    if moment is not None:  # as they stood then: begun by then, status and age then
        title.append(f" {moment}", style="bold black on cyan")
    filtered = query.status != "all" or bool(query.text) or query.pick is not None
    if filtered:  # first: a narrow terminal cuts the end, and a filter must be seen
        _filters(title, query)
    counts = refresh.snapshot.executions
    title.append(f"  {count(len(refresh.rows))} shown of {count(refresh.retained)} retained"
                 " · ")
    running = count(counts.get("running"))
    if open_at_end(refresh.snapshot) and counts.get("running"):
        # An old log's are open where it ends (aged to there), not running now: said
        # once, in those words ("2 running ... (2 open at end of log)" named them twice).
        title.append(f"{running} open at end of log", style="cyan")
    else:
        title.append(f"{running} running")
    title.append(f" · {count(counts.get('failed'))} failed"
                 f" · {count(counts.get('total'))} seen")
    if refresh.snapshot.folded:
        title.append(f" ({count(refresh.snapshot.folded)} folded into figures)",
                     style="dim")
    if not filtered:
        title.append("   status: all", style="dim")
    return title


def _filters(title: Text, query: TableQuery) -> None:
    """The filters in force, in the title's own words."""
    if query.pick is not None:  # a "why" row's executions: what they are says it all
        title.append("  ")
        title.append(Text(safe(query.pick.label), style="bold cyan"))
    if query.pick is None or query.status != "all":
        title.append(f"  status: {query.status}", style="bold cyan")
    if query.text:
        title.append("  filter: ", style="bold cyan")
        title.append(Text(safe(query.text), style="bold cyan"))


def empty_message(refresh: Refresh, reads_logs: bool) -> str:
    """What an empty table says: why there is nothing to list."""
    if not reads_logs:
        # Metrics count executions but do not name them: the table needs a log.
        return ("executions come from log files or traces: start wftui with the "
                "workflows' JSON-lines log or --otlp to see them here")
    if rows_held(refresh.snapshot):
        return "reading the log: its executions are listed once it is read"
    return "no executions match the filter" if refresh.retained else "no executions yet"

