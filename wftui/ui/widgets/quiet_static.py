"""A Static that ignores updates identical to what it shows (no repaint, no output)."""

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
        self._shown_text = text
        self.update(text)
