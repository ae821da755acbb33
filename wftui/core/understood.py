"""What a log source told us that we did not understand: never a silent all-clear.

A file of which no line is an event is not "no traffic": it is an error the operator
must see, naming the fields its lines do have and the setting that maps them
(`[logs.fields]`). A file understood in part gives warnings, each naming the value and
how often it was seen. An empty file is only "no data".
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from wftui.core.ledger import Ledger, SourceCounts
from wftui.core.mapping import CONTRACT_EVENTS, PRESETS
from wftui.core.timestamps import parse_timestamp

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
        text = "" if first is None else first.text
        return f"none of its {lines:,} lines is a JSON event{why}{_text_hint(text)}"
    numbers = _ids_not_text(ledger, source, seen)
    if numbers is not None:
        return f"none of its {lines:,} lines is an event: {numbers}"
    mapped = (f" (the [logs] mapping in use reads {_expected(ledger, seen)})"
              if ledger.mapping is not None else "")
    suggestion = suggest_mapping(ledger, source)
    hint = (f"perhaps {suggestion}" if suggestion is not None
            else 'e.g. event = "...", execution_id = "..."')
    return (f"none of its {lines:,} lines is an event{mapped}; its lines have the fields "
            f"{_top(seen, 12)}: map them with [logs.fields] ({hint}) or [logs] format "
            f"({' or '.join(repr(name) for name in PRESETS)})")


def _ids_not_text(ledger: Ledger, source: str, seen: Counter[str]) -> str | None:
    """Why no line is an event when the id is there but written as a number (a job id
    of 42): the usual message would ask to map fields the lines already have."""
    mapping = ledger.mapping
    paths = mapping.fields.get("execution_id", (("execution_id",),)) if mapping is not None \
        else (("execution_id",),)
    values = ledger.seen_values.get(source, {})
    for path in paths:
        sample = values.get(path[0]) if len(path) == 1 else None
        if sample and not any(type(value) is str for value in sample):
            return (f"its execution ids ({json.dumps(path[0])}, in {seen.get(path[0], 0):,} "
                    "lines) are numbers, and wftui reads an execution id as text: write "
                    f"it as a string ({json.dumps(str(next(iter(sample))))})")
    return None


# `key=value` pairs: structlog's ConsoleRenderer (its default), logfmt, and the like.
_KEY_VALUE = re.compile(r"(?:^|\s)[A-Za-z_][\w.-]*=\S")


def _text_hint(text: str) -> str:
    """What to change when the lines are key=value text for people (at least two pairs on
    the first line), the usual cause of a log of which no line is JSON."""
    if len(_KEY_VALUE.findall(text)) < 2:
        return ""
    return ("; its lines look like key=value text (structlog's console output, logfmt): "
            "wftui reads one JSON object per line: with structlog, end the processors "
            "with structlog.processors.JSONRenderer(); with the logging module, use "
            "python-json-logger's JsonFormatter")


def _expected(ledger: Ledger, seen: Counter[str]) -> str:
    """Where the mapping in use looks for the two fields every event needs, and in how
    many lines each was found (a dotted path: its first key)."""
    mapping = ledger.mapping
    parts = []
    for name in ("event", "execution_id"):
        paths = mapping.fields.get(name, ((name,),)) if mapping is not None else ((name,),)
        places = []
        for path in paths:
            found = seen.get(path[0], 0)
            where = f"in {found:,} lines" if found else "in none"
            if len(path) > 1:
                where = f"{json.dumps(path[0])} {where}"
            places.append(f"{json.dumps('.'.join(path))} ({where})")
        parts.append(f"{name} from {' or '.join(places)}")
    return ", ".join(parts)


def log_warnings(ledger: Ledger) -> list[str]:
    """Partly understood input: one line per kind of thing not understood."""
    warnings: list[str] = []
    for source, counts in ledger.sources.items():
        if counts.malformed and counts.otlp:  # an OTLP JSON file
            warnings.append(f"{source}: {counts.malformed:,} of "
                            f"{counts.malformed + counts.requests:,} lines are not OTLP "
                            "requests (see the malformed lines)")
        elif counts.malformed and counts.events:
            warnings.append(f"{source}: {counts.malformed:,} of "
                            f"{counts.malformed + counts.events:,} lines are not events "
                            "(see the malformed lines)")
        if counts.untimed:
            warnings.append(_untimed_warning(ledger, source, counts))
    statuses = _unknown(ledger, "status")
    if statuses:
        warnings.append("workflow_complete status neither a success nor a failure word, "
                        f"left out of the error rate: {_top(statuses)}; "
                        "name them in [logs.statuses]")
    kinds = _unknown(ledger, "type")
    if kinds:
        warnings.append("fields of another type than wftui reads, read as absent (the "
                        f"figures go without them): {_top(kinds)}; success is true/false, "
                        "status text, duration_ms, tokens, cost_usd and value numbers")
    events = _unknown(ledger, "event")
    if events:
        warnings.append(f"events wftui does not know (kept, not counted): {_top(events)}; "
                        "map them in [logs.events] if they are steps or completions")
    return warnings


def _unknown(ledger: Ledger, kind: str) -> Counter[str]:
    """The words of one kind the ledger did not know ("status", "type", "event")."""
    return Counter({word: n for (what, word), n in ledger.unknown.items() if what == kind})


def _untimed_warning(ledger: Ledger, source: str, counts: SourceCounts) -> str:
    """Events whose time was not understood: where they were placed, and what to map."""
    field = "timestamp"
    if ledger.mapping is not None and "timestamp" in ledger.mapping.fields:
        field = "|".join(".".join(path) for path in ledger.mapping.fields["timestamp"])
    seen = (f"e.g. {counts.untimed_example}" if counts.untimed_example is not None
            else "the field is absent")
    return (f"{source}: {counts.untimed:,} of {counts.events:,} events have no time wftui "
            f"can read in {field} ({seen}): each is placed at the newest time read "
            "before it, else at the time it was read; times are ISO 8601 or epoch "
            "numbers (map another field with [logs.fields] timestamp)")


def annotate(entry: dict[str, Any], ledger: Ledger) -> dict[str, Any]:
    """A file's `sources` entry with what was not understood: `not_understood` (one line,
    also the entry's error, shown on the source line) when no line was an event."""
    problem = not_understood(ledger, entry["name"])
    if problem is not None:
        entry["not_understood"] = f"{entry['name']}: {problem}"
        entry["error"] = entry.get("error") or problem
        table = suggested_table(ledger, entry["name"])
        if table is not None:
            entry["suggestion"] = suggestion_toml(table)  # for the malformed view
    return entry


