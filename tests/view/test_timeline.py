"""The log's time on screen (`wftui.view.timeline`): the progress line, the history
marker, where the time keys lead; values worked out by hand."""

from __future__ import annotations

from dataclasses import replace

from wftui.core.clock import LogClock
from wftui.core.snapshot import Snapshot
from wftui.core.thresholds import Alert
from wftui.view.panels import origin_text
from wftui.view.timeline import clock_text, progress_text, travel

END = 1772357390.0  # 2026-03-01T09:29:50Z
START = END - 1790.0  # 09:00:00


def snapshot(**fields: object) -> Snapshot:
    base = Snapshot(taken_at=END, window_s=300.0, window_end=END, window_fallback=False,
                    sources=(), executions={}, logs=None, metrics=None, thresholds=())
    return replace(base, **fields)  # type: ignore[arg-type]


def test_the_progress_line_reads_as_the_operator_expects() -> None:
    text = progress_text({"fraction": 0.43, "lines": 430_112, "lines_estimate": 1_000_260,
                          "seconds_left": 1.23}).plain
    assert text == "reading 43% █████░░░░░░░ · 430,112 of ~1.0M lines · 1.2 s left"


def test_an_old_log_and_a_past_moment_are_said() -> None:
    old = snapshot(clock=LogClock(END + 9 * 86400 + 60, END, False))
    assert clock_text(old).plain == "   history: log ends 2026-03-01 09:29:50, 9 days ago"
    live = snapshot(clock=LogClock(END + 5, END, True))
    assert clock_text(live).plain == ""
    past = snapshot(at=END - 240, clock=old.clock)  # 09:25:50, a 5m window
    # `l` goes to the end of an old log, not to a live one
    assert clock_text(past).plain == ("   at 09:20:50–09:25:50 (history)  l: back to the "
                                      "log's end")
    past_of_live = snapshot(at=END - 240, clock=live.clock)
    assert clock_text(past_of_live).plain.endswith("  l: back to live")
    # under two days, hours: 43 h is not "1 day ago"
    two_days_less = snapshot(clock=LogClock(END + 43.5 * 3600, END, False))
    assert clock_text(two_days_less).plain.endswith(", 43 hours ago")
    reading = snapshot(reading={"fraction": 0.5}, clock=live.clock, logs=object())
    assert "figures so far" in clock_text(reading).plain
    assert origin_text(False, reading) == "from logs · so far"


def test_time_keys_move_a_window_at_a_time_and_to_alerts() -> None:
    keys = {"start": START, "end": END, "window_s": 300.0}
    assert travel("back", None, **keys) == END - 300
    assert travel("back", START + 400, **keys) == START + 300  # not before the first window
    assert travel("forward", END - 400, **keys) == END - 100
    assert travel("forward", END - 200, **keys) is None  # past the end: now again
    assert travel("start", END - 200, **keys) == START + 300
    alerts = (Alert("error_rate", START + 1560, 0.2), Alert("latency_p95_s", START + 600, 90))
    assert travel("alert", None, alerts=alerts, **keys) == START + 1560  # the newest
    assert travel("alert", START + 1560, alerts=alerts, **keys) == START + 600  # before it


def test_the_alert_key_takes_the_logs_alerts_and_the_live_ones_it_does_not_tell_of() -> None:
    from wftui.view.timeline import alert_moments

    logged = (Alert("error_rate", 1_000.0, 0.3),)
    live = (Alert("error_rate", 985.0, 0.3),  # the same episode, timed on metrics
            Alert("queue_depth", 990.0, 20_000.0),  # metrics only: the log has no readings
            Alert("error_rate", 2_000.0, 0.2))  # a later episode the log does not have
    moments = alert_moments(live, logged, 300.0)
    assert [(alert.name, alert.fired_at) for alert in moments] == [
        ("error_rate", 1_000.0), ("queue_depth", 990.0), ("error_rate", 2_000.0)]
    # a window shorter than a minute still counts a minute as the same episode
    assert [a.fired_at for a in alert_moments(live[:1], logged, 10.0)] == [1_000.0]
