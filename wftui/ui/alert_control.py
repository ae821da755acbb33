"""The monitor's alert actions: why, silence, acknowledge, and the silences list.

The app owns one `AlertControl`. After each snapshot (in the refresh worker thread) it
reads the silences in force and tells Alertmanager what fires (`AlertDesk.judge`); the
keys and palette entries open the screens, whose answers come back here. IO (the
silences file, Alertmanager, the step trees behind an explanation) runs in workers,
never on the UI thread.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from rich.text import Text
from textual.app import App

from wftui.alerts.alertmanager import AlertmanagerError
from wftui.alerts.desk import SILENCES_READ_AGAIN, AlertDesk, ProblemNews, Silencing
from wftui.alerts.silences import Silence, SilenceError, user_name
from wftui.core import format as fmt
from wftui.core.thresholds import FIRING, OK, PENDING, ThresholdState, Transition
from wftui.live import LiveMonitor
from wftui.ui.workers import run_async
from wftui.view.dashboard import AlertsShown
from wftui.view.notices import Notice
from wftui.view.why import FIGURES, TITLES, WhyRow, alert_line, why_view

ALERT_ERRORS = (SilenceError, AlertmanagerError)


class AlertControl:
    """Why / silence / acknowledge for the app (which shows what this computes)."""

    def __init__(self, app: App[Any], monitor: LiveMonitor, desk: AlertDesk,
                 show_executions: Callable[[WhyRow], None],
                 clock: Callable[[], float] = time.time,
                 redraw: Callable[[], None] = lambda: None,
                 moment: Callable[[], float | None] = lambda: None,
                 shown_states: Callable[[], tuple[ThresholdState, ...] | None] = lambda: None
                 ) -> None:
        self.app = app
        self.redraw = redraw  # refresh now: a silence or an ack shows at once
        self.clock = clock  # the app's "now" (the live window ends there)
        self.moment = moment  # the past moment of the log shown (None: now)
        # The thresholds' states on screen at that moment (None: not drawn yet)
        self.shown_states = shown_states
        self.monitor = monitor
        self.desk = desk
        self.show_executions = show_executions
        self.silencing = Silencing()
        self.states: tuple[ThresholdState, ...] = ()
        self.problem_news = ProblemNews()
        self.pushes_failing = False  # told the operator that pushes fail

    # -- after each snapshot (worker thread) -------------------------------------------

    def judge(self, states: Iterable[ThresholdState]) -> Silencing:
        states = tuple(states)
        was_firing = {state.name for state in self.states if state.state == FIRING}
        if self.desk.pusher is not None and any(
                state.state == FIRING and state.name not in was_firing for state in states):
            # Which workflow is behind it (a label for Alertmanager), once per firing.
            try:
                self.desk.learn_workflows(self.monitor.explain(self.clock()))
            except Exception:  # noqa: BLE001 - the alert goes out without the label
                self.desk.workflow_names = {}
        for state in states:
            if state.name in was_firing and state.state == OK:
                # cleared: its acknowledgement ends with it (a new firing needs a new one)
                self.desk.cleared(Transition(state.name, FIRING, OK, state.value,
                                             state.threshold, state.action, time.time()))
        self.states = states
        self.silencing = self.desk.judge(self.states)
        return self.silencing

    def status_text(self) -> Text:
        """For the status line: each silenced or acknowledged alert, and problems
        reading the silences (Alertmanager has its own source line)."""
        text = Text(end="")
        current = self.silencing
        marks = current.marks(self.states)
        for state in self.states:
            mark = marks.get(state.name)
            if mark:
                look = alert_line(state.state, mark)
                text.append(f"  {state.name}: {look}", style="yellow")
        for problem in (*current.problems, *current.delivery_warnings()):
            text.append(f"  {fmt.visible(problem)}", style="red")
        return text

    def tell_problems(self) -> None:
        """UI thread, after a refresh: a silences file that cannot be read (or an entry
        not understood), or pushes to Alertmanager failing, is a notice when it starts,
        and another when it is over."""
        fresh, gone = self.problem_news.news(self.silencing.problems)
        for problem in fresh:
            self.app.notify(f"{fmt.visible(problem)}. Alerts meant to be silenced by it "
                            "notify as usual.", title="Silences not applied",
                            severity="error", timeout=30, markup=False)
        if gone:
            self.app.notify(SILENCES_READ_AGAIN, title="Silences", markup=False)
        failing = self.silencing.delivery_warnings()
        if failing and not self.pushes_failing:
            self.app.notify(f"{failing[0]} (the status line keeps the count)",
                            title="Alertmanager down", severity="error", timeout=30,
                            markup=False)
        elif self.pushes_failing and not failing:
            self.app.notify("alertmanager answers again: alerts delivered",
                            title="Alertmanager", markup=False)
        self.pushes_failing = bool(failing)

    def shown(self) -> AlertsShown:
        """For the dashboard: each alert's silence and acknowledgement for its panel
        (longest form first), and Alertmanager among the sources."""
        return AlertsShown(self.silencing.mark_forms(self.states),
                           tuple(self.silencing.sources))

    def silenced(self, name: str) -> Silence | None:
        return self.silencing.silenced.get(name)

    def notice(self, transition: Transition, notice: Notice | None) -> Notice | None:
        """A silenced alert's firing is said quietly, with its silence."""
        silence = self.silenced(transition.name)
        if notice is None or silence is None or transition.after != FIRING:
            return notice
        return replace(notice, message=f"{notice.message} · {silence.describe()}",
                       title=f"{notice.title} (silenced)", severity="information")

    # -- which alert -------------------------------------------------------------------

    def figure_in_question(self) -> str:
        """The alert a key acts on: the first firing one, else pending, else error rate;
        at a past moment of the log, as they stood then (the live states are of now)."""
        states = self.shown_states() if self.moment() is not None else None
        for wanted in (FIRING, PENDING):
            for state in self.states if states is None else states:
                if state.state == wanted and state.name in FIGURES:
                    return state.name
        return FIGURES[0]

    # -- why ---------------------------------------------------------------------------

    def why(self, figure: str | None = None) -> None:
        """Compute the explanation in a worker, then open the "why" screen."""
        chosen = figure or self.figure_in_question()
        at = self.moment()  # at a past moment: that moment's window, as the panels show

        async def explain() -> None:
            try:
                explained = await asyncio.to_thread(self.monitor.explain, self.clock(), at)
            except Exception as error:  # noqa: BLE001 - said on screen; the UI goes on
                self.app.notify(f"cannot explain {chosen}: {type(error).__name__}: "
                                f"{fmt.visible(str(error))}", severity="error", markup=False)
                return
            from wftui.ui.screens.why import WhyScreen

            self.app.push_screen(WhyScreen(why_view(chosen, explained)),
                                 lambda row: self._chosen(chosen, row))

        run_async(self.app, explain, group="why", exit_on_error=False)

    def _chosen(self, figure: str, answer: WhyRow | str | None) -> None:
        if isinstance(answer, WhyRow):
            self.show_executions(answer)
        elif answer == "silence":
            self.silence(figure)
        elif answer == "acknowledge":
            self.acknowledge(figure)

    # -- silence, acknowledge, list ----------------------------------------------------

    def silence(self, figure: str | None = None) -> None:
        """Ask how long and why, then silence (in Alertmanager when attached)."""
        from wftui.ui.screens.silence import SilenceDialog

        chosen = figure or self.figure_in_question()
        pusher = self.desk.pusher
        where = (f"in Alertmanager ({pusher.settings.url})" if pusher is not None
                 else "on this machine")

        def answered(answer: tuple[float, str] | None) -> None:
            if answer is None:
                return
            seconds, comment = answer
            self._in_worker(lambda: self.desk.silence(chosen, seconds, comment, user_name()),
                            f"{chosen} silenced for {fmt.seconds(seconds)}")

        self.app.push_screen(SilenceDialog(chosen, where), answered)

    def acknowledge(self, figure: str | None = None) -> None:
        chosen = figure or self.figure_in_question()
        by = user_name()
        self._in_worker(lambda: self.desk.store.acknowledge(chosen, by=by),
                        f"{chosen} acknowledged by {by}")

    def list_silences(self) -> None:
        """The silences in force (the file's and Alertmanager's); d removes one."""
        from wftui.ui.screens.silence import SilencesScreen

        async def show() -> None:
            now = time.time()
            try:
                local = await asyncio.to_thread(self.desk.store.silences, now)
            except SilenceError as error:
                # Alertmanager's are still listed; the file's are said to be missing.
                self.app.notify(f"{fmt.visible(str(error))}; its silences are not listed "
                                "and not applied", severity="error", markup=False)
                local = []
            remote = self.desk.pusher.silences(now) if self.desk.pusher is not None else []
            self.app.push_screen(SilencesScreen([*local, *remote], now), self._remove)

        run_async(self.app, show, group="silences", exit_on_error=False)

    def _remove(self, silence: Silence | None) -> None:
        if silence is None:
            return

        self._in_worker(lambda: self.desk.unsilence(silence),
                        f"silence of {silence.alert} removed")

    def _in_worker(self, job: Callable[[], object], done: str) -> None:
        async def run() -> None:
            try:
                await asyncio.to_thread(job)
            except ALERT_ERRORS as error:
                self.app.notify(fmt.visible(str(error)), severity="error", markup=False)
                return
            self.app.notify(fmt.visible(done), markup=False)
            self.app.refresh_bindings()
            self.redraw()

        run_async(self.app, run, group="alerts", exit_on_error=False)


def palette_entries() -> list[tuple[str, str, str]]:
    """(title, help, action) of the alert commands in the command palette."""
    out = [("Silences: list and remove", "The silences in force; d removes one",
            "list_silences")]
    for figure in FIGURES:
        title = TITLES[figure].replace("Why ", "")
        out += [(f"Why: {title}", "What is behind it: groups, shares, changes",
                 f"why({figure!r})"),
                (f"Silence: {figure}", "Still judged and shown, but notifies no one",
                 f"silence({figure!r})"),
                (f"Acknowledge: {figure}", "Record that you have taken it",
                 f"acknowledge({figure!r})")]
    return out
