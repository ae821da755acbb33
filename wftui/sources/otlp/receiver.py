"""The OTLP/HTTP receiver: `POST /v1/traces` and `POST /v1/logs` on an aiohttp server.

Answers as the OTLP specification asks: the Export*ServiceResponse in the request's
content type (with partial_success when some spans were refused, and why); 400 for a
body that does not decode, 415 for another content type, 413 past the body limit or
when gzip inflates past the decompressed limit, 401 without the bearer token when one
is set, 404/405 elsewhere.

A request is decoded and checked (its spans counted, those that cannot be placed
counted as rejected), and answered then: on the loop's thread for a small plain
protobuf body, on the receiver's worker thread otherwise (`CHECK_HERE_BYTES`); it is read
into event lines and folded (`sink`: the ledger) on a thread of its own, in the order
checked (a job submitted to it: no asyncio queue or task per request). So the sender
has its answer (with partial_success) while its spans are read, and the next request
is on its way meanwhile: reading a request costs ten times checking it, and an exporter
sends its next batch only once answered (bench/otlp.py). An answer never waits for
earlier requests' folds (the ledger's lock may be held a while), and a request once
checked is read and folded even if its answer is never sent (a gRPC deadline); when
reading and folding fall behind past `queue_bytes`, requests get 503 with Retry-After
(the OTLP retry contract) instead of memory growing without bound. A read or fold that
fails (a bug of ours) is counted and said on the source line; the receiver goes on.
At a stop (`finish`), requests answered are still read and folded, for a while, before
the end: the sender was told they were delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from google.protobuf import json_format  # type: ignore[import-untyped]
from google.rpc.status_pb2 import Status  # type: ignore[import-untyped]
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceResponse,
)

from wftui.core.spans import REJECTED_SPANS, SpanReader, usable_records, usable_spans
from wftui.sources.otlp.decode import (
    JSON,
    PROTOBUF,
    STOPPING,
    BodyError,
    TooLarge,
    decode_body,
)

MIB = 1024 * 1024
DEFAULT_PORT = 4318
RETRY_AFTER_S = 1
# Said on the source line of a receiver listening beyond loopback without a token.
OPEN_WARNING = "no token: anyone who can reach it can send spans"
RATE_WINDOW_S = 5.0
# A plain protobuf body up to this size is decoded and checked on the loop's thread
# (~1 ms for the SDK's batch of 512 spans; 16 ms at this size): handing it to the worker
# thread and back cost two waits for the interpreter lock while the fold held it (up to
# 5 ms each), the exporter idle meanwhile: a fifth of the throughput (bench/otlp.py).
# JSON (30 times the cost to decode), gzip (a bomb inflates to the decompressed limit)
# and bigger bodies go to the worker thread.
CHECK_HERE_BYTES = 4 * MIB
# How often traces waiting for their execution id are looked at (see SpanReader).
FLUSH_EVERY_S = 1.0
# At a stop, requests already answered are read and folded for up to this long (the
# sender was told they were delivered: `watch`'s final figures hold them); past it, how
# many were not is said. Within the monitor's 5 s stop, with gRPC's 1 s grace.
DRAIN_S = 3.0

Sink = Callable[[str, list[bytes]], None]
# What checking a request gives: its spans or log records, and how many are rejected.
Checked = tuple[int, int]


class _ServerLog(logging.Handler):
    """What aiohttp says about a connection, as the receiver's last refusal.

    aiohttp logs a request it cannot parse (a control in a header, junk on the port)
    with its traceback; on the default logger that went to stderr, which under
    `wftui watch` is the operator's terminal: anyone who can reach the port could fill
    it. Such a request is counted and said like any refused one instead; any other
    record goes on to aiohttp's own logger.
    """

    def __init__(self, receiver: OtlpReceiver) -> None:
        super().__init__()
        self.receiver = receiver

    def emit(self, record: logging.LogRecord) -> None:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            status = error.code or 400
            reason = " ".join(str(error.message).split())[:200]
            self.receiver.refused[status] = self.receiver.refused.get(status, 0) + 1
            self.receiver.last_refusal = f"{status}: malformed HTTP request: {reason}"
        else:  # anything else (a bug of ours) is logged where aiohttp logs it
            logging.getLogger("aiohttp.server").handle(record)


@dataclass
class ReceiverLimits:
    """Body limits and the ingest queue's bound."""

    body_bytes: int = 16 * MIB
    decompressed_bytes: int = 64 * MIB
    queue_bytes: int = 64 * MIB


