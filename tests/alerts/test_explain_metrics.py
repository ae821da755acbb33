"""Explain from the metrics' labels, against the previous window: a real
prometheus_client exporter scraped on a loopback port (and, below, a real Prometheus).

The exporter is scraped three times; what happens between the first and second scrape
is the previous window, between the second and third the window. Every expected number
is worked out by hand from the increments below.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.sources.exporter import Exporter
from wftui.alerts.explain_text import explain_lines
from wftui.core.explain import explain
from wftui.core.explain_metrics import explain_metrics
from wftui.core.ledger import Ledger
from wftui.sources.metrics import MetricsSettings, MetricsSource
from wftui.view.why import why_view


def previous_window(exporter: Exporter) -> None:
    """billing 1 of 5 failed, support 3 of 5; classify (llm) 4 x 0.3 s, respond (tool) 2 s."""
    exporter.executions.labels("billing", "failure").inc(1)
    exporter.executions.labels("billing", "success").inc(4)
    exporter.executions.labels("support", "failure").inc(3)
    exporter.executions.labels("support", "success").inc(2)
    for _ in range(4):
        exporter.steps.labels("classify", "llm").observe(0.3)
    exporter.steps.labels("respond", "tool").observe(2.0)


def this_window(exporter: Exporter) -> None:
    """billing 3 of 10 failed, support 1 of 10; classify 10 x 0.05 s, respond 2 s and
    3 s, fetch (tool, new) 2 x 0.3 s."""
    exporter.executions.labels("billing", "failure").inc(3)
    exporter.executions.labels("billing", "success").inc(7)
    exporter.executions.labels("support", "failure").inc(1)
    exporter.executions.labels("support", "success").inc(9)
    for _ in range(10):
        exporter.steps.labels("classify", "llm").observe(0.05)
    exporter.steps.labels("respond", "tool").observe(2.0)
    exporter.steps.labels("respond", "tool").observe(3.0)
    for _ in range(2):
        exporter.steps.labels("fetch", "tool").observe(0.3)


def rows(table: list[dict[str, Any]], key: str, *fields: str) -> list[tuple[Any, ...]]:
    return [(row[key], *(row[f] for f in fields)) for row in table]


@pytest.fixture(scope="module")
def explained() -> dict[str, Any]:
    import asyncio

    return asyncio.run(_scraped())


async def _scraped() -> dict[str, Any]:
    exporter = Exporter()
    source = MetricsSource([exporter.url], MetricsSettings(deadline=10.0), health_urls=[""])
    try:
        exporter.executions.labels("billing", "success").inc(50)  # before: not counted
        await source.scrape_once()
        previous_window(exporter)
        await source.scrape_once()
        this_window(exporter)
        await source.scrape_once()
        t1, t2, t3 = (r.t for r in source._targets[0].history.records)
        # The window must hold only the third scrape (its start after the second) and
        # the previous one only the second (its start after the first): any w in
        # [D2 / 2, min(D2, (D1 + D2) / 2)) with D1 = t2 - t1, D2 = t3 - t2.
        low, high = (t3 - t2) / 2, min(t3 - t2, (t3 - t1) / 2)
        window = (low + high) / 2
        figures = source.figures(window, now=t3)
    finally:
        await source.aclose()
        exporter.stop()
    # as the monitor explains with metrics only: an empty log part, then the metrics'
    out = explain(Ledger(), window_s=window, end=t3, now=t3)
    out["metrics"] = explain_metrics(figures)
    return out


def test_failures_by_workflow_against_the_previous_window(explained: dict[str, Any]) -> None:
    failures = explained["metrics"]["error_rate"]
    assert (failures["failed"], failures["ended"]) == (4, 20)
    assert (failures["previous_failed"], failures["previous_ended"]) == (4, 10)
    # billing 3 of 4 failures now (1 of 4 before); support 1 of 4 (3 of 4 before)
    assert rows(failures["by_workflow"], "workflow_name", "count", "share", "previous",
                "previous_share", "change", "error_rate", "previous_error_rate") == [
        ("billing", 3, 0.75, 1, 0.25, 2, 0.3, 0.2),
        ("support", 1, 0.25, 3, 0.75, -2, 0.1, 0.6)]


def test_time_by_step_and_step_type(explained: dict[str, Any]) -> None:
    latency = explained["metrics"]["latency_p95_s"]
    # now: respond 5 s, fetch 0.6 s, classify 0.5 s (6.1 s); before: classify 1.2 s,
    # respond 2 s (3.2 s), fetch never
    assert rows(latency["by_step"], "step_name", "step_type", "count", "previous",
                "change") == [("respond", "tool", 2, 1, 1), ("fetch", "tool", 2, 0, 2),
                              ("classify", "llm", 10, 4, 6)]
    shares = [(r["share"], r["previous_share"]) for r in latency["by_step"]]
    assert shares == [(pytest.approx(5 / 6.1, abs=1e-4), pytest.approx(2 / 3.2, abs=1e-4)),
                      (pytest.approx(0.6 / 6.1, abs=1e-4), 0.0),
                      (pytest.approx(0.5 / 6.1, abs=1e-4), pytest.approx(1.2 / 3.2, abs=1e-4))]
    # p95 by PromQL's rule over the bucket increases (bounds .01 .1 .5 1 5 10):
    # respond now 2 in (1, 5]: 1 + 4 * 1.9 / 2 = 4.8; before 1: 1 + 4 * 0.95 = 4.8
    # fetch 2 in (.1, .5]: .1 + .4 * 1.9 / 2 = .48; classify now 10 in (.01, .1]:
    # .01 + .09 * 9.5 / 10 = .0955, before 4 in (.1, .5]: .1 + .4 * 3.8 / 4 = .48
    assert [(r["p95_s"], r["previous_p95_s"]) for r in latency["by_step"]] == [
        (pytest.approx(4.8), pytest.approx(4.8)), (pytest.approx(0.48), None),
        (pytest.approx(0.0955), pytest.approx(0.48))]
    # tool: 5.6 s in 4 calls (before 2 s in 1); llm 0.5 s in 10 (before 1.2 s in 4)
    assert rows(latency["by_step_type"], "step_type", "count", "previous", "change") == [
        ("tool", 4, 1, 3), ("llm", 10, 4, 6)]
    assert [(r["share"], r["previous_share"]) for r in latency["by_step_type"]] == [
        (pytest.approx(5.6 / 6.1, abs=1e-4), pytest.approx(2 / 3.2, abs=1e-4)),
        (pytest.approx(0.5 / 6.1, abs=1e-4), pytest.approx(1.2 / 3.2, abs=1e-4))]


def test_text_and_why_screen_show_the_change(explained: dict[str, Any]) -> None:
    text = "\n".join(explain_lines({"metrics": explained["metrics"]}))
    assert ("why error rate (metrics): 4 failed of 20 ended (previous window 4 of 10)"
            in text)
    assert "        3   75%  billing  (error rate 30.00%)  (+2 vs previous window: 1, 25%)" \
        in text
    assert "fetch (tool)  p95 480ms (previous none); 2 calls  (+2 vs previous window: 0, 0%)" \
        in text
    view = why_view("error_rate", explained)
    by_title = {(title, row.label): row for title, row in view.rows()}
    billing = by_title[("by workflow (metrics)", "billing")]
    assert (billing.count, billing.share, billing.change) == (
        "3", "75%", "+2 (was 1 · 25%) · error rate 30.00%")
    assert view.summary == "4 failed of 20 ended (metrics); previous window 4 of 10"
    latency = why_view("latency_p95_s", explained)
    kinds = [row for title, row in latency.rows() if title == "time by step type (metrics)"]
    assert [(row.label, row.share, row.change) for row in kinds] == [
        ("tool", "92%", "4 calls +3 (was 1 · 62%)"), ("llm", "8%", "10 calls +6 (was 4 · 38%)")]


def test_no_previous_window_when_the_scrapes_do_not_reach_back() -> None:
    import asyncio

    async def two_scrapes() -> dict[str, Any]:
        exporter = Exporter()
        source = MetricsSource([exporter.url], MetricsSettings(deadline=10.0),
                               health_urls=[""])
        try:
            await source.scrape_once()
            this_window(exporter)
            await source.scrape_once()
            t1, t2 = (r.t for r in source._targets[0].history.records)
            return source.figures((t2 - t1) * 0.9, now=t2)  # the window: both scrapes
        finally:
            await source.aclose()
            exporter.stop()

    out = explain_metrics(asyncio.run(two_scrapes()))
    failures = out["error_rate"]
    assert (failures["failed"], failures["previous_failed"]) == (4, None)
    assert all(row["change"] is None and row["previous_share"] is None
               for row in failures["by_workflow"])
    assert out["previous_note"].startswith("no previous window")


# -- a real Prometheus server scraping the exporter ------------------------------------

def _samples(url: str, selector: str) -> list[tuple[float, float]]:
    """Prometheus's raw samples of one series over the last 10 minutes."""
    import httpx

    answer = httpx.get(f"{url}/api/v1/query", params={"query": f"{selector}[10m]"},
                       timeout=10).json()
    (series,) = answer["data"]["result"]
    return [(float(t), float(v)) for t, v in series["values"]]


