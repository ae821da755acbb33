"""One dashboard panel: a bordered box drawing a `PanelView` (view/panels.py)."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message

from wftui.ui.widgets.quiet_static import QuietStatic
from wftui.view.panels import PanelView, panel_text, panel_title


class FigurePanel(QuietStatic):
    """A bordered panel; `show(view)` replaces what it displays.

    Focused (tab, or a click), enter or x asks why the figure is where it is, s to
    silence its alert, a to acknowledge it (`AlertAsked`, handled by the screen).
    """

    DEFAULT_CSS = """
    FigurePanel { height: auto; min-height: 6; border: round $primary-darken-1;
                  padding: 0 1; }
    FigurePanel.-pending { border: heavy $warning; }
    FigurePanel.-firing { border: heavy $error; }
    FigurePanel:focus { border-title-style: reverse; }
    """
    can_focus = True
    BINDINGS = [
        Binding("enter,x", "ask('why')", "Why",
                tooltip="on a figure panel (tab to it): why the figure is where it is"),
        Binding("s", "ask('silence')", "Silence",
                tooltip="on a figure panel: silence its alert (a duration, a comment)"),
        Binding("a", "ask('acknowledge')", "Acknowledge",
                tooltip="on a figure panel: acknowledge its alert"),
    ]

    class AlertAsked(Message):
        """The operator asked about this panel's figure: why, silence or acknowledge."""

        def __init__(self, panel: FigurePanel, action: str) -> None:
            super().__init__()
            self.panel = panel
            self.action = action

    def action_ask(self, action: str) -> None:
        self.post_message(self.AlertAsked(self, action))

    def __init__(self, title: str, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.title = title
        self.border_title = title
        self.view: PanelView | None = None

    def show(self, view: PanelView) -> None:
        """Display a new view (the border marks pending and firing)."""
        self.view = view
        self.set_class(view.state == "pending", "-pending")
        self.set_class(view.state == "firing", "-firing")
        self.border_subtitle = view.origin
        self.show_text(panel_text(view, *self._room()))

    def _room(self) -> tuple[int, int | None]:
        """Width and height to lay the panel out in (no height before the layout)."""
        size = self.content_size
        return size.width, size.height or None

    def on_resize(self) -> None:
        # The border shows the title between "╭─ " and " ─╮" (the padding's two cells
        # are inside those): a short form when it does not fit.
        self.border_title = panel_title(self.title, self.content_size.width - 2)
        if self.view is not None:
            self.show_text(panel_text(self.view, *self._room()))
