"""The `?` screen: every key, where it works, and what it does, read from the bindings.

Each section is a list of `Binding`s (the app's, each screen's, each widget's): the
description says what a key does, the tooltip (when there is one) says it at more
length. A key added to a `BINDINGS` list shows up here with no second list to keep.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from wftui.ui.screens.compare import CompareScreen
from wftui.ui.screens.execution import ExecutionScreen
from wftui.ui.screens.malformed import MalformedScreen
from wftui.ui.screens.monitor import MonitorScreen
from wftui.ui.screens.silence import SilencesScreen
from wftui.ui.screens.why import WhyScreen
from wftui.ui.widgets.alerts_list import AlertsList
from wftui.ui.widgets.executions_table import ExecutionsTable
from wftui.ui.widgets.figure_panel import FigurePanel
from wftui.ui.widgets.step_tree import StepTree

HelpSections = Sequence[tuple[str, Sequence[Binding]]]

SYMBOLS = (("✓ ✗ ⟳", "ok, failed, running"),
           ("◌", "open: still running where an old log ends (aged to its end)"),
           ("≈", "an alert time judged along an old log: crossed up to a step before"),
           ("↻ / ⟲n", "a replay / replayed n times"),
           ("⏱ ◆", "the slowest step / on the critical path"),
           ("·", "no data in a sparkline (never drawn as zero)"),
           ("→ …", "a line goes on to the right (→ scrolls) / text was cut"),
           ("␛ ␍ ⍰", "control characters and bidi marks from logs, made visible"))


# Textual binds the palette itself (App.COMMAND_PALETTE_BINDING), outside BINDINGS.
PALETTE = Binding(App.COMMAND_PALETTE_BINDING, "command_palette", "Commands",
                  tooltip="command palette: every action, windows, filters, sorts, audit log")


def bindings(*groups: Iterable[BindingType]) -> list[Binding]:
    """BINDINGS lists (which may hold tuples) as Binding objects, one key each."""
    return [binding for group in groups for binding in Binding.make_bindings(group)]


def help_sections(app_bindings: Iterable[BindingType]) -> HelpSections:
    """Every key, grouped by where it works: the app's (given), then each view's."""
    everywhere = bindings(app_bindings, [PALETTE])
    app_keys = {binding.key for binding in everywhere}

    def own(screen_bindings: Iterable[BindingType]) -> list[Binding]:
        """A screen's keys but the app keys it binds again (the dashboard, to show them
        in its footer; a modal screen, which cuts the app's keys off)."""
        return [b for b in bindings(screen_bindings)
                if not (b.action.startswith("app.") and b.key in app_keys)]

    dashboard = own(MonitorScreen.BINDINGS)
    return [("Everywhere", everywhere),
            ("Dashboard and executions", dashboard + bindings(ExecutionsTable.BINDINGS)),
            ("Execution view", bindings(ExecutionScreen.BINDINGS, StepTree.BINDINGS)),
            ("Compare", bindings(CompareScreen.BINDINGS)),
            ("Malformed lines", bindings(MalformedScreen.BINDINGS)),
            ("Figure panel (tab to it)", bindings(FigurePanel.BINDINGS)),
            ("Alerts list (tab to it)", bindings(AlertsList.BINDINGS)),
            ("Why (x)", own(WhyScreen.BINDINGS)),
            ("Silences (palette)", bindings(SilencesScreen.BINDINGS))]


def key_rows(bindings: Sequence[Binding], key_display: Callable[[Binding], str]
             ) -> list[tuple[str, str]]:
    """(keys, what they do), one row per action: keys bound to the same action and
    description (q and ctrl+c to quit) share a row, in the order they were bound."""
    rows: dict[tuple[str, str], list[str]] = {}
    for binding in bindings:
        what = binding.tooltip or binding.description
        if not what:
            continue
        keys = rows.setdefault((binding.action, what), [])
        for key in binding.key.split(","):
            label = key_display(Binding(key.strip(), binding.action,
                                        key_display=binding.key_display))
            if label not in keys:
                keys.append(label)
    return [(" / ".join(keys), what) for (_action, what), keys in rows.items()]


def help_text(sections: HelpSections, key_display: Callable[[Binding], str]) -> Text:
    """Every section's keys as a two-column table, then what the symbols mean."""
    text = Text(end="")
    for title, bindings in sections:
        rows = key_rows(bindings, key_display)
        if not rows:
            continue
        text.append(f"{title}\n", style="bold underline")
        for keys, what in rows:
            text.append(f"  {keys:<16}", style="bold cyan")
            text.append(f"{what}\n")
        text.append("\n")
    text.append("Symbols\n", style="bold underline")
    for symbol, meaning in SYMBOLS:
        text.append(f"  {symbol:<16}", style="bold cyan")
        text.append(f"{meaning}\n")
    return text


KEYS_WIDTH = 18  # the keys column: a description that wraps stays in its own column


def help_table(sections: HelpSections, key_display: Callable[[Binding], str]) -> Group:
    """`help_text` as drawn: each section a two-column grid, so a long description
    wraps under itself, not under the keys."""
    parts: list[Text | Table] = []

    def grid(rows: Iterable[tuple[str, str]]) -> Table:
        table = Table.grid(padding=(0, 0))
        table.add_column(width=KEYS_WIDTH, no_wrap=True, style="bold cyan")
        table.add_column(ratio=1)
        for keys, what in rows:
            table.add_row(f"  {keys}", what)
        return table

    for title, bindings in sections:
        rows = key_rows(bindings, key_display)
        if rows:
            parts += [Text(title, style="bold underline"), grid(rows), Text("")]
    parts += [Text("Symbols", style="bold underline"), grid(SYMBOLS)]
    return Group(*parts)


class HelpScreen(ModalScreen[None]):
    """A modal list of keys; any of esc, q or ? closes it."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, sections: HelpSections) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(help_table(self.sections, self.app.get_key_display),
                         id="help-text")

    def on_mount(self) -> None:
        self.query_one("#help-box").border_title = "wftui keys (esc to close)"
