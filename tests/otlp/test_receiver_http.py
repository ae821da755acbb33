"""The receiver's HTTP answers, request by request (OTLP/HTTP specification): bodies
that do not decode, other types, oversize bodies, gzip bombs, ids of the wrong length,
auth, backpressure; each gets its answer and nothing else is lost."""

from __future__ import annotations

import gzip
import json
import time
from typing import Any

import httpx
import pytest
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tests.helpers import wait_for
from tests.otlp.conftest import ReceiverLimits
from wftui.sources.otlp.receiver import OtlpReceiver

T0_NS = 1_767_268_800 * 10**9
PB = {"Content-Type": "application/x-protobuf"}
JS = {"Content-Type": "application/json"}


def span_json(trace: str, span: str, parent: str = "", *, name: str = "step",
              start_s: float = 0, end_s: float = 1, **attrs: Any) -> dict[str, Any]:
    return {"traceId": trace, "spanId": span, "parentSpanId": parent, "name": name,
            "kind": "SPAN_KIND_INTERNAL",
            "startTimeUnixNano": str(T0_NS + int(start_s * 1e9)),
            "endTimeUnixNano": str(T0_NS + int(end_s * 1e9)),
            "attributes": [{"key": k, "value": {"stringValue": v} if isinstance(v, str)
                            else {"boolValue": v} if isinstance(v, bool)
                            else {"intValue": str(v)}} for k, v in attrs.items()]}


def request_json(*spans: dict[str, Any], service: str = "svc") -> dict[str, Any]:
    return {"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name",
                                     "value": {"stringValue": service}}]},
        "scopeSpans": [{"scope": {"name": "t"}, "spans": list(spans)}]}]}


TRACE = "5b8efff798038103d269b633813fc60c"
ROOT, CHILD = "eee19b7ec3c1b174", "eee19b7ec3c1b173"


