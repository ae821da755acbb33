"""The execution view: the step tree, marks, fold/unfold, live updates, export, replay."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.ui.conftest import T0, append, execution, settled, stamp, wait_for
from tests.ui.screen import screen_text
from wftui.ui.screens.compare import CompareScreen
from wftui.ui.screens.execution import ExecutionScreen, default_export_dir, export_path
from wftui.ui.screens.replay import ReplayScreen
from wftui.ui.widgets.step_tree import StepTree

STEPS = [("fetch_ticket", "tool", 0.4), ("classify", "llm", 2.5),
         ("route_ticket", "branch", 0.1)]


def _story() -> list[dict]:
    events = execution("run-1", T0, steps=STEPS, failed=True,
                       error="ValueError: empty ticket body", context={"ticket_id": "T-77"})
    # an event kind wftui does not know: kept and shown raw
    events.insert(2, {"event": "cache_lookup", "execution_id": "run-1", "hit": False,
                      "timestamp": stamp(T0 + 0.05)})
    return events


async def exported(pilot: Any, folder: Path, execution_id: str) -> tuple[Path, Any]:
    """`e` on the execution's view: the export file (in `folder`) and what it holds."""
    await pilot.press("e")
    path = export_path(folder, execution_id)
    await wait_for(pilot, path.exists, "the export file")
    return path, json.loads(path.read_text())


async def open_view(pilot, app, execution_id: str) -> ExecutionScreen:
    app.open_execution(execution_id)
    await wait_for(pilot, lambda: isinstance(app.screen, ExecutionScreen)
                   and app.screen.detail is not None, "the execution view")
    await pilot.pause()
    return app.screen


async def test_tree_shows_steps_types_durations_and_events(harness) -> None:
    events = _story()
    h = harness(events)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        await open_view(pilot, h.app, "run-1")
        await pilot.press("x")  # expand all
        await pilot.pause()
        text = screen_text(h.app)
        for name, kind, seconds in (("fetch_ticket", "tool", "400ms"),
                                    ("classify", "llm", "2.50s"),
                                    ("route_ticket", "branch", "100ms")):
            line = next(line for line in text.splitlines() if name in line and kind in line)
            assert seconds in line
        assert 'tool fetch_ticket({"ticket_id":"T-1"})' in text       # tool call + arguments
        assert "ticket_id = \"T-1\"" in text                          # argument node
        assert "branch route_ticket → escalate" in text               # path taken
        assert "error ValueError: empty ticket body" in text
        assert 'File "flow.py", line 7, in run' in text               # full traceback
        assert "context keys: ticket_id" in text
        assert 'ticket_id: "T-77"' in text                            # the context
        assert 'cache_lookup {"event":"cache_lookup"' in text          # unknown event, raw
        # classify (2.5 s) is the slowest; steps back to back are all on the critical path
        slow = next(line for line in text.splitlines() if "⏱ slowest" in line)
        assert "classify" in slow
        assert sum("◆ critical path" in line for line in text.splitlines()) == 3
        assert "✗ failed" in text


async def test_fold_unfold_and_collapse_all(harness) -> None:
    events = _story()
    h = harness(events)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        await open_view(pilot, h.app, "run-1")
        tree = h.app.screen.query_one(StepTree)
        await pilot.press("z")
        assert all(not child.is_expanded for child in tree.root.children)
        assert "tool fetch_ticket(" not in screen_text(h.app)
        # move to fetch_ticket and unfold it with space
        step = next(n for n in tree.root.children if n.data == "step:0")
        tree.move_cursor(step)
        await pilot.press("space")
        await pilot.pause()
        assert step.is_expanded
        assert "tool fetch_ticket(" in screen_text(h.app)
        await pilot.press("space")
        assert not step.is_expanded
        await pilot.press("x")
        assert all(node.is_expanded for node in tree.root.children if node.children)


