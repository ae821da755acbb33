"""Other teams' log shapes: their field names, event names and status words, mapped onto ours.

A `LogMapping` is built once from the `[logs]` settings (a plain dict: `format`, `fields`,
`events`, `statuses`; see docs/configuration.md) and gives the ledger two readers that
agree with each other, as the unmapped ones do (`wftui.core.parse`):

- `decode`: the hot path. A msgspec Struct type made for this mapping reads each mapped
  field under its own name in C (`execution_id = "run"` is a renamed field, free); a
  dotted path (`data.elapsed_ms`) is a nested Struct; only fields that need a translation
  (event names) or a path are properties, read once or twice per line.
- `contract_dict`: the tolerant path and the step tree. A plain JSON object rewritten
  into our shape (unmapped keys kept as they are).

Presets name the shapes of common logging libraries (`format = "structlog"`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from wftui.core.parse import LogEvent

# Every field of an event a log may carry (docs/log-format.md), mappable by name.
CONTRACT_FIELDS = (
    "event", "execution_id", "timestamp", "step_name", "step_type", "step_id",
    "parent_step_id", "context_keys", "duration_ms", "success", "error", "traceback",
    "branch_name", "path_taken", "tool_name", "arguments", "response_keys",
    "workflow_name", "context", "replay_of", "status", "value", "model", "input_tokens",
    "output_tokens", "cost_usd", "start_timestamp",
)
CONTRACT_EVENTS = (
    "step_start", "step_complete", "branch_decision", "tool_call", "error",
    "workflow_start", "workflow_complete", "queue_depth",
)
# Status words of a workflow_complete (and a metrics status label) that mean an
# execution ended well or badly; any other word counts as neither and is warned about.
SUCCESS_WORDS = ("success", "succeeded", "ok", "completed", "complete", "done")
FAILURE_WORDS = ("failure", "failed", "error", "errored", "timeout", "timed_out")

# What the typed decoder reads (LogEvent's fields and types). A time it cannot read
# (ISO 8601 that is not RFC 3339) sends the line down the tolerant path, which reads it.
_TYPES: dict[str, Any] = {info.name: info.type for info in msgspec.structs.fields(LogEvent)}
# Python logging's asctime ("2026-01-01 12:00:00,123") is no RFC 3339 text: read as text
# (the ledger parses it); any other mapped time as ours, RFC 3339 read in C.
_ASCTIME = str | float | None

# Shapes of common logging libraries' JSON records (what they emit by default).
PRESETS: dict[str, dict[str, Any]] = {
    # structlog's JSONRenderer: the first argument of log.info(...) is "event", and
    # TimeStamper writes "timestamp" (ISO 8601 with fmt="iso", else epoch seconds).
    # Our own shape, under its name, so a config can say what it reads.
    # log.exception(...) through format_exc_info writes the traceback as "exception".
    "structlog": {"fields": {"event": "event", "timestamp": "timestamp",
                             "traceback": ["traceback", "exception"]}},
    # python-json-logger's JsonFormatter: the message is "message"; the time is
    # "timestamp" with timestamp=True, else "asctime" when the format string asks for it;
    # logger.exception(...) writes the traceback as "exc_info".
    "python-json-logger": {"fields": {"event": "message",
                                      "timestamp": ["timestamp", "asctime"],
                                      "traceback": ["traceback", "exc_info"]}},
}


class MappingError(ValueError):
    """A `[logs]` setting that cannot be used; the message names the key."""


Path = tuple[str, ...]


@dataclass(frozen=True)
class LogMapping:
    """How to read one log shape: field paths, event names, status words."""

    fields: dict[str, tuple[Path, ...]]
    events: dict[str, str]  # their event name -> ours
    statuses: dict[str, str]  # their status word -> "success" / "failure"
    event_type: type = field(repr=False)
    decode: Callable[[bytes | str], Any] = field(repr=False)

    def __post_init__(self) -> None:
        # Keys a mapped field reads: not also kept under their own name.
        object.__setattr__(self, "_claimed", frozenset(
            path[0] for paths in self.fields.values() for path in paths))

    def contract_dict(self, value: dict[str, Any]) -> dict[str, Any]:
        """A JSON object of this shape rewritten into ours (other keys kept)."""
        claimed = self._claimed  # type: ignore[attr-defined]
        out = {key: item for key, item in value.items() if key not in claimed}
        for name, paths in self.fields.items():
            found = None
            for path in paths:
                found = _walk(value, path)
                if found is not None:
                    break
            if found is not None:
                out[name] = found
            else:
                out.pop(name, None)
        kind = out.get("event")
        if type(kind) is str:
            out["event"] = self.events.get(kind, kind)
        return out

    def describe(self) -> str:
        """The mapping in the config's words, for messages."""
        parts = [f"{name} = {'|'.join('.'.join(p) for p in paths)}"
                 for name, paths in self.fields.items()]
        return ", ".join(parts) or "no fields mapped"