def post(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(url, content=body, headers=headers, timeout=20)


def test_json_with_hex_ids_and_enum_names_and_numbers(receiving: Any) -> None:
    root = span_json(TRACE, ROOT, name="wf", start_s=0, end_s=3, workflow_name="triage")
    root["status"] = {"code": 2, "message": "gave up"}  # an enum as a number
    child = span_json(TRACE, CHILD, ROOT, name="lookup", start_s=1, end_s=2)
    child["status"] = {"code": "STATUS_CODE_ERROR"}  # ... and as a name
    answer = post(f"{receiving.url}/v1/traces", json.dumps(request_json(root, child)).encode(),
                  JS)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.json() == {}  # no partial success: everything taken
    receiving.wait_executions(1)
    execution = receiving.executions()[TRACE]  # no execution_id: the trace id
    assert execution.failed and execution.workflow_name == "triage"
    assert execution.complete_duration_ms == pytest.approx(3000.0)
    assert execution.first_error == "gave up"


def test_protobuf_answer_is_the_export_response(receiving: Any) -> None:
    message = ExportTraceServiceRequest()
    span = message.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.name = bytes(range(16)), bytes(range(8)), "wf"
    span.start_time_unix_nano, span.end_time_unix_nano = T0_NS, T0_NS + 10**9
    bad = message.resource_spans[0].scope_spans[0].spans.add()
    bad.trace_id, bad.span_id, bad.name = b"\x01" * 15, b"\x02" * 8, "short id"
    bad.start_time_unix_nano, bad.end_time_unix_nano = T0_NS, T0_NS + 1
    timeless = message.resource_spans[0].scope_spans[0].spans.add()
    timeless.trace_id, timeless.span_id = b"\x03" * 16, b"\x04" * 8
    timeless.name = "no times"  # would read as 1970
    answer = post(f"{receiving.url}/v1/traces", message.SerializeToString(), PB)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/x-protobuf"
    response = ExportTraceServiceResponse.FromString(answer.content)
    assert response.partial_success.rejected_spans == 2
    assert "trace id not 16 bytes" in response.partial_success.error_message
    assert "no start or end time" in response.partial_success.error_message
    receiving.wait_executions(1)
    assert list(receiving.executions()) == [bytes(range(16)).hex()]


@pytest.mark.parametrize(("body", "headers", "status", "words"), [
    (b"\x0a\xff\xff", PB, 400, "not an OTLP traces protobuf"),
    (b"{not json", JS, 400, "not JSON"),
    (b"[1, 2]", JS, 400, "not a JSON object"),
    (b'{"resourceSpans": "many"}', JS, 400, "not an OTLP traces request"),
    (b"spans", {"Content-Type": "text/plain"}, 415, "text/plain"),
    (b"\x1f\x8b garbage", {**PB, "Content-Encoding": "gzip"}, 400, "not valid gzip"),
    (b"{}", {**JS, "Content-Encoding": "br"}, 400, "not supported"),
])
def test_bodies_that_do_not_decode_get_their_answer(receiving: Any, body: bytes,
                                                     headers: dict[str, str], status: int,
                                                     words: str) -> None:
    answer = post(f"{receiving.url}/v1/traces", body, headers)
    assert answer.status_code == status
    if headers["Content-Type"] == "application/x-protobuf":
        assert words in Status.FromString(answer.content).message
    else:
        assert words in answer.json()["message"]
    # ... and the receiver still takes the next good request
    good = request_json(span_json(TRACE, ROOT, name="wf", execution_id="after"))
    assert post(f"{receiving.url}/v1/traces", json.dumps(good).encode(),
                JS).status_code == 200
    receiving.wait_executions(1)


def test_wrong_paths_and_methods(receiving: Any) -> None:
    assert httpx.post(f"{receiving.url}/v1/metrics", content=b"", headers=PB).status_code == 404
    assert httpx.get(f"{receiving.url}/v1/traces").status_code == 405


def test_oversize_body_and_gzip_bomb_are_refused_with_413(make_receiver: Any) -> None:
    running = make_receiver(limits=ReceiverLimits(body_bytes=64 * 1024,
                                                  decompressed_bytes=256 * 1024))
    url = f"{running.url}/v1/traces"
    big = json.dumps(request_json(span_json(TRACE, ROOT, name="x" * 100_000))).encode()
    assert post(url, big, JS).status_code == 413
    bomb = gzip.compress(b" " * (10 * 1024 * 1024))  # 10 MiB of spaces, ~10 KiB sent
    assert len(bomb) < 64 * 1024
    answer = post(url, bomb, {**JS, "Content-Encoding": "gzip"})
    assert answer.status_code == 413 and "decompresses past" in answer.json()["message"]
    small = gzip.compress(json.dumps(request_json(
        span_json(TRACE, ROOT, name="wf", execution_id="kept"))).encode())
    assert post(url, small, {**JS, "Content-Encoding": "gzip"}).status_code == 200
    running.wait_executions(1)
    assert list(running.executions()) == ["kept"]


def _one_root_protobuf(trace: bytes, execution_id: str) -> bytes:
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add(
        trace_id=trace, span_id=bytes.fromhex(ROOT), name="wf",
        start_time_unix_nano=T0_NS, end_time_unix_nano=T0_NS + 10**9)
    attribute = span.attributes.add(key="execution_id")
    attribute.value.string_value = execution_id
    return request.SerializeToString()


def test_a_gzip_body_of_several_members_is_read_whole(make_receiver: Any) -> None:
    # RFC 1952: a gzip stream is one or more members; Go's gzip reader (the
    # Collector's) reads them all. The second member's spans were dropped with a 200.
    running = make_receiver(limits=ReceiverLimits(decompressed_bytes=256 * 1024))
    url = f"{running.url}/v1/traces"
    first = request_json(span_json(TRACE, ROOT, name="wf", execution_id="first"))
    second = request_json(span_json("6b8efff798038103d269b633813fc60c", ROOT, name="wf",
                                    execution_id="second"))
    body = (gzip.compress(json.dumps(first).encode())
            + gzip.compress(json.dumps(second).encode()))
    answer = post(url, body, {**JS, "Content-Encoding": "gzip"})
    assert answer.status_code == 400  # two JSON objects back to back are not one request
    assert "not JSON" in answer.json()["message"]
    # In protobuf, two messages back to back are one (repeated fields concatenate).
    first_pb = _one_root_protobuf(bytes.fromhex(TRACE), "first")
    second_pb = _one_root_protobuf(bytes.fromhex("6b8efff798038103d269b633813fc60c"),
                                   "second")
    body = gzip.compress(first_pb) + gzip.compress(second_pb)
    assert post(url, body, {**PB, "Content-Encoding": "gzip"}).status_code == 200
    running.wait_executions(2)
    assert sorted(running.executions()) == ["first", "second"]
    # Past the last member, what is not gzip is refused, not skipped.
    junk = post(url, gzip.compress(first_pb) + b"junk", {**PB, "Content-Encoding": "gzip"})
    assert junk.status_code == 400 and "not valid gzip" in Status.FromString(
        junk.content).message
    # The limit holds for the members together: a bomb cut into members is one bomb.
    member = gzip.compress(b"\0" * (200 * 1024))
    bomb = post(url, member + member, {**PB, "Content-Encoding": "gzip"})
    assert bomb.status_code == 413


def test_bearer_token_is_required_when_set(make_receiver: Any) -> None:
    running = make_receiver(token="s3cret")
    body = json.dumps(request_json(span_json(TRACE, ROOT, name="wf"))).encode()
    url = f"{running.url}/v1/traces"
    assert post(url, body, JS).status_code == 401
    assert post(url, body, {**JS, "Authorization": "Bearer wrong"}).status_code == 401
    assert post(url, body, {**JS, "Authorization": "Bearer s3cret"}).status_code == 200


def _first_taken_while_the_fold_is_stuck(running: Any) -> tuple[str, dict[str, Any]]:
    """The fold stuck (its gate closed), a first request (execution "first") taken:
    the traces URL and a second request (execution "second") to send."""
    running.gate.clear()
    url = f"{running.url}/v1/traces"
    first = request_json(span_json(TRACE, ROOT, name="wf", execution_id="first"))
    assert post(url, json.dumps(first).encode(), JS).status_code == 200
    second = request_json(span_json("6b8efff798038103d269b633813fc60c", ROOT, name="wf",
                                    execution_id="second"))
    return url, second


def test_ingest_behind_answers_503_with_retry_after_and_loses_nothing_taken(
        make_receiver: Any) -> None:
    running = make_receiver(limits=ReceiverLimits(queue_bytes=1))
    url, second = _first_taken_while_the_fold_is_stuck(running)
    answer = post(url, json.dumps(second).encode(), JS)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "1"
    running.gate.set()
    running.wait_executions(1)
    wait_for(lambda: running.receiver.unfolded_bytes == 0, "the queue to drain")
    assert post(url, json.dumps(second).encode(), JS).status_code == 200  # the retry
    running.wait_executions(2)
    assert sorted(running.executions()) == ["first", "second"]
    assert running.receiver.status()["refused_requests"] == 1


def test_an_answer_does_not_wait_for_an_earlier_fold(make_receiver: Any) -> None:
    """The fold (the ledger, behind its lock) stuck on a first request: the next one is
    read and answered at once, while the queue is under its bound, and both fold, in
    order, once the fold moves again."""
    running = make_receiver()
    url, second = _first_taken_while_the_fold_is_stuck(running)
    answer = httpx.post(url, content=json.dumps(second).encode(), headers=JS, timeout=5)
    assert answer.status_code == 200 and running.receiver.unfolded_bytes > 0
    assert running.executions() == {}
    running.gate.set()
    running.wait_executions(2)
    assert list(running.executions()) == ["first", "second"]


def test_a_fold_that_fails_is_said_and_the_next_requests_still_fold(
        receiving: Any) -> None:
    """Lines are folded on the fold's thread after the answer: a sink that raises is
    counted and said on the receiver's line (nothing else would show it), the receiver
    stays up, its bytes stop counting toward the queue bound, and later requests are
    folded as before."""
    ledger = receiving.ledger
    fold = ledger.ingest_lines
    failures = []

    def fails_once(*args: Any, **kwargs: Any) -> None:
        if not failures:
            failures.append(1)
            raise RuntimeError("disk on fire")
        fold(*args, **kwargs)

    ledger.ingest_lines = fails_once
    _one_lost_then_one_kept(receiving, "RuntimeError: disk on fire")


def _one_lost_then_one_kept(receiving: Any, failure: str) -> None:
    """A first request, lost to a failure of ours after its answer (said on the
    receiver's line as `failure`); a second, folded as before."""
    url = f"{receiving.url}/v1/traces"
    lost = request_json(span_json(TRACE, ROOT, name="wf", execution_id="lost"))
    assert post(url, json.dumps(lost).encode(), JS).status_code == 200
    wait_for(lambda: receiving.receiver.status()["fold_failures"] == 1, "the failure")
    status = receiving.receiver.status()
    assert status["last_fold_failure"] == failure
    assert status["status"] == "ok" and status["error"] is None  # still listening
    kept = request_json(span_json("6b8efff798038103d269b633813fc60c", ROOT, name="wf",
                                  execution_id="kept"))
    assert post(url, json.dumps(kept).encode(), JS).status_code == 200
    receiving.wait_executions(1)
    assert list(receiving.executions()) == ["kept"]
    wait_for(lambda: receiving.receiver.unfolded_bytes == 0, "the queue to drain")


def test_json_ids_that_are_not_hex_or_too_short_are_rejected_not_the_request(
        receiving: Any) -> None:
    good = span_json(TRACE, ROOT, name="wf", execution_id="kept")
    not_hex = span_json("zz" * 16, ROOT, name="wf")
    short = span_json(TRACE[:8], CHILD, ROOT, name="step")
    answer = post(f"{receiving.url}/v1/traces",
                  json.dumps(request_json(good, not_hex, short)).encode(), JS)
    assert answer.status_code == 200
    assert answer.json()["partialSuccess"]["rejectedSpans"] == "2"  # int64: a JSON string
    receiving.wait_executions(1)
    assert list(receiving.executions()) == ["kept"]


def test_a_malformed_http_request_is_a_refusal_not_a_traceback_on_stderr(
        receiving, capfd) -> None:
    """Anyone who can reach the port can send a request aiohttp cannot parse (a control
    in a header): it is answered 400 and said as the receiver's last refusal, as other
    refused requests are, not logged by aiohttp as a traceback on stderr (under `wftui
    watch` that is the operator's terminal)."""
    import socket

    with socket.create_connection(("127.0.0.1", receiving.port), timeout=10) as sock:
        sock.sendall(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: text/[@click=app.quit]\x1b]0;pwned\x07\r\n"
                     b"Content-Length: 0\r\n\r\n")
        answer = sock.recv(4096)
    assert answer.split(b"\r\n")[0].endswith(b" 400 Bad Request")
    wait_for(lambda: receiving.receiver.last_refusal is not None, "the refusal")
    assert receiving.receiver.last_refusal.startswith("400: malformed HTTP request")
    assert "Traceback" not in capfd.readouterr().err
    # still serving
    assert httpx.post(receiving.url + "/v1/traces", content=b"{}",
                      headers=JS).status_code == 200


