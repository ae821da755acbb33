"""The executions table's rows in the live app: kept between refreshes, and only the
rows of executions that changed are built, filtered and placed again.

At 30,000 retained executions, walking all of them on every refresh (to find the
changed ones, then filter and sort) took 0.1-0.3 s of the interpreter lock that the
UI thread needs to answer a key. The ledger notes which executions changed
(`wftui.core.changes`); a refresh here costs the changed rows, the running ones (their
age and the idle rule move with time alone), and a few passes over the kept order in
C. The result is `arrange`'s over every row built again (view/rows.py): the same rows,
the same order, the same count.

The very first build (a big log just read: 50,000 rows, 0.15 s on one core while the
other is idle) is handed out as a `FirstPage` when the table asks for its default
order: the executions sorted newest first, each row built when the table first draws
it. The next refresh builds the kept rows as above.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from operator import attrgetter
from typing import TYPE_CHECKING, overload

from wftui.core.execution import RUNNING, Execution, ExecutionRow
from wftui.view.row_order import RowOrder
from wftui.view.rows import TableQuery, TextSearch, lines_seen

if TYPE_CHECKING:
    from wftui.live import LiveMonitor

# per execution id: (lines seen, replays, row, kept_at) as the row was built
Kept = tuple[int, int, ExecutionRow, int]
# The table's default order (`TableQuery()`: start, newest first) as the executions
# give it: `seq` (read order, one per execution) breaks ties as the rows' order does.
_START_ORDER = attrgetter("first_ts", "seq")


class LiveRows:
    """The table's rows of the retained executions, filtered and sorted, kept up to date."""

    def __init__(self) -> None:
        self.search = TextSearch()  # the text filter's answers, per execution and query
        self._rows: dict[str, Kept] = {}
        self._running: set[str] = set()  # their rows are built again at every refresh
        self._order: RowOrder | None = None
        self._query: TableQuery | None = None  # what `_order` was filtered and sorted by

        # Executions handed out as a first page, not kept as rows yet: the next update
        # builds them all (None: the rows are kept).
        self._first_page: int | None = None

    @property
    def retained(self) -> int:
        """Rows kept: one per retained execution (before filters)."""
        return len(self._rows) if self._first_page is None else self._first_page

    def update(self, monitor: LiveMonitor, query: TableQuery, now: float,
               idle_timeout: float | None) -> Sequence[ExecutionRow]:
        """The rows that pass the query's filters, in its order, as of `now`."""
        changed, everything = monitor.execution_changes(self, self._running)
        if self._first_page is not None:  # handed out unbuilt: every row is built now
            self._first_page = None
            if everything is None:
                changed, everything = None, monitor.executions_copy()
        elif everything is not None and not self._rows and _unfiltered_newest(query):
            # The first build, in the default order: shown before it is built.
            self._first_page = len(everything)
            return FirstPage(everything, now, idle_timeout)
        added: list[tuple[ExecutionRow, int]] = []
        if everything is not None:
            self._rebuild(everything, now, idle_timeout)
        else:
            assert changed is not None
            added = self._apply(changed, now, idle_timeout)
        needle = query.text.strip().lower()
        order = self._order
        if order is None or query != self._query:
            # A new query (or everything rebuilt): every kept row is filtered and placed.
            executions: dict[str, Execution] = {}
            if needle:  # the text filter reads the executions' lines
                every = everything if everything is not None else monitor.executions_copy()
                executions = {execution.execution_id: execution for execution in every}
            order = self._order = RowOrder(query.sort, query.descending)
            self._query = query
            order.update((), self._passing(
                ((row, kept_at) for _, _, row, kept_at in self._rows.values()),
                query, needle, executions))
        else:
            assert changed is not None
            order.update(changed, self._passing(added, query, needle, changed))
        return order.rows()

    def _apply(self, changed: dict[str, Execution | None], now: float,
               idle_timeout: float | None) -> list[tuple[ExecutionRow, int]]:
        """Rows built again for the changed executions (and dropped for those gone)."""
        rows, running = self._rows, self._running
        added: list[tuple[ExecutionRow, int]] = []
        for execution_id, execution in changed.items():
            if execution is None:  # folded or dormant: no longer retained
                rows.pop(execution_id, None)
                running.discard(execution_id)
                continue
            row = execution.row(now, idle_timeout)
            rows[execution_id] = (lines_seen(execution), len(execution.replays), row,
                                  execution.kept_at)
            if row.status == RUNNING:
                running.add(execution_id)
            else:
                running.discard(execution_id)
            added.append((row, execution.kept_at))
        return added

    def _rebuild(self, executions: list[Execution], now: float,
                 idle_timeout: float | None) -> None:
        """Rows for every retained execution, reusing those whose execution has no new
        line or replay (and is not running): the first refresh, or after a bulk change."""
        old = self._rows
        fresh: dict[str, Kept] = {}
        running: set[str] = set()
        for execution in executions:
            execution_id = execution.execution_id
            lines, replays = lines_seen(execution), len(execution.replays)
            cached = old.get(execution_id) if old else None  # (none at the first build)
            if (cached is not None and cached[0] == lines and cached[1] == replays
                    and cached[2].status != RUNNING):
                row = cached[2]
            else:
                row = execution.row(now, idle_timeout)
                if row.status == RUNNING:
                    running.add(execution_id)
            fresh[execution_id] = (lines, replays, row, execution.kept_at)
        self._rows, self._running = fresh, running
        self._order = None

    def _passing(self, rows: Iterable[tuple[ExecutionRow, int]], query: TableQuery,
                 needle: str, executions: dict[str, Execution] | dict[str, Execution | None]
                 ) -> list[tuple[ExecutionRow, int]]:
        """The (row, kept_at) pairs that pass the pick, status and text filters."""
        if query.pick is not None:
            ids = query.pick.ids
            rows = [pair for pair in rows if pair[0].execution_id in ids]
        status = query.status
        if status != "all":
            rows = [pair for pair in rows if pair[0].status == status]
        if needle:
            matches = self.search.text_matches
            rows = [pair for pair in rows
                    if matches(executions, pair[0], needle)]  # type: ignore[arg-type]
        return list(rows)