class OtlpReceiver:
    """Receives OTLP/HTTP and feeds the event lines it makes of it to `sink`."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = DEFAULT_PORT, *,
                 reader: SpanReader | None = None, token: str | None = None,
                 limits: ReceiverLimits | None = None,
                 grpc_address: tuple[str, int] | None = None) -> None:
        self.host = host
        self.port = port  # None: OTLP/gRPC only
        self.grpc_address = grpc_address
        self.reader = reader or SpanReader()
        self.token = token
        self.limits = limits or ReceiverLimits()
        where = [f"{host}:{port}"] if port is not None else []
        if grpc_address is not None:
            where.append(f"grpc {grpc_address[0]}:{grpc_address[1]}")
        self.name = "otlp " + " ".join(where)
        # Listening beyond loopback without a token is allowed (a private network), but
        # said: whoever reaches the port can add failures, and so fire alerts and pages.
        hosts = ([host] if port is not None else []) + (
            [grpc_address[0]] if grpc_address is not None else [])
        self.open = OPEN_WARNING if token is None and not all(map(is_loopback, hosts)) \
            else None
        self.error: str | None = None
        self.listening = False
        self.requests = 0
        self.refused: dict[int, int] = {}  # HTTP status -> count of requests refused
        self.last_refusal: str | None = None
        self.last_rejection: str | None = None  # why spans or records were skipped
        self.fold_failures = 0  # requests or flushes whose read or fold raised (lost)
        self.last_fold_failure: str | None = None
        # Set (on the loop's thread) once stopping: new requests are refused with a
        # retry asked for, those answered are folded (`finish`).
        self.closing = False
        self._finished = False
        # Requests queued to be folded (under `_counting`) and folded (on the fold's
        # thread only): what a stop could not fold is their difference.
        self._queued_requests = self._folded_requests = 0
        # Counted as checked (the reader counts them as it reads, later).
        self._counting = threading.Lock()
        self.spans = self.log_records = 0
        self.rejected_spans = self.rejected_records = 0
        self._sink: Sink | None = None
        # Requests are decoded and checked on this thread, one at a time.
        self._reading = ThreadPoolExecutor(1, thread_name_prefix="wftui-otlp-check")
        # The span reader's one thread: each request checked is read there, and its
        # lines folded (`sink`), in the order checked.
        self._folding = ThreadPoolExecutor(1, thread_name_prefix="wftui-otlp-fold")
        self._flush_queued = False  # a flush of held traces waits on the fold's thread
        # Bytes of the requests accepted (counted on the loop's thread only) and of those
        # folded (on the fold's thread only): each counter has one writer, no lock.
        self._accepted_bytes = 0
        self._folded_bytes = 0
        # (time, spans) for spans/s: added by the checks, read by the monitor's thread
        # (under `_counting`)
        self._recent: deque[tuple[float, int]] = deque()
        self._runner: web.AppRunner | None = None

    # -- running -----------------------------------------------------------------------

    def app(self) -> web.Application:
        """The aiohttp application (the body limit is enforced before reading)."""
        app = web.Application(client_max_size=self.limits.body_bytes)
        app.router.add_post("/v1/traces", self._traces)
        app.router.add_post("/v1/logs", self._logs)
        return app

    async def run(self, sink: Sink, stop: asyncio.Event) -> None:
        """Serve until `stop` is set; batches of lines go to `sink` on the fold's
        thread."""
        self._sink = sink
        # Bodies are decompressed here, against the decompressed limit (a gzip bomb).
        # A logger of its own (not registered, not propagating): see `_ServerLog`.
        server_log = logging.Logger(f"wftui.otlp.{self.host}:{self.port}")
        server_log.addHandler(_ServerLog(self))
        runner = web.AppRunner(self.app(), auto_decompress=False, access_log=None,
                               handle_signals=False, logger=server_log)
        await runner.setup()
        self._runner = runner
        grpc_server = None
        try:
            if self.port is not None:
                site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
                await site.start()
            if self.grpc_address is not None:
                from wftui.sources.otlp.grpc_server import start_grpc

                grpc_server = await start_grpc(self, *self.grpc_address)
        except OSError as error:
            self.error = str(error) if error.strerror is None else \
                f"cannot listen on {self.host}:{self.port}: {error.strerror}"
            await runner.cleanup()
            raise
        self.listening = True
        fold = asyncio.create_task(self._flush_held())
        try:
            await stop.wait()
        finally:
            self.listening = False
            self.closing = True  # from here on, no request is answered 200
            fold.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await fold
            if grpc_server is not None:
                await grpc_server.stop(grace=1.0)
            await runner.cleanup()
            await self.finish()  # what was answered is folded (done already by `watch`)
            self._reading.shutdown(wait=False, cancel_futures=True)
            self._folding.shutdown(wait=False, cancel_futures=True)
            # Not kept once stopped: the sink holds the ledger, and the receiver lives on
            # in reference cycles (its app's routes are its methods) until a full
            # collection; the ledger's memory would wait with it.
            self._sink = None

    async def finish(self) -> None:
        """Stop taking requests (refused: 503 / UNAVAILABLE, which senders retry) and
        read and fold those already answered, for up to DRAIN_S; then traces still
        waiting for a name go out under their trace id (nothing more will come to name
        them). Requests not folded by then are counted as lost and said. Run on the
        loop's thread: a handler checks `closing` and queues its request with no
        await between, so none is answered after this began and left out."""
        self.closing = True
        if self._finished:
            return
        self._finished = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DRAIN_S
        # Each pool runs its jobs in order: a marker's end is the end of those before.
        for pool, job in ((self._reading, _nothing), (self._folding, self._flush_all)):
            try:
                marker = asyncio.wrap_future(pool.submit(job))
                await asyncio.wait_for(marker, max(0.0, deadline - loop.time()))
            except (TimeoutError, RuntimeError):  # too slow, or already shut down
                break
        with self._counting:
            left = self._queued_requests - self._folded_requests
        if left > 0:
            self.fold_failures += left
            self.last_fold_failure = (f"{left} request(s) answered but not read when "
                                      f"wftui stopped ({DRAIN_S:g}s): their spans are "
                                      "not in these figures")

    def _flush_all(self) -> None:
        """Every trace still held goes out under its trace id (at a stop)."""
        try:
            lines = self.reader.flush()
            sink = self._sink
            if lines and sink is not None:
                sink(self.name, lines)
        except Exception as error:  # noqa: BLE001 - said on the source line
            self._fold_failed(error)

    async def _flush_held(self) -> None:
        """Traces left waiting for their execution id are looked at every
        FLUSH_EVERY_S (and with each request read), on the reader's thread."""
        while True:
            await asyncio.sleep(FLUSH_EVERY_S)
            if not self._flush_queued:  # one at a time: a stuck fold queues no more
                self._flush_queued = True
                self._folding.submit(self._flush_and_fold)

    def _flush_and_fold(self) -> None:
        self._flush_queued = False
        try:
            lines = self.reader.flush(time.time())
            sink = self._sink
            if lines and sink is not None:
                sink(self.name, lines)
        except Exception as error:  # noqa: BLE001 - said; the next flush still runs
            self._fold_failed(error)

    def _read_and_fold(self, kind: str, message: Any, size: int) -> None:
        """Read a request checked into event lines and fold them (on the fold's thread,
        in the order checked); its `size` stops counting toward `behind` then, folded
        or not (or stopped: dropped, as the requests still queued are)."""
        try:
            lines = self._read(kind, message)
            sink = self._sink
            if sink is not None:
                sink(self.name, lines)
        except Exception as error:  # noqa: BLE001 - said on the source line, and counted
            self._fold_failed(error)
        finally:
            self._folded_bytes += size
            self._folded_requests += 1

    def _fold_failed(self, error: Exception) -> None:
        """A request's or a flush's lines lost to a failure of ours: counted and said,
        not fatal (the receiver still answers, and the next request may fold)."""
        self.fold_failures += 1
        self.last_fold_failure = f"{type(error).__name__}: {error}"

    # -- requests ----------------------------------------------------------------------

    async def _traces(self, request: web.Request) -> web.StreamResponse:
        return await self._receive(request, "traces")

    async def _logs(self, request: web.Request) -> web.StreamResponse:
        return await self._receive(request, "logs")

    async def _receive(self, request: web.Request, kind: str) -> web.StreamResponse:
        self.requests += 1
        content_type = request.content_type
        answer_type = PROTOBUF if content_type == PROTOBUF else JSON
        if not self.authorized(request.headers.get("Authorization", "")):
            return self._refuse(401, "a bearer token is required", answer_type)
        if content_type not in (PROTOBUF, JSON):
            return self._refuse(415, f"Content-Type {content_type!r} is not supported; "
                                f"use {PROTOBUF} or {JSON}", answer_type)
        length = request.content_length
        if length is not None and length > self.limits.body_bytes:
            return self._refuse(413, f"body of {length} bytes is past the "
                                f"{self.limits.body_bytes} byte limit", answer_type)
        if self.behind():
            return self._refuse(503, "ingest is behind; retry later", answer_type,
                                {"Retry-After": str(RETRY_AFTER_S)})
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._refuse(413, f"body is past the {self.limits.body_bytes} byte "
                                "limit", answer_type)
        if self.closing:  # checked here, after the last await before it is queued
            return self._refuse(503, STOPPING, answer_type,
                                {"Retry-After": str(RETRY_AFTER_S)})
        size = len(body)
        encoding = request.headers.get("Content-Encoding", "")
        try:
            if (content_type == PROTOBUF and size <= CHECK_HERE_BYTES
                    and encoding.strip().lower() in ("", "identity")):
                checked = self._take_here(size, body, kind)
            else:
                # On the worker thread: the loop also runs the file tailer and the
                # scrapers.
                checked = await self._take(size, self._decode_and_check, body,
                                           content_type, encoding, kind, size)
        except TooLarge as error:
            return self._refuse(413, str(error), answer_type)
        except BodyError as error:
            return self._refuse(400, str(error), answer_type)
        return self._answer(200, self._answer_checked(kind, checked), answer_type)

    def _take_here(self, size: int, body: bytes, kind: str) -> Checked:
        """A small plain protobuf request decoded and checked on the loop's thread
        (`CHECK_HERE_BYTES`), then queued to be read and folded; its `size` counts
        toward `behind` from now, unless it cannot be read."""
        self._accepted_bytes += size
        try:
            return self._decode_and_check(body, PROTOBUF, "", kind, size)
        except BaseException:
            self._accepted_bytes -= size  # not a request we can read: nothing to fold
            raise

    async def _take(self, size: int, job: Callable[..., Checked], *args: Any) -> Checked:
        """`job` (check a request, then queue it to be read and folded) on the worker
        thread; the request's `size` counts toward `behind` from now (a request waiting
        to be checked holds memory too), uncounted again if the check fails, or never
        starts."""
        self._accepted_bytes += size
        checking = self._reading.submit(job, *args)
        waiting = asyncio.wrap_future(checking)
        try:
            return await asyncio.shield(waiting)
        except asyncio.CancelledError:
            # Nobody waits for the answer any more (a gRPC deadline). A check not begun
            # never will be; one under way goes on, and queues its request for the fold
            # (or fails: then nothing is left to fold).
            if checking.cancel():
                self._accepted_bytes -= size
            else:
                waiting.add_done_callback(lambda done: self._check_ended(done, size))
            raise
        except BaseException:
            self._accepted_bytes -= size  # not a request we can read: nothing to fold
            raise

    def _check_ended(self, done: asyncio.Future[Checked], size: int) -> None:
        """A check whose answer no one waited for has ended: failed, its request is
        not folded, so its `size` stops counting toward `behind` (else a bound that
        fills for ever, and every later request refused with 503)."""
        if done.cancelled() or done.exception() is not None:
            self._accepted_bytes -= size

    def _decode_and_check(self, body: bytes, content_type: str, encoding: str,
                          kind: str, size: int) -> Checked:
        message = decode_body(body, content_type, encoding, kind,
                              self.limits.decompressed_bytes)
        return self._check(kind, message, size)

    def _check(self, kind: str, message: Any, size: int) -> Checked:
        """Count a decoded request's spans or records and those rejected, and queue it
        to be read and folded (here: in the order checked)."""
        count, rejected = (usable_spans(message) if kind == "traces"
                           else usable_records(message))
        # Counted here, answered or not (a gRPC deadline): the request is read and
        # folded either way. (Under a lock: checks run on the loop's thread and on the
        # worker's, and `+=` is no single step.)
        with self._counting:
            if kind == "traces":
                self.spans += count
                self.rejected_spans += rejected
                if count:
                    self._recent.append((time.monotonic(), count))
            else:
                self.log_records += count
                self.rejected_records += rejected
            # Queued under the lock too: in the order checked.
            self._folding.submit(self._read_and_fold, kind, message, size)
            self._queued_requests += 1
        return count, rejected

    def _read(self, kind: str, message: Any) -> list[bytes]:
        """The event lines of a request (and of traces held long enough)."""
        reader = self.reader
        now = time.time()
        lines = (reader.read_traces(message, now) if kind == "traces"
                 else reader.read_logs(message, now))
        lines.extend(reader.flush(now))
        return lines

    # -- shared by OTLP/HTTP and OTLP/gRPC ---------------------------------------------

    def authorized(self, header: str) -> bool:
        """Whether an Authorization value carries the token (always, without one)."""
        if self.token is None:
            return True
        return hmac.compare_digest(header.encode(), f"Bearer {self.token}".encode())

    @property
    def unfolded_bytes(self) -> int:
        """Bytes of the requests accepted whose lines are not folded yet."""
        return self._accepted_bytes - self._folded_bytes

    def behind(self) -> bool:
        """Whether the fold is behind past the queue bound (refuse, ask for a retry)."""
        return self.unfolded_bytes > self.limits.queue_bytes

    async def accept(self, kind: str, message: Any, size: int) -> Any:
        """Check a decoded request (OTLP/gRPC) and queue it to be read and folded; the
        Export*ServiceResponse to answer."""
        return self._answer_checked(kind, await self._take(size, self._check, kind,
                                                            message, size))

    def _answer_checked(self, kind: str, checked: Checked) -> Any:
        """The Export*ServiceResponse of a request checked (it is being read)."""
        _, rejected = checked
        response = (ExportTraceServiceResponse() if kind == "traces"
                    else ExportLogsServiceResponse())
        if rejected:
            reason = (f"{rejected} {REJECTED_SPANS}" if kind == "traces" else
                      f"{rejected} log record(s) with a trace id not 16 bytes or a span "
                      "id not 8 bytes")
            self.last_rejection = reason
            response.partial_success.error_message = reason
            if kind == "traces":
                response.partial_success.rejected_spans = rejected
            else:
                response.partial_success.rejected_log_records = rejected
        return response

    def _refuse(self, status: int, message: str, answer_type: str,
                headers: dict[str, str] | None = None) -> web.Response:
        self.refused[status] = self.refused.get(status, 0) + 1
        self.last_refusal = f"{status}: {message}"
        return self._answer(status, Status(code=_rpc_code(status), message=message),
                            answer_type, headers)

    @staticmethod
    def _answer(status: int, message: Any, answer_type: str,
                headers: dict[str, str] | None = None) -> web.Response:
        if answer_type == PROTOBUF:
            body = message.SerializeToString()
        else:
            body = orjson.dumps(json_format.MessageToDict(message))
        return web.Response(status=status, body=body, content_type=answer_type,
                            headers=headers)

    # -- what the source line shows ----------------------------------------------------

    def spans_per_s(self) -> float:
        """Spans accepted per second over the last few seconds."""
        cutoff = time.monotonic() - RATE_WINDOW_S
        recent = self._recent
        # Under the checks' lock: summed while a check added to it, the deque raised
        # "mutated during iteration", and the monitor's snapshot failed with it.
        with self._counting:
            while recent and recent[0][0] < cutoff:
                recent.popleft()
            return sum(count for _, count in recent) / RATE_WINDOW_S

    def status(self) -> dict[str, Any]:
        """This source's entry in a snapshot's `sources`."""
        return {
            "kind": "otlp", "name": self.name,
            "status": "error" if self.error else ("ok" if self.listening else "starting"),
            "error": self.error, "spans": self.spans, "log_records": self.log_records,
            "spans_per_s": round(self.spans_per_s(), 1),
            "rejected_spans": self.rejected_spans,
            "rejected_log_records": self.rejected_records,
            "last_rejection": self.last_rejection,
            "refused_requests": sum(self.refused.values()),
            "last_refusal": self.last_refusal, "requests": self.requests,
            "fold_failures": self.fold_failures, "last_fold_failure": self.last_fold_failure,
            "open": self.open,
        }


def _nothing() -> None:
    """A marker job: done once the jobs queued before it are."""


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach `host` (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name: it may resolve to any interface
        return False


def _rpc_code(status: int) -> int:
    """The google.rpc code matching an HTTP status (for the error body)."""
    return {400: 3, 401: 16, 413: 8, 415: 3, 503: 14}.get(status, 2)
