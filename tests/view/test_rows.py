"""The executions table's model: filters, sorts and the text search, without an app."""

from __future__ import annotations

import orjson

from tests.view.conftest import T0, ledger_of, run
from wftui.core.format import visible
from wftui.view.rows import TableQuery, TextSearch, arrange


def _rows(events, query: TableQuery) -> list[str]:
    ledger = ledger_of(events)
    executions = list(ledger.summaries())
    rows = [execution.row(T0 + 100, 30.0) for execution in executions]
    by_id = {e.execution_id: e for e in executions}
    return [row.execution_id for row in arrange(rows, query, TextSearch(), by_id)]


EVENTS = (run("a", T0, 2.0) + run("b", T0 + 10, 5.0, failed=True, workflow="billing")
          + run("c", T0 + 20, 1.0, step="lookup_invoice")
          + [{"event": "workflow_start", "execution_id": "d", "workflow_name": "support",
              "timestamp": T0 + 90}])


def test_default_order_is_newest_first() -> None:
    assert _rows(EVENTS, TableQuery()) == ["d", "c", "b", "a"]


def test_status_filters() -> None:
    assert _rows(EVENTS, TableQuery(status="failed")) == ["b"]
    assert _rows(EVENTS, TableQuery(status="running")) == ["d"]


def test_sort_by_duration_puts_unknown_durations_last_either_way() -> None:
    # durations a 2 s, b 5 s, c 1 s, d still running (none yet)
    assert _rows(EVENTS, TableQuery(sort="duration_s")) == ["b", "a", "c", "d"]
    assert _rows(EVENTS, TableQuery(sort="duration_s", descending=False)) == \
        ["c", "a", "b", "d"]


def test_sort_by_cost_puts_nothing_priced_last_either_way_and_0_is_a_cost() -> None:
    # costs: a $0.002, b priced at 0 (free), c nothing priced, d $0.001; as the live
    # table orders them (view/row_order.py: rows without a value last), so time travel
    # (which sorts with `arrange`) shows the same order
    events = (run("a", T0, 1.0) + run("b", T0 + 10, 1.0) + run("c", T0 + 20, 1.0)
              + run("d", T0 + 30, 1.0))
    for index, cost in ((2, 0.002), (6, 0.0), (14, 0.001)):
        events[index]["cost_usd"] = cost
    assert _rows(events, TableQuery(sort="cost_usd")) == ["a", "d", "b", "c"]
    assert _rows(events, TableQuery(sort="cost_usd", descending=False)) == \
        ["b", "d", "a", "c"]


def test_text_filter_matches_id_workflow_and_step_names() -> None:
    assert _rows(EVENTS, TableQuery(text="BILL")) == ["b"]
    assert _rows(EVENTS, TableQuery(text="invoice")) == ["c"]  # a step name, in raw lines
    assert _rows(EVENTS, TableQuery(text="nothing like it")) == []


def test_text_filter_reads_a_prefixed_line_as_the_ledger_does() -> None:
    event = {"event": "error", "execution_id": "p", "error": "Quota exceeded",
             "timestamp": T0 + 5}
    prefixed = b"2026-01-01 12:00:05 INFO " + orjson.dumps(event)
    events = [*run("p", T0, 9.0, failed=True), prefixed, *run("q", T0 + 1, 1.0)]
    assert _rows(events, TableQuery(text="quota")) == ["p"]
    # "INFO" sits in the prefix, not in a searched field: no match.
    assert _rows(events, TableQuery(text="info")) == []


def test_text_filter_ignores_fields_it_does_not_search() -> None:
    events = run("x", T0, 1.0)
    events[0]["context"] = {"customer": "zebra"}
    assert _rows(events, TableQuery(text="zebra")) == []


def test_text_filter_finds_what_json_escapes_in_the_raw_line() -> None:
    """A quote, a backslash or a control (typed as its visible symbol, as "why" fills
    the box) is written escaped in the raw line: the search must still find it, and a
    non-ASCII letter in either case."""
    events = [*run("q", T0, 1.0, step='say "hi" C:\\tmp'), *run("c", T0 + 1, 1.0,
                                                               step="a\x1b[2Jb"),
              *run("u", T0 + 2, 1.0, step="ÉTAPE"), *run("n", T0 + 3, 1.0)]
    assert _rows(events, TableQuery(text='"hi"')) == ["q"]
    assert _rows(events, TableQuery(text="c:\\tmp")) == ["q"]
    assert _rows(events, TableQuery(text="a␛[2jb")) == ["c"]
    assert _rows(events, TableQuery(text="étape")) == ["u"]


