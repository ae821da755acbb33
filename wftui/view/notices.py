"""What a threshold's change of state says to the operator (a notification's text)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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


def transition_notice(transition: Transition) -> Notice | None:
    """Firing, pending and cleared are said; other changes (to no data) are not."""
    name, after = safe(transition.name), transition.after
    value = threshold_figure(transition.name, transition.value)
    limit = threshold_figure(transition.name, transition.threshold)
    # A lower bound at the line ("≥ 1m00s" against 1m00s) would read "1m00s > 1m00s".
    above = (f"over {value} (past the highest bucket), threshold {limit}"
             if transition.at_least else f"{value} > {limit}")
    if after == "firing":
        return Notice(f"{name} FIRING: {above}. {safe(transition.action)}",
                      "Threshold firing", "error", 15.0)
    if after == "pending":
        return Notice(f"{name} pending: {above}", "Threshold pending", "warning")
    if transition.before == "firing":
        return Notice(f"{name} cleared: now {value}", "Threshold cleared")
    return None
