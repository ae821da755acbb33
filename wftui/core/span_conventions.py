"""Spans of the two other AI tracing conventions, read as the GenAI ones wftui reads.

Many AI applications are instrumented with OpenInference (Arize Phoenix's conventions,
`openinference.span.kind`, `llm.token_count.prompt`, `llm.model_name`, `tool.name`) or
with OpenLLMetry (Traceloop's: `traceloop.span.kind`, `llm.request.type`,
`gen_ai.usage.prompt_tokens`, `traceloop.workflow.name`) rather than the OpenTelemetry
GenAI conventions. Their spans say the same things under other names: a span that
says neither `step_type` nor `gen_ai.operation.name` has its attributes map
(`span_view`) completed with the GenAI keys those names stand for, once, before it is
read, so every rule of the reader (step type, tokens and their sum below an agent,
model and price, tool name, arguments and result, workflow name) holds for them
unchanged. A GenAI key the span already has is never replaced. Spans of the article
or of the GenAI conventions never come here (the reader checks `step_type` or
`gen_ai.operation.name` first): they pay nothing for it.
"""

from __future__ import annotations

from typing import Any

OPENINFERENCE_KIND = "openinference.span.kind"
TRACELOOP_KIND = "traceloop.span.kind"
TRACELOOP_REQUEST_TYPE = "llm.request.type"

# OpenInference span kinds (upper case in the conventions) -> wftui step types; another
# kind (CHAIN, GUARDRAIL, EVALUATOR, ...) is the step type in lower case. An embedding
# is an LLM call, as the GenAI conventions' `embeddings` operation is.
OPENINFERENCE_TYPES = {"LLM": "llm", "EMBEDDING": "llm", "TOOL": "tool",
                       "AGENT": "agent", "RETRIEVER": "retrieval"}
# OpenLLMetry's llm.request.type values that are LLM calls.
TRACELOOP_LLM_REQUESTS = frozenset({"chat", "completion", "embedding"})

# (their key, the GenAI key it stands for), for every span of the convention.
OPENINFERENCE_KEYS = (
    ("llm.token_count.prompt", "gen_ai.usage.input_tokens"),
    ("llm.token_count.completion", "gen_ai.usage.output_tokens"),
    ("llm.response.model_name", "gen_ai.response.model"),
    ("llm.request.model_name", "gen_ai.request.model"),
    # The model "being utilized": the one asked for (the response's, when said, wins).
    ("llm.model_name", "gen_ai.request.model"),
    # An EMBEDDING span names its model here, not as llm.model_name: without it the
    # call's tokens counted and its cost did not.
    ("embedding.model_name", "gen_ai.request.model"),
)
# ... and for its TOOL spans: the call's input and output are its arguments and result.
OPENINFERENCE_TOOL_KEYS = (
    ("tool.name", "gen_ai.tool.name"),
    ("input.value", "gen_ai.tool.call.arguments"),
    ("output.value", "gen_ai.tool.call.result"),
)
TRACELOOP_KEYS = (
    ("gen_ai.usage.prompt_tokens", "gen_ai.usage.input_tokens"),
    ("gen_ai.usage.completion_tokens", "gen_ai.usage.output_tokens"),
    ("traceloop.workflow.name", "gen_ai.workflow.name"),
)
TRACELOOP_TOOL_KEYS = (
    ("traceloop.entity.name", "gen_ai.tool.name"),
    ("traceloop.entity.input", "gen_ai.tool.call.arguments"),
    ("traceloop.entity.output", "gen_ai.tool.call.result"),
)


def read_as_genai(found: Any, span: Any) -> bool:
    """Complete the attributes map of a span that names no step type nor GenAI
    operation with the GenAI keys its OpenInference or OpenLLMetry attributes stand
    for; whether it spoke either convention (then `step_type` is set when its kind
    says one)."""
    if OPENINFERENCE_KIND in found:
        kind = found[OPENINFERENCE_KIND].string_value
        _copy(found, OPENINFERENCE_KEYS)
        if kind.upper() == "TOOL":
            _copy(found, OPENINFERENCE_TOOL_KEYS)
            if "gen_ai.tool.name" not in found:
                # A tool span that does not name its tool (tool.name is optional): its
                # span's name does, else its arguments and result went unshown.
                found["gen_ai.tool.name"].string_value = span.name
        step = OPENINFERENCE_TYPES.get(kind.upper(), kind.lower())
    elif TRACELOOP_KIND in found or TRACELOOP_REQUEST_TYPE in found:
        # (lower case as OpenLLMetry writes them; any case read alike)
        kind = (found[TRACELOOP_KIND].string_value.lower() if TRACELOOP_KIND in found
                else "")
        request = (found[TRACELOOP_REQUEST_TYPE].string_value.lower()
                   if TRACELOOP_REQUEST_TYPE in found else "")
        _copy(found, TRACELOOP_KEYS)
        if kind == "tool":
            _copy(found, TRACELOOP_TOOL_KEYS)
        step = "llm" if request in TRACELOOP_LLM_REQUESTS else kind or request
    else:
        return False
    if step and step != "unknown":  # (both say UNKNOWN: the span kind says more)
        found["step_type"].string_value = step
    return True


def _copy(found: Any, keys: tuple[tuple[str, str], ...]) -> None:
    for theirs, ours in keys:
        if theirs in found and ours not in found:
            # (`found[ours]` adds the entry: a map of messages)
            found[ours].CopyFrom(found[theirs])
