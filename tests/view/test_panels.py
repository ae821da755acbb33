"""Panel views and their text, worked out by hand from a few executions."""

from __future__ import annotations

import pytest

from tests.view.conftest import T0, ledger_of, run, snapshot_of
from wftui.core.snapshot import take_snapshot
from wftui.core.thresholds import ThresholdEngine
from wftui.sources.metrics_figures import TargetHistory, TargetView, compute_figures
from wftui.sources.metrics_parse import MetricNames, parse_exposition
from wftui.view.history import FigureHistory
from wftui.view.panels import PanelView, panel_text, panel_views, span_text, sparkline

# Four executions of 2, 4, 6 and 8 seconds; the last one failed.
EVENTS = (run("a", T0, 2.0) + run("b", T0 + 10, 4.0) + run("c", T0 + 20, 6.0)
          + run("d", T0 + 30, 8.0, failed=True))


def _views():
    return dict(panel_views(snapshot_of(EVENTS), T0 + 100))


def test_error_rate_panel_fires_on_one_failure_in_four() -> None:
    view = _views()["error_rate"]
    assert view.title == "Error rate"
    assert view.value == "25.00%"  # 1 of 4
    assert view.quality == "ok"
    assert view.state == "firing"  # above 5%, no `for`
    assert view.threshold == "threshold > 5.00%"
    assert view.action == "Page on-call, investigate root cause"
    assert view.origin == "from logs"


def test_latency_panel_names_p50_and_p99_beside_p95() -> None:
    view = _views()["latency"]
    assert view.state == "ok"  # far below 60 s
    assert view.threshold == "threshold > 1m00s"  # 60 s
    assert view.detail.startswith("p50 ") and " · p99 " in view.detail


def test_throughput_has_no_threshold_and_queue_has_no_data() -> None:
    views = _views()
    assert views["throughput"].threshold == "no threshold"
    assert views["throughput"].state is None
    queue = views["queue"]
    assert queue.quality == "no_data" and queue.value == "no data"
    assert queue.origin == ""  # nothing to say where nothing came from


def test_thresholds_read_as_not_judged_yet_while_the_log_is_read() -> None:
    # While the backlog is read, the monitor judges nothing (an empty engine): the
    # thresholds are not off, they wait for the whole log.
    from dataclasses import replace

    partial = take_snapshot(ledger_of(EVENTS), ThresholdEngine(()), window_s=300.0,
                            now=T0 + 100, sources=[])
    views = dict(panel_views(replace(partial, reading={"fraction": 0.4}), T0 + 100))
    for panel in ("error_rate", "latency", "active", "queue"):
        assert views[panel].threshold == "threshold judged once read"
        assert views[panel].state is None
    assert views["throughput"].threshold == "no threshold"
    assert panel_text(views["latency"], 16).plain.split("\n")[1] == "judged once read"
    # read, and being judged along the log's time (seconds on a big log): not off either
    judging = dict(panel_views(replace(partial, judging=True), T0 + 100))
    for panel in ("error_rate", "latency", "active", "queue"):
        assert judging[panel].threshold == "threshold being judged"
        assert judging[panel].state is None
    assert judging["throughput"].threshold == "no threshold"
    # once read and judged, a threshold the engine does not hold is off
    assert dict(panel_views(partial, T0 + 100))["queue"].threshold == "threshold off"


def test_panels_in_dashboard_order() -> None:
    ids = [panel_id for panel_id, _ in panel_views(snapshot_of(EVENTS), T0 + 100)]
    assert ids == ["error_rate", "latency", "active", "queue", "throughput"]


def test_no_events_reads_no_traffic_not_zero() -> None:
    view = dict(panel_views(snapshot_of([]), T0 + 100))["error_rate"]
    assert view.value == "no traffic"
    assert view.quality == "no_data"
    assert "0.00%" not in panel_text(view, 40).plain


def test_sparkline_levels_and_gaps() -> None:
    # range 0..8 over 8 blocks: 0 -> lowest, 4 -> int(4/8*7 + 0.5) = 4, 8 -> highest
    assert sparkline([0.0, None, 4.0, 8.0]).plain == "▁·▅█"
    assert sparkline([None, None]).plain == "··"


def test_sparkline_marks_values_above_the_threshold() -> None:
    line = sparkline([1.0, 3.0], threshold=2.0)
    styles = [str(span.style) for span in line.spans]
    assert styles == ["cyan", "bold red"]


