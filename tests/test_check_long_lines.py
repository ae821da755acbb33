"""`wftui check` on a log with a line over 1 MiB: the line is skipped (never read, so
neither an event nor malformed) and said to be, naming the file, the line and its
size, whether the file was read in one go (2 MB) or in parts by forked readers (50 MB,
on a machine with more than one core)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.forked import run_wftui

REPO = Path(__file__).resolve().parents[1]


def write(path: Path, pad: int) -> None:
    start = (b'{"event": "workflow_start", "execution_id": "e1", '
             b'"timestamp": "2026-01-01T00:00:00Z"}')
    end = (b'{"event": "workflow_complete", "execution_id": "e1", "status": "success", '
           b'"timestamp": "2026-01-01T00:00:01Z"}')
    with path.open("wb") as out:
        out.write(start + b"\n" + b'{"event":"x","pad":"')
        out.write(b"a" * pad)
        out.write(b'"}\n' + end + b"\n")


def check(*args: str) -> subprocess.CompletedProcess[str]:
    return run_wftui(["check", *args], cwd=REPO, timeout=120)


@pytest.mark.parametrize(("pad", "size"), [(2_000_000, "2,000,022"),
                                           (50_000_000, "50,000,022")],
                         ids=["2 MB, one go", "50 MB, in parts (with 2+ cores)"])
def test_a_skipped_long_line_is_named_in_text_and_json(tmp_path: Path, pad: int,
                                                       size: str) -> None:
    log = tmp_path / "big.log"
    write(log, pad)  # line 2: {"event":"x","pad":" (20 bytes), the pad, then "} (2)
    warning = f"{log}: 1 line longer than 1 MiB skipped, not read: line 2 ({size} bytes)"
    text = check(str(log), "--format", "text")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert f"source      {log}: ok: 2 lines, 2 events, 0 malformed, 1 long line skipped" \
        in lines
    assert f"warning     {warning}" in lines
    told = check(str(log))
    assert told.returncode == 0, told.stderr
    out = json.loads(told.stdout)
    [source] = out["sources"]
    assert source["skipped_long_lines"] == 1 and source["malformed"] == 0
    assert source["long_lines"] == [{"line": 2, "bytes": pad + 22}]
    assert out["warnings"][0] == warning


def test_a_file_of_one_long_line_is_not_called_empty(tmp_path: Path) -> None:
    log = tmp_path / "one.log"
    log.write_bytes(b'{"event":"x","pad":"' + b"a" * 2_000_000 + b'"}\n')
    done = run_wftui(["check", str(log)])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["warnings"] == [
        f"{log}: 1 line longer than 1 MiB skipped, not read: line 1 (2,000,022 bytes)"]
