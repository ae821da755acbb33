"""The status line and the sources lines, without an app."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text

from tests.view.conftest import T0, run, snapshot_of
from wftui.core.history import figure_values
from wftui.view.history import FigureHistory
from wftui.view.status import source_text, sources_text, status_text


def test_status_line_window_pause_and_config_error() -> None:
    snapshot = snapshot_of(run("a", T0 + 90, 1.0))  # recent: the window ends now
    plain = status_text(snapshot, 300.0, False, None).plain
    assert plain == " wftui   window 5m"
    paused = status_text(snapshot, 300.0, True, "bad [x]").plain
    assert "PAUSED" in paused and "config not reloaded: bad [x]" in paused


def test_warnings_have_lines_of_their_own_under_the_status_line() -> None:
    """After a full status line they were cut to `⚠ te…` on a 100-column terminal."""
    snapshot = replace(snapshot_of(run("a", T0 + 90, 1.0)),
                       warnings=("app.log: 2 of 17 lines are not events", "second", "third"))
    lines = status_text(snapshot, 300.0, True, None,
                        alert_status=Text("  error_rate: silenced 1h")).plain.split("\n")
    assert lines[0].startswith(" wftui   window 5m") and "PAUSED" in lines[0]
    assert lines[0].endswith("  error_rate: silenced 1h")  # on the status line, not after
    assert lines[1:] == [" ⚠ app.log: 2 of 17 lines are not events", " ⚠ second"]


def test_status_line_says_another_window_judges_thresholds() -> None:
    # the snapshot's thresholds were judged on 5m; the screen shows 1h
    assert "thresholds judged on the 5m window" in status_text(
        snapshot_of([]), 3600.0, False, None).plain


def test_file_source_line() -> None:
    line = source_text({"kind": "file", "name": "-", "status": "following", "lines": 1,
                        "malformed": 2, "rotations": 1}).plain
    assert line == "● standard input  following  1 line · 2 malformed · 1 rotation"


def test_no_sources_is_said() -> None:
    text = sources_text((), Text("status")).plain
    assert text == "status\nno sources: give log files and/or --metrics URLs"


def test_history_buckets_keep_the_latest_value() -> None:
    history = FigureHistory(bucket_s=10.0, kept_s=100.0)
    history.add(0.0, {"x": 1.0})
    history.add(5.0, {"x": 2.0})  # same bucket [0, 10): replaces 1.0
    history.add(25.0, {"x": None})  # no data then: a gap, not a zero
    history.add(35.0, {"x": 4.0})
    # 4 points over [0, 40]: slices of 10 s; bucket mids at 5, 25, 35
    assert history.series("x", 40.0, 40.0, 4) == [2.0, None, None, 4.0]


def test_figure_values_flattens_latency() -> None:
    values = figure_values({"error_rate": 0.1, "latency_s": {"p50": 1.0, "p95": 2.0,
                                                             "p99": 3.0}})
    assert values["latency_p95_s"] == 2.0 and values["queue_depth"] is None
