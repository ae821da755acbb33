"""The history view: each figure over the log's own time, its threshold line and the
moments its alerts fired (real monitor on a real file, the app run headless)."""

from __future__ import annotations

from tests.ui.conftest import T0, back_to_alerts, execution, settled, stamp, wait_for
from wftui.ui.screens.history import HistoryScreen


async def history_of(pilot, app, events: int) -> HistoryScreen:
    """The log read, `h` pressed: the history view once it has drawn its charts."""
    await settled(pilot, app, events)
    await pilot.press("h")
    return await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen)
                          and app.screen.drawn and app.screen, "the charts")


def failures_and_a_queue() -> list[dict]:
    """20 executions, one every 3 s; the 2nd fails: error rate 1 of 2 ended, 50%. The
    queue reads 0, 40, 80, ... every 6 s: it peaks at 360 (the 10th reading, 54 s)."""
    events: list[dict] = []
    for n in range(20):
        events += execution(f"ex-{n:02d}", T0 + n * 3, failed=n == 1)
    events += [{"event": "queue_depth", "value": 40 * n, "timestamp": stamp(T0 + n * 6)}
               for n in range(10)]
    events.sort(key=lambda event: event["timestamp"])
    return events


async def test_the_history_view_charts_the_log_with_thresholds_and_alerts(harness) -> None:
    events = failures_and_a_queue()
    h = harness(events)
    async with h.app.run_test(size=(160, 45)) as pilot:
        screen = await history_of(pilot, h.app, len(events))
        error_rate, latency, active, queue, throughput = screen.drawn
        assert error_rate.title == "Error rate" and error_rate.threshold == 0.05
        # the log runs 57.7 s: the points cover it from its first event (minute 0)
        assert error_rate.xs[0] >= 0 and 0.9 < error_rate.xs[-1] <= 57.7 / 60 + 1e-9
        assert max(error_rate.ys) == 0.5  # ex-00 ok and ex-01 failed: 1 of 2
        # ex-01 failed at 3.7 s; the alert fired at the first moment judged after it
        [fired] = error_rate.fired
        assert 3.7 / 60 <= fired < 10 / 60
        assert latency.threshold == 60 and latency.fired == []
        assert latency.threshold_off_scale  # 60 s over executions of 0.7 s
        assert not error_rate.threshold_off_scale  # 5% under a 50% peak: drawn
        assert throughput.threshold is None
        # every axis starts at 0: up to the highest value, or a threshold drawn above it
        assert error_rate.y_top == 0.5 and queue.y_top == 360
        assert latency.y_top == max(latency.ys)  # its threshold is off scale: not drawn
        assert throughput.y_top == max(throughput.ys)
        assert max(active.ys) >= 1
        # 10,000 is far above 360 (over 4x): named in the title, not drawn
        assert queue.title == "Queue depth · threshold 10,000, far above"
        assert queue.threshold == 10_000 and queue.threshold_off_scale
        assert max(queue.ys) == 360 and min(queue.ys) >= 0
        assert queue.ys == sorted(queue.ys)  # it only grew
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(h.app.screen, HistoryScreen),
                       "back to the dashboard")


async def test_a_figure_the_log_never_gives_says_so(harness) -> None:
    events: list[dict] = []
    for n in range(5):
        events += execution(f"ex-{n:02d}", T0 + n * 3)
    h = harness(events)
    async with h.app.run_test(size=(100, 30)) as pilot:
        screen = await history_of(pilot, h.app, len(events))
        queue = screen.drawn[3]
        assert queue.title == "Queue depth · no data in the log" and queue.ys == []


async def test_a_log_with_no_events_says_there_is_nothing_to_chart(harness) -> None:
    from tests.ui.screen import screen_text

    lines = [b'{"level": "info", "msg": "hi", "ts": 1}'] * 3  # read, but no event
    h = harness(lines)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: h.monitor.judged, "the log read and judged")
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(h.app.screen, HistoryScreen), "the view")
        await wait_for(pilot, lambda: "no events in the log to chart" in screen_text(h.app),
                       "why there are no charts")


