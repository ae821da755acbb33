"""Where a live process (`watch`, the monitor) keeps its alerts' silences and pager.

One object per process: after each evaluation it reads the silences in force (the
file's and Alertmanager's), tells Alertmanager what fires and what cleared, and says
which transitions may notify someone. Textual-free; the UI and `watch` both use it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from wftui.alerts.alertmanager import AlertmanagerSettings, AlertPusher, delivery_warning
from wftui.alerts.silences import (
    ALERTMANAGER,
    LOCAL,
    Acknowledgement,
    Silence,
    SilenceError,
    SilenceStore,
    annotate,
    firing_unsilenced,
    gather,
    mark_forms,
    marks,
)
from wftui.core import format as fmt
from wftui.core.thresholds import OK, ThresholdState, Transition


@dataclass(frozen=True)
class Silencing:
    """The silences and acknowledgements in force at one evaluation."""

    silenced: dict[str, Silence] = field(default_factory=dict)
    acks: dict[str, Acknowledgement] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)  # Alertmanager's entry

    def delivery_warnings(self) -> list[str]:
        """Pushes to Alertmanager failing, with how many alerts wait (none while up)."""
        return [warning for source in self.sources
                if (warning := delivery_warning(source)) is not None]

    def annotate(self, check: dict[str, Any]) -> dict[str, Any]:
        """A check/watch JSON object with silences, acknowledgements and Alertmanager."""
        annotate(check, self.silenced, self.acks)
        check["sources"] = [*check.get("sources", []), *self.sources]
        warnings = [*self.problems, *self.delivery_warnings()]
        if warnings:
            check["warnings"] = [*check.get("warnings", []), *warnings]
        return check

    def text_lines(self) -> list[str]:
        """What the text forms add after a snapshot: Alertmanager's state, problems."""
        lines = []
        for source in self.sources:
            problem = f" ({fmt.visible(str(source['error']))})" if source.get("error") else ""
            lines.append(f"alertmanager {fmt.visible(str(source['name']))}: "
                         f"{source['status']}{problem}")
        lines += [f"warning     {fmt.visible(problem)}"
                  for problem in (*self.problems, *self.delivery_warnings())]
        return lines

    def marks(self, states: Iterable[ThresholdState]) -> dict[str, str]:
        return marks(self.silenced, self.acks, states)

    def mark_forms(self, states: Iterable[ThresholdState]) -> dict[str, tuple[str, ...]]:
        """`marks` in forms from longest to shortest, for the panels."""
        return mark_forms(self.silenced, self.acks, states)

    def firing(self, states: Iterable[ThresholdState]) -> bool:
        """Firing and not silenced: what makes `check` and `watch` exit 1."""
        return firing_unsilenced(states, self.silenced)


class ProblemNews:
    """Each problem reading the silences told once, when it starts (a notice, a line on
    stderr), and once that all are gone: a warning repeated at every evaluation would
    be noise, and one only in a status line or a snapshot may go unseen while alerts
    that were meant to be silenced page."""

    def __init__(self) -> None:
        self._told: set[str] = set()

    def news(self, problems: Iterable[str]) -> tuple[list[str], bool]:
        """(the problems not told yet, whether every told one is gone now)."""
        problems = list(problems)
        new = [problem for problem in problems if problem not in self._told]
        gone = bool(self._told) and not problems
        self._told = set(problems)
        return new, gone


SILENCES_READ_AGAIN = "silences: the file is read again; its silences apply"


