"""The dashboard's top lines: the monitor's own state, then every source and its health."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from wftui.core.format import count, seconds, window
from wftui.core.snapshot import Snapshot
from wftui.core.understood import settled_not_understood
from wftui.view.text import clip, clip_left, plain, safe
from wftui.view.timeline import clock_text, progress_text

FILE_LOOK = {
    "following": ("●", "green"), "waiting": ("◌", "yellow"), "reading": ("◐", "cyan"),
    "ended": ("■", "dim"), "error": ("✗", "bold red"),
}
TARGET_LOOK = {"ok": ("●", "green"), "waiting": ("◌", "yellow"), "down": ("✗", "bold red")}
# The OTLP receiver: listening, not yet, or not at all (it could not listen).
RECEIVER_LOOK = {"ok": ("●", "green"), "starting": ("◌", "yellow"),
                 "error": ("✗", "bold red")}


def _s(n: int, word: str) -> str:
    return f"{count(n)} {word}{'' if n == 1 else 's'}"


# A file's path takes at most this many cells of its line, and when the line is narrow,
# what its state and counts leave, down to this many (cut at the start: the file name
# stays): at 80 columns a long path left `reading 69% █████…` and cut the line count
# and the time left off.
NAME_MOST, NAME_LEAST = 60, 16


def source_text(source: dict[str, Any], width: int | None = None) -> Text:
    """One source as a line: symbol, name, state, counts, error (`width`: the line's
    room, None when unknown)."""
    text = Text(no_wrap=True, end="")
    status = str(source.get("status") or "")
    if source.get("kind") == "file":
        symbol, style = FILE_LOOK.get(status, ("?", ""))
        if settled_not_understood(source):
            # Read, but not one line was an event: not a healthy source with no traffic.
            symbol, style, status = "✗", "bold red", "not understood (m)"
        text.append(f"{symbol} ", style=style)
        name = str(source.get("name", ""))
        name = "standard input" if name == "-" else name
        label = {"waiting": "waiting for file", "following": "following",
                 "ended": "stream ended", "error": "error"}.get(status, status)
        # Short of room, the progress bar goes first, then "· 0 malformed" (nothing
        # to see), so that the counts and the time left stay on the line.
        for bar, zeros in ((True, True), (False, True), (False, False)):
            rest = _file_state(source, status, label, style, bar, zeros)
            if width is None or width - text.cell_len - rest.cell_len >= NAME_LEAST:
                break
        room = NAME_MOST if width is None else max(
            NAME_LEAST, min(NAME_MOST, width - text.cell_len - rest.cell_len))
        text.append(plain(clip_left(safe(name), room), "bold"))
        text.append_text(rest)
    elif source.get("kind") == "otlp":  # the OTLP receiver: address, rate, refusals
        symbol, style = RECEIVER_LOOK.get(status, ("?", ""))
        text.append(f"{symbol} ", style=style)
        text.append(plain(clip(str(source.get("name", "")), 48), "bold"))
        text.append("  listening" if status == "ok" else f"  {status}", style=style)
        text.append(f"  {_s(int(source.get('spans') or 0), 'span')}"
                    f" · {source.get('spans_per_s') or 0:g}/s")
        rejected = (int(source.get("rejected_spans") or 0)
                    + int(source.get("rejected_log_records") or 0))  # the reason says which
        refused = int(source.get("refused_requests") or 0)
        if source.get("open"):  # beyond loopback without a token: who may send
            text.append(" · ")
            text.append(plain(clip(str(source["open"]), 60), "yellow"))
        text.append(f" · {count(rejected)} rejected", style="yellow" if rejected else "dim")
        if rejected and source.get("last_rejection"):
            text.append(" (")
            text.append(plain(clip(str(source["last_rejection"]), 60), "yellow"))
            text.append(")")
        if refused:
            text.append(f" · {_s(refused, 'request')} refused", style="yellow")
            text.append("  last: ", style="dim")
            text.append(plain(clip(str(source.get("last_refusal") or ""), 60), "yellow"))
        lost = int(source.get("fold_failures") or 0)
        if lost:  # taken and answered, then lost to a failure of ours: never quiet
            text.append(f" · {count(lost)} batch{'' if lost == 1 else 'es'} of spans lost, "
                        "folding failed: ", style="bold red")
            text.append(plain(clip(str(source.get("last_fold_failure") or ""), 60), "red"))
    elif source.get("kind") == "alertmanager":  # where alerts are pushed
        symbol, style = TARGET_LOOK.get(status, ("?", ""))
        text.append(f"{symbol} alertmanager ", style=style)
        text.append(plain(clip(str(source.get("name", "")), 48), "bold"))
        label = {"ok": "alerts delivered", "waiting": "nothing sent yet",
                 "down": "DOWN: alerts judged here, sent when it answers"}.get(status, status)
        text.append(f"  {label}", style=style)
    else:
        symbol, style = TARGET_LOOK.get(status, ("?", ""))
        label = {"ok": "up", "down": "DOWN", "waiting": "waiting for first scrape"}.get(
            status, status)
        if settled_not_understood(source):
            # It answers, but with none of the metrics we read: not a healthy target.
            symbol, style, label = "✗", "bold red", "up, not understood (m)"
        text.append(f"{symbol} ", style=style)
        text.append(plain(clip(str(source.get("name", "")), 48), "bold"))
        text.append(f"  {label}", style=style)
        age = source.get("age_s")
        if age is not None:
            text.append(f"  last good scrape {seconds(age)} ago", style="dim")
        health = source.get("health")
        if health:
            text.append("  health: ")
            text.append(plain(health, "green" if health == "ok" else "bold yellow"))
    error = source.get("error")
    if error:
        text.append("  ")
        text.append(plain(clip(str(error), 80), "red"))
    return text


def _file_state(source: dict[str, Any], status: str, label: str, style: str,
                bar: bool, zeros: bool) -> Text:
    """What follows a file's name: its state or reading progress, and its counts."""
    rest = Text(no_wrap=True, end="")
    progress = source.get("reading")
    if status == "reading" and isinstance(progress, dict):
        rest.append("  ")
        rest.append_text(progress_text(progress, bar))  # the whole count is in it
    else:
        rest.append(f"  {label}", style=style)
        rest.append(f"  {_s(int(source.get('lines') or 0), 'line')}")
    malformed = int(source.get("malformed") or 0)
    if malformed or zeros:
        rest.append(f" · {count(malformed)} malformed", style="yellow" if malformed else "dim")
    for key, word in (("rotations", "rotation"), ("truncations", "truncation"),
                      ("skipped_long_lines", "long line skipped")):
        value = int(source.get(key) or 0)
        if value:
            rest.append(f" · {_s(value, word)}", style="yellow")
    return rest