def test_bad_log_records_are_not_counted_as_rejected_spans(receiving: Any) -> None:
    # A log record with a short trace id was counted in `rejected_spans`: the source
    # line and the check JSON said a span had been rejected when every span was good.
    good = span_json(TRACE, ROOT, name="wf")
    bad_span = span_json(TRACE[:30], CHILD, name="short trace id")
    traces = post(f"{receiving.url}/v1/traces",
                  json.dumps(request_json(good, bad_span)).encode(), JS)
    record = {"timeUnixNano": str(T0_NS), "traceId": "abcd", "spanId": CHILD,
              "body": {"stringValue": "short trace id"}}
    ok = {"timeUnixNano": str(T0_NS), "traceId": TRACE, "spanId": ROOT,
          "body": {"stringValue": "fine"}}
    logs = post(f"{receiving.url}/v1/logs", json.dumps({"resourceLogs": [{"scopeLogs": [
        {"logRecords": [record, ok, record]}]}]}).encode(), JS)
    assert traces.json()["partialSuccess"]["rejectedSpans"] == "1"
    assert logs.json()["partialSuccess"]["rejectedLogRecords"] == "2"
    status = receiving.receiver.status()
    assert (status["spans"], status["rejected_spans"]) == (2, 1)
    assert (status["log_records"], status["rejected_log_records"]) == (3, 2)


