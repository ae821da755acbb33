"""The table's rows kept between refreshes (`LiveRows`) are the rows built from scratch.

Each refresh rebuilds only the rows of executions the ledger noted as changed; after
any sequence of changes the table must show exactly what building every row again,
then filtering and sorting them (`arrange`), shows.
"""

from __future__ import annotations

import random
from typing import Any

import orjson
import pytest

from tests.view.conftest import T0, run
from wftui.config import Settings
from wftui.core.changes import MAX_WAITING, ExecutionChanges
from wftui.core.ledger import Ledger
from wftui.live import LiveMonitor
from wftui.view.live_rows import LiveRows
from wftui.view.rows import COLUMNS, STATUS_FILTERS, TableQuery, TextSearch, arrange

IDLE = 30.0


def _monitor(retention: int) -> LiveMonitor:
    """A monitor that reads nothing by itself: the tests feed its ledger."""
    monitor = LiveMonitor(Settings())
    monitor.ledger = Ledger(retention=retention, idle_timeout=IDLE)
    return monitor


def _feed(monitor: LiveMonitor, events: list[dict[str, Any]]) -> None:
    monitor.ledger.ingest_lines("app.log", 1, [orjson.dumps(e) for e in events], T0)


def _ids(rows: list[Any]) -> list[str]:
    return [row.execution_id for row in rows]


def _from_scratch(monitor: LiveMonitor, query: TableQuery, now: float) -> list[Any]:
    executions = monitor.ledger.retained()
    rows = [execution.row(now, IDLE) for execution in executions]
    by_id = {execution.execution_id: execution for execution in executions}
    return arrange(rows, query, TextSearch(), by_id)


# -- worked by hand ------------------------------------------------------------------

def test_a_sequence_of_changes_worked_by_hand() -> None:
    monitor = _monitor(retention=3)
    rows = LiveRows()
    newest = TableQuery()
    # a: 2 s, ok; b: started, running; c: 5 s, failed
    _feed(monitor, run("a", T0, 2.0) + run("b", T0 + 10, 0.0)[:2]
          + run("c", T0 + 20, 5.0, failed=True))
    assert _ids(rows.update(monitor, newest, T0 + 30, IDLE)) == ["c", "b", "a"]
    assert rows.retained == 3
    # d starts: past retention the oldest ended one (a) is folded
    _feed(monitor, run("d", T0 + 40, 0.0)[:1])
    assert _ids(rows.update(monitor, newest, T0 + 41, IDLE)) == ["d", "c", "b"]
    assert rows.retained == 3
    # b finishes after 3 s, ok
    _feed(monitor, run("b", T0 + 10, 3.0)[2:])
    assert _ids(rows.update(monitor, TableQuery(status="running"), T0 + 42, IDLE)) == ["d"]
    assert _ids(rows.update(monitor, TableQuery(status="failed"), T0 + 42, IDLE)) == ["c"]
    # durations: c 5 s, b 3 s, d none yet (last, either way)
    by_duration = TableQuery(sort="duration_s")
    assert _ids(rows.update(monitor, by_duration, T0 + 43, IDLE)) == ["c", "b", "d"]
    # d, without a step open, goes quiet for the idle timeout: it succeeded then
    # (duration: its one event, 0 s), and only time changed
    assert _ids(rows.update(monitor, by_duration, T0 + 40 + IDLE, IDLE)) == ["c", "b", "d"]
    assert [row.status for row in rows.update(monitor, newest, T0 + 40 + IDLE, IDLE)] == \
        ["succeeded", "failed", "succeeded"]
    assert _ids(rows.update(monitor, TableQuery(sort="duration_s", descending=False),
                            T0 + 40 + IDLE, IDLE)) == ["d", "b", "c"]