def test_panel_text_shows_the_runbook_action_only_while_firing() -> None:
    view = PanelView(title="Error rate", value="25.00%", state="firing",
                     threshold="threshold > 5.00%", action="Page on-call")
    lines = panel_text(view, 40).plain.split("\n")
    assert lines[0] == "25.00%   FIRING "
    assert lines[1] == "threshold > 5.00%"
    assert lines[-1] == "▶ Page on-call"
    view.state = "ok"
    assert "Page on-call" not in panel_text(view, 40).plain


def test_a_narrow_panel_puts_p99_on_its_own_line_when_it_has_the_room() -> None:
    view = PanelView(title="Latency", value="1.00s", detail="p50 904ms · p99 2.46s")
    assert panel_text(view, 40).plain.split("\n")[2] == "p50 904ms · p99 2.46s"
    # 100 columns: 16 cells a panel. With room (6 lines), nothing is lost...
    assert panel_text(view, 16, 6).plain.split("\n")[2:4] == ["p50 904ms", "p99 2.46s"]
    assert panel_text(view, 16).plain.split("\n")[2:4] == ["p50 904ms", "p99 2.46s"]
    # ... without it, one line cut with an ellipsis, and the sparkline keeps its place
    short = panel_text(view, 12, 5).plain.split("\n")
    assert short[2] == "p50 904ms ·…" and len(short) == 4  # 11 + …


def test_the_sparklines_stay_level_when_a_panel_beside_splits_its_detail() -> None:
    """At 100 columns the latency panel's sparkline sat a line below the others'."""
    latency = PanelView(title="Latency", value="1.00s", detail="p50 904ms · p99 2.46s")
    errors = PanelView(title="Error rate", value="2.00%")
    queue = PanelView(title="Queue", value="3", detail="since start")
    for view in (latency, errors, queue):
        view.beside = (latency.detail, errors.detail, queue.detail)
    # value, threshold, then 2 lines of detail (or 1 and a blank): the sparkline 5th
    for view in (latency, errors, queue):
        lines = panel_text(view, 16, 6).plain.split("\n")
        assert lines[4].startswith("·"), (view.title, lines)
    assert panel_text(queue, 16, 6).plain.split("\n")[2:4] == ["since start", " "]
    # firing, the line goes to its runbook action instead
    errors.state, errors.action = "firing", "Page on-call, investigate root cause"
    assert panel_text(errors, 16, 6).plain.split("\n")[3].startswith("·")
    assert panel_text(errors, 16, 6).plain.split("\n")[4:] == ["▶ Page on-call,", "  investigate …"]
    # wide enough for one line of detail: nobody leaves a line
    for view in (latency, errors, queue):
        assert panel_text(view, 40, 6).plain.split("\n")[3].startswith("·")


def test_a_value_and_its_state_stay_on_one_line_when_they_fit_closer_together() -> None:
    """At 100 columns (16 cells) a queue of 159,000 going PENDING read "159,000" over
    "PENDING": the state took a line of its own and pushed the threshold and the
    sparkline below the neighbours'. One space apart they fit: 7 + 1 + 7 = 15 cells."""
    view = PanelView(title="Queue depth", value="159,000", state="pending",
                     threshold="threshold > 10,000")
    lines = panel_text(view, 16).plain.split("\n")
    assert lines[0].rstrip() == "159,000 PENDING"
    assert lines[1] == "> 10,000"
    view.state = "firing"  # 9 + 1 + 6 = 16: exactly the room
    view.value = "1,234,567"
    assert panel_text(view, 16).plain.split("\n")[0].rstrip() == "1,234,567 FIRING"
    # where the spaced form fits, it stays as it was (wide panels, short values)
    assert panel_text(view, 28).plain.split("\n")[0] == "1,234,567   FIRING "
    view.value = "27.32%"
    assert panel_text(view, 16).plain.split("\n")[0] == "27.32%   FIRING "


def test_panel_text_drops_the_word_threshold_when_narrow() -> None:
    view = PanelView(title="Latency", value="1.00s", threshold="threshold > 60.00s for 5m")
    assert panel_text(view, 16).plain.split("\n")[1] == "> 60.00s for 5m"
    # 80 columns (12 cells): the value, not the `for`; it wrapped onto a second line and
    # pushed the sparkline below the one of a panel with "no threshold" beside it
    assert panel_text(view, 12).plain.split("\n")[1] == "> 60.00s"
    view.threshold = "threshold > 10,000,000 for 30s"
    assert panel_text(view, 8).plain.split("\n")[1] == "> 10,00…"


