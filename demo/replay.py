"""Ask the running demo service to replay an execution.

    python -m demo.replay EXEC-000123 [--url http://127.0.0.1:8089] [--context-file ctx.json]

(``python -m wftui._demo.replay`` when installed.) Prints ``{"execution_id": "<new id>"}``
and exits 0; on failure prints one line to stderr and exits 1. This is the command a
wftui replay hook can run; the service re-runs the execution with its stored context
(or the one in --context-file) and logs `replay_of`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx

from .server import DEFAULT_PORT
from .service import EXECUTION_ID_RE
from .workflow import WORKFLOW_NAME

DEFAULT_URL = os.environ.get("WFTUI_DEMO_URL", f"http://127.0.0.1:{DEFAULT_PORT}")


class ReplayFailed(Exception):
    """A replay that did not start; the message is one line for the operator."""


def request_replay(
    base_url: str,
    execution_id: str,
    context: dict[str, Any] | None = None,
    timeout: float = 10.0,
) -> str:
    """POST /replay to the service at `base_url`; return the new execution id."""
    body: dict[str, Any] = {"execution_id": execution_id, "workflow_name": WORKFLOW_NAME}
    if context is not None:
        body["context"] = context
    url = base_url.rstrip("/") + "/replay"
    try:
        # No redirects and no proxies from the environment: the URL is the operator's.
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            response = client.post(url, json=body)
    except httpx.HTTPError as exc:
        raise ReplayFailed(f"cannot reach {url}: {str(exc) or type(exc).__name__}") from None
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if response.status_code != 202:
        detail = answer.get("error") if isinstance(answer, dict) else None
        detail = detail or response.reason_phrase
        raise ReplayFailed(f"{url} answered {response.status_code}: {detail}")
    new_id = answer.get("execution_id") if isinstance(answer, dict) else None
    if not isinstance(new_id, str):
        raise ReplayFailed(f"{url} answered 202 without an execution_id")
    return new_id


def _load_context(path: str) -> dict[str, Any]:
    try:
        context = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReplayFailed(f"cannot read context file {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ReplayFailed(f"context file {path} is not JSON: {exc}") from None
    if not isinstance(context, dict):
        raise ReplayFailed(f"context file {path} must hold a JSON object")
    return context


def main(argv: list[str] | None = None) -> int:
    """Run the replay command; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog=f"python -m {__package__}.replay",
        description="Replay an execution of the demo service with its stored inputs.",
    )
    parser.add_argument("execution_id", help="the execution to replay, e.g. EXEC-000123")
    parser.add_argument(
        "--url",
        default=DEFAULT_URL,
        help=f"the service's base URL (default {DEFAULT_URL}; or set WFTUI_DEMO_URL)",
    )
    parser.add_argument("--context-file", help="JSON file with the context to replay with")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds (default 10)")
    args = parser.parse_args(argv)
    try:
        if not EXECUTION_ID_RE.fullmatch(args.execution_id):
            raise ReplayFailed(f"not an execution id: {args.execution_id!r}")
        context = _load_context(args.context_file) if args.context_file else None
        new_id = request_replay(args.url, args.execution_id, context, args.timeout)
    except ReplayFailed as exc:
        print(f"replay: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"execution_id": new_id}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
