"""JSON written from what a log said (an export, a replay's context): orjson, or msgspec
for what orjson refuses.

orjson writes no integer past 64 bits (TypeError); a log may hold one (an id as a
128-bit number), and pressing `e` ended the monitor on it, `wftui replay` failed with a
traceback. msgspec writes every digit. Infinities and NaN are null in both.
"""

from __future__ import annotations

from typing import Any

import msgspec
import orjson


def dumps(value: Any, *, indent: bool = False, sort_keys: bool = False) -> bytes:
    """`value` as JSON (indented by 2 when `indent`, keys sorted when `sort_keys`)."""
    option = ((orjson.OPT_INDENT_2 if indent else 0)
              | (orjson.OPT_SORT_KEYS if sort_keys else 0) | orjson.OPT_NON_STR_KEYS)
    try:
        return orjson.dumps(value, option=option)
    except TypeError:  # an integer past 64 bits (anything else msgspec refuses too)
        out = msgspec.json.encode(value, order="sorted" if sort_keys else None)
        return msgspec.json.format(out, indent=2) if indent else out