def test_panel_sparkline_fills_the_width_from_history() -> None:
    history = FigureHistory(bucket_s=5.0)
    history.add(T0 + 590, {"error_rate": 0.5})
    view = PanelView(title="Error rate", value="50.00%", history=history,
                     series_name="error_rate", series_end=T0 + 600, span_s=600.0)
    # width 30: label " last 10m" (9 cells) leaves 21 points; the one sample, at the
    # middle of bucket [590, 595), falls in the last slice.
    spark = panel_text(view, 30).plain.split("\n")[3]
    assert spark == "·" * 20 + "█" + " last 10m"


def test_span_text() -> None:
    assert [span_text(v) for v in (10, 90, 300, 3600)] == ["10s", "90s", "5m", "1h"]


def test_a_long_action_wraps_and_is_cut_with_an_ellipsis_when_out_of_room() -> None:
    view = PanelView(title="Error rate", value="25.00%", state="firing",
                     threshold="threshold > 5.00%",
                     action="Page on-call, investigate root cause")
    # width 18: 16 cells after "▶ ": "Page on-call," / "investigate root" / "cause"
    lines = panel_text(view, 18).plain.split("\n")[4:]
    assert lines == ["▶ Page on-call,", "  investigate root", "  cause"]
    # height 6: 4 lines above the action leave 2; the second, cut to 16 cells, ends in …
    lines = panel_text(view, 18, height=6).plain.split("\n")[4:]
    assert lines == ["▶ Page on-call,", "  investigate roo…"]  # 15 cells + …


# A /metrics target that has seen no execution end: its counter and its duration
# histogram are all zeros (the demo's first scrape, a second of its life in).
NOTHING_ENDED = b"""# TYPE workflow_executions_total counter
workflow_executions_total{workflow_name="support",status="success"} 0
# TYPE workflow_duration_seconds histogram
workflow_duration_seconds_bucket{workflow_name="support",le="1.0"} 0
workflow_duration_seconds_bucket{workflow_name="support",le="+Inf"} 0
workflow_duration_seconds_sum{workflow_name="support"} 0
workflow_duration_seconds_count{workflow_name="support"} 0
# TYPE active_workflows gauge
active_workflows 1
"""


def _metrics(*scrape_times: float) -> dict:
    """The figures of a real target history, scraped at these times."""
    names = MetricNames()
    target = TargetHistory(names)
    for t in scrape_times:
        target.add(t, parse_exposition(NOTHING_ENDED, "text/plain", names))
    return compute_figures([TargetView("demo", target, False)], 300.0)


@pytest.mark.parametrize("scrapes", [(T0 + 95,), (T0 + 90, T0 + 95)],
                         ids=["one scrape", "two scrapes, nothing ended between"])
def test_latency_comes_from_the_logs_while_the_metrics_have_none(scrapes) -> None:
    """The metrics give no latency (no execution ended): the panel shows the logs' p95,
    says so, and is judged on it: never "no data" beside an "ok" from the logs."""
    snapshot = take_snapshot(ledger_of(EVENTS), ThresholdEngine(), window_s=300.0,
                             now=T0 + 100, sources=[], metrics=_metrics(*scrapes))
    views = dict(panel_views(snapshot, T0 + 100))
    latency = views["latency"]
    # durations 2, 4, 6, 8 s, linear between closest ranks: p95 at rank 0.95 * 3 = 2.85,
    # 6 + 0.85 * 2 = 7.7 s; p50 at rank 1.5, 5 s; p99 at rank 2.97, 6 + 0.97 * 2 = 7.94 s
    assert (latency.value, latency.quality) == ("7.70s", "ok")
    assert latency.origin == "from logs"
    assert latency.detail == "p50 5.00s · p99 7.94s"
    assert latency.state == "ok"  # 7.7 s, below 60 s
    # as the error rate does when the metrics have no executions ended: 1 of 4 failed
    assert (views["error_rate"].value, views["error_rate"].origin) == ("25.00%", "from logs")
    # the gauge the metrics do have still comes from them
    assert views["active"].value == "1" and views["active"].origin.startswith("from metrics")


