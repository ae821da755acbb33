"""`wftui check --explain` as a real subprocess, on the built log of explain_log.py."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.alerts import explain_log
from tests.forked import run_wftui

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    log = tmp_path / "built.log"
    explain_log.write(log)
    config = tmp_path / "config.toml"
    config.write_text("[thresholds.queue_depth]\nthreshold = 1000\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WFTUI_")}
    env.update(PYTHONPATH=str(REPO), XDG_CONFIG_HOME=str(tmp_path / "xdg"),
               XDG_STATE_HOME=str(tmp_path / "state"))
    return log, config, env


def check(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_wftui(["check", *args], cwd=REPO, env=env, timeout=120)


def test_json_has_explain(setup: tuple[Path, Path, dict[str, str]]) -> None:
    log, config, env = setup
    done = check(env, str(log), "--explain", "--config", str(config))
    assert done.returncode == 1, done.stderr  # 4 of 10 failed: the error rate fires
    out = json.loads(done.stdout)
    errors = out["explain"]["error_rate"]
    assert [(r["step_name"], r["count"], r["share"]) for r in errors["by_step"]] == [
        ("charge", 3, 0.75), ("classify", 1, 0.25)]
    assert errors["by_error"][0]["error"] == "timeout calling <id> after 30s"
    assert [r["workflow_name"] for r in errors["by_workflow"]] == ["billing", "support"]
    latency = out["explain"]["latency_p95_s"]
    assert [(r["step_name"], r["share"], r["p95_s"]) for r in latency["by_step"]] == [
        ("fetch", 0.6, 6.0), ("summarize", 0.3, 3.0)]
    assert out["explain"]["queue_depth"]["time_to_threshold_s"] == pytest.approx(360.0)
    # the snapshot itself is unchanged by --explain
    assert out["error_rate"] == pytest.approx(0.4)


def test_without_explain_no_key(setup: tuple[Path, Path, dict[str, str]]) -> None:
    log, _, env = setup
    out = json.loads(check(env, str(log)).stdout)
    assert "explain" not in out


def test_text_format(setup: tuple[Path, Path, dict[str, str]]) -> None:
    log, config, env = setup
    done = check(env, str(log), "--explain", "--format", "text", "--config", str(config))
    assert "Traceback" not in done.stderr
    text = done.stdout
    assert "why error rate: 4 failed of 10 ended (previous window 1 of 5)" in text
    assert "    3   75%  charge  (+3 vs previous window: 0, 0%)" in text
    assert "    1   25%  classify  (same count as previous window: 1, 100%)" in text
    assert ("60%  fetch  p95 6.00s (previous 2.00s); in 1  (same count as previous "
            "window: 1, 20%)") in text
    assert "why active workflows: 3 running (0 at the window's start)" in text
    assert "5.00s  tool web in fetch (cur-10)" in text
    assert "why queue depth: 400, growth +100.0/min; reaches 1,000 in 6m00s" in text


def test_metrics_breakdown_from_labels(tmp_path: Path) -> None:
    """A real prometheus_client exporter: failures by workflow_name, p95 by step_name."""
    from tests.sources.exporter import Exporter

    exporter = Exporter()
    try:
        executions = exporter.executions
        executions.labels("billing", "failure").inc(3)
        executions.labels("billing", "success").inc(7)
        executions.labels("support", "failure").inc(1)
        executions.labels("support", "success").inc(9)
        for _ in range(10):
            exporter.steps.labels("classify", "llm").observe(0.05)
        exporter.steps.labels("respond", "tool").observe(2.0)
        exporter.steps.labels("respond", "tool").observe(3.0)
        began = time.time()
        exporter.queue.set_function(lambda: 100 * (time.time() - began))  # 100 a second
        config = tmp_path / "config.toml"
        config.write_text("[thresholds.queue_depth]\nthreshold = 1000000\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("WFTUI_")}
        env["PYTHONPATH"] = str(REPO)
        done = check(env, "--metrics", exporter.url, "--window", "all", "--interval", "1s",
                     "--explain", "--config", str(config))
    finally:
        exporter.stop()
    assert "Traceback" not in done.stderr, done.stderr
    metrics = json.loads(done.stdout)["explain"]["metrics"]
    assert metrics["error_rate"]["failed"] == 4
    assert [(r["workflow_name"], r["count"], r["share"], r["error_rate"])
            for r in metrics["error_rate"]["by_workflow"]] == [
        ("billing", 3, 0.75, 0.3), ("support", 1, 0.25, 0.1)]
    steps = metrics["latency_p95_s"]["by_step"]
    # respond: 2 samples in (1, 5]: 1 + 4 * (0.95 * 2) / 2 = 4.8
    # classify: 10 samples in (0.01, 0.1]: 0.01 + 0.09 * 9.5 / 10 = 0.0955
    assert [(r["step_name"], r["p95_s"]) for r in steps] == [
        ("respond", pytest.approx(4.8)), ("classify", pytest.approx(0.0955))]
    queue = metrics["queue_depth"]
    # The gauge grows 100 a second, but when each scrape read it depends on the
    # machine's load; the exact rate is tested on given readings (test_explain.py).
    # Here: two readings, growing, and the time left consistent with that growth.
    assert queue["readings"] == 2
    assert queue["growth_per_min"] > 0
    left = queue["time_to_threshold_s"]
    assert left == pytest.approx((1_000_000 - queue["depth"]) / queue["growth_per_min"] * 60,
                                 rel=1e-3)


def test_errors_logged_with_a_traceback_only_are_grouped_by_its_exception(
        tmp_path: Path) -> None:
    # structlog's idiomatic `log.exception("error", ...)` (format_exc_info) writes the
    # traceback as "exception" and no `error` text: the error is the traceback's last
    # line. "Why" must group by it, not read every failure as "(no error text)".
    import io

    import structlog

    out = io.StringIO()
    structlog.configure(processors=[structlog.processors.format_exc_info,
                                    structlog.processors.JSONRenderer()],
                        logger_factory=structlog.PrintLoggerFactory(out))
    try:
        log = structlog.get_logger()
        for i in range(4):
            eid = f"run-{i:04d}"
            log.info("workflow_start", execution_id=eid, timestamp=1_796_551_200 + i)
            if i < 3:
                try:
                    raise TimeoutError(f"upstream 503 for order-5542{i}")
                except TimeoutError:
                    log.exception("error", execution_id=eid, step_name="classify",
                                  timestamp=1_796_551_201 + i)
            log.info("workflow_complete", execution_id=eid, timestamp=1_796_551_202 + i,
                     status="failure" if i < 3 else "success")
    finally:
        structlog.reset_defaults()
    assert '"exception": "Traceback' in out.getvalue()  # really structlog's record
    log_path = tmp_path / "structlog.log"
    log_path.write_text(out.getvalue())
    config = tmp_path / "config.toml"
    config.write_text('[logs]\nformat = "structlog"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("WFTUI_")}
    env.update(PYTHONPATH=str(REPO), XDG_CONFIG_HOME=str(tmp_path / "xdg"),
               XDG_STATE_HOME=str(tmp_path / "state"))
    done = check(env, str(log_path), "--explain", "--window", "all", "--config",
                 str(config))
    assert done.returncode == 1, done.stderr  # 3 of 4 failed
    by_error = json.loads(done.stdout)["explain"]["error_rate"]["by_error"]
    assert [(r["error"], r["count"]) for r in by_error] == [
        ("TimeoutError: upstream 503 for <id>", 3)]
    # The comparison (the step tree's error) reads it the same way.
    diff = run_wftui(["diff", "--config", str(config), "run-0000", "run-0003",
                      str(log_path)], cwd=REPO, env=env, timeout=120)
    assert diff.returncode == 1, diff.stderr
    assert "error: TimeoutError: upstream 503 for order-55420" in diff.stdout, diff.stdout
