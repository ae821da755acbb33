"""Reading Prometheus API answers: values as strings, the error envelope, warnings (pure),
and the HTTP statuses a live server rarely gives (through httpx.MockTransport)."""

from __future__ import annotations

import math
from collections.abc import Callable

import httpx
import pytest

from wftui.sources.metrics import MetricsSettings
from wftui.sources.metrics_parse import MetricNames
from wftui.sources.prometheus_api import (
    PrometheusQueries,
    PrometheusSource,
    QueryError,
    promql_duration,
    read_answer,
    render,
)


def vector(*values: str, label: str | None = None) -> dict:
    result = [{"metric": {"le": label} if label else {}, "value": [1700000000.0, v]}
              for v in values]
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


async def answered_by(answer: Callable[[httpx.Request], httpx.Response],
                      queries: PrometheusQueries | None = None) -> PrometheusSource:
    """A 60 s window source whose Prometheus is `answer` (httpx's mock transport)."""
    source = PrometheusSource("http://prometheus.invalid:9090", MetricsSettings(), 60,
                              queries or PrometheusQueries())
    await source._client.aclose()
    source._client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return source


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.25", 0.25), ("NaN", None), ("+Inf", math.inf), ("-Inf", -math.inf), ("1e3", 1000.0)],
)
def test_values_are_strings(value: str, expected: float | None) -> None:
    rows, warnings = read_answer(200, vector(value))
    assert rows == [({}, expected)]
    assert warnings == []


def test_scalar_empty_and_warnings() -> None:
    scalar = {"status": "success", "data": {"resultType": "scalar", "result": [1.0, "2"]}}
    assert read_answer(200, scalar)[0] == [({}, 2.0)]
    empty = {"status": "success", "data": {"resultType": "vector", "result": []},
             "warnings": ["PromQL info: metric might not be a counter"]}
    rows, warnings = read_answer(200, empty)
    assert rows == []
    assert warnings == ["PromQL info: metric might not be a counter"]


@pytest.mark.parametrize("status", [400, 422, 503])
def test_error_envelope(status: int) -> None:
    envelope = {"status": "error", "errorType": "bad_data",
                "error": "1:5: parse error:\n unexpected end of input"}
    with pytest.raises(QueryError, match=r"^bad_data: 1:5: parse error: unexpected end of input$"):
        read_answer(status, envelope)
    with pytest.raises(QueryError, match="not a Prometheus API answer"):
        read_answer(status, ["html?"])


def test_templates_render_the_articles_queries() -> None:
    names = MetricNames()
    queries = PrometheusQueries()
    failures = "failure|failed|error|errored|timeout|timed_out"
    ended = failures + "|success|succeeded|ok|completed|complete|done"
    # Over executions that ended with a success or a failure word only.
    assert render(queries.error_rate, names, 300) == (
        f'(sum(rate(workflow_executions_total{{status=~"{failures}"}}[300s])) or vector(0)) '
        f'/ sum(rate(workflow_executions_total{{status=~"{ended}"}}[300s]))')
    dotted = MetricNames(failure_statuses=("a.b",), success_statuses=("ok",))
    assert render(queries.error_rate_all, dotted, None) == (
        '(sum(workflow_executions_total{status=~"a\\\\.b"}) or vector(0)) '
        '/ sum(workflow_executions_total{status=~"a\\\\.b|ok"})')
    assert render(queries.latency, names, 90, 0.95) == (
        "histogram_quantile(0.95, sum by (le) (rate(workflow_duration_seconds_bucket[90s])))")
    assert render(queries.queue_depth, names, 60) == (
        "sum(workflow_queue_depth) or sum(queue_depth)")
    assert promql_duration(1.5) == "1500ms"


async def test_server_errors_mark_the_source_down_and_keep_last_figures() -> None:
    state = {"status": 200}

    def answer(request: httpx.Request) -> httpx.Response:
        if state["status"] != 200:
            return httpx.Response(state["status"], json={
                "status": "error", "errorType": "unavailable", "error": "TSDB not ready"})
        query = request.url.params["query"]
        if query.startswith("sum by (le)"):
            return httpx.Response(200, json=vector("1", label="+Inf"))
        return httpx.Response(200, json=vector("0.5"))

    source = await answered_by(answer)
    try:
        await source.scrape_once()
        assert source.figures(60)["error_rate"] == 0.5
        assert source.target_statuses()[0]["status"] == "ok"
        state["status"] = 503
        await source.scrape_once()
        [status] = source.target_statuses()
        assert status["status"] == "down"
        assert status["error"] == "unavailable: TSDB not ready"
        figures = source.figures(60)
        assert figures["stale"] is True
        assert figures["error_rate"] == 0.5  # last good value, marked stale
    finally:
        await source.aclose()


async def test_bad_template_is_a_warning_not_a_crash() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=vector("3"))

    queries = PrometheusQueries(active_workflows="sum($no_such_name)")
    source = await answered_by(answer, queries)
    try:
        await source.scrape_once()
        figures = source.figures(60)
        assert figures["active_workflows"] is None
        assert figures["queue_depth"] == 3
        assert any("active_workflows: bad template" in w for w in figures["warnings"])
    finally:
        await source.aclose()


async def test_every_query_of_a_scrape_is_evaluated_at_the_servers_one_instant() -> None:
    """Prometheus evaluates a query when it arrives: without a `time`, the ~20 queries of
    one scrape could cover windows ending at different moments. The server's own clock
    is asked first, and every query then names that instant."""
    server_now = 1767268800.5
    seen: list[tuple[str, str | None]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        query = request.url.params["query"]
        seen.append((query, request.url.params.get("time")))
        if query == "vector(time())":
            return httpx.Response(200, json=vector(str(server_now)))
        return httpx.Response(200, json=vector("0.5"))

    source = await answered_by(answer)
    try:
        await source.scrape_once()
    finally:
        await source.aclose()
    assert seen[0] == ("vector(time())", None)
    figures = seen[1:]
    assert len(figures) > 10
    assert {at for _, at in figures} == {"1767268800.500"}


@pytest.mark.parametrize(("first_s_ago", "expected", "said"), [
    (30.0, 100.0, True),    # 30 s of data in a 300 s window: 10/min over it is 100/min
    (4.0, 300.0, True),     # 4 s: rated over 10 s at least
    (300.0, 10.0, False),   # data over the whole window: rate() is right
    (None, 10.0, False),    # no answer: as Prometheus rated it
])
def test_throughput_is_per_minute_of_the_data_the_server_has(
        first_s_ago: float | None, expected: float, said: bool) -> None:
    from wftui.sources.prometheus_api import _rate_over_data

    now = 1_767_268_800.0
    figures = {"throughput_per_min": 10.0}
    since = [] if first_s_ago is None else [({}, now - first_s_ago)]
    warnings: list[str] = []
    _rate_over_data(figures, since, 300.0, now, warnings)
    assert figures["throughput_per_min"] == pytest.approx(expected)
    assert bool(warnings) is said