def test_equal_values_keep_the_retained_order_either_way() -> None:
    """Sorting is stable: equal values stay in the order the executions are retained
    (read order), whether the order is ascending or descending."""
    monitor = _monitor(retention=10)
    rows = LiveRows()
    by_steps = TableQuery(sort="steps")
    _feed(monitor, run("p", T0, 1.0) + run("q", T0 + 1, 1.0) + run("r", T0 + 2, 1.0))
    assert _ids(rows.update(monitor, by_steps, T0 + 5, IDLE)) == ["p", "q", "r"]
    # one more step for q: two steps, before the others
    _feed(monitor, [{"event": "step_start", "execution_id": "q", "step_name": "x",
                     "timestamp": T0 + 3}])
    assert _ids(rows.update(monitor, by_steps, T0 + 5, IDLE)) == ["q", "p", "r"]
    assert _ids(rows.update(monitor, TableQuery(sort="steps", descending=False),
                            T0 + 5, IDLE)) == ["p", "r", "q"]


def test_a_woken_execution_goes_last_in_the_retained_order() -> None:
    """An execution folded while running (dormant) and back with news is retained
    again after the others: equal values then put it last."""
    monitor = _monitor(retention=3)
    rows = LiveRows()
    by_workflow = TableQuery(sort="workflow_name")  # all "support": the retained order
    for number, eid in enumerate(("m", "n", "p", "o", "q")):  # all running
        _feed(monitor, run(eid, T0 + number, 0.0)[:1])
    # Past retention with nothing ended, running ones go dormant: o, then m.
    assert list(monitor.ledger.dormant) == ["o", "m"]
    assert _ids(rows.update(monitor, by_workflow, T0 + 5, IDLE)) == ["n", "p", "q"]
    _feed(monitor, run("m", T0, 4.0)[1:2])  # m's news: retained again (n goes dormant)
    assert list(monitor.ledger.executions) == ["p", "q", "m"]
    assert _ids(rows.update(monitor, by_workflow, T0 + 6, IDLE)) == ["p", "q", "m"]
    assert _ids(rows.update(monitor, TableQuery(sort="workflow_name", descending=False),
                            T0 + 6, IDLE)) == ["p", "q", "m"]
    assert _ids(rows.update(monitor, TableQuery(), T0 + 6, IDLE)) == ["q", "p", "m"]


def test_a_replay_marks_its_original_changed() -> None:
    monitor = _monitor(retention=10)
    rows = LiveRows()
    _feed(monitor, run("orig", T0, 1.0))
    assert rows.update(monitor, TableQuery(), T0 + 5, IDLE)[0].replays == ()
    _feed(monitor, [{"event": "workflow_start", "execution_id": "again",
                     "replay_of": "orig", "timestamp": T0 + 6}])
    shown = {row.execution_id: row for row in rows.update(monitor, TableQuery(), T0 + 7,
                                                          IDLE)}
    assert shown["orig"].replays == ("again",)
    assert shown["again"].replay_of == "orig"


def test_the_text_filter_follows_new_lines() -> None:
    monitor = _monitor(retention=10)
    rows = LiveRows()
    query = TableQuery(text="invoice")
    _feed(monitor, run("a", T0, 1.0) + run("b", T0 + 1, 0.0)[:1])
    assert _ids(rows.update(monitor, query, T0 + 5, IDLE)) == []
    _feed(monitor, [{"event": "step_start", "execution_id": "b",
                     "step_name": "lookup_invoice", "timestamp": T0 + 2}])
    assert _ids(rows.update(monitor, query, T0 + 5, IDLE)) == ["b"]


# -- against a build from scratch, after random sequences of changes -----------------

QUERIES = [TableQuery(text=text, status=status, sort=sort, descending=descending)
           for sort in COLUMNS for descending in (True, False)
           for status in STATUS_FILTERS for text in ("", "e1", "billing", "lookup")]


