"""OTLP AnyValue / KeyValue messages as plain Python values (str, bool, int, float,
bytes as hex, lists, dicts); an unset value is None."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def any_value(value: Any) -> Any:
    """The Python value an OTLP AnyValue holds."""
    which = value.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return [any_value(item) for item in value.array_value.values]
    if which == "kvlist_value":
        return attributes_of(value.kvlist_value.values)
    if which == "bytes_value":
        return value.bytes_value.hex()
    return getattr(value, which)


def attributes_of(pairs: Iterable[Any]) -> dict[str, Any]:
    """KeyValue messages as a dict (a repeated key: the last one wins)."""
    return {kv.key: any_value(kv.value) for kv in pairs}
