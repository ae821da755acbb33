"""The "why" of a figure: a table of groups (count, share, change); enter on a row shows
the executions it counted in the executions table (Esc there: all again); s silences
the alert, a acknowledges it. Draws a `WhyView` (wftui/view/why.py)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from wftui.ui.widgets.keys_line import KeysLine
from wftui.view.text import clip
from wftui.view.why import WhyRow, WhyView, fit_labels, label_width


def _cell(value: str, style: str = "") -> Text:
    # Log-derived text: literal, never markup (the view already made controls visible).
    return Text(value, style=style, no_wrap=True, end="")


class WhyScreen(ModalScreen[WhyRow | str | None]):
    """Dismissed with the chosen row (its executions are then shown), "silence" or
    "acknowledge" (for this figure's alert), or None."""

    DEFAULT_CSS = """
    WhyScreen { align: center middle; }
    WhyScreen > #why-box { width: 90%; height: 85%; border: round $primary;
                           padding: 0 1; background: $surface; }
    WhyScreen #why-summary { height: auto; margin-bottom: 1; }
    WhyScreen DataTable { height: 1fr; }
    WhyScreen #why-notes { height: auto; color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("q", "close", "Back", show=False),  # as compare and the audit: q leaves
        Binding("enter", "open_row", "Show executions", priority=True),
        Binding("s", "answer('silence')", "Silence alert"),
        Binding("a", "answer('acknowledge')", "Acknowledge"),
        # A modal screen cuts the app's keys off (Textual): bound again here, else `?`
        # would do nothing on the one screen an operator opens mid-incident.
        Binding("question_mark", "app.help", "Help", tooltip="every key (this list)"),
    ]

    def __init__(self, view: WhyView) -> None:
        super().__init__()
        self.view = view
        self._rows: list[WhyRow | None] = []  # per table row: None for a section heading

    def compose(self) -> ComposeResult:
        with Vertical(id="why-box"):
            yield Static(_cell(self.view.summary, "bold"), id="why-summary")
            yield DataTable(cursor_type="row", zebra_stripes=False, id="why-table")
            yield Static(_cell("\n".join(f"note: {n}" for n in self.view.notes)),
                         id="why-notes")
        yield KeysLine()

    def on_mount(self) -> None:
        self.query_one("#why-box").border_title = self.view.title
        table = self.query_one(DataTable)
        # The label column takes what the counts leave: an error text wider than that
        # is cut (…), so count, share and change stay on screen at 100 columns too.
        inner = int(self.app.size.width * 0.9) - 4
        width = label_width(self.view, inner)
        table.add_column("", width=width)
        table.add_columns("count", "share", "change")
        for section in self.view.sections:
            table.add_row(_cell(clip(section.title, width), "bold underline"), "", "", "")
            self._rows.append(None)
            if not section.rows:
                table.add_row(_cell("  none", "dim"), "", "", "")
                self._rows.append(None)
            labels = fit_labels([row.label for row in section.rows], width - 2)
            for row, label in zip(section.rows, labels, strict=True):
                table.add_row(_cell("  " + label), _cell(row.count), _cell(row.share),
                              _cell(row.change, _change_style(row.change)))
                self._rows.append(row)
        first = next((i for i, row in enumerate(self._rows) if row is not None), 0)
        table.move_cursor(row=first)
        table.focus()

    @property
    def chosen(self) -> WhyRow | None:
        """The row under the cursor (None on a heading)."""
        index = self.query_one(DataTable).cursor_row
        return self._rows[index] if 0 <= index < len(self._rows) else None

    def action_open_row(self) -> None:
        row = self.chosen
        if row is not None and row.pick is not None and not row.pick.ids:
            # A group of the previous window, gone from this one: nothing it counted
            # now (the whole log's matches would be other executions than the row's).
            self.notify("none in this window: the row counts the previous one",
                        severity="warning", timeout=3)
            return
        if row is None or (row.pick is None and row.filter_text is None):
            self.notify("nothing to show for this row", severity="warning", timeout=3)
            return
        self.dismiss(row)

    def action_answer(self, what: str) -> None:
        self.dismiss(what)

    def action_close(self) -> None:
        self.dismiss(None)


def _change_style(change: str) -> str:
    if change.startswith("+"):
        return "bold red"
    if change.startswith("-"):
        return "green"
    return "dim"