@pytest.mark.parametrize(("host", "token", "grpc", "said"), [
    ("127.0.0.1", None, None, False), ("localhost", None, None, False),
    ("::1", None, None, False), ("127.0.0.2", None, None, False),
    ("0.0.0.0", None, None, True), ("10.1.2.3", None, None, True),
    ("monitor.internal", None, None, True), ("0.0.0.0", "s3cret", None, False),
    ("127.0.0.1", None, ("0.0.0.0", 4317), True),
])
def test_listening_beyond_loopback_without_a_token_is_said(
        host: str, token: str | None, grpc: tuple[str, int] | None, said: bool) -> None:
    """Allowed (a private network), but said on the source line and in `watch`'s text:
    whoever reaches the port can add failures, and so fire alerts and pages."""
    from wftui.core.snapshot import take_snapshot
    from wftui.core.thresholds import ThresholdEngine
    from wftui.view.render_text import snapshot_text
    from wftui.view.status import source_text

    entry = OtlpReceiver(host, 4318, token=token, grpc_address=grpc).status()
    warning = "no token: anyone who can reach it can send spans"
    assert (warning in source_text(entry).plain) is said
    snapshot = take_snapshot(None, ThresholdEngine(), window_s=300.0, now=1e9,
                             sources=[entry])
    assert (warning in snapshot_text(snapshot)) is said


