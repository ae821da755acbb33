"""The header line(s): every source and its health, and the monitor's own state."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from wftui.ui.widgets.quiet_static import QuietStatic
from wftui.view.status import sources_text


class SourcesBar(QuietStatic):
    """Each source on its own line, so an operator sees at once what is not read."""

    DEFAULT_CSS = "SourcesBar { height: auto; padding: 0 1; }"

    def show(self, sources: tuple[dict[str, Any], ...], status: Text) -> None:
        """Display the sources and a status line (window, pause, warnings)."""
        # Its width less the padding (none before the first layout: paths keep 60 cells)
        width = self.size.width - 2 if self.size.width > 2 else None
        self.show_text(sources_text(sources, status, width))
