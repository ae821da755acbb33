"""wftui: a terminal live monitor for AI workflow executions."""

__version__ = "0.1.0"
