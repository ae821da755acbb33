"""The config file's schema: every table and key wftui knows, in one place.

The TOML document is converted into these msgspec Structs in one step; an unknown key,
a wrong type or an unusable value (a duration that is not one, `clear` above
`threshold`) fails the whole file with one line naming the key. docs/configuration.md
describes each key for users.

To add a key: add a field to the table's Struct below (and a line to
docs/configuration.md). A new table: a new Struct, a field on `ConfigFile`, and its
name in `SECTIONS` when another part of wftui reads it through `Settings.section()`.
A key that makes wftui run a program or contact a URL belongs in `HOOK_KEYS`, so that
it is refused from a file other users could have written.
"""

from __future__ import annotations

import math
import re
from typing import Any

import msgspec
from msgspec import UNSET, Struct, UnsetType

from wftui.core.timestamps import duration_seconds

_SECONDS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*$")  # a bare number: seconds

#: A duration as written in the file: "30s", "5m", "1.5h", "250ms" or seconds.
Duration = str | int | float
#: One name or a list of names, in order of preference.
Names = str | list[str]
#: A command: one string (split shell-like, never run through a shell) or an argv list.
Command = str | list[str]


class ConfigError(ValueError):
    """A setting that cannot be used; the message names where and why."""


def parse_duration(value: Any, where: str, *, allow_all: bool = False,
                   allow_zero: bool = False) -> float | None:
    """"5m", "30s", "1.5h", "250ms", "1h30m" or a number of seconds; "all" -> None if
    allowed."""
    if allow_all and isinstance(value, str) and value.strip().lower() == "all":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and (match := _SECONDS.match(value)):
        seconds = float(match.group(1))
    elif isinstance(value, str) and (said := duration_seconds(value)) is not None:
        seconds = said
    elif isinstance(value, str) and value.strip().startswith("-") and (
            _SECONDS.match(value.strip()[1:]) or duration_seconds(value.strip()[1:])
            is not None):
        seconds = -1.0  # "-1h" is a duration, a negative one: said so below
    else:
        hint = ' or "all"' if allow_all else ""
        raise ConfigError(f"{where}: expected a duration like 30s, 5m or 1h{hint}, "
                          f"got {value!r}")
    if not math.isfinite(seconds) or seconds < 0 or (seconds == 0 and not allow_zero):
        raise ConfigError(f"{where}: must be a positive duration, got {value!r}")
    return seconds


def _duration(value: Any, key: str, **kinds: bool) -> None:
    """Check a duration inside a Struct: "key: what is wrong" (msgspec adds the table)."""
    if value is not UNSET:
        try:
            parse_duration(value, key, **kinds)
        except ConfigError as error:
            raise ValueError(str(error)) from None


def _finite(value: Any, key: str) -> None:
    if value is not UNSET and not math.isfinite(value):
        raise ValueError(f"{key}: expected a finite number, got {value!r}")


def _text(value: Any, key: str, what: str) -> None:
    if value is UNSET:
        return
    values = [value] if isinstance(value, str) else value
    if not values or not all(v.strip() for v in values):
        raise ValueError(f"{key}: expected {what}, got {value!r}")