async def test_refreshes_of_the_same_history_do_not_chart_it_again(harness,
                                                                monkeypatch) -> None:
    # A live log refreshes the screen up to 10 times a second; its history is rebuilt
    # at most every few seconds. Charting is for a new history (or new alerts), only.
    from wftui.ui.screens import history as screen_module

    calls: list[int] = []
    real = screen_module.charts

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(screen_module, "charts", counted)
    events: list[dict] = []
    for n in range(5):
        events += execution(f"ex-{n:02d}", T0 + n * 3)
    h = harness(events)
    async with h.app.run_test(size=(160, 45)) as pilot:
        screen = await history_of(pilot, h.app, len(events))
        before = len(calls)
        shown = h.app.shown
        for _ in range(5):  # the same refresh shown again, as the reactive does
            screen.refresh_shown = shown
            await pilot.pause()
        assert len(calls) == before and screen.drawn


async def test_the_legend_stays_whole_at_80_columns(harness) -> None:
    """The line above the charts wraps: at 80 (and 100) columns it was cut after
    'each point: the figure over the window ending', and what red and yellow mean and
    how to leave were gone."""
    from tests.ui.screen import screen_text

    events: list[dict] = []
    for n in range(5):
        events += execution(f"ex-{n:02d}", T0 + n * 3)
    h = harness(events)
    async with h.app.run_test(size=(80, 24)) as pilot:
        await history_of(pilot, h.app, len(events))
        text = " ".join(line.strip() for line in screen_text(h.app).splitlines()[:3])
        for part in ("each point: the figure over the window ending then",
                     "red: threshold", "yellow: alert fired", "esc: back"):
            assert part in text, text


async def test_every_chart_keeps_a_title_at_80_columns(harness) -> None:
    """plotext drops a title wider than its plot: at 80 columns (charts about 40 wide)
    'Queue depth · threshold 10,000, far above' (41) and the latency's and active
    workflows' titles vanished, leaving charts that said not what they were."""
    from tests.ui.screen import screen_text

    events = failures_and_a_queue()
    h = harness(events)
    async with h.app.run_test(size=(80, 24)) as pilot:
        screen = await history_of(pilot, h.app, len(events))
        assert screen.drawn[3].threshold_off_scale  # 10,000 over a peak of 360
        await pilot.pause()
        text = screen_text(h.app)
        for title in ("Error rate", "Latency p95", "Active workflows", "Queue depth",
                      "Throughput"):
            assert title in text, text
        # the threshold not drawn is still named, in a shorter form
        assert "> 10,000 off scale" in text, text


async def test_opened_at_a_past_moment_it_marks_every_alert_the_log_holds(harness) -> None:
    """`t` twice leads to the moment the log's first alert fired (latency p95: alpha
    took 180 s); `h` there charted the whole log but drew only the alerts fired by that
    moment, so the error rate's chart showed bravo's failure at 260 s crossing 5% with
    no yellow line: an alert the log holds looked as if it had never fired."""
    import time

    from tests.core.test_as_of import old_log_lines

    lines = old_log_lines()
    h = harness(lines, clock=time.time)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(lines))
        await back_to_alerts(pilot, h.app, 2)  # the newest alert, then the one before it
        assert [alert.name for alert in h.app.latest.snapshot.alerts] == ["latency_p95_s"]
        await pilot.press("h")
        screen = await wait_for(pilot, lambda: isinstance(h.app.screen, HistoryScreen)
                                and h.app.screen.drawn and h.app.screen, "the charts")
        error_rate, latency = screen.drawn[:2]
        # minutes from the log's first event (0 s); judged every 1.5 s (450 s, 300 moments)
        [fired] = latency.fired
        assert 180 / 60 <= fired <= 182 / 60
        [fired] = error_rate.fired
        assert 260 / 60 <= fired <= 262 / 60


async def test_a_queue_depth_of_1e308_is_charted_not_a_crash(harness) -> None:
    """One reading of 1e308 (as a log can write it): the history view ended the monitor
    with plotext's OverflowError and a traceback over the screen."""
    from tests.ui.screen import screen_text

    events = failures_and_a_queue()
    events.append({"event": "queue_depth", "value": 1e308, "timestamp": stamp(T0 + 57)})
    h = harness(events)
    async with h.app.run_test(size=(160, 45)) as pilot:
        screen = await history_of(pilot, h.app, len(events))
        await pilot.pause(0.3)
        assert h.app.is_running and h.app.screen is screen
        text = screen_text(h.app)
        assert "Queue depth · values past ±1e+300 cut there" in text, text
        assert "1e+300┤" in text, text  # its axis, labelled short