# The states in which a source was read to where it stands (a file followed or ended, a
# target answering): a verdict of "not understood" on it then holds.
SETTLED = ("following", "ended", "ok")


def settled_not_understood(source: dict[str, Any]) -> bool:
    """A source read to where it stands, of which nothing was understood."""
    return bool(source.get("not_understood")) and source.get("status") in SETTLED


def ledger_not_understood(ledger: Ledger) -> str | None:
    """One line naming every source of the ledger read but not understood (None: there
    is none): why an execution asked for by id (`diff`, `replay`) may not be there."""
    problems = [f"{source}: {problem}" for source in ledger.sources
                if (problem := not_understood(ledger, source)) is not None]
    return "; ".join(problems) or None


def not_understood_sources(sources: Iterable[dict[str, Any]]) -> str | None:
    """One line naming every source read but not understood (None: there is none)."""
    problems = [s["not_understood"] for s in sources if s.get("not_understood")]
    return "; ".join(problems) or None


# -- a mapping suggested from what the lines contain ----------------------------------------

_ID_KEYS = ("execution_id", "run_id", "run", "trace_id", "request_id", "job_id",
            "correlation_id", "exec_id", "workflow_id", "task_id", "id")
_TIME_KEYS = ("timestamp", "ts", "time", "@timestamp", "asctime", "datetime", "date",
              "created", "t")
_DURATION_KEYS = ("duration_ms", "elapsed_ms", "latency_ms", "took_ms", "duration",
                  "elapsed")
_STEP_KEYS = ("step_name", "step", "task", "task_name", "stage", "node", "name")
_STEP_WORDS = ("start", "begin", "complete", "end", "finish", "done", "fail", "error",
               "step", "task", "run", "workflow", "stage")


