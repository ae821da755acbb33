"""What a log source told us that we did not understand: never a silent all-clear.

A file of which no line is an event is not "no traffic": it is an error the operator
must see, naming the fields its lines do have and the setting that maps them
(`[logs.fields]`). A file understood in part gives warnings, each naming the value and
how often it was seen. An empty file is only "no data".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from wftui.core.ledger import Ledger

# Values named per kind of warning (the most frequent first).
MAX_NAMED = 5


def _top(counter: Counter[str], limit: int = MAX_NAMED) -> str:
    return ", ".join(f"{name} ({count:,})" for name, count in counter.most_common(limit))


def not_understood(ledger: Ledger, source: str) -> str | None:
    """One line when `source` had lines but none was an event; else None."""
    counts = ledger.sources.get(source)
    if counts is None or counts.events or not counts.malformed:
        return None
    lines = counts.malformed
    seen = ledger.seen_fields.get(source)
    if not seen:
        first = next((m for m in ledger.malformed if m.source == source), None)
        why = f" (line {first.lineno}: {first.reason})" if first is not None else ""
        return f"none of its {lines:,} lines is a JSON event{why}"
    mapped = " (with the [logs] mapping in use)" if ledger.mapping is not None else ""
    return (f"none of its {lines:,} lines is an event{mapped}; its lines have the fields "
            f"{_top(seen, 12)}: map them with [logs.fields] (e.g. event = \"...\", "
            f"execution_id = \"...\") or [logs] format")


def log_warnings(ledger: Ledger) -> list[str]:
    """Partly understood input: one line per kind of thing not understood."""
    warnings: list[str] = []
    for source, counts in ledger.sources.items():
        if counts.malformed and counts.events:
            warnings.append(f"{source}: {counts.malformed:,} of "
                            f"{counts.malformed + counts.events:,} lines are not events "
                            "(see the malformed lines)")
    statuses = Counter({word: n for (what, word), n in ledger.unknown.items()
                        if what == "status"})
    if statuses:
        warnings.append("workflow_complete status neither a success nor a failure word, "
                        f"left out of the error rate: {_top(statuses)}; "
                        "name them in [logs.statuses]")
    events = Counter({word: n for (what, word), n in ledger.unknown.items()
                      if what == "event"})
    if events:
        warnings.append(f"events wftui does not know (kept, not counted): {_top(events)}; "
                        "map them in [logs.events] if they are steps or completions")
    return warnings


def annotate(entry: dict[str, Any], ledger: Ledger) -> dict[str, Any]:
    """A file's `sources` entry with what was not understood: `not_understood` (one line,
    also the entry's error, shown on the source line) when no line was an event."""
    problem = not_understood(ledger, entry["name"])
    if problem is not None:
        entry["not_understood"] = f"{entry['name']}: {problem}"
        entry["error"] = entry.get("error") or problem
    return entry


def not_understood_sources(sources: Iterable[dict[str, Any]]) -> str | None:
    """One line naming every source read but not understood (None: there is none)."""
    problems = [s["not_understood"] for s in sources if s.get("not_understood")]
    return "; ".join(problems) or None