def test_prometheus_server_gives_the_same_breakdown(tmp_path) -> None:
    """The same increments, read from a Prometheus server (1 s scrapes) through
    increase(...[w]) and '... offset w'. Prometheus extrapolates increases to the range's
    edges, by the same factor for every series of one target (their samples share their
    timestamps): counts are scaled, but shares, error rates and p95 (a ratio of bucket
    rates) are the hand-worked ones. Every series starts far from zero, so the
    extrapolation is never cut at zero for one series and not another."""
    import asyncio
    import subprocess
    from pathlib import Path

    from tests.helpers import free_port
    from tests.sources.test_prometheus_server import PROMETHEUS, wait_for
    from wftui.sources.prometheus_api import PrometheusSource

    if not Path(PROMETHEUS).exists():
        if __import__("os").environ.get("CI") == "true":
            pytest.fail("CI=true but the prometheus binary is missing")
        pytest.skip("needs the prometheus binary (apt-get install prometheus)")
    exporter = Exporter()
    for workflow in ("billing", "support"):
        for status in ("failure", "success"):
            exporter.executions.labels(workflow, status).inc(1000)
    for step, kind in (("classify", "llm"), ("respond", "tool"), ("fetch", "tool")):
        for _ in range(1000):
            exporter.steps.labels(step, kind).observe(0.005)
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n"
        "scrape_configs:\n  - job_name: w\n    static_configs:\n"
        f"      - targets: ['127.0.0.1:{exporter.port}']\n")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    billing_failed = 'workflow_executions_total{workflow_name="billing",status="failure"}'
    scrapes = 'count_over_time(up{job="w"}[10m])'
    try:
        wait_for(url, "sum(workflow_executions_total)", lambda v: v == 4000, process, tmp_path)
        wait_for(url, scrapes, lambda v: v >= 2, process, tmp_path)
        previous_window(exporter)
        wait_for(url, "sum(workflow_executions_total)", lambda v: v == 4010, process, tmp_path)
        seen = _samples(url, 'up{job="w"}')
        wait_for(url, scrapes, lambda v: v >= len(seen) + 2, process, tmp_path)
        this_window(exporter)
        wait_for(url, "sum(workflow_executions_total)", lambda v: v == 4030, process, tmp_path)
        samples = _samples(url, billing_failed)
        times = [t for t, _ in samples]
        jump_a = next(i for i, (_, v) in enumerate(samples) if v == 1001)
        jump_b = next(i for i, (_, v) in enumerate(samples) if v == 1004)
        assert jump_a >= 1 and jump_b - jump_a >= 3, samples  # waited for both
        # The window's start between the 2nd and 3rd samples after A's jump; the
        # previous window's start before the last sample without A.
        boundary = (times[jump_a + 1] + times[jump_a + 2]) / 2
        before_a = times[jump_a - 1]
        # query time q: q - 2 (q - boundary) < before_a, so q > 2 boundary - before_a
        ready = 2 * boundary - before_a + 0.3
        wait_for(url, "vector(time())", lambda now: now > ready, process, tmp_path)

        class AtReady(PrometheusSource):
            """Every query evaluated at `ready`, a moment already passed: the window
            then starts at `boundary` exactly, however long a loaded machine takes
            between here and the queries (taken at the server's now, a full suite on
            a busy machine once moved the window past its half-second margin)."""

            async def _server_now(self) -> float | None:
                return ready

        async def query() -> dict[str, Any]:
            window = round(ready - boundary, 3)
            source = AtReady(url, MetricsSettings(deadline=10.0), window_s=window)
            try:
                await source.scrape_once()
                return source.figures(window)
            finally:
                await source.aclose()

        figures = asyncio.run(query())
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)
        log.close()
        exporter.stop()
    out = explain_metrics(figures)
    failures = out["error_rate"]
    assert rows(failures["by_workflow"], "workflow_name", "share", "previous_share",
                "error_rate", "previous_error_rate") == [
        ("billing", 0.75, 0.25, 0.3, 0.2), ("support", 0.25, 0.75, 0.1, 0.6)]
    assert failures["by_workflow"][0]["change"] > 0 > failures["by_workflow"][1]["change"]
    latency = out["latency_p95_s"]
    assert [(r["step_name"], r["step_type"]) for r in latency["by_step"]] == [
        ("respond", "tool"), ("fetch", "tool"), ("classify", "llm")]
    assert [(r["share"], r["previous_share"]) for r in latency["by_step"]] == [
        (pytest.approx(5 / 6.1, abs=1e-4), pytest.approx(2 / 3.2, abs=1e-4)),
        (pytest.approx(0.6 / 6.1, abs=1e-4), 0.0),
        (pytest.approx(0.5 / 6.1, abs=1e-4), pytest.approx(1.2 / 3.2, abs=1e-4))]
    assert [(r["p95_s"], r["previous_p95_s"]) for r in latency["by_step"]] == [
        (pytest.approx(4.8), pytest.approx(4.8)), (pytest.approx(0.48), None),
        (pytest.approx(0.0955), pytest.approx(0.48))]
    assert latency["by_step"][1]["previous"] == 0  # fetch: nothing before
    assert [r["step_type"] for r in latency["by_step_type"]] == ["tool", "llm"]
    assert "previous_note" not in out


