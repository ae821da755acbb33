"""The view model: what the screens show, computed without Textual (testable alone)."""
