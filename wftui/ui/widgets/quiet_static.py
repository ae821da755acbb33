"""A Static that ignores updates identical to what it shows (no repaint, no output), and
repaints without a layout when the new text takes the room the old one took."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class QuietStatic(Static):
    """Refreshes come every few seconds even when nothing changed: skip those."""

    _shown_text: Text | None = None

    @property
    def shown_text(self) -> Text | None:
        """What is on screen (None before the first `show_text`)."""
        return self._shown_text

    def show_text(self, text: Text) -> None:
        """Display `text` unless exactly this is already on screen."""
        if self._shown_text is not None and text == self._shown_text \
                and text.style == self._shown_text.style:
            return
        old, self._shown_text = self._shown_text, text
        # A layout of the screen redraws all of it: at 160x45 cells, 40 ms on the UI
        # thread (more while the reading threads hold the interpreter lock), and a key
        # pressed meanwhile waits. New figures each refresh do not move anything.
        self.update(text, layout=old is None or not self._same_room(old, text))

    def _same_room(self, old: Text, new: Text) -> bool:
        """Whether `new` takes as much room as `old`: a height set by the stylesheet, or
        unwrapped lines as many as before (a width of its own is left to the layout)."""
        styles = self.styles
        if styles.width is not None and styles.width.is_auto:
            return False
        if styles.height is not None and not styles.height.is_auto:
            return True
        return styles.text_wrap == "nowrap" and old.plain.count("\n") == new.plain.count("\n")
