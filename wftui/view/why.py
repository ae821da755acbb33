"""The "why" view of a figure: rows from an explanation (`wftui.core.explain`), and the
alert line with its silence and acknowledgement. Textual-free: the screen only draws.

Each row can open the executions it counted in the table: it carries their ids and
what they were (`Pick`); a row of the metrics, which name no execution, carries the
table filter (text and status) that finds the log's.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from rich.cells import cell_len

from wftui.core import format as fmt
from wftui.view.rows import Pick
from wftui.view.text import ELLIPSIS, clip

TITLES = {
    "error_rate": "Why the error rate",
    "latency_p95_s": "Why latency p95",
    "active_workflows": "Why active workflows",
    "queue_depth": "Why queue depth",
}
FIGURES = tuple(TITLES)
_PLACEHOLDER = re.compile(r"<(?:id|hex|uuid)>")


@dataclass(frozen=True)
class WhyRow:
    """One group: what it is, how many, what share, and the change since last window."""

    label: str
    count: str = ""
    share: str = ""
    change: str = ""
    filter_text: str | None = None  # the executions table's filter that shows them
    status: str | None = None  # and its status filter (failed, running)
    pick: Pick | None = None  # the executions it counted (rows of the log)

    def __post_init__(self) -> None:
        # The filter box shows this text, and Textual draws an Input's value raw: a
        # step name's ESC would reach the terminal. It is made visible here, for every
        # row, as the table's search compares (`wftui.view.rows`).
        if self.filter_text is not None:
            object.__setattr__(self, "filter_text", fmt.visible(self.filter_text))


@dataclass(frozen=True)
class WhySection:
    title: str
    rows: tuple[WhyRow, ...]


@dataclass(frozen=True)
class WhyView:
    """Everything the "why" screen shows for one figure."""

    figure: str
    title: str
    summary: str
    sections: tuple[WhySection, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def rows(self) -> list[tuple[str, WhyRow]]:
        """Every row with its section's title, in display order."""
        return [(section.title, row) for section in self.sections for row in section.rows]


def _share(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f}%"


def _change(row: dict[str, Any]) -> str:
    """+3 (was 0 · 0%): the count's change, then the previous window's count and share."""
    change = row.get("change")
    if change is None:
        return ""
    moved = "=" if change == 0 else f"{change:+,}"
    share = row.get("previous_share")
    was = f"{fmt.count(row.get('previous'))}" + (f" · {_share(share)}" if share is not None
                                                 else "")
    return f"{moved} (was {was})"


def _step_change(row: dict[str, Any]) -> str:
    """ · in 1 (=, was 1 · 20%): how many slow executions ran the step, against the
    previous window's slow executions."""
    if row.get("change") is None:
        return ""
    return f" · in {fmt.count(row.get('count'))} ({_change(row).replace(' (was', ', was')}"


def error_filter(group: str) -> str:
    """The longest stretch of an error group without placeholders (what the table's
    text filter can find in the real error texts)."""
    # A long group is cut with an ellipsis (`error_group`) the errors do not have.
    parts = [part.strip(" :,;") for part in _PLACEHOLDER.split(group.removesuffix("…"))]
    return max(parts, key=len) if parts else group


PICK_VALUE = 60  # cells of a step name or error text in the table's title


def when(explained: dict[str, Any]) -> str:
    """The window the explanation counted, as the table's title says it: "in
    11:57:00–12:02:00" (with `--window all`: "up to 12:02:00")."""
    end = explained.get("at", explained.get("end"))
    if end is None:
        return ""
    window = explained.get("window_s")
    if window is None:
        return f"up to {fmt.clock(end)}"
    return f"in {fmt.clock(end - window)}–{fmt.clock(end)}"