def _two_logs(other: list[bytes], other_status: str = "following"):
    """good.log (EVENTS: no queue readings) and other.log, read into one ledger and
    described as the monitor describes them."""
    import orjson

    from wftui.core.ledger import Ledger
    from wftui.core.snapshot import file_source_entry
    from wftui.core.understood import annotate

    ledger = Ledger(idle_timeout=30.0)
    ledger.ingest_lines("good.log", 1, [orjson.dumps(e) for e in EVENTS], T0 + 100)
    ledger.ingest_lines("other.log", 1, other, T0 + 100)
    sources = [annotate(file_source_entry(ledger, {"name": name, "status": status}), ledger)
               for name, status in (("good.log", "following"), ("other.log", other_status))]
    return take_snapshot(ledger, ThresholdEngine(()), window_s=300.0, now=T0 + 100,
                         sources=sources)


OTHER_SCHEMA = [b'{"level": "info", "msg": "hi", "ts": 1}'] * 3


def test_one_log_not_understood_does_not_speak_for_the_panels_of_another() -> None:
    """good.log gives every figure but the queue depth; other.log is of another schema.
    The queue panel's "no data" is the truth (good.log has no queue readings), not "not
    understood"; the figures good.log gives are shown."""
    snapshot = _two_logs(OTHER_SCHEMA)
    assert [s.get("not_understood") is not None for s in snapshot.sources] == [False, True]
    views = dict(panel_views(snapshot, T0 + 100))
    assert views["queue"].value == "no data"
    assert views["error_rate"].value == "25.00%"


def test_every_log_not_understood_is_said_in_the_panels() -> None:
    from wftui.core.ledger import Ledger
    from wftui.core.snapshot import file_source_entry
    from wftui.core.understood import annotate

    ledger = Ledger(idle_timeout=30.0)
    ledger.ingest_lines("other.log", 1, OTHER_SCHEMA, T0 + 100)
    entry = annotate(file_source_entry(ledger, {"name": "other.log", "status": "following"}),
                     ledger)
    snapshot = take_snapshot(ledger, ThresholdEngine(()), window_s=300.0, now=T0 + 100,
                             sources=[entry])
    views = dict(panel_views(snapshot, T0 + 100))
    assert {view.value for view in views.values()} == {"not understood"}
    # while it is still being read (a catch-up's first part), nothing is settled yet
    reading = take_snapshot(ledger, ThresholdEngine(()), window_s=300.0, now=T0 + 100,
                            sources=[{**entry, "status": "reading"}])
    assert "not understood" not in {v.value for v in dict(panel_views(reading,
                                                                      T0 + 100)).values()}


def test_a_figure_not_read_yet_says_reading_not_no_traffic() -> None:
    # A big log read in parts: nothing merged yet at 40%. "no traffic" would be untrue
    # (the log is full of it); the panels say it is being read.
    from dataclasses import replace

    empty = take_snapshot(ledger_of(()), ThresholdEngine(()), window_s=300.0,
                          now=T0 + 100, sources=[])
    views = dict(panel_views(replace(empty, reading={"fraction": 0.4}), T0 + 100))
    for panel in ("error_rate", "latency", "active", "throughput"):
        assert views[panel].value == "reading…", panel
        assert views[panel].quality == "no_data"
    # nor "p50 no data · p99 no data" under the latency's "reading…"
    assert views["latency"].detail == ""
    # once read, an empty log has no traffic
    assert dict(panel_views(empty, T0 + 100))["error_rate"].value == "no traffic"
    # a figure already there while reading is shown (marked "so far" by its origin)
    partial = take_snapshot(ledger_of(EVENTS), ThresholdEngine(()), window_s=300.0,
                            now=T0 + 100, sources=[])
    shown = dict(panel_views(replace(partial, reading={"fraction": 0.4}), T0 + 100))
    assert shown["error_rate"].value == "25.00%"
    assert shown["error_rate"].origin == "from logs · so far"


