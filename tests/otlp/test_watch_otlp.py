"""`wftui watch --otlp` as a real process, fed by the article's code through the real
SDK (protobuf and JSON exporters) and by OTLP JSON lines a Collector would post:
it reports exactly the executions, failures, error rate and percentiles sent."""

from __future__ import annotations

import signal
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import free_port, wait_for
from tests.otlp.test_files import five_requests
from tests.otlp.test_sdk_receiver import send_five
from tests.test_watch import WatchProcess


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def watch(tmp_path: Path) -> Iterator[Any]:
    started: list[WatchProcess] = []

    def start(*args: str) -> tuple[WatchProcess, int]:
        port = free_port()
        process = WatchProcess(["--otlp", f"127.0.0.1:{port}", "--window", "all",
                                "--every", "1s", *args], tmp_path)
        started.append(process)
        wait_for(lambda: listening(port) or process.proc.poll() is not None,
                 "the receiver to listen")
        assert process.proc.poll() is None, process.stderr
        return process, port

    yield start
    for process in started:
        process.close()


def expect_five(report: dict[str, Any]) -> None:
    assert report["executions"] == {"total": 5, "running": 0, "succeeded": 4, "failed": 1}
    assert report["error_rate"] == pytest.approx(0.2)
    assert report["latency_s"] == pytest.approx({"p50": 6.0, "p95": 9.6, "p99": 9.92})


@pytest.mark.parametrize("kind", ["protobuf", "json"])
def test_watch_reports_what_the_sdk_sent(watch: Any, kind: str) -> None:
    process, port = watch()
    send_five(f"http://127.0.0.1:{port}", kind)
    process.wait_snapshot(lambda s: s["executions"]["total"] == 5, "five executions")
    assert process.finish(signal.SIGINT) == 1  # error rate 0.2 fires
    final = process.snapshots()[-1]
    expect_five(final)
    otlp = next(s for s in final["sources"] if s["kind"] == "otlp")
    assert otlp["spans"] == 15 and otlp["rejected_spans"] == 0 and otlp["status"] == "ok"


def test_watch_reports_what_collector_json_posts_sent(watch: Any) -> None:
    process, port = watch()
    for line in five_requests():  # what an otlphttp exporter (JSON encoding) posts
        answer = httpx.post(f"http://127.0.0.1:{port}/v1/traces", content=line,
                            headers={"Content-Type": "application/json"}, timeout=20)
        assert answer.status_code == 200
    process.wait_snapshot(lambda s: s["executions"]["total"] == 5, "five executions")
    assert process.finish(signal.SIGTERM) == 1
    expect_five(process.snapshots()[-1])


def test_a_port_in_use_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = WatchProcess(["--otlp", f"127.0.0.1:{port}"], tmp_path)
        try:
            assert process.finish() == 2
            assert process.stderr.decode().startswith(f"wftui: cannot listen on 127.0.0.1:{port}")
        finally:
            process.close()


@pytest.mark.parametrize(("args", "words"), [
    (["--otlp", "localhost:99999"], "--otlp: 'localhost:99999': the port must be"),
    (["--otlp-token", "x"], "--otlp-token: give --otlp"),
])
def test_bad_otlp_flags_are_one_line(tmp_path: Path, args: list[str], words: str) -> None:
    process = WatchProcess(args, tmp_path)
    try:
        assert process.finish() == 2
        said = process.stderr.decode()
        assert said.count("\n") == 1 and words in said
    finally:
        process.close()


def test_watch_follows_an_otlp_json_file(tmp_path: Path) -> None:
    path = tmp_path / "spans.jsonl"
    lines = five_requests()
    path.write_text(lines[0] + "\n")  # the file grows while watched: a late part comes
    process = WatchProcess([str(path), "--window", "all", "--every", "1s"], tmp_path)
    try:
        process.wait_snapshot(lambda s: s["executions"]["total"] == 1, "the first part")
        with path.open("a") as handle:
            handle.write("\n".join(lines[1:]) + "\n")
        process.wait_snapshot(lambda s: s["executions"]["total"] == 5, "five executions")
        assert process.finish(signal.SIGINT) == 1
        expect_five(process.snapshots()[-1])
    finally:
        process.close()