def pick(row: dict[str, Any], *words: str) -> Pick | None:
    """The executions a group counted (`execution_ids`, from `explain(members=True)`),
    and the title's words for them: "failed · step classify · in 11:57:00–12:02:00"."""
    ids = row.get("execution_ids")
    if ids is None:
        return None
    label = " · ".join(clip(fmt.visible(word), PICK_VALUE) for word in words if word)
    return Pick(frozenset(ids), label)


def _grouped(rows: list[dict[str, Any]] | None, key: str, *, status: str | None,
             filtered: bool = True, to_filter: Any = None, what: str = "",
             window: str = "") -> tuple[WhyRow, ...]:
    out = []
    for row in rows or []:
        value = str(row[key])
        filter_text = (to_filter(value) if to_filter else value) if filtered else None
        if value.startswith("(no "):
            filter_text = None  # "(no step)": nothing to search for
        out.append(WhyRow(fmt.visible(value), fmt.count(row["count"]),
                          _share(row.get("share")), _change(row), filter_text, status,
                          pick(row, status or "", f"{what} {value}", window)))
    return tuple(out)


def why_view(figure: str, explained: dict[str, Any]) -> WhyView:
    """The view of one figure's explanation (see `wftui.core.explain.explain`)."""
    title = TITLES.get(figure, figure)
    notes = tuple(n for n in (explained.get("note"),) if n)
    at = explained.get("at")
    if at is not None:  # a past moment of the log (time travel), as the dashboard shows
        window = explained.get("window_s")
        since = f"{fmt.clock(at - window)}–" if window else "the log's start to "
        notes = (f"at {since}{fmt.clock(at)} (history): the log as it stood then",
                 *notes)
    metrics = explained.get("metrics")
    # Metrics and no execution of a log ended in the window (metrics alone, or a log
    # still quiet): the log's groups are all empty and its previous-window note is about
    # a log that says nothing here; the metrics' sections and notes speak instead.
    log_silent = metrics is not None and not explained["error_rate"]["ended"]
    if figure in ("error_rate", "latency_p95_s") and explained.get("previous_note") \
            and not log_silent:
        notes += (explained["previous_note"],)
    window = when(explained)
    if figure == "error_rate":
        part = explained["error_rate"]
        before = (f"; previous window {fmt.count(part['previous_failed'])} of "
                  f"{fmt.count(part['previous_ended'])}"
                  if part.get("previous_failed") is not None else "")
        sections = [
            WhySection("by step", _grouped(part["by_step"], "step_name", status="failed",
                                           what="step", window=window)),
            WhySection("by error", _grouped(part["by_error"], "error", status="failed",
                                            to_filter=error_filter, what="error",
                                            window=window)),
            WhySection("by workflow", _grouped(part["by_workflow"], "workflow_name",
                                               status="failed", what="workflow",
                                               window=window)),
            WhySection("by model", _grouped(part.get("by_model"), "model", status="failed",
                                            filtered=False, what="model", window=window)),
            WhySection("by tool", _grouped(part.get("by_tool"), "tool_name", status="failed",
                                           what="tool", window=window)),
        ]
        # Written as the panels write counts (1,896), as the change beside them is.
        summary = f"{fmt.count(part['failed'])} failed of {fmt.count(part['ended'])} ended{before}"
        if part.get("weighted"):  # the panel's rate, not failed/ended: say it
            summary += (f"; error rate {fmt.percent(part.get('error_rate'))} weighted by"
                        " sampling, as the panel")
        notes += tuple(n for n in (part.get("note"),) if n)
    elif figure == "latency_p95_s":
        part = explained["latency_p95_s"]
        summary = (f"p95 {fmt.seconds(part['p95_s'])} (previous window "
                   f"{fmt.seconds(part['previous_p95_s'], 'none')}); "
                   f"{fmt.count(part['slow_count'])} execution"
                   f"{'' if part['slow_count'] == 1 else 's'}"
                   " at or above it")
        steps = tuple(WhyRow(fmt.visible(row["step_name"]), fmt.seconds(row["total_s"]),
                             _share(row["share"]),
                             f"p95 {fmt.seconds(row['p95_s'])} (was "
                             f"{fmt.seconds(row['previous_p95_s'], 'none')})"
                             + _step_change(row),
                             row["step_name"], None,
                             pick(row, "slow", f"step {row['step_name']}", window))
                      for row in part.get("by_step") or [])
        slow = tuple(WhyRow(fmt.visible(str(row["execution_id"])),
                            fmt.seconds(row["duration_s"]), "",
                            fmt.visible(str(row["workflow_name"] or "")),
                            str(row["execution_id"]), None, _one(row, "slow", window))
                     for row in part["slow"])
        calls = tuple(WhyRow(fmt.visible(f"{row['kind']} {row['name']} in {row['step_name']}"),
                             fmt.seconds(row["duration_s"]), "",
                             fmt.visible(str(row["execution_id"])),
                             str(row["execution_id"]), None,
                             _one(row, f"slow {row['kind']} {row['name']}", window))
                      for row in part.get("slowest_calls") or [])
        sections = [WhySection("time of the slow executions by step", steps),
                    WhySection("slow executions", slow),
                    WhySection("slowest external calls", calls)]
        notes += tuple(n for n in (part.get("note"),) if n)
    elif figure == "active_workflows":
        part = explained["active_workflows"]
        summary = f"{fmt.count(part['running'])} running" + (
            f" ({fmt.count(part['previous_running'])} at the window's start)"
            if part.get("previous_running") is not None else "")
        # Running at the window's end: a moment, not a stretch of time.
        end = explained.get("at", explained.get("end"))
        moment = f"at {fmt.clock(end)}" if end is not None else ""
        oldest = tuple(WhyRow(fmt.visible(str(row["execution_id"])),
                              fmt.seconds(row["running_for_s"]), "",
                              fmt.visible(str(row["workflow_name"] or "")),
                              str(row["execution_id"]), "running",
                              _one(row, "running", moment))
                       for row in part["oldest"])
        sections = [WhySection("by workflow", _grouped(part["by_workflow"], "workflow_name",
                                                       status="running", what="workflow",
                                                       window=moment)),
                    WhySection("oldest first", oldest)]
    else:
        part = explained["queue_depth"]
        growth = part["growth_per_min"]
        left = part["time_to_threshold_s"]
        rate = "not enough readings" if growth is None else f"{growth:+,.1f}/min"
        reach = ("" if left is None else "; above the threshold now" if left == 0
                 else f"; reaches {fmt.count(part['threshold'])} in {fmt.seconds(left)}")
        summary = f"depth {fmt.count(part['depth'])}, growth {rate}{reach}"
        sections = [WhySection("readings in the window",
                               (WhyRow(f"{part['readings']} readings"),))]
    if metrics is not None and figure in ("error_rate", "latency_p95_s"):
        if log_silent:
            sections = [section for section in sections if section.rows]
            if figure == "latency_p95_s":
                summary = "time by step from the metrics, largest first"
        sections += _metric_sections(figure, metrics)
        part = metrics["error_rate"]
        if figure == "error_rate" and not explained["error_rate"]["ended"]:
            before = (f"; previous window {part['previous_failed']} of "
                      f"{part['previous_ended']}" if part["previous_failed"] is not None
                      else "")
            summary = (f"{fmt.count(part['failed'])} failed of {fmt.count(part['ended'])} "
                       f"ended (metrics){before}")
        notes += tuple(n for n in (metrics.get("previous_note"),) if n)
    return WhyView(figure, title, summary, tuple(sections), notes)