async def test_running_execution_updates_in_place(harness) -> None:
    events = execution("live-1", T0, steps=[("fetch_ticket", "tool", 0.2)], complete=False)
    events.append({"event": "step_start", "execution_id": "live-1", "step_name": "classify",
                   "step_type": "llm", "timestamp": stamp(T0 + 0.3)})
    h = harness(events)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        await open_view(pilot, h.app, "live-1")
        text = screen_text(h.app)
        assert "⟳ running" in text
        # The clock is frozen at NOW = T0 + 120 s; classify started at T0 + 0.3 s, the
        # execution at T0: running for 1m59.7s and 2m00s, both shown rounded to 2m00s.
        assert "running for 2m00s" in text
        line = next(line for line in text.splitlines() if "classify" in line)
        assert "⟳ 2m00s" in line
        append(h.log, [
            {"event": "step_complete", "execution_id": "live-1", "step_name": "classify",
             "duration_ms": 1500, "success": True, "timestamp": stamp(T0 + 1.8)},
            {"event": "step_start", "execution_id": "live-1", "step_name": "reply_draft",
             "step_type": "llm", "timestamp": stamp(T0 + 1.9)},
        ])
        await wait_for(pilot, lambda: "reply_draft" in screen_text(h.app), "the new step")
        line = next(line for line in screen_text(h.app).splitlines() if "classify" in line)
        assert "1.50s" in line
        assert isinstance(h.app.screen, ExecutionScreen)  # same view, updated in place


async def test_export_goes_to_the_xdg_data_folder_by_default(
        harness, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    events = _story()
    h = harness(events, export_dir=None)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        await open_view(pilot, h.app, "run-1")
        await pilot.press("e")
        path = tmp_path / "data" / "wftui" / "exports" / "wftui-run-1.json"  # created
        await wait_for(pilot, path.exists, "the export in the data folder")
        assert any(str(path) in note for note in h.notes)


def test_default_export_folder_without_xdg(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_export_dir() == tmp_path / ".local" / "share" / "wftui" / "exports"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/dir")  # not absolute: ignored, as XDG says
    assert default_export_dir() == tmp_path / ".local" / "share" / "wftui" / "exports"


async def _opened_expanded(pilot: Any, app: Any, events: int, execution_id: str) -> None:
    """The log read, the execution's view opened and every node expanded (`x`)."""
    await settled(pilot, app, events)
    await open_view(pilot, app, execution_id)
    await pilot.press("x")
    await pilot.pause()


async def test_traceback_ends_with_its_last_line_not_an_empty_one(harness) -> None:
    events = execution("tb-1", T0, failed=True)
    for event in events:
        if event["event"] == "error":
            event["traceback"] += "\n"  # as Python prints them
    h = harness(events)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await _opened_expanded(pilot, h.app, len(events), "tb-1")
        lines = screen_text(h.app).splitlines()
        last = max(i for i, line in enumerate(lines) if "TimeoutError: ticket API" in line)
        assert lines[last].strip().startswith("│     └─ TimeoutError")
        assert not any(line.rstrip().endswith("└─") for line in lines)


async def test_a_cut_line_ends_in_an_arrow_beside_the_trees_scrollbar(harness) -> None:
    # 60 steps: the tree is taller than the screen and has a vertical scrollbar, which
    # takes columns from its lines; a cut line must still end in `→` where it is cut.
    steps = [(f"step{i:02d}", "tool", 0.1) for i in range(60)]
    events = execution("tall-1", T0, steps=steps, context={"note": "x" * 300})
    h = harness(events)
    async with h.app.run_test(size=(100, 30)) as pilot:
        await _opened_expanded(pilot, h.app, len(events), "tall-1")
        tree = h.app.screen.query_one(StepTree)
        assert tree.show_vertical_scrollbar
        line = next(line for line in screen_text(h.app).splitlines() if "note:" in line)
        assert line.rstrip().endswith("x→"), line[-20:]


async def test_a_line_cut_at_the_right_edge_ends_in_an_arrow(harness) -> None:
    long = "x" * 300
    events = execution("wide-1", T0, context={"note": long})
    h = harness(events)
    async with h.app.run_test(size=(100, 30)) as pilot:
        await _opened_expanded(pilot, h.app, len(events), "wide-1")
        line = next(line for line in screen_text(h.app).splitlines() if "note:" in line)
        assert line.rstrip().endswith("x→")
        other = next(line for line in screen_text(h.app).splitlines() if "ticket" in line)
        assert "→" not in other  # a line that fits has none


async def test_export_writes_json_and_says_where(harness, tmp_path: Path) -> None:
    events = _story()
    h = harness(events)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        await open_view(pilot, h.app, "run-1")
        path, data = await exported(pilot, tmp_path, "run-1")
        assert data["execution_id"] == "run-1"
        assert [s["name"] for s in data["steps"]] == [s[0] for s in STEPS]
        assert data["status"] == "failed"
        assert data["context"] == {"ticket_id": "T-77"}
        # Nothing logged tokens or a cost: no data (the tree shows none), not 0.
        assert (data["input_tokens"], data["output_tokens"], data["cost_usd"]) == (
            None, None, None)
        notes = h.notes
        assert any(str(path) in note and note.startswith("exported to") for note in notes)


def test_export_path_cannot_escape_the_directory(tmp_path: Path) -> None:
    path = export_path(tmp_path, "../../etc/passwd")
    assert path.parent == tmp_path
    assert path.name.startswith("wftui-etc_passwd-") and path.name.endswith(".json")


def test_export_paths_of_different_ids_never_collide(tmp_path: Path) -> None:
    # Ids that only differ in characters a file name cannot hold, or after the part of a
    # long id kept in the name, went to one file: the second export overwrote the first.
    ids = ["a b", "a_b", "a/b", "a:b", "\u00e9", "\u00e8", "x" * 300, "x" * 299 + "y",
           "run-1", "run-1.", ".run-1"]
    names = {export_path(tmp_path, execution_id).name for execution_id in ids}
    assert len(names) == len(ids)
    # A plain id keeps its plain name (what the export notice and scripts expect).
    assert export_path(tmp_path, "run-1").name == "wftui-run-1.json"
    assert all(len(name) < 120 for name in names)


async def test_replay_links_and_compare_message(harness) -> None:
    events = execution("orig-1", T0) + execution("redo-1", T0 + 30, replay_of="orig-1")
    events += execution("solo-1", T0 + 40)
    h = harness(events)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        text = screen_text(h.app)
        assert "redo-1 ↻" in text and "orig-1 ⟲1" in text   # markers in the table
        await open_view(pilot, h.app, "orig-1")
        assert "⟲ replayed 1×: redo-1" in screen_text(h.app)
        await pilot.press("escape")
        await open_view(pilot, h.app, "redo-1")
        assert "↻ replay of orig-1" in screen_text(h.app)
        await pilot.press("escape")
        await open_view(pilot, h.app, "solo-1")
        await pilot.press("c")
        await pilot.pause()
        notes = h.notes
        assert any(note.startswith("nothing to compare") for note in notes)


async def test_replay_and_compare_keys_open_their_screens(harness) -> None:
    events = execution("orig-1", T0) + execution("redo-1", T0 + 30, replay_of="orig-1")
    h = harness(events)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        view = await open_view(pilot, h.app, "orig-1")
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(h.app.screen, ReplayScreen), "replay")
        h.app.screen.dismiss(None)
        await wait_for(pilot, lambda: h.app.screen is view, "back to the view")
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(h.app.screen, CompareScreen), "compare")