def test_a_flush_whose_fold_fails_is_said_and_held_traces_are_still_flushed(
        make_receiver: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Held traces (no execution id yet) are folded by the periodic flush: a sink that
    raises there is counted and said like a request's, and the flush goes on: a trace
    held later is still released after `hold_s`, with no request after it."""
    from wftui.sources.otlp import receiver as receiver_module

    monkeypatch.setattr(receiver_module, "FLUSH_EVERY_S", 0.05)
    running = make_receiver(hold_s=0.1)
    ledger = running.ledger
    fold = ledger.ingest_lines
    failures = []

    def fails_once(source: str, first: int, lines: list[bytes], *args: Any) -> Any:
        if lines and not failures:  # the first lines folded: the flush's
            failures.append(1)
            raise RuntimeError("disk on fire")
        return fold(source, first, lines, *args)

    ledger.ingest_lines = fails_once
    url = f"{running.url}/v1/traces"
    held = request_json(span_json(TRACE, CHILD, ROOT, name="lookup"))  # no execution id
    assert post(url, json.dumps(held).encode(), JS).status_code == 200
    wait_for(lambda: running.receiver.status()["fold_failures"] == 1, "the failure")
    assert running.receiver.status()["last_fold_failure"] == "RuntimeError: disk on fire"
    later = "6b8efff798038103d269b633813fc60c"
    assert post(url, json.dumps(request_json(span_json(later, CHILD, ROOT, name="lookup"))
                                ).encode(), JS).status_code == 200
    running.wait_executions(1, done=False)  # released by the flush, under its trace id
    assert list(running.executions()) == [later]


def test_a_body_of_many_small_gzip_members_is_inflated_in_linear_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Each member handed zlib the whole rest of the body, which it copies as the
    member's unused_data: a 16 MiB body of 20-byte empty members (800,000 of them)
    copied terabytes, minutes of the reader's thread for one request."""
    import zlib

    from wftui.sources.otlp import decode

    fed = 0

    class Counting:
        def __init__(self, inflater: Any) -> None:
            self.inflater = inflater

        def decompress(self, data: Any, max_length: int = 0) -> bytes:
            nonlocal fed
            fed += len(data)
            return self.inflater.decompress(data, max_length)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inflater, name)

    class CountingZlib:
        error = zlib.error

        @staticmethod
        def decompressobj(**options: Any) -> Counting:
            return Counting(zlib.decompressobj(**options))

    monkeypatch.setattr(decode, "zlib", CountingZlib)
    member = gzip.compress(b"", mtime=0)
    body = member * 10_000 + gzip.compress(b"spans", mtime=0)
    assert decode.gunzip(body, 1024) == b"spans"
    assert fed <= 8 * len(body)  # was about 5,000 times
    with pytest.raises(decode.BodyError, match="truncated"):
        decode.gunzip(body[:-3], 1024)
    with pytest.raises(decode.BodyError, match="not valid gzip"):
        decode.gunzip(body + b"junk", 1024)
    with pytest.raises(decode.TooLarge):
        decode.gunzip(member * 3 + gzip.compress(b"x" * 1025), 1024)


def test_an_answer_does_not_wait_for_its_spans_to_be_read(receiving: Any) -> None:
    """A request is answered once checked: its reading (ten times the check's cost) is
    not waited for, so the exporter sends its next batch meanwhile. The answer still
    counts the spans rejected, and the spans are read and folded after."""
    import threading

    reading, release = threading.Event(), threading.Event()
    read_traces = receiving.reader.read_traces

    def slow(*args: Any) -> Any:
        reading.set()
        release.wait(30)
        return read_traces(*args)

    receiving.reader.read_traces = slow
    good = span_json(TRACE, ROOT, name="wf", execution_id="answered")
    short = span_json(TRACE, CHILD[:6], ROOT, name="step")
    answer = httpx.post(f"{receiving.url}/v1/traces",
                        content=json.dumps(request_json(good, short)).encode(),
                        headers=JS, timeout=5)
    assert answer.status_code == 200
    assert answer.json()["partialSuccess"]["rejectedSpans"] == "1"
    wait_for(reading.is_set, "the read to begin")
    status = receiving.receiver.status()
    assert (status["spans"], status["rejected_spans"]) == (2, 1)
    assert receiving.executions() == {} and receiving.receiver.unfolded_bytes > 0
    release.set()
    receiving.wait_executions(1)
    assert list(receiving.executions()) == ["answered"]


