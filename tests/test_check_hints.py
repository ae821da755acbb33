"""`wftui check` on JSON logs of which no line is an event: the one line it ends with
names the fields the lines have and suggests the mapping that reads them, whatever
the lines lack (`event` or only `execution_id`) and whether or not a `[logs]` mapping is
configured (then it says where that mapping looked, and what it found there).

The structlog and python-json-logger records are written here by hand in exactly the
shape those libraries write (structlog's JSONRenderer after add_log_level and
TimeStamper(fmt="iso", utc=True); python-json-logger's JsonFormatter with
"%(asctime)s %(levelname)s %(message)s" and timestamp=True, asctime in UTC): byte for
byte what they wrote for the same calls while this was written, without needing them.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.check_cli import check, check_env

REPO = Path(__file__).resolve().parents[1]
T0 = 1_767_268_800  # 2026-01-01T12:00:00Z
RUNS = 20
PRESETS = "[logs] format ('structlog' or 'python-json-logger')"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return check_env(tmp_path)


def STEPS(prefix: str) -> Iterator[tuple[str, str, float, dict[str, Any]]]:  # noqa: N802
    """Twenty runs of six records each: (message, run id, seconds after T0, fields)."""
    for n in range(RUNS):
        run, base = f"{prefix}-{n}", n * 10.0
        yield "workflow started", run, base, {}
        for index, step in enumerate(("fetch", "classify")):
            yield "step started", run, base + 1 + 2 * index, {"step": step}
            yield "step completed", run, base + 2 + 2 * index, {"step": step,
                                                               "duration_ms": 1000.0}
        yield "workflow finished", run, base + 6.25, {"status": "success"}


def stamp(second: float, utc: str = "+00:00") -> str:
    return datetime.fromtimestamp(T0 + second, UTC).isoformat().replace("+00:00", utc)


def structlog_lines() -> list[bytes]:
    """log.info(message, run_id=..., **fields): the keywords, then event, level and
    timestamp (json.dumps' default separators)."""
    return [json.dumps({"run_id": run, **fields, "event": kind, "level": "info",
                        "timestamp": stamp(second, "Z")}).encode()
            for kind, run, second, fields in STEPS("run")]


def json_logger_lines() -> list[bytes]:
    """logger.info(message, extra={"job_id": ..., **fields})."""
    out = []
    for kind, run, second, fields in STEPS("job"):
        at = datetime.fromtimestamp(T0 + second, UTC)
        asctime = at.strftime("%Y-%m-%d %H:%M:%S") + f",{at.microsecond // 1000:03d}"
        out.append(json.dumps({"asctime": asctime, "levelname": "INFO", "message": kind,
                               "job_id": run, **fields,
                               "timestamp": stamp(second)}).encode())
    return out


def write(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def config(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


# Worked out from STEPS: 120 lines; each has its id, message, level and time; 80 name a
# step, 40 a duration, 20 a status (the counts in the order the keys first appear).
STEP_EVENTS = ('[logs.events] workflow_start = "workflow started", step_start = '
               '"step started", step_complete = "step completed", workflow_complete = '
               '"workflow finished"')
STRUCTLOG_FIELDS = ("run_id (120), event (120), level (120), timestamp (120), step (80), "
                    "duration_ms (40), status (20)")
STRUCTLOG_HINT = (f'perhaps [logs.fields] execution_id = "run_id", step_name = "step"; '
                  f"{STEP_EVENTS}")
JSON_LOGGER_FIELDS = ("asctime (120), levelname (120), message (120), job_id (120), "
                      "timestamp (120), step (80), duration_ms (40), status (20)")
JSON_LOGGER_HINT = ('perhaps [logs.fields] event = "message", execution_id = "job_id", '
                    f'step_name = "step"; {STEP_EVENTS}')


def only_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stdout
    assert result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize("configured", [None, '[logs]\nformat = "structlog"\n'],
                         ids=["no config", "format structlog"])
def test_structlog_events_without_an_id_name_their_fields(
        tmp_path: Path, env: dict[str, str], configured: str | None) -> None:
    log = write(tmp_path / "sl.log", structlog_lines())
    args = ["--config", config(tmp_path / "sl.toml", configured)] if configured else []
    # The preset reads our own names for event and timestamp (and a traceback from
    # `exception`): the message says where it looked for the two every event needs.
    mapped = (' (the [logs] mapping in use reads event from "event" (in 120 lines), '
              'execution_id from "execution_id" (in none))' if configured else "")
    assert only_line(check(env, *args, str(log))) == (
        f"wftui: {log}: none of its 120 lines is an event{mapped}; its lines have the "
        f"fields {STRUCTLOG_FIELDS}: map them with [logs.fields] ({STRUCTLOG_HINT}) or "
        f"{PRESETS}")


def test_python_json_logger_with_its_preset_says_what_the_mapping_found(
        tmp_path: Path, env: dict[str, str]) -> None:
    log = write(tmp_path / "pj.log", json_logger_lines())
    assert only_line(check(env, str(log))) == (
        f"wftui: {log}: none of its 120 lines is an event; its lines have the fields "
        f"{JSON_LOGGER_FIELDS}: map them with [logs.fields] ({JSON_LOGGER_HINT}) or "
        f"{PRESETS}")
    preset = config(tmp_path / "pj.toml", '[logs]\nformat = "python-json-logger"\n')
    assert only_line(check(env, "--config", preset, str(log))) == (
        f"wftui: {log}: none of its 120 lines is an event (the [logs] mapping in use "
        'reads event from "message" (in 120 lines), execution_id from "execution_id" '
        f"(in none)); its lines have the fields {JSON_LOGGER_FIELDS}: map them with "
        f"[logs.fields] ({JSON_LOGGER_HINT}) or {PRESETS}")


def test_a_dotted_path_is_looked_for_by_its_first_key(tmp_path: Path,
                                                      env: dict[str, str]) -> None:
    log = write(tmp_path / "pj.log", json_logger_lines())
    mapping = config(tmp_path / "m.toml", '[logs.fields]\nevent = "message"\n'
                     'execution_id = ["ctx.job", "job"]\n')
    line = only_line(check(env, "--config", mapping, str(log)))
    assert ('(the [logs] mapping in use reads event from "message" (in 120 lines), '
            'execution_id from "ctx.job" ("ctx" in none) or "job" (in none));') in line


@pytest.mark.parametrize(("shape", "preset"), [(structlog_lines, "structlog"),
                                               (json_logger_lines, "python-json-logger")])
def test_the_suggested_mapping_reads_every_line(tmp_path: Path, env: dict[str, str],
                                                shape: Any, preset: str) -> None:
    log = write(tmp_path / "app.log", shape())
    hint = STRUCTLOG_HINT if preset == "structlog" else JSON_LOGGER_HINT
    tables = hint.removeprefix("perhaps ").split("; ")
    toml = f'[logs]\nformat = "{preset}"\n' + "".join(
        table.replace("] ", "]\n", 1).replace(", ", "\n") + "\n" for table in tables)
    result = check(env, "--config", config(tmp_path / "c.toml", toml), str(log))
    assert result.returncode == 0, result.stderr
    told = json.loads(result.stdout)
    assert told["sources"][0]["events"] == 120 and told["sources"][0]["malformed"] == 0
    assert told["executions"] == {"total": 20, "running": 0, "succeeded": 20, "failed": 0}
    # every run took 6.25 s (workflow started at +0, finished at +6.25)
    assert told["latency_s"] == {"p50": 6.25, "p95": 6.25, "p99": 6.25}


def test_the_fields_of_lines_with_an_event_but_no_id_are_named(
        tmp_path: Path, env: dict[str, str]) -> None:
    log = tmp_path / "weird.log"
    log.write_bytes(b'{"event":"x","foo":1}\n{"msg":"hi","ts":1}\n')
    assert only_line(check(env, str(log))) == (
        f"wftui: {log}: none of its 2 lines is an event; its lines have the fields "
        'event (1), foo (1), msg (1), ts (1): map them with [logs.fields] (e.g. event = '
        f'"...", execution_id = "...") or {PRESETS}')


def test_structlog_console_output_is_told_to_use_the_json_renderer(
        env: dict[str, str], tmp_path: Path) -> None:
    # structlog's default renderer writes text for people, not JSON: the one line says
    # what the text is and which renderer writes what wftui reads.
    import structlog

    path = tmp_path / "console.log"
    with path.open("w") as out:
        structlog.configure(processors=[structlog.processors.add_log_level,
                                        structlog.processors.TimeStamper(fmt="iso"),
                                        structlog.dev.ConsoleRenderer(colors=False)],
                            logger_factory=structlog.PrintLoggerFactory(file=out),
                            cache_logger_on_first_use=False)
        try:
            log = structlog.get_logger()
            for n in range(3):
                log.info("workflow_start", execution_id=f"run-{n}", workflow_name="support")
                log.info("workflow_complete", execution_id=f"run-{n}", status="success")
        finally:
            structlog.reset_defaults()
    assert "execution_id=run-0" in path.read_text()  # key=value text, as a person reads
    done = check(env, str(path))
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert "none of its 6 lines is a JSON event" in line
    assert "key=value text" in line and "structlog.processors.JSONRenderer()" in line


def test_plain_text_lines_get_no_key_value_hint(env: dict[str, str], tmp_path: Path) -> None:
    path = write(tmp_path / "plain.log", [b"Starting worker 3", b"Worker 3 ready"])
    done = check(env, str(path))
    assert done.returncode == 2
    assert "none of its 2 lines is a JSON event" in done.stderr
    assert "key=value" not in done.stderr