def _guess_event(word: str) -> str | None:
    """Our event for one of theirs, from its words (None: no good guess)."""
    lowered = word.lower()
    if lowered in CONTRACT_EVENTS:
        return lowered
    whole = any(w in lowered for w in ("workflow", "run", "flow", "job", "pipeline"))
    if any(w in lowered for w in ("start", "begin", "open")):
        return "workflow_start" if whole else "step_start"
    if any(w in lowered for w in ("complete", "end", "finish", "done", "success", "stop")):
        return "workflow_complete" if whole else "step_complete"
    if "error" in lowered or "fail" in lowered or "exception" in lowered:
        return "error"
    if "tool" in lowered:
        return "tool_call"
    if "branch" in lowered or "decision" in lowered:
        return "branch_decision"
    return None


def _texts(values: Counter[Any]) -> list[str]:
    return [v for v in values if type(v) is str]


def suggested_table(ledger: Ledger, source: str) -> dict[str, Any] | None:
    """A `[logs]` table (fields, events) for a file none of whose lines was understood,
    from the fields and values its lines have (None when nothing fits)."""
    values = {k: v for k, v in ledger.seen_values.get(source, {}).items() if k}
    if not values:
        return None
    fields: dict[str, str] = {}
    sampled = ledger.seen_values.get(source, {}).get("", Counter()).get("", 0)
    # The event: the field whose words are most step-like (a type, kind, msg...).
    best, best_score, best_rank = None, 0.0, 0.0
    for key, seen in values.items():
        words = _texts(seen)
        if len(words) < len(seen) or not words or key in _ID_KEYS:
            continue
        # step-like words, repeated (an id holding "run-7" is not an event name)
        steplike = sum(1 for w in words if any(s in w.lower() for s in _STEP_WORDS))
        score = steplike / len(words) * (1 - len(seen) / max(seen.total(), 1))
        # Ranked by how many of the lines have it too: every event has its name, while
        # an `error` text ("TimeoutError: ...", step-like and repeated) is on a few lines
        # and would otherwise beat python-json-logger's `message`.
        rank = score * min(seen.total() / sampled, 1.0) if sampled else score
        if rank > best_rank:
            best, best_score, best_rank = key, score, rank
    if best is not None and best_score >= 0.4:
        fields["event"] = best
    for ours, candidates, wanted in (("execution_id", _ID_KEYS, str),
                                     ("timestamp", _TIME_KEYS, None),
                                     ("duration_ms", _DURATION_KEYS, float),
                                     ("step_name", _STEP_KEYS, str)):
        for key in candidates:
            found = values.get(key)
            if found is None or key == fields.get("event"):
                continue
            items = list(found)
            if wanted is str and not all(type(v) is str for v in items):
                continue
            if wanted is float and not all(type(v) in (int, float) for v in items):
                continue
            if wanted is None and not all(parse_timestamp(v) is not None for v in items):
                continue
            fields[ours] = key
            break
    if "event" not in fields and "execution_id" not in fields:
        return None
    events: dict[str, list[str]] = {}
    if "event" in fields:
        for word in _texts(values[fields["event"]]):
            guess = _guess_event(word)
            if guess is not None and guess != word:
                events.setdefault(guess, []).append(word)
    table: dict[str, Any] = {}
    mapped = {ours: theirs for ours, theirs in fields.items() if ours != theirs}
    if mapped:
        table["fields"] = mapped
    if events:
        table["events"] = {ours: names[0] if len(names) == 1 else names
                           for ours, names in events.items()}
    return table or None


def suggestion_toml(table: dict[str, Any]) -> str:
    """A suggested `[logs]` table as the lines to paste into the config file."""
    lines: list[str] = []
    for name, entries in table.items():
        lines.append(f"[logs.{name}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in entries.items()]
    return "\n".join(lines)


def not_understood_notes(sources: Iterable[dict[str, Any]]) -> list[tuple[str, str | None]]:
    """(what was not understood, the suggested config or None) per source: what the
    malformed view shows above the lines."""
    return [(str(s["not_understood"]), s.get("suggestion")) for s in sources
            if s.get("not_understood")]


def suggest_mapping(ledger: Ledger, source: str) -> str | None:
    """`suggested_table` as config text on one line (None when nothing fits)."""
    table = suggested_table(ledger, source)
    if table is None:
        return None
    parts = []
    for name, entries in table.items():
        inner = ", ".join(f"{key} = {json.dumps(value)}" for key, value in entries.items())
        parts.append(f"[logs.{name}] {inner}")
    return "; ".join(parts)
