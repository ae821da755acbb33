"""Alert times judged along an old log are grid moments: the list says they are near."""

from __future__ import annotations

import re

from tests.core.test_history import BASE, hand_log
from wftui.core.history import LogHistory
from wftui.core.thresholds import Threshold, ThresholdEngine
from wftui.ui.widgets.alerts_list import alerts_text, alerts_title


def test_alerts_judged_along_a_log_say_their_times_are_near() -> None:
    # hand_log: b fails at 90 s; judged at 211 moments 1 s apart the crossing is exact
    # (one second is the finest grid); at 8 moments (30 s apart) it is not.
    threshold = Threshold("error_rate", above=0.05, action="page")
    fine = ThresholdEngine((threshold,))
    LogHistory(hand_log(), BASE + 210).judge(fine, 300.0)
    [alert] = fine.alerts()
    assert alert.fired_at == BASE + 90 and alert.fired_within_s is None
    assert alerts_title((alert,)) == "Alerts"
    coarse = ThresholdEngine((threshold,))
    LogHistory(hand_log(), BASE + 210).judge(coarse, 300.0, moments=8)
    [alert] = coarse.alerts()
    assert alert.fired_at == BASE + 90 and alert.fired_within_s == 30.0  # 0, 30, 60, 90...
    line = alerts_text((alert,)).plain
    assert "fired ≈09:01:30" in line, line
    assert alerts_title((alert,)) == ("Alerts · ≈: judged along the log every 30.00s, "
                                      "crossed up to that before")
    # judged live after the backlog: exact again
    coarse.update({"error_rate": 0.0}, BASE + 400)
    [alert] = coarse.alerts()
    assert alert.cleared_at == BASE + 400 and alert.cleared_within_s is None


def test_an_alert_of_another_day_says_its_date() -> None:
    """A log of several days ends 2026-03-03 18:00: an alert fired two days before,
    at 23:59:30 on 03-01, read `fired 23:59:30`, as if it were that evening's. Its day
    is given when it is not the log's end's (the silences' style, 01-04 14:00); one of
    the log's last day keeps the time alone."""
    from datetime import UTC, datetime

    from wftui.core.thresholds import Alert

    def at(text: str) -> float:
        return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()

    end = at("2026-03-03T18:00:00")
    old = Alert("error_rate", at("2026-03-01T23:59:30"), 0.5,
                cleared_at=at("2026-03-02T00:04:30"))
    today = Alert("queue_depth", at("2026-03-03T17:58:10"), 12_000.0,
                  fired_within_s=5.97)
    lines = alerts_text((today, old), now=end).plain.splitlines()
    assert "fired ≈17:58:10  FIRING" in lines[0], lines
    assert "fired 03-01 23:59:30  cleared 03-02 00:04:30 (5m00s)" in lines[1], lines
    # without a day to compare to, as before: the time alone
    assert "fired 23:59:30  cleared 00:04:30" in alerts_text((old,)).plain


async def test_the_alerts_list_dates_an_alert_of_another_day(harness) -> None:
    """The real app on a log of three days (ending 2025-12-31 20:01, read the next day):
    a spike at 23:59:30 on 12-29 and one at 20:00:30 on the log's last day. Each fires as
    its failure ends (a 5-minute window: 1 of 2 failed, 50%); the first clears when an
    execution ends well at 00:10:01 the next day (firing through the no data between).
    The list read `fired 23:59:30` for the first, as if it were the log's last evening."""
    from datetime import UTC, datetime

    from tests.ui.conftest import execution, settled, wait_for
    from wftui.ui.widgets.alerts_list import AlertsList

    def at(text: str) -> float:
        return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()

    steps = (("classify", "llm", 1.0),)
    events = [*execution("a", at("2025-12-29T23:59:00"), steps=steps),
              *execution("b", at("2025-12-29T23:59:29"), steps=steps, failed=True),
              *execution("x", at("2025-12-30T00:10:00"), steps=steps),
              *execution("c", at("2025-12-31T20:00:00"), steps=steps),
              *execution("d", at("2025-12-31T20:00:29"), steps=steps, failed=True),
              *execution("e", at("2025-12-31T20:00:59"), steps=steps)]
    h = harness(events)
    async with h.app.run_test(size=(140, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        listed = h.app.screen.query_one(AlertsList)
        await wait_for(pilot, lambda: len(listed.alerts) == 2, "both alerts")
        newest, oldest = listed.shown_text.plain.splitlines()
        # (judged along the log a few seconds apart: ≈, the first moment judged after)
        assert re.search(r"fired ≈?20:00:3\d  FIRING", newest), newest
        assert re.search(r"fired ≈?12-29 23:59:3\d  cleared ≈?12-30 00:10:0\d", oldest), oldest