def _one(row: dict[str, Any], what: str, window: str) -> Pick:
    """One execution named by a row (a slow one, a call's, a running one): that one,
    by its exact id (as text, "EXEC-1" also found EXEC-10 to EXEC-19)."""
    execution_id = str(row["execution_id"])
    return Pick(frozenset((execution_id,)), " · ".join(
        clip(fmt.visible(word), PICK_VALUE) for word in (what, execution_id, window) if word))


def _metric_sections(figure: str, metrics: dict[str, Any]) -> list[WhySection]:
    """The metrics' label breakdowns (workflow_name; step_name, step_type)."""
    if figure == "error_rate":
        rows = tuple(
            WhyRow(fmt.visible(str(row["workflow_name"])), fmt.count(row["count"]),
                   _share(row["share"]),
                   " · ".join(filter(None, (_change(row), "error rate "
                                            + fmt.percent(row["error_rate"], "-")))),
                   None if str(row["workflow_name"]).startswith("(no ")
                   else str(row["workflow_name"]), "failed")
            for row in metrics["error_rate"]["by_workflow"])
        return [WhySection("by workflow (metrics)", rows)]
    part = metrics["latency_p95_s"]
    steps = tuple(
        WhyRow(fmt.visible(f"{row['step_name']} ({row['step_type'] or 'no step_type'})"),
               fmt.seconds(row["total_s"]), _share(row["share"]),
               f"p95 {'≥ ' if row['at_least'] else ''}{fmt.seconds(row['p95_s'])} (was "
               f"{fmt.seconds(row['previous_p95_s'], 'none')}) · {fmt.count(row['count'])} "
               f"calls {_change(row)}".rstrip(), str(row["step_name"]), None)
        for row in part["by_step"])
    kinds = tuple(WhyRow(fmt.visible(str(row["step_type"])), fmt.seconds(row["total_s"]),
                         _share(row["share"]),
                         f"{fmt.count(row['count'])} calls {_change(row)}".rstrip())
                  for row in part["by_step_type"])
    return [WhySection("time by step (metrics)", steps),
            WhySection("time by step type (metrics)", kinds)]


