"""What a threshold's change of state says to the operator (a notification's text)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from wftui.core.clock import ago, stamp
from wftui.core.format import threshold_figure
from wftui.core.thresholds import Transition
from wftui.view.text import safe


@dataclass(frozen=True)
class Notice:
    """One notification: its text, title, severity and how long it stays."""

    message: str
    title: str
    severity: Literal["information", "warning", "error"] = "information"
    timeout: float = 5.0


# A change this long before now happened in the log read (its backlog), not now.
PAST_S = 60.0


def transition_notice(transition: Transition, now: float | None = None
                      ) -> Notice | None:
    """Firing, pending and cleared are said; other changes (to no data) are not.

    With `now` (an old log's: not live), a change from more than a minute before it
    (judged along the log read at start) says when it happened, not as if it were now."""
    name, after = safe(transition.name), transition.after
    value = threshold_figure(transition.name, transition.value)
    limit = threshold_figure(transition.name, transition.threshold)
    # A lower bound at the line ("≥ 1m00s" against 1m00s) would read "1m00s > 1m00s".
    above = (f"over {value} (past the highest bucket), threshold {limit}"
             if transition.at_least else f"{value} > {limit}")
    when, in_log = "", ""
    if now is not None and now - transition.at >= PAST_S:
        when = f" (in the log since {stamp(transition.at)}, {ago(now - transition.at)})"
        in_log = " in the log"
    if after == "firing":
        return Notice(f"{name} FIRING{when}: {above}. {safe(transition.action)}",
                      f"Threshold firing{in_log}", "error", 15.0)
    if after == "pending":
        return Notice(f"{name} pending{when}: {above}", f"Threshold pending{in_log}",
                      "warning")
    if transition.before == "firing":
        return Notice(f"{name} cleared{when}: now {value}", f"Threshold cleared{in_log}")
    return None
