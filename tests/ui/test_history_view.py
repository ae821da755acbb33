"""The history view: each figure over the log's own time, its threshold line and the
moments its alerts fired (real monitor on a real file, the app run headless)."""

from __future__ import annotations

from tests.ui.conftest import T0, execution, settled, wait_for
from wftui.ui.screens.history import HistoryScreen


async def test_the_history_view_charts_the_log_with_thresholds_and_alerts(harness) -> None:
    events: list[dict] = []
    for n in range(20):  # one every 3 s; the 2nd fails: error rate 1 of 2 ended, 50%
        events += execution(f"ex-{n:02d}", T0 + n * 3, failed=n == 1)
    h = harness(events)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        await pilot.press("h")
        screen = await wait_for(pilot, lambda: isinstance(h.app.screen, HistoryScreen)
                                and h.app.screen.drawn and h.app.screen, "the charts")
        error_rate, latency, active, throughput = screen.drawn
        assert error_rate.title == "Error rate" and error_rate.threshold == 0.05
        # the log runs 57.7 s: the points cover it from its first event (minute 0)
        assert error_rate.xs[0] >= 0 and 0.9 < error_rate.xs[-1] <= 57.7 / 60 + 1e-9
        assert max(error_rate.ys) == 0.5  # ex-00 ok and ex-01 failed: 1 of 2
        # ex-01 failed at 3.7 s; the alert fired at the first moment judged after it
        [fired] = error_rate.fired
        assert 3.7 / 60 <= fired < 10 / 60
        assert latency.threshold == 60 and latency.fired == []
        assert throughput.threshold is None
        assert max(active.ys) >= 1
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(h.app.screen, HistoryScreen),
                       "back to the dashboard")
