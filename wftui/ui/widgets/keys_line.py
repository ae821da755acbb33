"""The keys of the screen, on its bottom line (what Textual's Footer shows).

Footer mounts one widget per key and restyles every one of them each time focus or the
screen changes: opening a screen spent about half its CPU there (measured on our UI
tests). This draws the same line as one widget: on a change it is only redrawn.

It fits itself to the width: keys with room around them, closer together when that does
not fit, and when even that does not fit keys give way to `…` (`?` lists them all): the
screen's from its last (screens list their keys most used first), then the app's own
(quit, help, the demo's incident: the keys that work on every screen, so an operator
always sees how to leave and where the rest are) from its last, but help never. The
command palette's key stays at the right edge, as in Footer.
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
    everywhere: bool = False  # the app's own key, not the screen's


class KeySpan(NamedTuple):
    start: int
    end: int
    key: ShownKey


def given_way(keys: list[ShownKey], widths: list[int], room: int) -> set[int]:
    """The indexes of the keys that give way so that the others fit in `room` cells:
    the screen's from the last, then the app's from the last; help never."""
    order = ([i for i in reversed(range(len(keys))) if not keys[i].everywhere]
             + [i for i in reversed(range(len(keys)))
                if keys[i].everywhere and keys[i].key != HELP_KEY])
    gone: set[int] = set()
    used = sum(widths)
    for index in order:
        if used <= room:
            break
        gone.add(index)
        used -= widths[index]
    return gone


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
        for key, (node, binding, enabled, tooltip) in self.screen.active_bindings.items():
            shown = ShownKey(binding.key, app.get_key_display(binding), binding.description,
                             enabled, tooltip or binding.tooltip, node is app)
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
        line, right = Text(), Text()
        spans: list[KeySpan] = []
        for roomy in (True, False):
            line, spans = Text(), []
            right = self._palette_text(palette, key_style, description_style, roomy)
            room = max(0, width - right.cell_len)
            entries = [(k, self._entry(k, key_style, description_style, roomy)) for k in keys]
            if sum(entry.cell_len for _, entry in entries) <= room:
                for shown, entry in entries:
                    spans.append(KeySpan(line.cell_len, line.cell_len + entry.cell_len, shown))
                    line.append_text(entry)
                break
        else:
            # Closer together still does not fit: keys give way until the rest and `…`
            # (where the first one was) fit.
            gone = given_way([shown for shown, _ in entries],
                             [entry.cell_len for _, entry in entries],
                             room - len(MORE) - 1)
            first_gone = min(gone, default=-1)
            for index, (shown, entry) in enumerate(entries):
                if index == first_gone:
                    line.append(MORE + " ")
                if index in gone:
                    continue
                spans.append(KeySpan(line.cell_len, line.cell_len + entry.cell_len, shown))
                line.append_text(entry)
        if palette is not None and right.cell_len <= width:
            line.append(" " * (width - line.cell_len - right.cell_len))
            spans.append(KeySpan(line.cell_len + 1, width, palette))
            line.append_text(right)
        self._spans = spans
        return line

    @classmethod
    def _palette_text(cls, palette: ShownKey | None, key_style: Style,
                      description_style: Style, roomy: bool) -> Text:
        """The palette's key after the separator Footer draws as a border before it;
        closer together, `▏ ^p palette` ends at the right edge (a cell more for keys)."""
        if palette is None:
            return Text()
        entry = cls._entry(palette, key_style, description_style, roomy)
        if not roomy:
            entry = Text.assemble(" ", entry)
            entry.rstrip()
        return Text.assemble(("▏", "dim"), entry)

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
