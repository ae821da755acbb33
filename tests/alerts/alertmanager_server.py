"""Debian's real Alertmanager on a loopback port, for the tests.

Its only receiver is a webhook on a local Receiver (a real HTTP server), with
send_resolved, so a test sees what the team's routing would page: firing, then resolved.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import free_port, wait_for

BINARY = "/usr/bin/prometheus-alertmanager"


def require_binary() -> str:
    """The binary's path; skip the test without it (fail under CI, where it must be)."""
    path = shutil.which(BINARY) or shutil.which("alertmanager")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{BINARY} is missing (CI installs prometheus-alertmanager)")
        pytest.skip(f"{BINARY} not installed (apt-get install prometheus-alertmanager)")
    return path


class Alertmanager:
    """One Alertmanager process with its own config and storage in a temp directory."""

    def __init__(self, webhook_url: str, port: int | None = None) -> None:
        self.binary = require_binary()
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dir = Path(tempfile.mkdtemp(prefix="wftui-am-"))
        (self.dir / "am.yml").write_text(f"""
route:
  receiver: hook
  group_by: ['alertname']
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: '{webhook_url}'
        send_resolved: true
""")
        self.proc: subprocess.Popen[bytes] | None = None
        # One client for every poll: httpx.get builds a new SSL context each call, which
        # was the alert tests' biggest cost after the app itself.
        self.http = httpx.Client(timeout=10, trust_env=False)

    def start(self) -> Alertmanager:
        with open(self.dir / "am.log", "ab") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                [self.binary, f"--web.listen-address=127.0.0.1:{self.port}",
                 "--cluster.listen-address=", f"--storage.path={self.dir / 'data'}",
                 f"--config.file={self.dir / 'am.yml'}"],
                stdout=subprocess.DEVNULL, stderr=log)
        wait_for(self.ready, "Alertmanager /-/ready")
        return self

    def ready(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            log = (self.dir / "am.log").read_text(errors="replace")[-2000:]
            pytest.fail(f"Alertmanager exited ({self.proc.returncode}): {log}")
        try:
            return self.http.get(self.url + "/-/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(20)
        self.proc = None

    def close(self) -> None:
        self.stop()
        self.http.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- its API, read directly (not through wftui's client) ---------------------------

    def alerts(self) -> list[dict[str, Any]]:
        return self.http.get(self.url + "/api/v2/alerts").json()

    def silences(self) -> list[dict[str, Any]]:
        return self.http.get(self.url + "/api/v2/silences").json()

    def add_silence(self, matchers: list[dict[str, Any]], seconds: float, *,
                    by: str = "ana", comment: str = "known incident") -> str:
        now = time.time()
        body = {"matchers": matchers, "createdBy": by, "comment": comment,
                "startsAt": _iso(now), "endsAt": _iso(now + seconds)}
        answer = self.http.post(self.url + "/api/v2/silences", json=body)
        answer.raise_for_status()
        return str(answer.json()["silenceID"])


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch % 1 * 1000):03d}Z"