def alert_line(state: str, silence: str | None = None, ack: str | None = None) -> str:
    """FIRING · silenced until 14:05 by ana: known incident · acknowledged by bo at 14:01"""
    look = {"firing": "FIRING", "pending": "PENDING", "no_data": "no data"}.get(state, "ok")
    return " · ".join(part for part in (look, silence, ack) if part)


GAP = 2  # a DataTable column's padding: one cell on either side
SCROLLBAR = 2  # the table's vertical scrollbar
LABEL_MIN = 24


def label_width(view: WhyView, inner: int) -> int:
    """The label column's width in a table `inner` cells wide: what the count, share and
    change columns (as wide as their widest cell or heading) leave. A fixed guess for
    them left 28 cells at 80 columns with the change column empty, and cut every error
    text to its class."""
    rows = [row for section in view.sections for row in section.rows]
    numbers = sum(max([len(name), *(cell_len(getattr(row, name)) for row in rows)]) + GAP
                  for name in ("count", "share", "change"))
    return max(LABEL_MIN, inner - numbers - GAP - SCROLLBAR)


def fit_labels(labels: list[str], width: int) -> list[str]:
    """Each label in at most `width` cells, cut at the end (…). Labels the cut would
    make read the same keep their start, then jump (…) to where they differ: two errors
    that differ only near their end ("… sales-oncall has no schedule", "… billing-oncall
    …") must not look like one."""
    cut = [clip(label, width) for label in labels]
    groups: dict[str, list[str]] = {}
    for label, short in zip(labels, cut, strict=True):
        if short != label:
            groups.setdefault(short, []).append(label)
    out = []
    for label, short in zip(labels, cut, strict=True):
        group = groups.get(short, [])
        out.append(_apart(label, width, len(os.path.commonprefix(group)))
                   if len(group) > 1 else short)
    return out


def _apart(label: str, width: int, common: int) -> str:
    """`label`'s first third of `width`, then (…) from where it differs from the others
    (`common`: the length they share), cut to what is left."""
    head = width // 3
    rest = width - head - 1
    start = max(head, min(common, len(label) - rest))
    return label[:head] + ELLIPSIS + clip(label[start:], rest)
