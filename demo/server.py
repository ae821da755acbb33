"""HTTP endpoints of the demo: /metrics, /health, /replay and /incident.

A stdlib `ThreadingHTTPServer` in threads of its own, apart from the service's event
loop, so a scrape or a health check never waits for the workflow and /health can see
a stalled loop. Bound to 127.0.0.1 only: replay and incident switches are not for the
network.
"""

from __future__ import annotations

import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

from .metrics import WorkflowMetrics
from .service import DemoService, ReplayError
from .workflow import INCIDENTS, WORKFLOW_NAME

DEFAULT_PORT = 8089  # `python -m demo` without --port; the replay command's default
MAX_BODY = 1 << 20  # a replay context is small; refuse anything bigger


class _Handler(BaseHTTPRequestHandler):
    """Routes requests to the service; every answer but /metrics is JSON."""

    server: DemoHTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        # Access logs would interleave with the operator's terminal; the service's
        # own log file is the record.
        return

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, obj: Any) -> None:
        self._send(status, orjson.dumps(obj) + b"\n", "application/json")

    def _read_json(self) -> Any:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            raise ReplayError(413 if length > MAX_BODY else 400, "bad Content-Length")
        raw = self.rfile.read(length) if length else b"{}"
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ReplayError(400, f"body is not JSON: {exc}") from None

    def do_GET(self) -> None:  # noqa: N802 (BaseHTTPRequestHandler's naming)
        path = self.path.split("?", 1)[0]
        service = self.server.service
        if path == "/metrics":
            body, content_type = self.server.metrics.exposition(self.headers.get("Accept", ""))
            self._send(200, body, content_type)
        elif path == "/health":
            status, answer = service.health()
            self._json(status, answer)
        elif path == "/incident":
            self._json(
                200,
                {
                    **service.describe(),
                    "incidents": {
                        name: incident.description for name, incident in INCIDENTS.items()
                    },
                },
            )
        else:
            self._json(404, {"error": f"no such endpoint: GET {path}"})

    do_HEAD = do_GET

    def do_POST(self) -> None:  # noqa: N802
        path = self.path.split("?", 1)[0]
        try:
            body = self._read_json()
            if not isinstance(body, dict):
                raise ReplayError(400, "body must be a JSON object")
            if path == "/replay":
                self._replay(body)
            elif path == "/incident":
                name = body.get("incident")
                if name not in INCIDENTS:
                    raise ReplayError(400, f"incident must be one of {', '.join(INCIDENTS)}")
                incident = self.server.service.set_incident(name)
                self._json(200, {"incident": incident.name, "description": incident.description})
            else:
                self._json(404, {"error": f"no such endpoint: POST {path}"})
        except ReplayError as exc:
            self._json(exc.status, {"error": str(exc)})

    def _replay(self, body: dict[str, Any]) -> None:
        workflow_name = body.get("workflow_name")
        if workflow_name not in (None, WORKFLOW_NAME):
            raise ReplayError(400, f"this service runs only the {WORKFLOW_NAME} workflow")
        new_id = self.server.service.replay_threadsafe(
            body.get("execution_id"), body.get("context")
        )
        self._json(HTTPStatus.ACCEPTED, {"execution_id": new_id})


class DemoHTTPServer(ThreadingHTTPServer):
    """The HTTP server, holding the service and metrics its handlers answer from."""

    daemon_threads = True

    def __init__(self, port: int, service: DemoService, metrics: WorkflowMetrics) -> None:
        self.service = service
        self.metrics = metrics
        super().__init__(("127.0.0.1", port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line on stderr instead of socketserver's traceback; quiet for hang-ups."""
        exc = sys.exception()
        if isinstance(exc, ConnectionError):
            return  # the client went away mid-answer: nothing to tell the operator
        print(f"demo: error answering {client_address[0]}: {exc!r}", file=sys.stderr)

    @property
    def port(self) -> int:
        """The port actually bound (useful when 0 asked for a free one)."""
        return int(self.server_address[1])

    def start(self) -> threading.Thread:
        """Serve in a background thread."""
        thread = threading.Thread(target=self.serve_forever, name="demo-http", daemon=True)
        thread.start()
        return thread