def _unfiltered_newest(query: TableQuery) -> bool:
    """Whether the query shows every row, newest start first (the table's default)."""
    return (not query.text.strip() and query.status == "all" and query.pick is None
            and query.sort == "start_ts" and query.descending)


class FirstPage(Sequence[ExecutionRow]):
    """Every retained execution's row in the table's default order (start, newest
    first; `arrange`'s), each built when first read: the table draws a screenful.

    Rows are built as a refresh builds them (in the UI thread here, from the live
    executions); the next refresh replaces the whole page with rows built at once. A
    display paused on a first page builds it whole (`build_all`): rows scrolled to
    later must not show what was read after the pause.
    """

    def __init__(self, executions: list[Execution], now: float,
                 idle_timeout: float | None) -> None:
        self._executions = sorted(executions, key=_START_ORDER, reverse=True)
        self._rows: list[ExecutionRow | None] = [None] * len(executions)
        self._now = now
        self._idle_timeout = idle_timeout
        self.open_at_end = False  # running ones are marked open at an old log's end

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> ExecutionRow: ...

    @overload
    def __getitem__(self, index: slice) -> list[ExecutionRow]: ...

    def __getitem__(self, index: int | slice) -> ExecutionRow | list[ExecutionRow]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._rows)))]
        row = self._rows[index]  # IndexError past the end: how iteration stops
        if row is None:
            row = self._executions[index].row(self._now, self._idle_timeout)
            if self.open_at_end and row.status == RUNNING:
                row = replace(row, open_at_end=True)
            self._rows[index] = row
        return row

    def build_all(self) -> None:
        """Build every row not built yet, as the executions stand now."""
        for index, row in enumerate(self._rows):
            if row is None:
                self[index]
