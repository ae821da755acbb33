"""The keys of the screen, on its bottom line (what Textual's Footer shows).

Footer mounts one widget per key and restyles every one of them each time focus or the
screen changes: opening a screen spent about half its CPU there (measured on our UI
tests). This draws the same line as one widget: on a change it is only redrawn.

It fits itself to the width: keys with room around them, closer together when that does
not fit, and when even that does not fit the last keys give way to `…` (`?` lists them
all). The command palette's key stays at the right edge, as in Footer.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget

MORE = "…"
HELP_KEY = "question_mark"  # never the one to give way: it lists the keys that did


class ShownKey(NamedTuple):
    key: str          # what a click presses
    display: str      # how the key is written (`^p`, `esc`)
    description: str
    enabled: bool
    tooltip: str


class KeySpan(NamedTuple):
    start: int
    end: int
    key: ShownKey


class KeysLine(Widget):
    """One line: each shown binding of the screen as `key Description`."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"keys-line--key", "keys-line--description"}
    DEFAULT_CSS = """
    KeysLine {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
    }
    KeysLine > .keys-line--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeysLine > .keys-line--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._spans: list[KeySpan] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if screen is self.screen:
            self.refresh()

    def shown_keys(self) -> tuple[list[ShownKey], ShownKey | None]:
        """The screen's shown bindings, one per action (the first key bound to it), and
        the command palette's key apart."""
        app = self.app
        palette_key = app.COMMAND_PALETTE_BINDING if app.ENABLE_COMMAND_PALETTE else None
        keys: list[ShownKey] = []
        palette: ShownKey | None = None
        actions: set[str] = set()
        for key, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items():
            shown = ShownKey(binding.key, app.get_key_display(binding), binding.description,
                             enabled, tooltip or binding.tooltip)
            if key == palette_key:  # shown even though it is bound with show=False
                palette = shown
            elif binding.show and binding.action not in actions:
                actions.add(binding.action)
                keys.append(shown)
        return keys, palette

    def render(self) -> Text:
        keys, palette = self.shown_keys()
        width = self.size.width
        key_style = self.get_component_rich_style("keys-line--key")
        description_style = self.get_component_rich_style("keys-line--description")
        right = Text()
        if palette is not None:
            # The separator Footer draws as a border before the palette's key.
            right = Text.assemble(("▏", "dim"),
                                  self._entry(palette, key_style, description_style, True))
        room = max(0, width - right.cell_len)
        line = Text()
        spans: list[KeySpan] = []
        for roomy in (True, False):
            line, spans = Text(), []
            entries = [(k, self._entry(k, key_style, description_style, roomy)) for k in keys]
            if sum(entry.cell_len for _, entry in entries) <= room:
                for shown, entry in entries:
                    spans.append(KeySpan(line.cell_len, line.cell_len + entry.cell_len, shown))
                    line.append_text(entry)
                break
        else:
            # Closer together still does not fit: as many keys as fit, then `…`, then
            # the help key, which lists the rest.
            last = [(k, e) for k, e in entries if k.key == HELP_KEY]
            room -= sum(entry.cell_len for _, entry in last) + len(MORE) + 1
            for shown, entry in entries:
                if shown.key == HELP_KEY:
                    continue
                if line.cell_len + entry.cell_len > room:
                    break
                spans.append(KeySpan(line.cell_len, line.cell_len + entry.cell_len, shown))
                line.append_text(entry)
            line.append(MORE + " ")
            for shown, entry in last:
                spans.append(KeySpan(line.cell_len, line.cell_len + entry.cell_len, shown))
                line.append_text(entry)
        if palette is not None and right.cell_len <= width:
            line.append(" " * (width - line.cell_len - right.cell_len))
            spans.append(KeySpan(line.cell_len + 1, width, palette))
            line.append_text(right)
        self._spans = spans
        return line

    @staticmethod
    def _entry(shown: ShownKey, key_style: Style, description_style: Style,
               roomy: bool) -> Text:
        """`␣key␣Description␣` with room (as Footer draws it); `key Description␣`
        without."""
        if roomy:
            key, description, gap = f" {shown.display} ", f"{shown.description} ", ""
        else:
            key, description, gap = shown.display, f" {shown.description}", " "
        if not shown.description:
            description = ""
        entry = Text.assemble((key, key_style), (description, description_style), gap)
        if not shown.enabled:
            entry.stylize(Style(dim=True))
        return entry

    def _key_at(self, x: int) -> ShownKey | None:
        return next((span.key for span in self._spans if span.start <= x < span.end), None)

    def on_click(self, event: events.Click) -> None:
        shown = self._key_at(event.x)
        if shown is None:
            return
        if shown.enabled:
            self.app.simulate_key(shown.key)
        else:
            self.app.bell()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        shown = self._key_at(event.x)
        self.tooltip = shown.tooltip if shown is not None and shown.tooltip else None
