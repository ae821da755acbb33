"""Silencing an alert (how long, why) and the list of silences in force (remove one)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, OptionList, Static
from textual.widgets.option_list import Option

from wftui.alerts.silences import Silence
from wftui.core import format as fmt
from wftui.ui.widgets.keys_line import KeysLine

# (label, seconds): the choices offered; 1 hour is highlighted first.
DURATIONS = (("15 minutes", 900.0), ("1 hour", 3600.0), ("4 hours", 14400.0),
             ("1 day", 86400.0))
DEFAULT_DURATION = 1


class SilenceDialog(ModalScreen[tuple[float, str] | None]):
    """Dismissed with (duration in seconds, comment), or None when cancelled."""

    DEFAULT_CSS = """
    SilenceDialog { align: center middle; }
    SilenceDialog > #silence-box { width: 70; height: auto; border: round $warning;
                                   padding: 0 1; background: $surface; }
    SilenceDialog OptionList { height: auto; max-height: 6; margin: 1 0; }
    """
    # While the comment is typed, up/down still choose how long (the list is not focused,
    # and Enter takes the highlighted duration: it must be seen to be chosen).
    BINDINGS = [Binding("escape", "cancel", "Cancel"),
                Binding("up", "duration(-1)", "Shorter"),
                Binding("down", "duration(1)", "Longer")]

    def __init__(self, alert: str, where: str) -> None:
        super().__init__()
        self.alert = alert
        self.where = where  # "on this machine" or "in Alertmanager (URL)"

    def compose(self) -> ComposeResult:
        with Vertical(id="silence-box"):
            yield Static(Text(f"Silence {fmt.visible(self.alert)} {self.where}: it is still "
                              "judged and shown, but notifies no one. ↑/↓ how long, then "
                              "why, Enter.", end=""))
            yield OptionList(*(Option(label) for label, _ in DURATIONS), id="durations")
            yield Input(placeholder="comment (why), then Enter", id="comment")
        yield KeysLine()

    def on_mount(self) -> None:
        self.query_one("#silence-box").border_title = "Silence"
        durations = self.query_one(OptionList)
        durations.highlighted = DEFAULT_DURATION
        self.query_one(Input).focus()

    def action_duration(self, step: int) -> None:
        durations = self.query_one(OptionList)
        index = durations.highlighted if durations.highlighted is not None \
            else DEFAULT_DURATION
        durations.highlighted = max(0, min(index + step, len(DURATIONS) - 1))

    def on_option_list_option_selected(self, _event: OptionList.OptionSelected) -> None:
        self.query_one(Input).focus()  # a duration picked: now the comment

    def on_input_submitted(self, event: Input.Submitted) -> None:
        index = self.query_one(OptionList).highlighted
        seconds = DURATIONS[index if index is not None else DEFAULT_DURATION][1]
        self.dismiss((seconds, event.value.strip()))

    def action_cancel(self) -> None:
        self.dismiss(None)


class SilencesScreen(ModalScreen[Silence | None]):
    """The silences in force; `d` dismisses with the one to remove."""

    DEFAULT_CSS = """
    SilencesScreen { align: center middle; }
    SilencesScreen > #silences-box { width: 90%; height: auto; max-height: 80%;
                                     border: round $primary; padding: 0 1;
                                     background: $surface; }
    SilencesScreen DataTable { height: auto; max-height: 20; }
    """
    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("d", "remove", "Remove silence"),
        Binding("delete", "remove", "Remove silence", show=False),
    ]

    def __init__(self, silences: list[Silence], now: float) -> None:
        super().__init__()
        self.silences = silences
        self.now = now

    def compose(self) -> ComposeResult:
        with Vertical(id="silences-box"):
            if not self.silences:
                yield Static(Text("no silences in force", style="dim", end=""))
            yield DataTable(cursor_type="row", id="silences-table")
        yield KeysLine()

    def on_mount(self) -> None:
        self.query_one("#silences-box").border_title = "Silences"
        table = self.query_one(DataTable)
        table.add_columns("alert", "until", "left", "by", "comment", "where")
        for silence in self.silences:
            table.add_row(*(Text(value, no_wrap=True, end="") for value in (
                fmt.visible(silence.alert), fmt.clock(silence.ends_at)[:5],
                fmt.seconds(float(max(int(silence.ends_at - self.now), 0))),
                fmt.visible(silence.created_by), fmt.visible(silence.comment),
                silence.origin)))
        table.focus()

    def action_remove(self) -> None:
        index = self.query_one(DataTable).cursor_row
        if 0 <= index < len(self.silences):
            self.dismiss(self.silences[index])

    def action_close(self) -> None:
        self.dismiss(None)
