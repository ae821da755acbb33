"""The example workflow: an AI support-ticket pipeline, logging docs/log-format.md's events.

    fetch_ticket (tool) -> classify (llm) -> route_ticket (branch) -> auto_reply (llm)
                                                                   \\-> escalate (tool)

Latencies are random but realistic in shape; `speed` divides every wait, so tests can
run the same workflow many times faster. Failures are real exceptions raised inside a
step, so the logged tracebacks are genuine. Two kinds exist on purpose, because replay
is for telling them apart: transient ones (a rate limit, a 503) that a replay usually
does not reproduce, and a deterministic one (a ticket with an empty body) that it does.
"""

from __future__ import annotations

import asyncio
import random
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .logger import WorkflowLogger
from .metrics import WorkflowMetrics
from .tracing import StepTracer

WORKFLOW_NAME = "support_ticket"


@dataclass(frozen=True)
class Incident:
    """What an incident changes in the service's behaviour."""

    name: str
    description: str
    transient_failure_rate: float = 0.02
    slow_fetch_s: tuple[float, float] | None = None
    arrival_multiplier: float = 1.0


INCIDENTS: dict[str, Incident] = {
    "none": Incident("none", "normal operation (about 3% of executions fail)"),
    "error-spike": Incident(
        "error-spike",
        "the LLM provider and ticket API fail often: about 30% of executions fail",
        transient_failure_rate=0.30,
    ),
    "slow-tool": Incident(
        "slow-tool",
        "the ticket API answers in 60-120 s (divided by --speed): p95 latency passes 60 s",
        slow_fetch_s=(60.0, 120.0),
    ),
    "backlog": Incident(
        "backlog",
        "tickets arrive 25 times faster than usual: the queue and active workflows climb",
        arrival_multiplier=25.0,
    ),
}

# Share of tickets that arrive with an empty body: classify always fails on them.
EMPTY_BODY_RATE = 0.01

SUBJECTS: dict[str, list[str]] = {
    "billing": ["Charged twice this month", "Refund not received", "Invoice shows wrong VAT"],
    "technical": ["App crashes on login", "Export to CSV times out", "API returns 500"],
    "account": ["Cannot reset my password", "Please delete my account", "2FA codes rejected"],
    "shipping": ["Parcel stuck in transit", "Wrong item delivered", "Tracking link broken"],
}

SENTENCES = [
    "This started yesterday evening.",
    "I have attached a screenshot.",
    "My order number is in the previous email.",
    "Please get back to me as soon as possible.",
    "I already tried logging out and in again.",
    "Several colleagues see the same thing.",
    "This is the third time I am writing about this.",
    "Thanks in advance for your help.",
]


class TicketAPIError(ConnectionError):
    """The ticket system answered with an error."""


class LLMProviderError(RuntimeError):
    """The LLM provider refused or failed a request to `model`."""

    def __init__(self, model: str, message: str) -> None:
        super().__init__(f"{model}: {message}")
        # The failed step says which model failed, as a successful one does: the
        # monitor's "why" groups failures by model.
        self.model = model


class EscalationError(RuntimeError):
    """The on-call system rejected an escalation."""


def make_ticket(rng: random.Random, number: int) -> dict[str, Any]:
    """The inputs of one execution: a support ticket as the queue delivers it."""
    category = rng.choice(list(SUBJECTS))
    subject = rng.choice(SUBJECTS[category])
    empty = rng.random() < EMPTY_BODY_RATE
    body = "" if empty else " ".join([f"{subject}."] + rng.sample(SENTENCES, rng.randint(1, 5)))
    return {
        "ticket_id": f"TKT-{100000 + number}",
        "customer_id": f"CUST-{rng.randint(1000, 9999)}",
        "priority": rng.choices(["high", "medium", "low"], weights=[2, 4, 4])[0],
        "channel": rng.choice(["email", "chat", "web"]),
        "subject": subject,
        "body": body,
    }


# List prices, USD per million tokens (input, output): also wftui demo's price table
# for the spans' token counts.
PRICES_PER_MILLION = {"gpt-4o-mini": (0.15, 0.60), "gpt-4o": (2.50, 10.00)}


def llm_cost_usd(model: str, input_tokens: int, output_tokens: int) -> float:
    """Price of one call, in US dollars (list prices per million tokens)."""
    per_million = PRICES_PER_MILLION[model]
    return round((input_tokens * per_million[0] + output_tokens * per_million[1]) / 1e6, 8)


