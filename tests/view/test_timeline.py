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
    # (UTC, as every time on screen: said here, where the log's date and time stand)
    assert clock_text(old).plain == ("   history: log ends 2026-03-01 09:29:50 UTC, "
                                     "9 days ago")
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


def test_a_chart_breaks_its_line_where_the_log_has_no_data() -> None:
    """A 10-minute session, nothing for a day, another 10 minutes: the 120 points from
    the first event to the last are mostly in the silent day, where the window holds
    no ended execution (no data). The line must stop at the first session and start
    again at the second: joined, it drew p95 falling from the first session's 30 s to
    the second's 1 s across the day, and the error rate sliding the same way."""
    import plotext

    from tests.view.conftest import T0, ledger_of, run
    from wftui.core.history import LogHistory
    from wftui.view.timeline import charts

    day = 86_400
    events = [e for k in range(10) for e in run(f"a{k}", T0 + 60 * k, 30.0)]
    events += [e for k in range(10) for e in run(f"b{k}", T0 + day + 60 * k, 1.0)]
    events.sort(key=lambda event: event["timestamp"])
    ledger = ledger_of(events)
    history = LogHistory(ledger, T0 + day + 541)
    # (up to 1,000 moments, where the log has traffic: many per session)
    latency = charts(history, snapshot(), 300.0, points=1000)[1]
    assert latency.title.startswith("Latency p95")
    assert len(latency.breaks) == 1  # one run per session
    [cut] = latency.breaks
    # minutes from the log's start: the first run within the first session and the
    # 5 minutes its executions stay in the window, the second within the second's
    assert latency.xs[cut - 1] <= 9.5 + 5 and latency.xs[cut] >= day / 60
    assert set(latency.ys[:cut]) == {30.0} and set(latency.ys[cut:]) == {1.0}
    xs, ys = latency.line()
    assert cut > 1 and len(latency.xs) - cut > 1  # no lone point to draw twice
    assert len(xs) == len(latency.xs) + 1 and xs[cut] != xs[cut]  # a NaN between
    # drawn: the columns between the two sessions are empty (joined, a slope ran there)
    plotext.clear_figure()
    plotext.plotsize(60, 12)
    plotext.plot(xs, ys, marker="braille")
    # (without its colours: their escape codes would stand in the columns looked at,
    # and a line joined across the day passed as well)
    rows = plotext.uncolorize(plotext.build()).splitlines()
    plotext.clear_figure()
    middle = [row[20:40] for row in rows[:-3]]
    assert not any(ch in "⠁⠂⠄⡀⠈⠐⠠⢀" or "\u2800" < ch <= "\u28ff" for row in middle
                   for ch in row), "\n".join(rows)


def test_a_spike_in_one_of_two_sessions_days_apart_is_on_the_chart() -> None:
    """Two sessions of a log two days apart (yesterday's worker and today's): 20
    executions each, one every 30 s; in the second, the 9th to the 12th fail. A 5m
    window holds 10 of them, so the error rate peaks at 4 of 10, 40%, and an alert
    fires on it. The chart was drawn at 120 moments evenly spread over the two days
    (one every 24 minutes): the ten minutes of each session fell between them and the
    spike was not on the chart (here one point, at 20%; in a post-mortem of three
    worker logs only points at 0% were left, and the title called the 5% threshold
    'far above' every value beside the yellow lines of alerts fired at 80%)."""
    from tests.view.conftest import T0, ledger_of, run
    from wftui.core.history import LogHistory
    from wftui.core.thresholds import OK, ThresholdState
    from wftui.view.timeline import charts

    days = 2 * 86_400
    events = [e for k in range(20) for e in run(f"a{k}", T0 + 30 * k, 1.0)]
    events += [e for k in range(20)
               for e in run(f"b{k}", T0 + days + 30 * k, 1.0, failed=8 <= k <= 11)]
    events.sort(key=lambda event: event["timestamp"])
    history = LogHistory(ledger_of(events), T0 + days + 571)
    limit = ThresholdState("error_rate", 0.0, 0.05, OK, "page")
    error_rate, _, active, *_ = charts(history, snapshot(thresholds=(limit,)), 300.0)
    assert max(error_rate.ys) == 0.4
    assert not error_rate.threshold_off_scale
    # both sessions are charted (the first at 0% from its first ended execution)
    assert min(x for x, y in zip(error_rate.xs, error_rate.ys, strict=True) if y == 0.0) < 10
    # the quiet two days are charted at their ends, and just before the second session
    # began (none was running): a level line, not a slope from 0 up to its first 1
    then = max((x, y) for x, y in zip(active.xs, active.ys, strict=True) if x < days / 60)
    assert days / 60 - then[0] < 1 / 60 and then[1] == 0


def test_the_charts_axis_says_its_times_are_utc() -> None:
    """The history view's x axis counts minutes from the log's first event, a date
    and time in UTC (as every time on screen); it did not say which zone."""
    from tests.view.conftest import T0, ledger_of, run
    from wftui.core.history import LogHistory
    from wftui.view.timeline import charts

    ledger = ledger_of(run("a", T0, 30.0))
    chart, *_ = charts(LogHistory(ledger, T0 + 30), snapshot(), 300.0)
    assert chart.xlabel == "minutes from 2026-01-01 12:00:00 UTC"


def test_every_chart_holds_its_values_whatever_the_log_says() -> None:
    """Queue depth readings of 1e308 and -100,000 (a gauge gone wrong): plotext
    overflowed on the first (the history view ended the monitor with a traceback) and,
    handed a point far below its axis, drew the line to it point by point (18 s and
    300 MB for -100,000; gigabytes for -1e10). Each chart's axis holds its values, and
    values past ±1e300 are cut to it, as the title says."""
    import plotext

    from tests.view.conftest import T0, ledger_of, run
    from wftui.core.history import LogHistory
    from wftui.view.timeline import CHART_LIMIT, charts

    readings = [5.0, 1e308, 7.0, -100_000.0, 6.0]
    events = [e for k in range(5) for e in run(f"a{k}", T0 + 60 * k, 2.0)]
    events += [{"event": "queue_depth", "value": value, "timestamp": T0 + 60 * k + 1}
               for k, value in enumerate(readings)]
    events.sort(key=lambda event: event["timestamp"])
    history = LogHistory(ledger_of(events), T0 + 60 * 4 + 2)
    drawn = charts(history, snapshot(), 60.0, points=20)
    queue = drawn[3]
    assert queue.name == "Queue depth"
    assert max(queue.ys) == CHART_LIMIT == 1e300  # 1e308, cut to the edge
    assert min(queue.ys) == -100_000.0
    assert "cut" in queue.title
    # its axis labelled short: plotext wrote 1e300's every digit, leaving no plot
    assert queue.yticks() == ([-100_000.0, 2.5e299, 5e299, 7.5e299, 1e300],
                              ["-1e+05", "2.5e+299", "5e+299", "7.5e+299", "1e+300"])
    assert drawn[0].yticks() is None  # an error rate: plotext's own labels
    for chart in drawn:
        if chart.ys:
            assert chart.y_bottom <= min(chart.ys) and max(chart.ys) <= chart.y_top
        assert "cut" not in chart.title or chart is queue
        plotext.clear_figure()
        plotext.plotsize(80, 14)
        plotext.plot(*chart.line(), marker="braille")
        plotext.ylim(chart.y_bottom, chart.y_top)
        if (ticks := chart.yticks()) is not None:
            plotext.yticks(*ticks)
        plotext.build()
    plotext.clear_figure()