class _Table(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A TOML table: unknown keys are errors."""


class ThresholdTable(_Table, rename={"for_": "for"}):
    """[thresholds.NAME]: when a figure breaches, for how long, and what to do."""

    threshold: float | UnsetType = UNSET
    for_: Duration | UnsetType = UNSET
    clear: float | UnsetType = UNSET
    action: str | UnsetType = UNSET
    enabled: bool | UnsetType = UNSET

    def __post_init__(self) -> None:
        _finite(self.threshold, "threshold")
        _finite(self.clear, "clear")
        _duration(self.for_, "for", allow_zero=True)


class ThresholdsTable(_Table):
    """[thresholds]: one table per figure that has a threshold."""

    error_rate: ThresholdTable | UnsetType = UNSET
    latency_p95_s: ThresholdTable | UnsetType = UNSET
    active_workflows: ThresholdTable | UnsetType = UNSET
    queue_depth: ThresholdTable | UnsetType = UNSET


class MetricNamesTable(_Table):
    """[metrics.names]: the metric names (and labels) a /metrics target uses."""

    executions: str | UnsetType = UNSET
    failure_statuses: Names | UnsetType = UNSET
    status_label: str | UnsetType = UNSET
    workflow_duration: str | UnsetType = UNSET
    step_duration: str | UnsetType = UNSET
    step_label: str | UnsetType = UNSET
    active_workflows: str | UnsetType = UNSET
    queue_depth: Names | UnsetType = UNSET

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            _text(getattr(self, name), name, "a metric name")


class MetricLabelsTable(_Table):
    """[metrics.labels]: our label = the exporter's label name."""

    workflow_name: str | UnsetType = UNSET
    status: str | UnsetType = UNSET
    step_name: str | UnsetType = UNSET
    step_type: str | UnsetType = UNSET

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            _text(getattr(self, name), name, "a label name")


class MetricStatusesTable(_Table):
    """[metrics.statuses]: status label values that mean success or failure."""

    success: Names | UnsetType = UNSET
    failure: Names | UnsetType = UNSET

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            _text(getattr(self, name), name, "status words")


class MetricsTable(_Table):
    """[metrics]: scraping /metrics targets."""

    interval: Duration | UnsetType = UNSET
    deadline: Duration | UnsetType = UNSET
    max_body_mb: float | UnsetType = UNSET
    max_series: int | UnsetType = UNSET
    names: MetricNamesTable | UnsetType = UNSET
    labels: MetricLabelsTable | UnsetType = UNSET
    statuses: MetricStatusesTable | UnsetType = UNSET

    def __post_init__(self) -> None:
        _duration(self.interval, "interval")
        _duration(self.deadline, "deadline")
        if self.max_body_mb is not UNSET and not (
                math.isfinite(self.max_body_mb) and self.max_body_mb > 0):
            raise ValueError(f"max_body_mb: expected a positive number, got {self.max_body_mb}")
        if self.max_series is not UNSET and self.max_series < 1:
            raise ValueError(f"max_series: expected a whole number >= 1, got {self.max_series}")


class PrometheusQueriesTable(_Table):
    """[prometheus.queries]: PromQL templates, when names or labels differ."""

    error_rate: str | UnsetType = UNSET
    error_rate_all: str | UnsetType = UNSET
    throughput_per_min: str | UnsetType = UNSET
    latency: str | UnsetType = UNSET
    latency_all: str | UnsetType = UNSET
    latency_buckets: str | UnsetType = UNSET
    latency_buckets_all: str | UnsetType = UNSET
    step_latency: str | UnsetType = UNSET
    step_latency_all: str | UnsetType = UNSET
    step_buckets: str | UnsetType = UNSET
    step_buckets_all: str | UnsetType = UNSET
    step_count: str | UnsetType = UNSET
    step_count_all: str | UnsetType = UNSET
    active_workflows: str | UnsetType = UNSET
    queue_depth: str | UnsetType = UNSET

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            _text(getattr(self, name), name, "a PromQL query")


class PrometheusTable(_Table):
    """[prometheus]: querying a Prometheus server."""

    queries: PrometheusQueriesTable | UnsetType = UNSET


class HookTable(_Table):
    """[replay] and [notify]: a command or a URL, and how long it may take."""

    command: Command | UnsetType = UNSET
    url: str | UnsetType = UNSET
    timeout: Duration | UnsetType = UNSET

    def __post_init__(self) -> None:
        _duration(self.timeout, "timeout")


class AlertmanagerTable(_Table):
    """[alertmanager]: pushing alerts to Alertmanager and reading its silences."""

    url: str | UnsetType = UNSET
    severity: str | UnsetType = UNSET
    resend: Duration | UnsetType = UNSET
    timeout: Duration | UnsetType = UNSET
    labels: dict[str, str] | UnsetType = UNSET

    def __post_init__(self) -> None:
        _duration(self.resend, "resend")
        _duration(self.timeout, "timeout")


class HealthTable(_Table):
    """[health]: reserved for health polling settings; it takes no keys yet."""


class ConfigFile(_Table):
    """The whole file."""

    window: Duration | UnsetType = UNSET
    idle_timeout: Duration | UnsetType = UNSET
    retention: int | UnsetType = UNSET
    thresholds: ThresholdsTable | UnsetType = UNSET
    metrics: MetricsTable | UnsetType = UNSET
    prometheus: PrometheusTable | UnsetType = UNSET
    replay: HookTable | UnsetType = UNSET
    notify: HookTable | UnsetType = UNSET
    health: HealthTable | UnsetType = UNSET
    alertmanager: AlertmanagerTable | UnsetType = UNSET
    # Tables whose keys their owners still check themselves (check_keys) while they
    # settle; each is a table here, and gets a Struct of its own when it is stable.
    otlp: dict[str, Any] | UnsetType = UNSET
    logs: dict[str, Any] | UnsetType = UNSET

    def __post_init__(self) -> None:
        _duration(self.window, "window", allow_all=True)
        _duration(self.idle_timeout, "idle_timeout")
        if self.retention is not UNSET and self.retention < 1:
            raise ValueError(f"retention: expected a whole number of executions >= 1, "
                             f"got {self.retention}")


#: Tables other parts of wftui read through `Settings.section(name)`.
SECTIONS = ("metrics", "prometheus", "replay", "notify", "health", "alertmanager", "otlp",
            "logs")

#: (table, key) pairs that make wftui run a program or send a request: refused from a
#: file that someone other than you (or root) could have written.
HOOK_KEYS = (("replay", "command"), ("replay", "url"), ("notify", "command"),
             ("notify", "url"), ("alertmanager", "url"))

_AT = re.compile(r"^(?P<what>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<key>.*)`$", re.DOTALL)
_EXPECTED = re.compile(r"^Expected `(?P<want>[^`]*)`, got `(?P<got>[^`]*)`$")
_OWN_CHECK = re.compile(r"^[a-z_]+: ")
_WORDS = {"float": "a number", "int": "a whole number", "str": "text", "bool": "true or false",
          "object": "a table", "array": "a list", "null": "nothing"}
_GOT = {**_WORDS, "bool": "a boolean"}


def _plain(want: str) -> str:
    """msgspec's `str | int | float` as words an operator reads."""
    parts = {part.strip() for part in want.split("|")}
    if parts == {"str", "int", "float"}:
        return "a duration like 30s, 5m or 1h"
    if parts == {"str", "array"}:
        return "text or a list of texts"
    return " or ".join(_WORDS.get(part, part) for part in sorted(parts))


def _struct_at(path: list[str]) -> type[Struct] | None:
    """The Struct type found at a path of keys from the top of the file."""
    current: Any = ConfigFile
    for key in path:
        fields = {f.encode_name: f.type for f in msgspec.structs.fields(current)}
        current = next((t for t in _members(fields.get(key))
                        if isinstance(t, type) and issubclass(t, Struct)), None)
        if current is None:
            return None
    return current if isinstance(current, type) and issubclass(current, Struct) else None


def _members(annotation: Any) -> tuple[Any, ...]:
    args = getattr(annotation, "__args__", None)
    return tuple(args) if args else (annotation,)


def decode(data: bytes, name: str) -> tuple[ConfigFile, dict[str, Any]]:
    """The file's bytes as the schema's Structs and as plain tables.

    Raises ConfigError with one line naming the file and the key.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"{name}: not UTF-8 text (byte {error.start})") from None
    try:
        raw = msgspec.toml.decode(text.encode())
    except msgspec.DecodeError as error:
        detail = str(error).removeprefix("Invalid TOML: ")
        raise ConfigError(f"{name}: not valid TOML: {detail}") from None
    try:
        return msgspec.convert(raw, ConfigFile), raw
    except msgspec.ValidationError as error:
        raise ConfigError(f"{name}: {_explain(str(error))}") from None


def _explain(message: str) -> str:
    """msgspec's validation message as `key.path: what is wrong`."""
    match = _AT.match(message)
    what, raw_path = (match["what"], match["path"] or "") if match else (message, "")
    path = [part for part in re.split(r"\.|\[\d+\]", raw_path) if part]
    if unknown := _UNKNOWN.match(what):
        table = _struct_at(path)
        key = ".".join([*path, unknown["key"]])
        known = sorted(f.encode_name for f in msgspec.structs.fields(table)) if table else []
        if not known:
            return f"{key}: unknown key ([{'.'.join(path)}] takes no keys)"
        return f"{key}: unknown key (expected one of: {', '.join(known)})"
    if expected := _EXPECTED.match(what):
        got = _GOT.get(expected["got"], expected["got"])
        what = f"expected {_plain(expected['want'])}, got {got}"
    elif _OWN_CHECK.match(what):
        # A Struct's own check: "key: detail", the key inside the table at `path`.
        return ".".join([*path, what])
    return f"{'.'.join(path) or 'the file'}: {what}"