def test_renamed_labels_from_the_config() -> None:
    """[metrics.labels] workflow_name = "flow", step_type = "kind": the breakdowns read
    those labels (two scrapes of an exposition text; the second adds the window)."""
    from wftui.sources.metrics_figures import TargetHistory, TargetView, compute_figures
    from wftui.sources.metrics_parse import MetricNames, parse_exposition

    names = MetricNames(workflow_label="flow", step_type_label="kind")

    def text(failed: int, seconds: float) -> bytes:
        return (f'workflow_executions_total{{flow="billing",status="failure"}} {failed}\n'
                f'workflow_executions_total{{flow="billing",status="success"}} {failed * 2}\n'
                f'step_duration_seconds_count{{step_name="charge",kind="tool"}} {failed}\n'
                f'step_duration_seconds_sum{{step_name="charge",kind="tool"}} {seconds}\n'
                ).encode()

    history = TargetHistory(names)
    history.add(1000.0, parse_exposition(text(1, 2.0), "text/plain", names))
    history.add(1010.0, parse_exposition(text(4, 8.0), "text/plain", names))
    figures = compute_figures([TargetView("t", history, stale=False)], 5.0)
    out = explain_metrics(figures)
    # failures 1 -> 4, successes 2 -> 8: 3 of 9 ended failed
    assert rows(out["error_rate"]["by_workflow"], "workflow_name", "count",
                "error_rate") == [("billing", 3, pytest.approx(1 / 3, abs=1e-4))]
    assert rows(out["latency_p95_s"]["by_step"], "step_name", "step_type", "count",
                "total_s") == [("charge", "tool", 3, 6.0)]


def test_why_screen_on_metrics_alone_says_nothing_of_a_log(explained: dict[str, Any]) -> None:
    """Metrics only (an empty log part): the screen listed "by step", "by error", ...
    each "none", said "no previous window: the log starts inside this one" beside the
    metrics' own previous window (4 of 10), and read "p95 no data ... 0 executions at
    or above it" over the metrics' step times."""
    view = why_view("error_rate", explained)
    assert view.summary == "4 failed of 20 ended (metrics); previous window 4 of 10"
    assert [section.title for section in view.sections] == ["by workflow (metrics)"]
    assert not any("log" in note for note in view.notes), view.notes
    latency = why_view("latency_p95_s", explained)
    assert latency.summary == "time by step from the metrics, largest first"
    assert [section.title for section in latency.sections] == [
        "time by step (metrics)", "time by step type (metrics)"]
    assert not any("log" in note for note in latency.notes), latency.notes
