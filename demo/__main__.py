"""Run the demo service: ``python -m demo`` (checkout) or ``python -m wftui._demo``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import threading

from .history import last_execution_number
from .logger import WorkflowLogger
from .metrics import WorkflowMetrics
from .server import DEFAULT_PORT, DemoHTTPServer
from .service import STUCK_AFTER_S, DemoService, ServiceConfig
from .workflow import INCIDENTS


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number above 0: {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above 0: {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command line of the demo service."""
    parser = argparse.ArgumentParser(
        prog=f"python -m {__package__}",
        description="An AI support-ticket workflow service instrumented for wftui: "
        "JSON-lines events to --log, Prometheus metrics at /metrics, /health, "
        "POST /replay and POST /incident on 127.0.0.1.",
    )
    parser.add_argument("--log", required=True, help="file to append the JSON-lines events to")
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"HTTP port on 127.0.0.1; 0 picks a free one (default {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--rate", type=_positive_float, default=4.0, help="tickets arriving per second (default 4)"
    )
    parser.add_argument(
        "--workers", type=_positive_int, default=32, help="executions run at once (default 32)"
    )
    parser.add_argument(
        "--speed",
        type=_positive_float,
        default=1.0,
        help="divide every step latency by this (default 1: realistic)",
    )
    parser.add_argument(
        "--incident",
        choices=list(INCIDENTS),
        default="none",
        help="start with an incident on; switch later with POST /incident",
    )
    parser.add_argument("--seed", type=int, default=None, help="seed the ticket stream")
    parser.add_argument(
        "--otlp-endpoint",
        metavar="URL",
        help="send each execution's steps as OpenTelemetry spans to this OTLP/HTTP traces "
        "URL (e.g. http://127.0.0.1:4318/v1/traces); the log keeps the execution events",
    )
    parser.add_argument(
        "--stuck-after",
        type=_positive_float,
        default=STUCK_AFTER_S,
        help="seconds without a finished step, with work waiting, before /health answers "
        f"503 unhealthy (default {STUCK_AFTER_S:.0f})",
    )
    parser.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="stop when stdin reaches end of file or the parent process "
        "goes away (used by `wftui demo`)",
    )
    return parser


def _watch_parent(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """Stop the service when the parent goes: its end of our stdin closes."""
    parent = os.getppid()

    def read_stdin() -> None:
        # os.read on the raw descriptor: a daemon thread blocked inside sys.stdin's
        # buffered reader makes the interpreter abort at exit (it holds the lock).
        with contextlib.suppress(OSError):
            while os.read(0, 4096):
                pass
        loop.call_soon_threadsafe(stop.set)

    def poll_parent() -> None:
        # Backs up the stdin watch for a parent that passed no pipe.
        while not stop.is_set():
            if os.getppid() != parent:
                loop.call_soon_threadsafe(stop.set)
                return
            threading.Event().wait(1.0)

    threading.Thread(target=read_stdin, name="demo-stdin-watch", daemon=True).start()
    threading.Thread(target=poll_parent, name="demo-parent-watch", daemon=True).start()


async def _serve(args: argparse.Namespace) -> int:
    metrics = WorkflowMetrics()
    # Carry on after the executions already in the log, so two runs never share an id.
    first_number = last_execution_number(args.log) + 1
    try:
        logger = WorkflowLogger(args.log)
    except OSError as exc:
        print(f"demo: cannot open log file {args.log}: {exc.strerror}", file=sys.stderr)
        return 1
    config = ServiceConfig(
        rate=args.rate,
        workers=args.workers,
        speed=args.speed,
        incident=args.incident,
        seed=args.seed,
        stuck_after_s=args.stuck_after,
        first_number=first_number,
        otlp_endpoint=args.otlp_endpoint,
    )
    service = DemoService(config, logger, metrics)
    try:
        server = DemoHTTPServer(args.port, service, metrics)
    except OSError as exc:
        print(f"demo: cannot listen on 127.0.0.1:{args.port}: {exc.strerror}", file=sys.stderr)
        logger.close()
        return 1
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    if args.exit_with_parent:
        _watch_parent(loop, stop)
    server.start()
    url = f"http://127.0.0.1:{server.port}"
    # The first line is read by start_demo_process(): keep "listening on <url>" in it.
    print(f"demo service listening on {url}", flush=True)
    print(
        f"  events: {logger.path}\n  metrics: {url}/metrics   health: {url}/health\n"
        f"  replay: POST {url}/replay   incident: POST {url}/incident "
        f"(now: {service.incident})",
        flush=True,
    )
    try:
        await service.run(stop)
    finally:
        server.shutdown()
        server.server_close()
        logger.close()
        if service.tracer is not None:
            service.tracer.close()  # the last spans go out before the process ends
    print("demo service stopped", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the service until SIGTERM or SIGINT; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return asyncio.run(_serve(args))
    except KeyboardInterrupt:  # a second Ctrl-C during shutdown
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