async def test_a_very_long_id_keeps_the_title_on_one_line(harness) -> None:
    long_id = "x" * 10_000
    events = execution(long_id, T0, steps=STEPS[:1])
    h = harness(events)
    async with h.app.run_test(size=(100, 30)) as pilot:
        await settled(pilot, h.app, len(events))
        view = await open_view(pilot, h.app, long_id)
        title = view.query_one("#execution-title")
        assert title.size.height == 1
        lines = screen_text(h.app).splitlines()
        assert lines[0].lstrip().startswith("Execution xxx")
        assert not lines[1].lstrip().startswith("xxx")  # the id did not wrap onto line 2


async def test_usage_nothing_logged_is_not_shown_as_zero(harness) -> None:
    """A failed LLM call names its model but logs no usage: its tokens are left out,
    not shown as "0 in / 0 out $0.0000"; a cost below $0.0001 is not shown as free."""
    events = execution("run-2", T0, steps=[("classify", "llm", 0.5), ("draft", "llm", 0.5)])
    done = [e for e in events if e["event"] == "step_complete"]
    done[0].update(model="gpt-4o-mini")  # the call failed before any usage came back
    # 291 tokens at $0.15 / 1M: $0.0000437
    done[1].update(model="gpt-4o-mini", input_tokens=291, output_tokens=0,
                   cost_usd=0.0000437)
    h = harness(events)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        await open_view(pilot, h.app, "run-2")
        await pilot.press("x")  # expand all
        await pilot.pause()
        models = [line for line in screen_text(h.app).splitlines()
                  if "model gpt-4o-mini" in line]
        assert len(models) == 2, models
        first, second = models
        assert " in / " not in first and "$" not in first
        assert "291 in / 0 out" in second and "<$0.0001" in second
        assert "$0.0000" not in screen_text(h.app)


async def test_tokens_nobody_priced_show_no_cost_in_the_header(harness) -> None:
    events = execution("run-3", T0, steps=[("classify", "llm", 0.5)])
    done = next(e for e in events if e["event"] == "step_complete")
    done.update(model="some-local-model", input_tokens=200, output_tokens=91)  # no price
    h = harness(events)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        await open_view(pilot, h.app, "run-3")
        header = next(line for line in screen_text(h.app).splitlines()
                      if "291 tokens" in line)
        assert "$" not in header  # a sum from 0: not "$0"


