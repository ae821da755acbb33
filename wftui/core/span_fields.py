"""The span attributes wftui reads, and how a span's step type, cost and tool values
are worked out from them.

A span's attributes arrive as a map (`span_view`: key -> AnyValue, indexed as the
request is decoded), and a value is read only when a line needs it (`value_of`): each
protobuf field read builds a Python object, so the `execution_id` of a trace already
named, the `gen_ai.operation.name` of a span that says its `step_type`, or a GenAI
span's `duration_ms` (the span's own times say it) are never read.
"""

from __future__ import annotations

from typing import Any

import orjson

from wftui.core.otlp_values import any_value

# Attribute keys wftui reads (a root span's are read at once: `values_of`).
NEEDED = frozenset({
    "execution_id", "workflow_name", "gen_ai.workflow.name", "step_type", "success",
    "error", "gen_ai.operation.name", "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens", "gen_ai.response.model", "gen_ai.request.model",
    "gen_ai.tool.name", "gen_ai.tool.call.arguments", "gen_ai.tool.call.result",
    "sampling.priority", "sample_rate",
})
SCALARS = frozenset({"string_value", "bool_value", "int_value", "double_value"})
# What gen_ai.operation.name says about a step's type.
LLM_OPERATIONS = frozenset({"chat", "text_completion", "generate_content", "embeddings"})
OPERATION_TYPES = {"execute_tool": "tool", "invoke_agent": "agent",
                   "retrieval": "retrieval", "invoke_workflow": "workflow"}
SPAN_KINDS = {0: None, 1: "internal", 2: "server", 3: "client", 4: "producer",
              5: "consumer"}

# Prices: model -> (USD per million input tokens, USD per million output tokens).
Prices = dict[str, tuple[float, float]]
# A span's attributes: key -> AnyValue message, value not read yet (a repeated key: the
# last); `span_view`'s map.
Found = Any


def value_of(found: Found, key: str) -> Any:
    """The value of attribute `key` (None when absent or unset)."""
    if key not in found:  # then `found[key]`: cheaper than upb's map `get`
        return None
    return _python_value(found[key])


def _python_value(value: Any) -> Any:
    """An AnyValue's Python value (None when unset)."""
    which = value.WhichOneof("value")
    if which in SCALARS:
        return getattr(value, which)
    return any_value(value)


def values_of(found: Found) -> dict[str, Any]:
    """The value of every attribute wftui reads that the span has (a root span's, read
    once per trace). A span with fewer attributes than NEEDED has its keys walked
    instead of each of NEEDED looked up: a lookup in the map costs about as much as a
    key read, and a root span (a trace's name) says few (a third of its cost was here,
    bench/otlp.py)."""
    if len(found) < len(NEEDED):
        return {key: _python_value(found[key]) for key in found if key in NEEDED}
    return {key: _python_value(found[key]) for key in NEEDED if key in found}


def text_of(found: Found, key: str) -> str | None:
    """A non-empty text attribute (None for anything else)."""
    value = value_of(found, key)
    return value if type(value) is str and value else None


def count_of(found: Found, key: str) -> int | None:
    """A non-negative integer attribute, such as a token count (None otherwise); a
    whole number sent as a double counts too (SDKs whose numbers are all doubles)."""
    value = value_of(found, key)
    if type(value) is float and value.is_integer() and value >= 0:
        return int(value)
    if type(value) is str and value.isascii() and value.strip().isdigit():
        return int(value)  # a count sent as text ("120"), as some SDKs write numbers
    return value if type(value) is int and value >= 0 else None


def step_type(found: Found, span: Any) -> str | None:
    """`step_type`, else what gen_ai.operation.name says, else the span kind."""
    declared = value_of(found, "step_type")
    if type(declared) is str:
        return declared
    operation = value_of(found, "gen_ai.operation.name")
    if type(operation) is str:
        if operation in LLM_OPERATIONS:
            return "llm"
        return OPERATION_TYPES.get(operation, operation)
    return SPAN_KINDS.get(span.kind)  # read only here: most spans say more


def cost(prices: Prices, model: str | None, tokens_in: int | None,
         tokens_out: int | None) -> float | None:
    """Cost from the configured table; None for a model it does not list."""
    if model is None or (tokens_in is None and tokens_out is None):
        return None
    price = prices.get(model)
    if price is None:
        return None
    return ((tokens_in or 0) * price[0] + (tokens_out or 0) * price[1]) / 1_000_000


def json_or_text(value: Any) -> Any:
    """Tool arguments and results arrive as JSON text: shown as the value they hold."""
    if type(value) is str and value[:1] in ("{", "["):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value