def status_text(snapshot: Snapshot, window_s: float | None, paused: bool,
                config_error: str | None, refused: int = 0,
                alert_status: Text | None = None) -> Text:
    """window, pause, window fallback and config errors on one line, then up to two
    source warnings, one a line; `refused`: how many commands/URLs of the config file are
    not used (the file is not trusted); `alert_status`: silenced and acknowledged alerts,
    at the end of the status line."""
    text = Text(no_wrap=True, end="")
    text.append(" wftui ", style="bold reverse")
    text.append(f"  window {window(window_s)}", style="bold")
    text.append_text(clock_text(snapshot))  # an old log's end, or a past moment
    if paused:
        text.append("   ⏸ PAUSED (reading continues; p to resume)",
                    style="bold black on yellow")
    if refused:
        # early on the line: an operator who expects replay or alerts to work must see it
        what = "command/URL" if refused == 1 else "commands/URLs"
        text.append(f"   ⚠ config: {count(refused)} {what} not used, file not trusted "
                    "(ctrl+p: Config)", style="bold yellow")
    if snapshot.alert_window_s != window_s:
        text.append(f"   thresholds judged on the {window(snapshot.alert_window_s)} window",
                    style="cyan")
    if snapshot.window_fallback:
        text.append("   no recent events: window ends at the newest event", style="yellow")
    if snapshot.malformed_total:
        text.append(f"   {snapshot.malformed_total:,} malformed (m)", style="yellow")
    if config_error:
        text.append("   config not reloaded: ", style="bold red")
        text.append(safe(config_error), style="red")
    if alert_status is not None:
        text.append_text(alert_status)
    # Each warning on its own line: at the end of a full status line, a narrow terminal
    # cut them to `⚠ te…`, which tells an operator nothing.
    for warning in snapshot.warnings[:2]:
        text.append("\n ⚠ ", style="yellow")
        text.append(safe(warning)[:200], style="yellow")
    return text


def sources_text(sources: tuple[dict[str, Any], ...], status: Text,
                 width: int | None = None) -> Text:
    """The status line, then each source on its own line (`width`: the lines' room)."""
    text = Text(no_wrap=True, end="")
    text.append_text(status)
    for source in sources:
        text.append("\n")
        text.append_text(source_text(source, width))
    if not sources:
        text.append("\n")
        text.append("no sources: give log files and/or --metrics URLs", style="yellow")
    return text