class AlertDesk:
    """Silences, acknowledgements and the Alertmanager pusher of one live process."""

    def __init__(self, store: SilenceStore | None = None,
                 alertmanager: AlertmanagerSettings | None = None) -> None:
        self.store = store if store is not None else SilenceStore()
        self.pusher = AlertPusher(alertmanager) if alertmanager is not None else None
        self.current = Silencing()
        # Per alert, the one workflow behind it when there is one (an Alertmanager label).
        self.workflow_names: dict[str, str] = {}

    def start(self) -> None:
        if self.pusher is not None:
            self.pusher.start()

    def begin_closing(self) -> None:
        """Alertmanager's last delivery starts now (close() waits for it)."""
        if self.pusher is not None:
            self.pusher.stop_soon()

    def close(self, grace: float = 5.0) -> None:
        if self.pusher is not None:
            self.pusher.close(grace)

    def undelivered(self) -> int:
        """Alerts whose latest state Alertmanager has not had (after `close`: lost)."""
        return self.pusher.waiting() if self.pusher is not None else 0

    def judge(self, states: Iterable[ThresholdState], now: float | None = None
              ) -> Silencing:
        """After an evaluation: the silences in force, and Alertmanager told."""
        moment = time.time() if now is None else now
        states = list(states)
        remote: list[Silence] = []
        if self.pusher is not None:
            self.pusher.know(states, self.workflow_names)
            remote = self.pusher.silences(moment)
        silenced, acks, problems = gather(self.store, remote, now=moment)
        sources: list[dict[str, Any]] = []
        if self.pusher is not None:
            # A silence of our own keeps the pager quiet too: an alert Alertmanager
            # already has is withdrawn (sent once more, ended now), as if it cleared,
            # and sent afresh if it still fires when the silence ends. Alertmanager's
            # own silences are applied by Alertmanager, so those alerts are still sent.
            self.pusher.update([replace(s, state=OK) if s.name in silenced
                                and silenced[s.name].origin == LOCAL else s
                                for s in states], moment, self.workflow_names)
            sources.append(self.pusher.status())
        self.current = Silencing(silenced, acks, problems, sources)
        return self.current

    def learn_workflows(self, explained: dict[str, Any]) -> None:
        """Note the workflow behind each alert, from an explanation (`workflow_name`
        label): known when its executions all belong to one workflow."""
        self.workflow_names = known_workflows(explained)

    def may_notify(self, transition: Transition) -> bool:
        """False for a silenced alert: it is shown, but notifies no one."""
        return transition.name not in self.current.silenced

    def cleared(self, transition: Transition) -> None:
        """An alert back to ok: its acknowledgement ends with it."""
        if transition.after == OK and transition.name in self.current.acks:
            # A file that cannot be written is reported by the next judge().
            with contextlib.suppress(SilenceError):
                self.store.forget_acknowledgement(transition.name)

    def silence(self, alert: str, duration_s: float, comment: str, by: str) -> Silence | str:
        """Silence an alert: in Alertmanager when attached (its id), else in the file."""
        if self.pusher is not None:
            from wftui.alerts.alertmanager import alert_labels

            labels = alert_labels(alert, self.pusher.settings)
            created = self.pusher.client.create_silence(labels, duration_s, comment, by)
            # Read them back now: the silence shows here at once, not at the next poll.
            self.pusher.poll_silences()
            return created
        return self.store.add(alert, duration_s, comment, by=by)

    def unsilence(self, silence: Silence) -> object:
        """End a silence where it is kept: in Alertmanager (read back at once, so it is
        gone here too), else in the file."""
        if silence.origin == ALERTMANAGER and self.pusher is not None:
            self.pusher.client.expire_silence(silence.id)
            self.pusher.poll_silences()
            return True
        return self.store.remove(silence.id)


def known_workflows(explained: dict[str, Any]) -> dict[str, str]:
    """Per alert, the single workflow its executions belong to (none when several).
    Groups at 0 now (there only in the previous window) are not behind the alert."""
    metrics = explained.get("metrics") or {}
    failures = [row for row in (explained.get("error_rate") or {}).get("by_workflow") or []
                if row.get("count")]
    if not failures:  # no failed execution in the logs: the metrics' label, if any
        failures = [row for row in (metrics.get("error_rate") or {}).get("by_workflow")
                    or [] if row.get("count")]
    picks = {
        "error_rate": [row.get("workflow_name") for row in failures],
        "latency_p95_s": sorted({row.get("workflow_name") for row in
                                 (explained.get("latency_p95_s") or {}).get("slow") or []},
                                key=str),
        "active_workflows": [row.get("workflow_name") for row in
                             (explained.get("active_workflows") or {}).get("by_workflow")
                             or [] if row.get("count")],
    }
    return {alert: names[0] for alert, names in picks.items()
            if len(names) == 1 and isinstance(names[0], str) and not names[0].startswith("(")}
