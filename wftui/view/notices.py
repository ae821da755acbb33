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
    if after == "firing":
        return Notice(f"{name} FIRING: {value} > {limit}. {safe(transition.action)}",
                      "Threshold firing", "error", 15.0)
    if after == "pending":
        return Notice(f"{name} pending: {value} > {limit}", "Threshold pending", "warning")
    if transition.before == "firing":
        return Notice(f"{name} cleared: now {value}", "Threshold cleared")
    return None
