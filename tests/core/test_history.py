"""Figures over the log's own time (`wftui.core.history`), the clock (`core.clock`) and
the monitor at a past moment (`core.travel`), on a small log worked out by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from wftui.core.clock import log_clock, resolve_moment
from wftui.core.figures import log_figures
from wftui.core.history import LogHistory, states_at
from wftui.core.ledger import Ledger
from wftui.core.thresholds import FIRING, OK, Threshold, ThresholdEngine
from wftui.core.travel import snapshot_at

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
BASE = T0.timestamp()


def line(kind: str, execution: str, second: float, **fields: Any) -> bytes:
    record = {"event": kind, "execution_id": execution,
              "timestamp": (T0 + timedelta(seconds=second)).isoformat()}
    record.update(fields)
    return json.dumps(record).encode()


def hand_log_lines() -> list[bytes]:
    """a: 0-60 ok; b: 30-90 failed; c: 100-130 ok; d: 200- still open at the end (210)."""
    return [
        line("workflow_start", "a", 0), line("workflow_start", "b", 30),
        line("workflow_complete", "a", 60, status="success"),
        line("error", "b", 90, error="boom"),
        line("workflow_start", "c", 100),
        line("workflow_complete", "c", 130, status="success"),
        line("workflow_start", "d", 200),
        line("step_start", "d", 210, step_name="fetch"),
    ]


def hand_log() -> Ledger:
    ledger = Ledger(idle_timeout=30.0)
    ledger.ingest_lines("log", 1, hand_log_lines(), BASE + 10_000)
    return ledger


def test_figures_at_past_moments_worked_out_by_hand() -> None:
    history = LogHistory(hand_log(), BASE + 210)
    assert history.start == BASE and history.end == BASE + 210
    at_50 = history.figures_at(BASE + 50, 300.0)
    assert at_50.active_workflows == 2 and at_50.error_rate is None  # a and b running
    at_95 = history.figures_at(BASE + 95, 300.0)
    assert at_95.error_rate == 0.5 and at_95.ended == 2
    assert at_95.latency_s["p50"] == 60.0  # both took 60 s
    assert at_95.active_workflows == 0
    assert at_95.throughput_per_min == pytest.approx(2 / (95 / 60))
    at_205 = history.figures_at(BASE + 205, 60.0)  # only c... ended in (145, 205]: none
    assert at_205.ended == 0 and at_205.error_rate is None and at_205.active_workflows == 1
    assert history.figures_at(BASE - 5, 300.0).active_workflows is None  # before the log


def test_the_first_seconds_of_a_log_are_too_short_to_rate_then_as_now() -> None:
    """Two executions ended 4 s into the log: "now" at 8 s gives no rate (8 s is under
    the 10 s a rate needs); a past moment 8 s in must not give 2 / (8/60) = 15/min."""
    lines = [line("workflow_start", "a", 0), line("workflow_start", "b", 1),
             line("workflow_complete", "a", 3, status="success"),
             line("workflow_complete", "b", 4, status="success"),
             line("workflow_start", "c", 8)]
    ledger = Ledger(idle_timeout=30.0)
    ledger.ingest_lines("log", 1, lines, BASE + 10_000)
    assert log_figures(ledger, 300.0, BASE + 8, BASE + 8).throughput_per_min is None
    history = LogHistory(ledger, BASE + 8)
    assert history.figures_at(BASE + 8, 300.0).throughput_per_min is None
    later = LogHistory(ledger, BASE + 8).figures_at(BASE + 12, 300.0)
    assert later.throughput_per_min == pytest.approx(2 / (12 / 60))  # 10/min


def test_at_the_end_the_history_agrees_with_the_live_figures() -> None:
    ledger = hand_log()
    end = BASE + 210
    mine = LogHistory(ledger, end).figures_at(end, 300.0).as_dict()
    live = log_figures(ledger, 300.0, end, end).as_dict()
    mine.pop("step_latency_s")
    live.pop("step_latency_s")
    assert mine == live


def test_thresholds_judged_along_the_log_fire_and_clear_in_log_time() -> None:
    history = LogHistory(hand_log(), BASE + 210)
    engine = ThresholdEngine((Threshold("error_rate", 0.4, "page"),))
    judged = history.judge(engine, 300.0)
    [alert] = engine.alerts()
    # b fails at 90 (1 of 2 ended: 50%); c ends at 130 (1 of 3: 33%, back under 40%)
    assert BASE + 90 <= alert.fired_at < BASE + 91
    assert alert.cleared_at is not None and BASE + 130 <= alert.cleared_at < BASE + 131
    assert [s.state for s in states_at(judged, BASE + 100)] == [FIRING]
    assert [s.state for s in states_at(judged, BASE + 140)] == [OK]
    assert states_at(judged, BASE - 1) == ()


def test_snapshot_at_a_moment_shows_that_moment() -> None:
    ledger = hand_log()
    engine = ThresholdEngine((Threshold("error_rate", 0.4, "page"),))
    snapshot = snapshot_at(ledger, engine, BASE + 95, 300.0, log_now=BASE + 210,
                           with_rows=True)
    assert snapshot.at == BASE + 95 and snapshot.window_end == BASE + 95
    assert snapshot.executions == {"total": 2, "running": 0, "succeeded": 1, "failed": 1}
    assert [s.state for s in snapshot.thresholds] == [FIRING]
    assert [a.cleared_at for a in snapshot.alerts] == [None]  # not yet cleared at 95
    assert sorted(row.execution_id for row in snapshot.rows) == ["a", "b"]
    earlier = snapshot_at(ledger, ThresholdEngine(()), BASE + 45, 300.0,
                          log_now=BASE + 210, with_rows=True)
    rows = {row.execution_id: row for row in earlier.rows}
    assert rows["a"].status == "running" and rows["a"].running_for_s == 45.0
    assert rows["b"].status == "running" and rows["b"].end_ts is None
    assert earlier.to_check_dict()["at"] == "2026-03-01T09:00:45Z"


def test_an_old_log_runs_on_its_own_clock() -> None:
    old = log_clock(BASE + 210, BASE + 9 * 86400, 300.0)
    assert not old.live and old.now == BASE + 210 and old.behind_s == 9 * 86400 - 210
    live = log_clock(BASE + 210, BASE + 300, 300.0)
    assert live.live and live.now == BASE + 300 and live.behind_s is None
    assert log_clock(None, BASE, 300.0).live  # no events: nothing to stand at
    assert log_clock(float("-inf"), BASE, 300.0).live  # only malformed lines so far


def test_a_log_of_malformed_lines_has_no_history() -> None:
    ledger = Ledger()
    ledger.ingest_lines("log", 1, [b"not json", b'{"type": "x"}'], BASE)
    history = LogHistory(ledger, BASE)
    assert history.end is None and history.start is None
    assert history.judge(ThresholdEngine(), 300.0) == []
    assert history.figures_at(BASE, 300.0).error_rate is None


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-03-01T09:01:35Z", 95.0),
    ("2026-03-01 09:01:35", 95.0),
    ("09:01:35", 95.0),
    ("09:01", 60.0),
    ("-2m", 90.0),
    ("-30s", 180.0),
    ("-1m30s", 120.0),  # compound, as Prometheus writes durations
    # epoch seconds and milliseconds, as a log line writes them (09:01:35 is
    # 1772355600 + 95: 2026-03-01 is 20,513 days after 1970-01-01, x 86,400 + 9 h)
    ("1772355695", 95.0),
    ("1772355695500", 95.5),
])
def test_moments_an_operator_types(text: str, expected: float) -> None:
    assert resolve_moment(text, BASE, BASE + 210) == BASE + expected


@pytest.mark.parametrize(("text", "reason"), [
    ("yesterday", "is not a moment"),
    ("25:00", "is not a time of day"),
    ("-1h", "outside the log, which runs from 2026-03-01T09:00:00Z to"),
    ("08:59", "outside the log"),
])
def test_moments_that_are_not_in_the_log_are_refused(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        resolve_moment(text, BASE, BASE + 210)


def test_a_date_written_without_dashes_is_that_day_not_an_epoch_number() -> None:
    """`20260301` (ISO 8601's basic form) is all digits, as an epoch number is: read as
    one, it was August 1970 and refused as outside the log."""
    midnight = BASE - 9 * 3600  # 2026-03-01T00:00:00Z
    assert resolve_moment("20260301", BASE - 86_400, BASE + 210) == midnight
    assert resolve_moment(str(int(midnight)), BASE - 86_400, BASE + 210) == midnight


def test_a_time_of_day_past_the_end_of_a_one_day_log_is_refused_as_typed() -> None:
    # 09:05 on the log's day is after its end (09:03:30); the day before is no part of
    # the log either: the refusal names the moment the operator meant, not 24 h earlier.
    with pytest.raises(ValueError, match=r"^2026-03-01T09:05:00Z is outside the log"):
        resolve_moment("09:05", BASE, BASE + 210)
    # a log that runs over midnight: the latest such time before its end, the day before
    assert resolve_moment("23:59", BASE - 86_400, BASE + 210) == BASE - 32_460


def test_a_past_moment_judges_on_the_whole_logs_grid() -> None:
    """The hand log, then one more execution at 2990-3000 s: the log's 3000 s are
    judged at 300 moments about 10.03 s apart (a window of an hour: the 47 minutes
    without events are no quiet stretch, which would be judged at its ends only). b
    fails at 90 s: the whole log's judgment fires at the first moment past 90 (9 x
    10.03 = 90.3 s); a snapshot at 120 s, judged only up to then, must show that same
    moment, not one of a finer grid of its own (that showed 90 s: two fired times for
    one alert)."""
    ledger = Ledger(idle_timeout=30.0)
    ledger.ingest_lines("log", 1, [*hand_log_lines(),
                                   line("workflow_start", "e", 2990),
                                   line("workflow_complete", "e", 3000, status="success")],
                        BASE + 10_000)
    thresholds = (Threshold("error_rate", 0.4, "page"),)
    whole = ThresholdEngine(thresholds)
    LogHistory(ledger, BASE + 3000).judge(whole, 3600.0)
    # (c ends at 130 s: 1 of 3 failed, 33%: it clears at the next moment, 13 x 10.03 s)
    [alert] = whole.alerts()
    fired = alert.fired_at
    step = 3000 / 299
    assert fired == pytest.approx(BASE + 9 * step, abs=1e-3)
    assert alert.cleared_at == pytest.approx(BASE + 13 * step, abs=1e-3)
    past = snapshot_at(ledger, ThresholdEngine(thresholds), BASE + 120, 3600.0,
                       log_now=BASE + 3000)
    assert [alert.fired_at for alert in past.alerts] == [fired]
    assert [s.state for s in past.thresholds] == [FIRING]


def test_a_log_of_two_sessions_a_week_apart_is_judged_where_it_has_traffic() -> None:
    """One execution a minute (10 s long, ok) for 10 minutes, then nothing for a week,
    then 11 more, among which f1 and f2 fail at 305 and 306 s into the second session.
    Window 60 s: at 305 s, 250 (ok) and f1 ended in it: 50% > 40%, firing; at 366 s
    only 310 (ok) is left: 0%, cleared. Spread evenly over the week, the 300 moments
    were 34 minutes apart and never saw that minute: the alert list was empty. The
    week of silence is judged at its ends only; the 20 minutes of traffic get the
    moments (about 4 s apart)."""
    week = 7 * 86400
    lines = []
    for k in range(10):
        lines += [line("workflow_start", f"a{k}", 60 * k),
                  line("workflow_complete", f"a{k}", 60 * k + 10, status="success")]
    for k in range(11):
        lines += [line("workflow_start", f"b{k}", week + 60 * k),
                  line("workflow_complete", f"b{k}", week + 60 * k + 10, status="success")]
    lines += [line("workflow_start", "f1", week + 300), line("error", "f1", week + 305),
              line("workflow_start", "f2", week + 301), line("error", "f2", week + 306)]
    ledger = Ledger(idle_timeout=30.0)
    ledger.ingest_lines("log", 1, lines, BASE + 2 * week)
    engine = ThresholdEngine((Threshold("error_rate", 0.4, "page"),))
    LogHistory(ledger, BASE + week + 610).judge(engine, 60.0)
    [alert] = engine.alerts()
    assert alert.fired_within_s is not None and alert.fired_within_s < 5.0
    assert BASE + week + 305 <= alert.fired_at < BASE + week + 305 + alert.fired_within_s
    assert alert.cleared_at is not None
    assert BASE + week + 366 <= alert.cleared_at < BASE + week + 366 + 5.0


def test_a_log_of_lone_events_days_apart_is_judged_with_the_window_all() -> None:
    """Two executions of one line each, a day apart: with the window `all` nothing
    changes between them, the whole log is quiet. Judged at the two events: the
    failure at the second one fires (1 of 2 ended, 50%)."""
    lines = [line("workflow_complete", "a", 0, status="success"),
             line("workflow_complete", "b", 86_400, status="failure")]
    ledger = Ledger(idle_timeout=30.0)
    ledger.ingest_lines("log", 1, lines, BASE + 2 * 86_400)
    engine = ThresholdEngine((Threshold("error_rate", 0.4, "page"),))
    judged = LogHistory(ledger, BASE + 86_400).judge(engine, None)
    assert [moment.at for moment in judged] == [BASE, BASE + 86_400]
    [alert] = engine.alerts()
    assert alert.fired_at == BASE + 86_400


def test_a_breach_begun_as_a_silence_begins_fires_after_its_for_not_at_its_end() -> None:
    """Two executions start at 0 and 10 s and hang (a step left open): two active from
    10 s on, above 1, for 120 s. Then nothing for a day, then one more execution. The
    threshold (active > 1 for 120 s) fires at 130 s: the day of silence, judged at its
    ends only, fired it a day late (and said it was known to within a step)."""
    day = 86_400
    lines = [line("step_start", "h1", 0, step_name="wait"),
             line("step_start", "h2", 10, step_name="wait"),
             line("workflow_start", "late", day), line("workflow_complete", "late", day + 5,
                                                       status="success")]
    ledger = Ledger(idle_timeout=30.0)
    ledger.ingest_lines("log", 1, lines, BASE + 2 * day)
    engine = ThresholdEngine((Threshold("active_workflows", 1.0, "scale", for_s=120.0),))
    LogHistory(ledger, BASE + day + 5).judge(engine, 300.0)
    [alert] = engine.alerts()
    # judged every few seconds there (a second or so: then said as exact)
    assert BASE + 130 <= alert.fired_at < BASE + 130 + max(alert.fired_within_s or 0, 3.0)


@pytest.mark.parametrize("untimed", [
    b'{"event": "worker.boot", "run_id": "boot"}',  # not ours, no time
    line("step_start", "h9", 0, step_name="x").replace(b'"timestamp"', b'"ts"'),
    b'{"event": "step_start", "execution_id": "h9", "timestamp": "2026-13-45T99:00:00Z"}',
    b'{"event": "queue_depth", "value": 4}',
])
def test_one_line_without_a_time_does_not_make_an_old_log_live(untimed: bytes) -> None:
    """A log from 2026-03-01 with one line lacking a usable time, read today: that
    line's read time stood for its time and became the log's end, so the window
    ended today (error rate "no traffic", every alert gone, ages of 2000 hours)."""
    lines = hand_log_lines()
    lines.insert(3, untimed)
    ledger = Ledger(idle_timeout=30.0)
    today = BASE + 300 * 86_400
    ledger.ingest_lines("log", 1, lines, today)
    whole = Ledger(idle_timeout=30.0)
    whole.ingest_lines("log", 1, hand_log_lines(), today)
    assert whole.window_anchor is not None and whole.window_anchor < BASE + 86_400
    assert ledger.window_anchor == whole.window_anchor
    assert not log_clock(ledger.window_anchor, today, 300.0).live


def test_a_log_with_no_times_at_all_ends_where_it_was_read() -> None:
    lines = [b'{"event": "workflow_start", "execution_id": "a"}',
             b'{"event": "workflow_complete", "execution_id": "a", "status": "success"}']
    ledger = Ledger(idle_timeout=30.0)
    ledger.ingest_lines("log", 1, lines, BASE)
    assert ledger.window_anchor == BASE
    figures = log_figures(ledger, 300.0, BASE, BASE)
    assert figures.error_rate == 0.0


def test_a_line_without_a_time_in_an_old_log_is_placed_where_it_was_read_in_it() -> None:
    """An old log of steps only (no workflow_complete: executions end by the idle rule)
    with untimed lines among them, read 300 days later. They were stamped with the time
    they were read: e's last event was today (running for good at the log's end), its
    untimed step_complete fell outside every window (one `fetch` sample of two), and an
    untimed queue reading (4) beat the log's last timed one (9). Placed at the newest
    time read before them, they are part of the log's story."""
    today = BASE + 300 * 86_400
    lines = [line("step_start", "e", 0, step_name="fetch"),
             line("step_complete", "e", 2, step_name="fetch", duration_ms=2000),
             line("step_start", "e", 3, step_name="fetch"),
             b'{"event": "step_complete", "execution_id": "e", "step_name": "fetch", '
             b'"duration_ms": 1500}',
             line("queue_depth", "-", 4, value=9).replace(b', "execution_id": "-"', b''),
             b'{"event": "queue_depth", "value": 4}',
             line("step_start", "f", 100, step_name="fetch"),
             line("step_complete", "f", 101, step_name="fetch", duration_ms=1000)]
    ledger = Ledger(idle_timeout=30.0)
    ledger.ingest_lines("log", 1, lines, today)
    assert ledger.window_anchor == BASE + 101
    end = BASE + 101
    assert ledger.counts(end) == {"total": 2, "running": 1, "succeeded": 1, "failed": 0}
    [e, f] = ledger.executions.values()
    assert (e.first_ts, e.last_ts) == (BASE, BASE + 3)  # its untimed completion: at 3 s
    assert e.row(end, 30.0).status == "succeeded"  # idle since 3 s, not running
    figures = log_figures(ledger, None, end, end)
    assert figures.step_latency_s["fetch"]["count"] == 3
    assert ledger.queue_depth == 9  # the untimed 4 is placed before the 9, not after it
    assert e.read_times == {3: BASE + 3}  # the step tree dates it there too


def test_a_followed_line_without_a_time_takes_the_time_it_was_read() -> None:
    """Lines read as they are written (a monitor following its files): an untimed one
    came now, not at the newest time before it: a log that stamps only some lines (one
    at start, an hour ago) stays live, its untimed events in the window."""
    ledger = Ledger(idle_timeout=30.0)
    ledger.ingest_lines("log", 1, [line("workflow_start", "a", 0)], BASE + 3600)
    ledger.live_lines = True
    ledger.ingest_lines("log", 2, [
        b'{"event": "workflow_start", "execution_id": "b"}',
        b'{"event": "workflow_complete", "execution_id": "b", "status": "failure"}',
        b'{"event": "queue_depth", "value": 7}'], BASE + 3600)
    assert ledger.window_anchor == BASE + 3600
    figures = log_figures(ledger, 300.0, BASE + 3600, BASE + 3600)
    assert (figures.error_rate, figures.queue_depth) == (1.0, 7)
    assert ledger.executions["b"].read_times == {0: BASE + 3600, 1: BASE + 3600}
