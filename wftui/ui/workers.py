"""Async work the UI starts in Textual workers."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, cast

from textual.dom import DOMNode
from textual.worker import WorkType

Job = Callable[[], Coroutine[Any, Any, None]]


def run_async(node: DOMNode, job: Job, **options: Any) -> None:
    """Run `job` in a worker of `node`, its coroutine made when the worker starts.

    A coroutine made beforehand, for a worker the closing app never started, is
    "never awaited": a warning at exit (a test failed on it, the refresh timer's
    worker started as the app closed)."""
    # mypy solves run_worker's result from an async function as `Never`: it is None.
    work: WorkType[None] = cast("WorkType[None]", job)
    node.run_worker(work, **options)
