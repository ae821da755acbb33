"""Start the demo service as a child process, for `wftui demo` and the tests.

The child is `sys.executable -m <this package>` (``demo`` in a checkout,
``wftui._demo`` when installed), so the same code runs either way. It dies with its
parent: it watches its stdin, a pipe whose other end only this process holds, and
stops at end of file; `stop()` is also registered with atexit.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Any

_LISTENING_RE = re.compile(r"listening on (http://127\.0\.0\.1:(\d+))")


class DemoStartError(RuntimeError):
    """The demo service did not come up; the message is one line for the operator."""


def _package_root() -> Path:
    """The directory that holds this package's top-level package (for PYTHONPATH)."""
    top = sys.modules[__package__.split(".")[0]]
    return Path(top.__file__ or "").resolve().parent.parent


class DemoProcess:
    """A running demo service in a child process."""

    def __init__(
        self, process: subprocess.Popen[bytes], port: int, log_path: Path, stderr_file: IO[bytes]
    ) -> None:
        self.process = process
        self.port = port
        self.log_path = log_path
        self._stderr_file = stderr_file
        self._set_urls()
        atexit.register(self.stop)

    def _set_urls(self) -> None:
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.metrics_url = f"{self.base_url}/metrics"
        self.health_url = f"{self.base_url}/health"
        self.replay_url = f"{self.base_url}/replay"
        self.incident_url = f"{self.base_url}/incident"

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self.process.pid

    def running(self) -> bool:
        """Whether the child is still alive."""
        return self.process.poll() is None

    def stderr_tail(self, limit: int = 2000) -> str:
        """The end of what the child wrote to stderr (for explaining a crash)."""
        with contextlib.suppress(OSError, ValueError):
            self._stderr_file.seek(0, os.SEEK_END)
            size = self._stderr_file.tell()
            self._stderr_file.seek(max(0, size - limit))
            return self._stderr_file.read().decode("utf-8", "replace")
        return ""

    def stop(self, timeout: float = 5.0) -> int | None:
        """Stop the service (SIGTERM, then SIGKILL after `timeout`); safe to call twice."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        with contextlib.suppress(OSError):
            self._stderr_file.close()
        atexit.unregister(self.stop)
        return self.process.returncode

    def __enter__(self) -> DemoProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def demo_command(log_path: str | os.PathLike[str], port: int = 0, **opts: Any) -> list[str]:
    """The argv that runs the service: options are the CLI flags without dashes.

    For example ``demo_command("a.log", rate=10, incident="backlog")``.
    """
    # -P: do not put the working directory first on the module path. Run from a checkout
    # (where ./wftui has no _demo), `-m wftui._demo` would find the source tree and fail.
    argv = [sys.executable, "-P", "-m", __package__, "--log", str(log_path),
            "--port", str(port)]
    for name, value in opts.items():
        if value is None or value is False:
            continue
        flag = "--" + name.replace("_", "-")
        argv += [flag] if value is True else [flag, str(value)]
    return argv


def start_demo_process(
    log_path: str | os.PathLike[str],
    port: int = 0,
    *,
    rate: float | None = None,
    workers: int | None = None,
    speed: float | None = None,
    incident: str | None = None,
    seed: int | None = None,
    stuck_after: float | None = None,
    otlp_endpoint: str | None = None,
    startup_timeout: float = 20.0,
) -> DemoProcess:
    """Launch the demo service and wait until /health answers.

    Raises `DemoStartError` (one-line message) if it exits or does not answer within
    `startup_timeout` seconds; the child is stopped in that case.
    """
    argv = demo_command(
        log_path,
        port,
        rate=rate,
        workers=workers,
        speed=speed,
        incident=incident,
        seed=seed,
        stuck_after=stuck_after,
        otlp_endpoint=otlp_endpoint,
        exit_with_parent=True,
    )
    env = dict(os.environ)
    root = str(_package_root())
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    stderr_file = tempfile.TemporaryFile(prefix="wftui-demo-stderr-")  # noqa: SIM115
    process = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr_file,
        env=env,
    )
    demo = DemoProcess(process, 0, Path(log_path), stderr_file)
    try:
        demo.port = _wait_for_port(process, startup_timeout)
        demo._set_urls()
        _wait_for_health(demo, startup_timeout)
    except DemoStartError as exc:
        # The child's last stderr line usually says why (port taken, log unwritable).
        time.sleep(0.2)
        tail = demo.stderr_tail().strip().splitlines()
        demo.stop()
        raise DemoStartError(f"{exc}: {tail[-1]}" if tail else str(exc)) from None
    except BaseException:
        demo.stop()
        raise
    return demo


def _wait_for_port(process: subprocess.Popen[bytes], timeout: float) -> int:
    """Read the child's first stdout line, which names the port it listens on."""
    lines: queue.Queue[bytes] = queue.Queue()
    stdout = process.stdout
    assert stdout is not None
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        first = lines.get(timeout=timeout)
    except queue.Empty:
        raise DemoStartError(
            f"demo service did not announce its port within {timeout:.0f} s"
        ) from None
    match = _LISTENING_RE.search(first.decode("utf-8", "replace"))
    if match is None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5)
        raise DemoStartError(f"demo service exited with status {process.returncode}")
    return int(match.group(2))


# No proxies: the service is on 127.0.0.1 whatever http_proxy says.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _wait_for_health(demo: DemoProcess, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last_error = "no answer"
    while time.monotonic() < deadline:
        if not demo.running():
            raise DemoStartError(f"demo service exited with status {demo.process.returncode}")
        try:
            with _OPENER.open(demo.health_url, timeout=2) as response:
                response.read()
                return
        except urllib.error.HTTPError as exc:  # 503 "unhealthy" still means it answers
            exc.close()
            return
        except OSError as exc:
            last_error = str(exc)
        time.sleep(0.1)
    raise DemoStartError(
        f"demo service /health did not answer within {timeout:.0f} s ({last_error})"
    )
