"""The base the app's mixins (`TimeTravel`, `TableControls`, `ConfigReloading`) are
written on: for the type checker the app itself, so each mixin's use of the App's
methods is checked; at run time nothing, so the app's real `App` comes once, last,
in `WftuiApp`'s bases."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.app import App

    AppMixinBase = App[int]
else:
    AppMixinBase = object