def _random_events(rng: random.Random, clock: list[float], known: list[str]
                   ) -> list[dict[str, Any]]:
    """A batch of a few events: new executions, steps, endings, errors, replays."""
    events: list[dict[str, Any]] = []
    for _ in range(rng.randint(1, 6)):
        clock[0] += rng.choice((0.0, 0.0, 1.0, 2.5, 45.0))  # ties, and idle timeouts
        ts = clock[0]
        kind = rng.random()
        if kind < 0.3 or not known:
            eid = f"e{len(known)}"
            known.append(eid)
            events.append({"event": "workflow_start", "execution_id": eid, "timestamp": ts,
                           "workflow_name": rng.choice(("support", "billing", "Support"))})
            continue
        eid = rng.choice(known)  # may be retained, dormant or folded
        if kind < 0.5:
            events.append({"event": "step_start", "execution_id": eid, "timestamp": ts,
                           "step_name": rng.choice(("classify", "lookup_invoice"))})
        elif kind < 0.65:
            events.append({"event": "step_complete", "execution_id": eid, "timestamp": ts,
                           "step_name": rng.choice(("classify", "lookup_invoice")),
                           "success": rng.random() < 0.8,
                           "duration_ms": rng.choice((1000.0, 2000.0)),
                           "input_tokens": rng.choice((None, 10, 20)),
                           # nothing priced (None), priced at 0 (free), a cost
                           "cost_usd": rng.choice((None, 0.0, 0.002))})
        elif kind < 0.8:
            events.append({"event": "workflow_complete", "execution_id": eid,
                           "timestamp": ts, "status": rng.choice(("success", "failure")),
                           "duration_ms": rng.choice((None, 1000.0, 3000.0))})
        elif kind < 0.9:
            events.append({"event": "error", "execution_id": eid, "timestamp": ts,
                           "error": "Quota exceeded"})
        else:
            replay = f"e{len(known)}"
            known.append(replay)
            events.append({"event": "workflow_start", "execution_id": replay,
                           "timestamp": ts, "replay_of": eid})
    return events


@pytest.mark.parametrize("seed", range(25))
def test_kept_rows_are_the_rows_built_from_scratch(seed: int) -> None:
    rng = random.Random(seed)
    monitor = _monitor(retention=rng.choice((4, 8, 50)))
    rows = LiveRows()
    clock, known, now = [T0], [], T0
    query = rng.choice(QUERIES)
    for step in range(40):
        _feed(monitor, _random_events(rng, clock, known))
        if rng.random() < 0.25:  # the operator changes the filter or the order
            query = rng.choice(QUERIES)
        # the clock moves on (an ended row is kept: time does not undo its end)
        now = max(now, clock[0] + rng.choice((0.0, 10.0, 40.0)))
        shown = rows.update(monitor, query, now, IDLE)
        expected = _from_scratch(monitor, query, now)
        assert _ids(shown) == _ids(expected), (seed, step, query)
        assert list(shown) == expected, (seed, step, query)
        assert rows.retained == len(monitor.ledger.executions)


def test_a_refresh_with_nothing_new_hands_out_the_same_list() -> None:
    """The table skips redrawing the list it already shows (`set_rows`)."""
    monitor = _monitor(retention=10)
    rows = LiveRows()
    _feed(monitor, run("a", T0, 1.0) + run("b", T0 + 1, 1.0))
    rows.update(monitor, TableQuery(), T0 + 5, IDLE)  # a first page: then built whole
    first = rows.update(monitor, TableQuery(), T0 + 5, IDLE)
    assert rows.update(monitor, TableQuery(), T0 + 6, IDLE) is first


