"""`wftui check` on logs in other shapes (a real subprocess, a real config file).

The same events in our shape and in the mapped shape must print the same figures;
a log of which no line is an event is exit 2 with one line naming what the lines have.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.core.test_mapping import ISSUE_CONFIG, issue_shape, ours

REPO = Path(__file__).resolve().parents[1]
FIGURES = ("executions", "error_rate", "latency_s", "step_latency_s", "throughput_per_min",
           "queue_depth", "window_end")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    xdg = tmp_path / "xdg"
    xdg.mkdir()
    out = {k: v for k, v in os.environ.items() if not k.startswith("WFTUI_")}
    out.update(PYTHONPATH=str(REPO), XDG_CONFIG_HOME=str(xdg))
    return out


def check(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wftui", "check", "--window", "all", *args],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def toml(logs: dict[str, Any]) -> str:
    lines = []
    for table, values in logs.items():
        lines.append(f"[logs.{table}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def write(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_a_mapped_log_checks_as_our_shape(tmp_path: Path, env: dict[str, str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text(toml(ISSUE_CONFIG))
    theirs = check(env, "--config", str(config), str(write(tmp_path / "theirs.log",
                                                             issue_shape())))
    plain = check(env, str(write(tmp_path / "ours.log", ours())))
    # 20% failed: the error-rate threshold fires (exit 1) for both
    assert plain.returncode == theirs.returncode == 1, theirs.stderr
    mapped, expected = json.loads(theirs.stdout), json.loads(plain.stdout)
    assert expected["executions"] == {"total": 60, "running": 0, "succeeded": 48,
                                      "failed": 12}
    for key in FIGURES:
        assert mapped[key] == expected[key], key
    assert mapped["sources"][0]["events"] == expected["sources"][0]["events"]


def test_a_bad_logs_table_is_one_line_and_exit_2(tmp_path: Path, env: dict[str, str]
                                                 ) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[logs.fields]\nexecution = "run"\n')
    result = check(env, "--config", str(config), str(write(tmp_path / "a.log", ours())))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        result.stderr.strip()] and "logs.fields.execution: unknown field" in result.stderr
    assert "Traceback" not in result.stderr
