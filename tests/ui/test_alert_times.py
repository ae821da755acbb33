"""Alert times judged along an old log are grid moments: the list says they are near."""

from __future__ import annotations

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
