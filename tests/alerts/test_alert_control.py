"""The monitor's alert control between refreshes (no app needed for judging)."""

from __future__ import annotations

import time
from pathlib import Path

from wftui.alerts.desk import AlertDesk
from wftui.alerts.silences import SilenceStore
from wftui.core.thresholds import ThresholdState
from wftui.ui.alert_control import AlertControl

ACTION = "Page on-call, investigate root cause"


def state(name: str, value: float, verdict: str) -> ThresholdState:
    return ThresholdState(name, value, 0.05, verdict, ACTION, time.time())


def test_an_acknowledgement_ends_when_its_alert_clears(tmp_path: Path) -> None:
    """Seen in a tmux run: the monitor kept the acknowledgement after the alert cleared,
    so the next firing read 'acknowledged by ana' from the one before."""
    store = SilenceStore(tmp_path / "silences.json")
    control = AlertControl(None, None, AlertDesk(store), lambda row: None)  # type: ignore[arg-type]
    control.judge([state("error_rate", 0.2, "firing"), state("queue_depth", 5, "ok")])
    store.acknowledge("error_rate", by="ana")
    store.acknowledge("queue_depth", by="bo")  # never fired here: left alone
    control.judge([state("error_rate", 0.2, "firing"), state("queue_depth", 5, "ok")])
    assert control.shown().marks["error_rate"][0].startswith("acknowledged by ana at ")
    control.judge([state("error_rate", 0.01, "ok"), state("queue_depth", 5, "ok")])
    assert set(store.acknowledgements()) == {"queue_depth"}
    control.judge([state("error_rate", 0.3, "firing"), state("queue_depth", 5, "ok")])
    assert "error_rate" not in control.shown().marks  # a new firing, not acknowledged