def test_the_first_build_is_a_first_page_built_as_it_is_read(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The first rows of a big log read in the default order: every row is there, in
    order, but only those the table draws are built; the next refresh builds them
    all, the same rows."""
    from wftui.core.execution import Execution
    from wftui.view.live_rows import FirstPage

    rng = random.Random(7)
    monitor = _monitor(retention=40)
    clock, known = [T0], []
    for _ in range(6):
        _feed(monitor, _random_events(rng, clock, known))
    now = clock[0] + 10.0
    expected = _from_scratch(monitor, TableQuery(), now)
    assert any(row.status == "running" for row in expected)
    built: list[str] = []
    whole = Execution.row

    def counted(execution: Execution, at: float, idle: float | None) -> Any:
        built.append(execution.execution_id)
        return whole(execution, at, idle)

    monkeypatch.setattr(Execution, "row", counted)
    rows = LiveRows()
    page = rows.update(monitor, TableQuery(), now, IDLE)
    assert isinstance(page, FirstPage) and built == []
    assert len(page) == len(expected) == rows.retained == len(monitor.ledger.executions)
    assert page[3] == expected[3] and built == [expected[3].execution_id]
    assert page[3] is page[3] and len(built) == 1  # built once
    assert page[-1] == expected[-1] and page[1:4] == expected[1:4]
    assert list(page) == expected  # iteration ends at the end
    with pytest.raises(IndexError):
        page[len(expected)]
    # The next refresh builds every row at once: the same rows.
    built.clear()
    after = rows.update(monitor, TableQuery(), now, IDLE)
    assert isinstance(after, list) and after == expected
    assert sorted(built) == sorted(row.execution_id for row in expected)
    assert rows.retained == len(expected)


def test_a_first_page_marks_rows_open_at_an_old_logs_end() -> None:
    from wftui.view.live_rows import FirstPage

    monitor = _monitor(retention=10)
    _feed(monitor, run("a", T0, 2.0) + run("b", T0 + 10, 0.0)[:2])
    page = LiveRows().update(monitor, TableQuery(), T0 + 11, IDLE)
    assert isinstance(page, FirstPage)
    page.open_at_end = True
    assert [(row.execution_id, row.open_at_end) for row in page] == \
        [("b", True), ("a", False)]


def test_only_the_default_order_is_a_first_page() -> None:
    from wftui.view.live_rows import FirstPage

    monitor = _monitor(retention=10)
    _feed(monitor, run("a", T0, 2.0) + run("b", T0 + 10, 1.0))
    for query in (TableQuery(status="failed"), TableQuery(text="a"),
                  TableQuery(sort="duration_s"), TableQuery(descending=False)):
        assert isinstance(LiveRows().update(monitor, query, T0 + 20, IDLE), list), query
    rows = LiveRows()
    assert isinstance(rows.update(monitor, TableQuery(), T0 + 20, IDLE), FirstPage)
    rows.update(monitor, TableQuery(), T0 + 20, IDLE)
    _feed(monitor, run("c", T0 + 30, 1.0))
    assert _ids(rows.update(monitor, TableQuery(), T0 + 40, IDLE)) == ["c", "b", "a"]


# -- the ledger's notes ---------------------------------------------------------------

def test_changes_are_noted_for_one_reader() -> None:
    changes = ExecutionChanges()
    one, other = object(), object()
    changes.note("x")  # nobody reads yet: not kept
    assert changes.take(one) is None  # the first take: everything
    changes.note("a")
    changes.adder()("b")
    assert changes.take(one) == {"a", "b"}
    assert changes.take(one) == set()
    changes.note("c")
    assert changes.take(other) is None  # another reader: it rebuilds
    assert changes.take(one) is None  # ... and so must the first one now
    changes.note("d")
    changes.lost()  # a change not noted one by one
    assert changes.take(one) is None
    for number in range(MAX_WAITING + 1):
        changes.note(str(number))
    changes.bound()
    assert changes.take(one) is None


def test_a_merged_part_makes_the_reader_rebuild() -> None:
    from wftui.core.ledger_merge import PartMerge

    ledger = Ledger(retention=10, idle_timeout=IDLE)
    reader = object()
    ledger.changes.take(reader)
    head = {"newest_ts": None, "future_newest_ts": None, "untimed_newest_ts": None,
            "step_samples": {}}
    PartMerge(ledger, head).executions([])
    assert ledger.changes.take(reader) is None