StepBody = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class SupportTicketWorkflow:
    """Runs executions of the support-ticket workflow, logging and measuring each step."""

    def __init__(
        self,
        logger: WorkflowLogger,
        metrics: WorkflowMetrics,
        rng: random.Random,
        speed: float = 1.0,
        incident: Callable[[], Incident] = lambda: INCIDENTS["none"],
        on_progress: Callable[[], None] = lambda: None,
        tracer: StepTracer | None = None,
    ) -> None:
        # With a tracer, steps, tool calls and branch decisions go out as spans and the
        # log keeps the execution's events (start with its inputs, completion): wftui
        # merges both into one execution by execution_id.
        self.tracer = tracer
        self.logger = logger
        self.metrics = metrics
        self.rng = rng
        self.speed = speed
        self.incident = incident
        self.on_progress = on_progress

    async def _wait(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self.speed)

    async def execute(
        self, execution_id: str, inputs: Mapping[str, Any], replay_of: str | None = None
    ) -> str:
        """Run one execution to its end; return its status, ``success`` or ``failure``."""
        if self.tracer is None:
            return await self._execute(execution_id, inputs, replay_of, None)
        with self.tracer.workflow(execution_id, WORKFLOW_NAME) as root:
            return await self._execute(execution_id, inputs, replay_of, root)

    async def _execute(
        self, execution_id: str, inputs: Mapping[str, Any], replay_of: str | None, root: Any
    ) -> str:
        started = time.perf_counter()
        self.logger.log_workflow_start(execution_id, WORKFLOW_NAME, inputs, replay_of=replay_of)
        self.metrics.active_workflows.inc()
        context: dict[str, Any] = dict(inputs)
        incident = self.incident()
        # Decided up front so one execution fails at most once, in one of its steps.
        failing_step = None
        if self.rng.random() < incident.transient_failure_rate:
            failing_step = self.rng.choice(["fetch_ticket", "classify", "reply_or_escalate"])
        status, error = "success", None
        try:
            await self._step(
                execution_id,
                "fetch_ticket",
                "tool",
                context,
                lambda c: self._fetch_ticket(execution_id, c, failing_step),
            )
            await self._step(
                execution_id, "classify", "llm", context, lambda c: self._classify(c, failing_step)
            )
            path = await self._step(
                execution_id,
                "route_ticket",
                "branch",
                context,
                lambda c: self._route(execution_id, c),
            )
            if path["path_taken"] == "escalate":
                await self._step(
                    execution_id,
                    "escalate",
                    "tool",
                    context,
                    lambda c: self._escalate(execution_id, c, failing_step),
                )
            else:
                await self._step(
                    execution_id,
                    "auto_reply",
                    "llm",
                    context,
                    lambda c: self._auto_reply(execution_id, c, failing_step),
                )
        except asyncio.CancelledError:
            status, error = "failure", "cancelled: the service is shutting down"
            raise
        except Exception as exc:  # the step already logged it; the execution fails
            status, error = "failure", f"{type(exc).__name__}: {exc}"
            if root is not None:
                StepTracer.failed(root, error)
        finally:
            duration = time.perf_counter() - started
            self.logger.log_workflow_complete(
                execution_id, WORKFLOW_NAME, status, duration * 1000, error=error
            )
            self.metrics.workflow_executions_total.labels(
                workflow_name=WORKFLOW_NAME, status=status
            ).inc()
            self.metrics.workflow_duration_seconds.labels(workflow_name=WORKFLOW_NAME).observe(
                duration
            )
            self.metrics.active_workflows.dec()
        return status

    async def _step(
        self,
        execution_id: str,
        step_name: str,
        step_type: str,
        context: dict[str, Any],
        body: StepBody,
    ) -> dict[str, Any]:
        """Run one step: step_start, the body, then error (if any) and step_complete."""
        if self.tracer is not None:
            return await self._traced_step(execution_id, step_name, step_type, context, body)
        self.logger.log_step_start(execution_id, step_name, step_type, context)
        started = time.perf_counter()
        try:
            result = await body(context)
        except BaseException as exc:
            duration = time.perf_counter() - started
            if isinstance(exc, asyncio.CancelledError):
                message = "cancelled: the service is shutting down"
            else:
                message = f"{type(exc).__name__}: {exc}"
                self.logger.log_error(execution_id, step_name, message, traceback.format_exc())
            failed_llm = {"model": exc.model} if isinstance(exc, LLMProviderError) else {}
            self.logger.log_step_complete(execution_id, step_name, duration * 1000, False, message,
                                          **failed_llm)
            self._observe_step(step_name, step_type, duration)
            raise
        duration = time.perf_counter() - started
        llm_fields = result.pop("llm", {})
        context.update(result)
        self.logger.log_step_complete(
            execution_id, step_name, duration * 1000, True, None, **llm_fields
        )
        self._observe_step(step_name, step_type, duration)
        return result

    async def _traced_step(
        self,
        execution_id: str,
        step_name: str,
        step_type: str,
        context: dict[str, Any],
        body: StepBody,
    ) -> dict[str, Any]:
        """The same step as a span (the article's execute_step_with_tracing)."""
        assert self.tracer is not None
        started = time.perf_counter()
        try:
            with self.tracer.step(execution_id, step_name, step_type) as span:
                result = await body(context)
                llm_fields = result.pop("llm", {})
                if llm_fields:
                    StepTracer.llm(span, llm_fields)
        finally:
            self._observe_step(step_name, step_type, time.perf_counter() - started)
        context.update(result)
        return result

    def _tool_call(self, execution_id: str, tool_name: str, arguments: dict[str, Any],
                   response: Any, duration_ms: float, step_name: str) -> None:
        if self.tracer is not None:
            self.tracer.tool_call(execution_id, tool_name, arguments, response, duration_ms)
        else:
            self.logger.log_tool_call(execution_id, tool_name, arguments, response,
                                      duration_ms, step_name=step_name)

    def _observe_step(self, step_name: str, step_type: str, duration: float) -> None:
        self.metrics.step_duration_seconds.labels(step_name=step_name, step_type=step_type).observe(
            duration
        )
        self.on_progress()

    # -- the steps ------------------------------------------------------------------

    async def _fetch_ticket(
        self, execution_id: str, context: dict[str, Any], failing_step: str | None
    ) -> dict[str, Any]:
        arguments = {"ticket_id": context["ticket_id"]}
        started = time.perf_counter()
        response = await self._call_ticket_api(arguments["ticket_id"], failing_step)
        self._tool_call(
            execution_id,
            "fetch_ticket",
            arguments,
            response,
            (time.perf_counter() - started) * 1000,
            step_name="fetch_ticket",
        )
        return {"ticket": response}

    async def _call_ticket_api(self, ticket_id: str, failing_step: str | None) -> dict[str, Any]:
        slow = self.incident().slow_fetch_s
        if slow is not None:
            await self._wait(self.rng.uniform(*slow))
        else:
            await self._wait(self.rng.triangular(0.03, 0.25, 0.07))
        if failing_step == "fetch_ticket":
            raise TicketAPIError(f"ticket API returned 503 Service Unavailable for {ticket_id}")
        return {"ticket_id": ticket_id, "status": "open", "history": [], "attachments": 0}

    async def _classify(self, context: dict[str, Any], failing_step: str | None) -> dict[str, Any]:
        model = "gpt-4o-mini"
        await self._wait(self.rng.triangular(0.15, 0.9, 0.35))
        if not context["body"].strip():
            raise ValueError(f"cannot classify ticket {context['ticket_id']}: empty body")
        if failing_step == "classify":
            raise LLMProviderError(model, "429 rate limit exceeded, retry after 2 s")
        input_tokens = 220 + len(context["body"]) // 4 + self.rng.randint(0, 40)
        output_tokens = self.rng.randint(12, 40)
        category = next(c for c, subjects in SUBJECTS.items() if context["subject"] in subjects)
        return {
            "category": category,
            "llm": {
                "model": model,
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "cost_usd": llm_cost_usd(model, input_tokens, output_tokens),
            },
        }

    async def _route(self, execution_id: str, context: dict[str, Any]) -> dict[str, Any]:
        await self._wait(self.rng.uniform(0.001, 0.005))
        # The article's rule, word for word.
        priority = context.get("priority", "unknown")
        path = "escalate" if priority == "high" else "auto_reply"
        if self.tracer is not None:
            self.tracer.branch("route_ticket", path)
        else:
            self.logger.log_branch_decision(execution_id, "route_ticket", path)
        return {"path_taken": path}

    async def _auto_reply(
        self, execution_id: str, context: dict[str, Any], failing_step: str | None
    ) -> dict[str, Any]:
        model = "gpt-4o"
        await self._wait(self.rng.triangular(0.25, 1.2, 0.5))
        if failing_step == "reply_or_escalate":
            raise LLMProviderError(
                model, "response is not valid JSON (Expecting ',' delimiter: line 1 column 87)"
            )
        input_tokens = 900 + len(context["body"]) // 4 + self.rng.randint(0, 400)
        output_tokens = self.rng.randint(150, 400)
        arguments = {"ticket_id": context["ticket_id"], "channel": context["channel"]}
        started = time.perf_counter()
        await self._wait(self.rng.uniform(0.02, 0.08))
        response = {"message_id": f"MSG-{self.rng.randint(10**6, 10**7 - 1)}", "sent": True}
        self._tool_call(
            execution_id,
            "send_reply",
            arguments,
            response,
            (time.perf_counter() - started) * 1000,
            step_name="auto_reply",
        )
        return {
            "reply_id": response["message_id"],
            "llm": {
                "model": model,
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "cost_usd": llm_cost_usd(model, input_tokens, output_tokens),
            },
        }

    async def _escalate(
        self, execution_id: str, context: dict[str, Any], failing_step: str | None
    ) -> dict[str, Any]:
        team = f"{context.get('category', 'general')}-oncall"
        arguments = {"ticket_id": context["ticket_id"], "team": team}
        started = time.perf_counter()
        await self._wait(self.rng.triangular(0.05, 0.35, 0.12))
        if failing_step == "reply_or_escalate":
            raise EscalationError(f"on-call API rejected the escalation: {team} has no schedule")
        response = {"escalation_id": f"ESC-{self.rng.randint(1000, 9999)}", "assigned_to": team}
        self._tool_call(
            execution_id,
            "create_escalation",
            arguments,
            response,
            (time.perf_counter() - started) * 1000,
            step_name="escalate",
        )
        return {"escalation_id": response["escalation_id"]}
