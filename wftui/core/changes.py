"""Which retained executions changed since the executions table last looked.

The table's rows are kept between refreshes; walking every retained execution to find
the few that changed cost a tenth of a second per refresh at 30,000 executions (on the
interpreter lock the UI thread needs to answer a key). The ledger notes here, per
event, the id of the execution it changed, and the ids of executions that leave or
re-enter retention; the table takes the ids once per refresh and rebuilds those rows
only.

There is one reader (the app's row cache). Another reader, or changes that were not
noted one by one (a log read in parts merged in bulk, too many ids waiting), make the
next `take` answer None: the reader then rebuilds from every retained execution.
"""

from __future__ import annotations

from collections.abc import Callable

# More ids than this waiting (nobody takes them: `wftui check`, or a table not shown)
# are dropped for a "rebuild everything" on the next take: memory stays bounded.
MAX_WAITING = 200_000


class ExecutionChanges:
    """Ids of executions changed, added or removed since the reader last took them."""

    __slots__ = ("ids", "_reader", "_complete")

    def __init__(self) -> None:
        # The same set for the ledger's lifetime: the ingest loop holds its `add`.
        self.ids: set[str] = set()
        self._reader: object | None = None
        self._complete = False  # every change since the reader's last take is in `ids`

    def note(self, execution_id: str) -> None:
        if self._reader is not None:  # nobody reads them yet: nothing to keep
            self.ids.add(execution_id)

    def adder(self) -> Callable[[str], object] | None:
        """What the ingest loop calls per event: `ids.add`; None while no reader ever
        took (`wftui check`, a part's reader): nothing kept for nobody."""
        return self.ids.add if self._reader is not None else None

    def lost(self) -> None:
        """Changes were made that are not in `ids`: the reader must rebuild."""
        self.ids.clear()
        self._complete = False

    def bound(self) -> None:
        """Called once per batch: too many ids waiting become one "rebuild"."""
        if len(self.ids) > MAX_WAITING:
            self.lost()

    def take(self, reader: object) -> set[str] | None:
        """The ids changed since `reader` last took them, or None: everything may have
        (its first take, another reader took them since, or changes were lost)."""
        known = self._reader is reader and self._complete
        taken = set(self.ids) if known else None
        self.ids.clear()
        self._reader = reader
        self._complete = True
        return taken