def _walk(value: Any, path: Path) -> Any:
    for key in path:
        if type(value) is not dict:
            return None
        value = value.get(key)
    return value


def status_words(statuses: dict[str, str] | None = None) -> dict[str, str]:
    """Status word -> "success"/"failure": the default words, then the configured ones."""
    words = {word: "success" for word in SUCCESS_WORDS}
    words.update({word: "failure" for word in FAILURE_WORDS})
    words.update(statuses or {})
    return words


# -- from settings -----------------------------------------------------------------------


def _names(value: Any, where: str) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(
            isinstance(item, str) and item for item in items):
        raise MappingError(f"{where}: expected a name or a list of names, got {value!r}")
    return items


def _path(text: str, where: str) -> Path:
    parts = tuple(text.split("."))
    if any(not part for part in parts):
        raise MappingError(f"{where}: {text!r} is not a field name or dotted path")
    return parts


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MappingError(f"{where}: expected a table")
    return value


def build_mapping(logs: dict[str, Any]) -> LogMapping | None:
    """The mapping the `[logs]` table asks for (None: our own shape, nothing to map).

    Raises MappingError naming the key on a bad table.
    """
    logs = _table(logs, "logs")
    unknown = set(logs) - {"format", "fields", "events", "statuses"}
    if unknown:
        raise MappingError(f"logs.{sorted(unknown)[0]}: unknown key (expected one of: "
                           "events, fields, format, statuses)")
    fields_in: dict[str, Any] = {}
    events_in: dict[str, Any] = {}
    if "format" in logs:
        preset = logs["format"]
        if preset not in PRESETS and preset != "wftui":
            raise MappingError(f"logs.format: unknown format {preset!r} (expected one of: "
                               f"{', '.join(['wftui', *PRESETS])})")
        chosen = PRESETS.get(preset, {})
        fields_in.update(chosen.get("fields", {}))
        events_in.update(chosen.get("events", {}))
    fields_in.update(_table(logs.get("fields", {}), "logs.fields"))
    events_in.update(_table(logs.get("events", {}), "logs.events"))
    statuses_in = _table(logs.get("statuses", {}), "logs.statuses")

    fields: dict[str, tuple[Path, ...]] = {}
    for name, spec in fields_in.items():
        if name not in CONTRACT_FIELDS:
            raise MappingError(f"logs.fields.{name}: unknown field (expected one of: "
                               f"{', '.join(CONTRACT_FIELDS)})")
        paths = tuple(_path(text, f"logs.fields.{name}")
                      for text in _names(spec, f"logs.fields.{name}"))
        if paths != ((name,),):
            fields[name] = paths
    events: dict[str, str] = {}
    for name, spec in events_in.items():
        if name not in CONTRACT_EVENTS:
            raise MappingError(f"logs.events.{name}: unknown event (expected one of: "
                               f"{', '.join(CONTRACT_EVENTS)})")
        for theirs in _names(spec, f"logs.events.{name}"):
            if theirs != name:
                events[theirs] = name
    statuses: dict[str, str] = {}
    for name, spec in statuses_in.items():
        if name not in ("success", "failure"):
            raise MappingError(f"logs.statuses.{name}: unknown key (expected success, "
                               "failure)")
        for word in _names(spec, f"logs.statuses.{name}"):
            statuses[word] = name
    if not fields and not events and not statuses:
        return None
    if not fields and not events:
        # Only status words: the ledger reads them; lines decode as usual.
        return LogMapping(fields, events, statuses, LogEvent, _DECODE_PLAIN)
    event_type = _event_struct(fields, events)
    decoder: Callable[[bytes | str], Any] = msgspec.json.Decoder(event_type).decode
    if len(fields.get("event", ((),))) > 1:
        decoder = _needs_event(decoder)
    return LogMapping(fields, events, statuses, event_type, decoder)


_DECODE_PLAIN = msgspec.json.Decoder(LogEvent).decode


def _needs_event(decode: Callable[[bytes | str], Any]) -> Callable[[bytes | str], Any]:
    """An event read from one of several keys: a line with none of them is refused (as
    a missing `event` is), so the tolerant path says why."""
    def checked(raw: bytes | str) -> Any:
        event = decode(raw)
        if type(event.event) is not str:
            raise ValueError("no event")
        return event
    return checked


# -- the typed decoder for a mapping -------------------------------------------------------


class _Node:
    """A JSON key the decoder reads: a leaf (its type) or an object (its children)."""

    def __init__(self) -> None:
        self.leaf: Any = None
        self.children: dict[str, _Node] = {}
        self.attr = ""  # its field name in the Struct