def test_text_filter_finds_what_other_json_writers_escape() -> None:
    """Go's encoding/json writes <, > and & as \\u003c, \\u003e, \\u0026 (an error
    "got <nil>"), PHP's json_encode / as \\/, .NET's ' and + as \\u0027, \\u002B: the
    line's text is the same once read, so the filter must find it."""
    escaped = (rb'got \u003cnil\u003e \u0026 https:\/\/api.example \u0027x\u0027 a\u002Bb')
    line = orjson.dumps({"event": "error", "execution_id": "g", "error": "HERE",
                         "timestamp": T0 + 0.5}).replace(b"HERE", escaped)
    events = [*run("g", T0, 1.0, failed=True), line, *run("o", T0 + 5, 1.0)]
    for text in ("<nil>", "> &", "https://api", "'x'", "a+b", "got <nil> & https"):
        assert _rows(events, TableQuery(text=text)) == ["g"], text


def test_a_why_error_row_filter_finds_its_multiline_and_very_long_errors() -> None:
    """"Why" groups errors on one line (whitespace collapsed) and cuts long ones with
    an ellipsis; the filter it sets must still find the executions it counted."""
    from wftui.core.error_text import error_group
    from wftui.view.why import error_filter

    multiline = "Traceback:\n  File flow.py\r\n\tValueError: [bold] bad\x1b[2J"
    plain = "KeyError: 'ticket'\n  in fetch"
    long = "QuotaError: " + "y" * 20_000
    cases = (("m", multiline), ("p", plain), ("l", long))
    events = []
    for eid, error in cases:
        events += run(eid, T0, 1.0, failed=True)
        events.insert(-1, {"event": "error", "execution_id": eid, "error": error,
                           "timestamp": T0 + 0.5})
    events += run("other", T0 + 5, 1.0, failed=True)
    for eid, error in cases:
        text = visible(error_filter(error_group(error)))
        assert _rows(events, TableQuery(text=text)) == [eid], eid


def test_text_filter_searches_again_once_an_executions_lines_are_kept() -> None:
    """A big log's catch-up counts an execution's lines before it keeps them (its
    second read): a "no match" found before they were kept is not kept after."""
    from wftui.core.execution import Execution

    raw = orjson.dumps({"event": "step_start", "execution_id": "run-1",
                        "timestamp": "2026-03-01T09:00:01", "step_name": "classify"})
    execution = Execution("run-1", 1.0, 1, keep_raw=False)
    execution.raw_dropped = 1  # counted by the first read, not kept
    row = execution.row(2.0, None)
    search = TextSearch()
    assert not search.text_matches({"run-1": execution}, row, "classify")
    execution.raw, execution.raw_dropped = [raw], 0  # the second read keeps it
    assert search.text_matches({"run-1": execution}, row, "classify")


def test_text_filter_finds_letters_whose_lower_case_is_ascii() -> None:
    """Two characters lower-case to ASCII letters: the Kelvin sign to "k" and the
    dotted capital I to "i" and a combining dot. A field shown as "300\u212a" is
    "300k" to the filter, but neither the line's UTF-8 nor its \\u escape holds "300k"
    as bytes: the raw-line probe must not skip it."""
    error = "probe at 300\u212a, k\u0130 \u0130STANBUL"
    for writer in (orjson.dumps, lambda value: orjson.dumps(value).replace(
            "\u212a".encode(), rb"\u212A").replace("\u0130".encode(), rb"\u0130")):
        line = writer({"event": "error", "execution_id": "g", "error": error,
                       "timestamp": T0 + 0.5})
        events = [*run("g", T0, 1.0, failed=True), line, *run("o", T0 + 5, 1.0)]
        for text in ("300k", "300K", "\u212a", "ki\u0307", "\u0130stanbul"):
            assert text.lower() in visible(error).lower()  # what the filter compares
            assert _rows(events, TableQuery(text=text)) == ["g"], (line, text)