async def test_a_tree_missing_some_of_its_lines_says_so(harness) -> None:
    """An execution whose lines were counted but not kept (here: a big log's second
    read failed) shows the tree it has, and says how many lines it lacks."""
    events = _story()
    h = harness(events)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        await open_view(pilot, h.app, "run-1")
        assert "not kept" not in screen_text(h.app)  # whole: nothing to say
        await pilot.press("escape")
        with h.monitor._lock:
            kept = h.monitor.ledger.executions["run-1"]
            kept.raw_dropped += 3  # as `forget_lines` leaves those it could not keep
            del kept.raw[:3]
        await open_view(pilot, h.app, "run-1")
        assert "⚠ 3 of its lines not kept: steps logged there are not in this tree" \
            in screen_text(h.app)


async def test_export_of_a_context_holding_a_128_bit_integer(harness, tmp_path: Path) -> None:
    """A logged context holding an integer past 64 bits (a UUID as a number) beside a
    number JSON cannot hold: orjson refused to write it, and `e` ended the monitor
    ("unexpected error: TypeError: Integer exceeds 64-bit range"). It is exported."""
    big = 2**127 + 3
    lines = [(b'{"event": "workflow_start", "execution_id": "run-1", "timestamp": %d, '
              b'"workflow_name": "w", "context": {"uuid": %d, "ratio": 1e999}}'
              % (T0, big)),
             json.dumps({"event": "workflow_complete", "execution_id": "run-1",
                         "status": "success", "timestamp": T0 + 1}).encode()]
    h = harness(lines)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(lines))
        await open_view(pilot, h.app, "run-1")
        _, data = await exported(pilot, tmp_path, "run-1")
        assert data["context"]["uuid"] == big  # every digit, not a float
        assert data["context"]["ratio"] is None  # as JSON writes an infinity: null
        assert h.app.is_running


async def test_a_traceback_of_many_thousand_lines_shows_its_ends(harness) -> None:
    """A traceback of 20,000 lines (a line under 1 MiB can hold 300,000): each was a
    node of the tree, and x froze the UI for 14 s (300,000 lines, 500 MB). Its first
    and last 200 lines are shown, and how many between are not (the export has all)."""
    lines = [f"  frame {n}" for n in range(20_000)]
    events = execution("deep-1", T0, failed=True)
    for event in events:
        if event["event"] == "error":
            event["traceback"] = "\n".join(["Traceback (most recent call last):", *lines,
                                            "RecursionError: too deep"]) + "\n"
    h = harness(events)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await _opened_expanded(pilot, h.app, len(events), "deep-1")
        tree = h.app.screen.query_one(StepTree)
        node = next(n for n in tree._walk(tree.root)
                    if n.children and str(n.children[0].label).startswith("Traceback"))
        shown = [str(child.label) for child in node.children]
        assert len(shown) == 401
        assert shown[:2] == ["Traceback (most recent call last):", "  frame 0"]
        assert shown[199] == "  frame 198"
        assert shown[200] == "… 19,602 lines not shown (e exports them all)"
        assert shown[201] == "  frame 19801"
        assert shown[-1] == "RecursionError: too deep"


async def test_a_context_and_tool_arguments_of_many_keys_show_their_first(harness) -> None:
    """A context and a tool call's arguments of 5,000 keys each (a line under 1 MiB
    holds 60,000): each key was a node, and with 60,000 the view took 10 s to open and
    x 19 s more. The first 200 are shown, and how many more there are."""
    events = execution("wide-2", T0, steps=[("lookup", "tool", 0.2)],
                       context={f"c{n}": n for n in range(5_000)})
    for event in events:
        if event["event"] == "tool_call":
            event["arguments"] = {f"a{n}": n for n in range(5_000)}
    h = harness(events)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await _opened_expanded(pilot, h.app, len(events), "wide-2")
        tree = h.app.screen.query_one(StepTree)
        context = next(n for n in tree.root.children if n.data == "context")
        assert str(context.label) == "context (5000 keys)"
        shown = [str(child.label) for child in context.children]
        assert shown[0] == "c0: 0" and shown[199] == "c199: 199"
        assert shown[200:] == ["… 4,800 more keys (e exports them all)"]
        call = next(n for n in tree._walk(tree.root) if n.children
                    and str(n.children[0].label) == "a0 = 0")
        shown = [str(child.label) for child in call.children]
        assert len(shown) == 201 and shown[199] == "a199 = 199"
        assert shown[200] == "… 4,800 more arguments (e exports them all)"