def test_with_traces_only_nothing_says_logs() -> None:
    # wftui --otlp with no log file: before a span comes, no figure is "from logs" and
    # `basis` names nothing; once executions ended, traces are what they are from.
    receiver = {"kind": "otlp", "name": "otlp http 127.0.0.1:4318", "status": "ok"}
    waiting = take_snapshot(ledger_of(()), ThresholdEngine(()), window_s=300.0,
                            now=T0 + 100, sources=[receiver])
    assert waiting.basis() == {"error_rate": None, "latency_s": None,
                               "throughput_per_min": None}
    # executions received (here as their event lines): the active panel is from traces
    received = take_snapshot(ledger_of(EVENTS), ThresholdEngine(()), window_s=300.0,
                             now=T0 + 100, sources=[receiver])
    assert dict(panel_views(received, T0 + 100))["active"].origin == "from traces"
    # a log file beside it: its figures are the log's, counted or not
    log = {"kind": "file", "name": "a.log", "status": "following"}
    assert set(take_snapshot(ledger_of(()), ThresholdEngine(()), window_s=300.0,
                             now=T0 + 100, sources=[receiver, log]).basis().values()) \
        == {"logs"}
    beside = take_snapshot(ledger_of(EVENTS), ThresholdEngine(()), window_s=300.0,
                           now=T0 + 100, sources=[receiver, log])
    assert dict(panel_views(beside, T0 + 100))["active"].origin == "from logs"


def test_a_title_too_long_for_its_border_takes_its_short_form() -> None:
    from wftui.view.panels import panel_title

    # 80 columns: 10 cells for a title; "Latency p…" would not say which percentile
    assert panel_title("Latency p95", 10) == "Lat. p95"
    assert panel_title("Active workflows", 10) == "Active"
    assert panel_title("Queue depth", 10) == "Queue"
    assert panel_title("Error rate", 10) == "Error rate"  # it fits: whole
    # 100 columns: 14 cells
    assert [panel_title(t, 14) for t in ("Latency p95", "Active workflows")] == [
        "Latency p95", "Active"]


def test_a_p95_in_the_inf_bucket_reads_at_least_on_its_panel() -> None:
    """The metrics' p95 and p99 fell in the +Inf bucket (60 s the highest bound), p50
    did not: the panel's value and its p99 read "≥ 1m00s", p50 plain."""
    metrics = {"error_rate": 0.0, "latency_s": {"p50": 3.0, "p95": 60.0, "p99": 60.0,
                                                "at_least": {"p95": True, "p99": True}},
               "step_latency_s": {}, "throughput_per_min": 9.0, "active_workflows": 1,
               "queue_depth": 0, "since_start": False}
    snapshot = take_snapshot(None, ThresholdEngine(), window_s=300.0, now=T0,
                             metrics=metrics)
    view = dict(panel_views(snapshot, T0))["latency"]
    assert (view.value, view.state) == ("≥ 1m00s", "firing")
    assert view.detail == "p50 3.00s · p99 ≥ 1m00s"


def test_an_action_is_not_split_at_a_hyphen() -> None:
    # Split at its hyphen, an action cut to one line read "▶ Page on- …" (seen at 80
    # columns), which says something else.
    view = PanelView(title="Error rate", value="25.00%", state="firing",
                     threshold="threshold > 5.00%", action="Page on-call now")
    # width 12: 10 cells after "▶ ": "Page on-call" (12) and "on-call now" (11) do
    # not fit; split at the hyphen it was "Page on-" / "call now"
    lines = panel_text(view, 12).plain.split("\n")[4:]
    assert lines == ["▶ Page", "  on-call", "  now"]
    # one line of room: the first word, then … (never "on-")
    lines = panel_text(view, 12, height=5).plain.split("\n")[4:]
    assert lines == ["▶ Page …"]


def test_no_source_read_is_not_no_traffic() -> None:
    # `wftui --metrics URL` of a target answering 500, `wftui app.log` before the file
    # exists: nothing was read, so nothing says there was no traffic (`wftui check`
    # exits 2 there: no source could be read).
    down = {"kind": "metrics", "name": "http://127.0.0.1:9/metrics", "status": "down",
            "up": False, "error": "HTTP 500 Internal Server Error"}
    waiting = {"kind": "file", "name": "app.log", "status": "waiting", "lines": 0}
    for sources in ([down], [waiting], [down, waiting]):
        snapshot = take_snapshot(ledger_of(()), ThresholdEngine(()), window_s=300.0,
                                 now=T0 + 100, sources=sources)
        views = dict(panel_views(snapshot, T0 + 100))
        assert {view.value for view in views.values()} == {"no source read"}, sources
    # one source read (a log followed, empty so far): its "no traffic" is the truth
    followed = {**waiting, "status": "following"}
    snapshot = take_snapshot(ledger_of(()), ThresholdEngine(()), window_s=300.0,
                             now=T0 + 100, sources=[down, followed])
    assert dict(panel_views(snapshot, T0 + 100))["error_rate"].value == "no traffic"
