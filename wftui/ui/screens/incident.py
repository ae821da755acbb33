"""`wftui demo` only: pick the incident the demo service should switch to."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from wftui.view.text import plain, safe


class DemoControl(Protocol):
    """What `wftui demo` lets the app do to the demo service."""

    incidents: dict[str, str]  # name -> description
    active: str  # the incident on now

    def switch(self, name: str) -> str:
        """Switch the incident; returns a one-line outcome (raises OSError on failure)."""
        ...


async def switch_incident(app: App[Any], demo: DemoControl, name: str) -> None:
    """Ask the demo service to switch (in a thread: it is an HTTP call); say the outcome."""
    try:
        outcome = await asyncio.to_thread(demo.switch, name)
    except OSError as error:
        app.notify(f"could not switch the incident: {safe(error)}", severity="error",
                   markup=False)
        return
    app.notify(safe(outcome), title="Demo incident", timeout=10, markup=False)


class IncidentScreen(ModalScreen[str | None]):
    """A list of the demo's incidents; dismisses with the chosen name (or None)."""

    BINDINGS = [Binding("escape", "dismiss", "Cancel")]

    def __init__(self, incidents: dict[str, str], active: str | None = None) -> None:
        super().__init__()
        self.incidents = incidents
        self.active = active  # marked "on now", and highlighted first

    def compose(self) -> ComposeResult:
        with Vertical(id="incident-box"):
            yield Static(Text("Switch the demo service to an incident; watch a threshold "
                              "go pending, fire, and clear when you switch back to none.",
                              style="dim"))
            options = []
            for name, description in self.incidents.items():
                label = plain(name, "bold")
                if name == self.active:
                    label.append("  ● on now", style="bold green")
                label.append("  ")
                label.append(plain(description, "dim"))
                options.append(Option(label, id=name))
            yield OptionList(*options, id="incidents")

    def on_mount(self) -> None:
        self.query_one("#incident-box").border_title = "Demo incident (esc to cancel)"
        options = self.query_one(OptionList)
        names = list(self.incidents)
        options.highlighted = names.index(self.active) if self.active in names else 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