def _event_struct(fields: dict[str, tuple[Path, ...]], events: dict[str, str]) -> type:
    """A Struct type whose attributes are LogEvent's, read from this mapping's keys."""
    paths: dict[str, tuple[Path, ...]] = {}
    claimed = {p[0] for ps in fields.values() for p in ps}
    for name in _TYPES:
        if name in fields:
            paths[name] = fields[name]
        elif name not in claimed:
            paths[name] = ((name,),)  # ours, unless a mapped field reads that key
        else:
            paths[name] = ()
    root = _Node()
    for name, options in paths.items():
        for path in options:
            hint = _ASCTIME if name == "timestamp" and path[-1] == "asctime" else _TYPES[name]
            node = root
            for depth, key in enumerate(path):
                if node.leaf is not None:
                    raise MappingError(f"logs.fields.{name}: {'.'.join(path[:depth])!r} is "
                                       "read as a value by another field")
                node = node.children.setdefault(key, _Node())
            if node.children:
                raise MappingError(f"logs.fields.{name}: {'.'.join(path)!r} is an object "
                                   "another field reads into")
            if node.leaf is not None and node.leaf != hint:
                raise MappingError(f"logs.fields.{name}: {'.'.join(path)!r} is also read "
                                   "as another kind of field")
            node.leaf = hint
    # Field names: a contract name where a field reads its key directly, else k<n>.
    direct: dict[tuple[str, ...], str] = {}
    for name, options in paths.items():
        if len(options) == 1 and len(options[0]) == 1 and not (name == "event" and events):
            direct.setdefault(options[0], name)
    counter = iter(range(1 << 30))
    event_path = paths["event"][0] if len(paths["event"]) == 1 else None
    struct_fields = []
    for key, node in root.children.items():
        node.attr = direct.get((key,)) or f"k{next(counter)}"
        rest = event_path[1:] if event_path is not None and event_path[0] == key else None
        required = rest is not None
        kind = _node_type(node, f"E{key}", rest, counter)
        struct_fields.append((node.attr, kind, msgspec.field(name=key)) if required
                             else (node.attr, kind, msgspec.field(default=None, name=key)))
    # Required fields first, as Python requires.
    struct_fields.sort(key=_optional_last)
    namespace: dict[str, Any] = {}
    for name, options in paths.items():
        attrs = [_attrs(root, path) for path in options]
        if len(attrs) == 1 and len(attrs[0]) == 1 and attrs[0][0] == name \
                and not (name == "event" and events):
            continue  # a plain field
        namespace[name] = property(_reader(attrs, events if name == "event" else None))
    return msgspec.defstruct("MappedLogEvent", struct_fields, namespace=namespace,
                             gc=False)


def _node_type(node: _Node, name: str, required: Path | None, counter: Any) -> Any:
    if not node.children:
        return node.leaf if required is None else str
    specs = []
    for key, child in node.children.items():
        child.attr = f"k{next(counter)}"
        rest = required[1:] if required is not None and required[:1] == (key,) else None
        must = rest is not None
        kind = _node_type(child, name + "_" + key, rest, counter)
        specs.append((child.attr, kind, msgspec.field(name=key)) if must
                     else (child.attr, kind, msgspec.field(default=None, name=key)))
    specs.sort(key=_optional_last)
    nested = msgspec.defstruct("Mapped_" + name.replace(".", "_"), specs, gc=False)
    return nested if required is not None else nested | None


def _optional_last(spec: tuple[str, Any, Any]) -> bool:
    return spec[2].default is not msgspec.NODEFAULT


def _attrs(root: _Node, path: Path) -> tuple[str, ...]:
    node, out = root, []
    for key in path:
        node = node.children[key]
        out.append(node.attr)
    return tuple(out)


def _reader(attrs: list[tuple[str, ...]], events: dict[str, str] | None
            ) -> Callable[[Any], Any]:
    """The property body: the first path that holds a value (event names translated)."""
    if not attrs:
        return lambda self: None
    getters = [operator.attrgetter(".".join(a)) for a in attrs]
    if events is not None and len(getters) == 1:
        get, translate = getters[0], events.get

        def event_name(self: Any) -> Any:
            try:
                kind = get(self)
            except AttributeError:  # an object on the way was absent
                return None
            return translate(kind, kind)
        return event_name
    if len(getters) == 1:
        single = getters[0]

        def one(self: Any) -> Any:
            try:
                return single(self)
            except AttributeError:
                return None
        return one

    def first(self: Any) -> Any:
        for get in getters:
            try:
                found = get(self)
            except AttributeError:
                continue
            if found is not None:
                return found if events is None else events.get(found, found)
        return None
    return first
