"""Helpers shared by the tests: waiting for a condition, a free loopback port."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

# Generous: the suite must hold on a loaded two-core machine.
WAIT_S = 45.0


def wait_for(condition: Callable[[], Any], what: str, timeout: float = WAIT_S,
             every: float = 0.02) -> Any:
    """Poll until `condition()` is truthy and return its value; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)
    return value


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the moment of asking)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