def test_a_read_that_fails_is_said_and_the_next_requests_still_fold(
        receiving: Any) -> None:
    """A read that raises (a bug of ours, after the answer) is counted and said on the
    receiver's line as a failed fold is, and the next request is read as before."""
    read_traces = receiving.reader.read_traces
    failures = []

    def fails_once(*args: Any) -> Any:
        if not failures:
            failures.append(1)
            raise ValueError("a span we did not foresee")
        return read_traces(*args)

    receiving.reader.read_traces = fails_once
    _one_lost_then_one_kept(receiving, "ValueError: a span we did not foresee")


@pytest.mark.parametrize("where", ["loop", "worker", "gzip"])
def test_a_protobuf_body_is_answered_alike_wherever_it_is_checked(
        make_receiver: Any, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """A small plain protobuf body is checked on the loop's thread, a big or gzip one
    on the worker's: the answer (rejected spans), the counts and what is folded are the
    same."""
    from wftui.sources.otlp import receiver as receiver_module

    if where == "worker":
        monkeypatch.setattr(receiver_module, "CHECK_HERE_BYTES", 0)
    running = make_receiver()
    message = ExportTraceServiceRequest()
    spans = message.resource_spans.add().scope_spans.add().spans
    for index, trace in enumerate((b"\x05" * 16, b"\x06" * 16, b"\x07" * 15)):
        span = spans.add()
        span.trace_id, span.span_id, span.name = trace, bytes([index + 1]) * 8, f"wf{index}"
        span.start_time_unix_nano, span.end_time_unix_nano = T0_NS, T0_NS + 10**9
    body, headers = message.SerializeToString(), dict(PB)
    if where == "gzip":
        body, headers = gzip.compress(body), {**PB, "Content-Encoding": "gzip"}
    answer = post(f"{running.url}/v1/traces", body, headers)
    assert answer.status_code == 200
    assert ExportTraceServiceResponse.FromString(answer.content) \
        .partial_success.rejected_spans == 1
    status = running.receiver.status()
    assert (status["spans"], status["rejected_spans"]) == (3, 1)
    running.wait_executions(2)
    assert sorted(running.executions()) == ["05" * 16, "06" * 16]
    assert post(f"{running.url}/v1/traces", b"\x0a\xff\xff", PB).status_code == 400
    wait_for(lambda: running.receiver.unfolded_bytes == 0, "nothing left counted")


def test_the_source_line_is_read_while_requests_come(receiving: Any) -> None:
    """The monitor reads the receiver's line (`status`: spans per second) from its own
    thread while requests are checked on the receiver's: summing the recent requests
    while one was added raised 'deque mutated during iteration', and the snapshot failed
    ('refresh failed' on screen, 'watch: cannot take a snapshot' on stderr)."""
    import threading

    message = ExportTraceServiceRequest()
    span = message.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.name = b"\x05" * 16, b"\x01" * 8, "step"
    span.parent_span_id = b"\x02" * 8
    span.start_time_unix_nano, span.end_time_unix_nano = T0_NS, T0_NS + 10**9
    body = message.SerializeToString()
    stop = threading.Event()

    def send() -> None:  # an exporter sending small batches as fast as answered
        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                client.post(f"{receiving.url}/v1/traces", content=body, headers=PB)

    senders = [threading.Thread(target=send, daemon=True) for _ in range(2)]
    for sender in senders:
        sender.start()
    failures: list[str] = []
    try:
        wait_for(lambda: receiving.receiver.spans >= 500, "some traffic", timeout=60)
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            try:
                receiving.receiver.status()
            except RuntimeError as error:
                failures.append(str(error))
    finally:
        stop.set()
        for sender in senders:
            sender.join(10)
    assert failures == []
