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


def test_a_long_path_gives_way_to_the_progress_on_a_narrow_line() -> None:
    """At 80 columns a long path left `reading 69% █████…`: the line count and the time
    left were cut off. The path is cut at its start instead (its file name stays)."""
    path = "/var/log/support-agent/production/eu-west-1/workflows-2026-03-01.jsonl"
    source = {"kind": "file", "name": path, "status": "reading", "malformed": 0,
              "reading": {"fraction": 0.69, "lines": 690_123, "lines_estimate": 1_000_000,
                          "seconds_left": 1.2}}
    line = source_text(source, 78).plain  # 80 columns less the bar's padding
    # the progress bar and "· 0 malformed" make room first: the counts and time stay
    assert line.endswith("reading 69% · 690,123 of ~1.0M lines · 1.2 s left"), line
    assert len(line) <= 78 and "rkflows-2026-03-01.jsonl" in line
    # at 100 columns, the bar too
    line = source_text(source, 98).plain
    assert "69% ████████░░░░ · 690,123 of ~1.0M lines · 1.2 s left" in line, line
    assert len(line) <= 98
    # without a width (or with room), the path keeps up to 60 cells as before
    assert "…" + path[-59:] in source_text(source).plain
    assert source_text(source, 200).plain == source_text(source).plain
    # never less than 16 cells of it, however narrow; malformed lines are never left out
    assert "…" + path[-15:] in source_text(source, 30).plain
    assert "· 3 malformed" in source_text({**source, "malformed": 3}, 30).plain


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


def test_an_estimate_just_under_a_million_reads_1_0m() -> None:
    from wftui.view.timeline import short_count

    # seen on the source line while a 1M-line log was read: "of ~1000k lines"
    assert [short_count(v) for v in (9_999, 43_000, 999_499, 999_700, 1_000_000,
                                     12_345_678)] == [
        "9,999", "43k", "999k", "1.0M", "1.0M", "12.3M"]


def _style_of(text: Text, part: str) -> str:
    start = text.plain.index(part)
    return " ".join(str(span.style) for span in text.spans
                    if span.start <= start < span.end)


def test_the_receiver_line_says_it_could_not_listen_and_lost_batches() -> None:
    receiver = {"kind": "otlp", "name": "otlp 127.0.0.1:4318", "spans": 0,
                "spans_per_s": 0.0, "rejected_spans": 0, "rejected_log_records": 0,
                "refused_requests": 0}
    down = source_text({**receiver, "status": "error",
                        "error": "cannot listen on 127.0.0.1:4318: Address in use"})
    assert down.plain.startswith("✗ otlp 127.0.0.1:4318  error  0 spans")
    assert "bold red" in _style_of(down, "✗") and "Address in use" in down.plain
    starting = source_text({**receiver, "status": "starting"})
    assert starting.plain.startswith("◌ otlp") and "yellow" in _style_of(starting, "◌")
    lost = source_text({**receiver, "status": "ok", "spans": 12, "fold_failures": 2,
                        "last_fold_failure": "RuntimeError: disk on fire"})
    assert lost.plain.startswith("● otlp 127.0.0.1:4318  listening  12 spans")
    assert lost.plain.endswith(" · 2 batches of spans lost, folding failed: "
                               "RuntimeError: disk on fire")
    assert "bold red" in _style_of(lost, "2 batches")
    one = source_text({**receiver, "status": "ok", "fold_failures": 1,
                       "last_fold_failure": "KeyError: 'x'"})
    assert " · 1 batch of spans lost, folding failed: KeyError: 'x'" in one.plain
