"""Everything the dashboard screen draws, computed from one refresh and the app's state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from rich.text import Text

from wftui.view.history import FigureHistory
from wftui.view.panels import PanelView, panel_views
from wftui.view.refresh import Refresh
from wftui.view.status import status_text
from wftui.view.table import empty_message, table_title
from wftui.view.timeline import LogSeries, now_or_wall


@dataclass(frozen=True)
class Dashboard:
    """One refresh as the dashboard shows it: status line, panels, table title, rows."""

    refresh: Refresh
    status: Text
    panels: list[tuple[str, PanelView]]
    title: Text
    empty: str
    # per alert, its silence and acknowledgement ("silenced until 14:05 by ana: ..."),
    # for the alerts list (the panels have theirs in their views)
    marks: Mapping[str, str] = field(default_factory=dict)
    # The day the alerts list's times need no date on: the log's end (live: now).
    alerts_day: float | None = None


@dataclass(frozen=True)
class AlertsShown:
    """What the alerts add to the dashboard: per alert, its silence and acknowledgement
    for its panel (longest form first), and Alertmanager as a source (up or down)."""

    marks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sources: tuple[dict[str, Any], ...] = ()


def dashboard(refresh: Refresh, *, window_s: float | None, paused: bool,
              config_error: str | None, history: FigureHistory | None,
              reads_logs: bool, refused: int = 0,
              alert_status: Text | None = None,
              alerts: AlertsShown | None = None) -> Dashboard:
    """The dashboard for a refresh (`reads_logs`: the monitor follows log files or receives spans;
    `refused`: commands/URLs of the config file not used; `alert_status`: silenced and
    acknowledged alerts; `alerts`: their marks for the panels, and Alertmanager among
    the sources)."""
    if alerts is not None and alerts.sources:  # drawn with the sources it stands beside
        refresh = replace(refresh, snapshot=replace(
            refresh.snapshot, sources=refresh.snapshot.sources + alerts.sources))
    snapshot = refresh.snapshot
    status = status_text(snapshot, window_s, paused, config_error, refused, alert_status)
    if refresh.log_history is not None and not refresh.metric_sparklines:
        # the sparklines from the log's own history
        history = LogSeries(refresh.log_history, now_or_wall(snapshot), window_s)
    return Dashboard(
        refresh=refresh,
        status=status,
        panels=panel_views(snapshot, refresh.now, history,
                           alerts.marks if alerts is not None else None),
        title=table_title(refresh),
        empty=empty_message(refresh, reads_logs),
        marks={name: forms[0] for name, forms in (alerts.marks if alerts else {}).items()
               if forms},
        alerts_day=snapshot.clock.now if snapshot.clock is not None else refresh.now,
    )
