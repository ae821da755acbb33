"""`wftui check` on a file that fails part-way (a gzip cut short): the figures of the
lines read before the damage, the damage said (a warning, one line on stderr), and exit
2; never "no source could be read" with nothing shown."""

from __future__ import annotations

import gzip
import json
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.check_cli import check, check_env

T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return check_env(tmp_path)


def test_a_gzip_log_cut_short_gives_the_figures_of_what_was_read(
        tmp_path: Path, env: dict[str, str]) -> None:
    # Random-ish ids so the gzip does not shrink to nothing: its first half must hold
    # many executions.
    lines = []
    for i in range(4000):
        at = T0 + timedelta(seconds=i)
        for kind, extra in (("workflow_start", {}),
                            ("workflow_complete",
                             {"status": "failure" if i % 10 == 0 else "success"})):
            lines.append(json.dumps({"event": kind, "execution_id": f"run-{i * 7919 % 10007}",
                                     "timestamp": at.isoformat(), **extra}))
    whole = gzip.compress(("\n".join(lines) + "\n").encode())
    cut = whole[: len(whole) // 2]
    path = tmp_path / "app.log.gz"
    path.write_bytes(cut)
    # What the half holds, worked out apart: its whole lines, decompressed here.
    prefix = zlib.decompressobj(wbits=31).decompress(cut)
    complete = [json.loads(line) for line in prefix.split(b"\n")[:-1]]
    ended = [r for r in complete if r["event"] == "workflow_complete"]
    assert 500 < len(ended) < 3900
    done = check(env, str(path))
    assert done.returncode == 2
    told = json.loads(done.stdout)
    executions = told["executions"]
    assert executions["succeeded"] + executions["failed"] == len(ended)
    assert executions["failed"] == sum(r["status"] == "failure" for r in ended)
    [source] = told["sources"]
    assert source["status"] == "error" and source["lines"] >= len(complete)
    [said] = [w for w in told["warnings"] if "the figures are of those lines only" in w]
    assert "truncated" in said and f"read {source['lines']:,} lines" in said
    assert done.stderr.strip() == f"wftui: {said}"
