"""Silences and acknowledgements on disk (real files in a temporary state directory)."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import pytest

from wftui.alerts.silences import (
    Silence,
    SilenceError,
    SilenceStore,
    firing_unsilenced,
    gather,
    silences_by_alert,
    state_dir,
)
from wftui.core.thresholds import ThresholdState

# 2026-01-01 14:00:00 UTC
T0 = 1767276000.0


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_default_path_follows_xdg_state_home(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "st"))
    assert SilenceStore().path == tmp_path / "st" / "wftui" / "silences.json"
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert state_dir() == tmp_path / "home" / ".local" / "state" / "wftui"


def test_a_silence_of_a_day_or_more_says_its_date(tmp_path: Path) -> None:
    """"until 14:05" alone reads as today's: a three-day silence says which day."""
    store = SilenceStore(tmp_path / "s.json", clock=Clock())
    week = store.add("error_rate", 3 * 86_400, "", by="ana")
    assert week.describe() == "silenced until 01-04 14:00 by ana"  # T0 is 01-01 14:00
    assert "silenced until 01-04 14:00" in week.forms()
    hours = store.add("queue_depth", 23 * 3600, "", by="ana")
    assert hours.describe() == "silenced until 13:00 by ana"  # tomorrow, within a day


def test_add_list_describe_and_expire(tmp_path: Path) -> None:
    clock = Clock()
    store = SilenceStore(tmp_path / "s.json", clock=clock)
    silence = store.add("error_rate", 300, "known incident", by="ana")
    assert silence.describe() == "silenced until 14:05 by ana: known incident"
    assert [s.id for s in store.silences()] == [silence.id]
    # another store (another process) sees it
    other = SilenceStore(tmp_path / "s.json", clock=clock)
    assert other.silences()[0].comment == "known incident"
    clock.now = T0 + 299.9
    assert store.silences() != []
    clock.now = T0 + 300  # the end is exclusive: expired by itself
    assert store.silences() == []
    # the next change drops it from the file for good
    store.acknowledge("queue_depth", by="bo")
    data = json.loads((tmp_path / "s.json").read_text())
    assert data["silences"] == []
    assert data["acknowledgements"] == [{"alert": "queue_depth", "by": "bo", "at": T0 + 300}]


def test_remove(tmp_path: Path) -> None:
    store = SilenceStore(tmp_path / "s.json", clock=Clock())
    first = store.add("error_rate", 60, by="ana")
    second = store.add("queue_depth", 60, by="ana")
    assert store.remove(first.id) is True
    assert store.remove(first.id) is False
    assert [s.id for s in store.silences()] == [second.id]


def test_zero_duration_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SilenceError, match="above zero"):
        SilenceStore(tmp_path / "s.json").add("error_rate", 0)


def test_acknowledge_records_who_and_when(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGNAME", "carla")
    store = SilenceStore(tmp_path / "s.json", clock=Clock())
    ack = store.acknowledge("error_rate")
    assert (ack.by, ack.at) == ("carla", T0)
    assert ack.describe() == "acknowledged by carla at 14:00"
    store.forget_acknowledgement("error_rate")
    assert store.acknowledgements() == {}


def test_corrupt_file_is_one_line_error_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text("{not json")
    store = SilenceStore(path)
    with pytest.raises(SilenceError, match="not valid JSON"):
        store.silences()
    with pytest.raises(SilenceError):
        store.add("error_rate", 60)
    assert path.read_text() == "{not json"  # nothing overwritten


def test_odd_entries_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"silences": [
        42, {"id": "a"}, {"id": "b", "alert": "error_rate", "ends_at": T0 + 60,
                          "created_by": "ana", "starts_at": T0}]}))
    store = SilenceStore(path, clock=Clock())
    assert [s.id for s in store.silences()] == ["b"]
    # Skipped, but not silently: 42 and the entry without alert or end are 2 of 3.
    _silenced, _acks, problems = gather(store, now=T0)
    assert problems == [f"silences: 2 entries of {path} not understood: not silenced"]


def test_an_unreadable_file_silences_nothing_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    SilenceStore(path, clock=Clock()).add("error_rate", 60, by="ana")
    path.write_text('{"silences": [')  # cut short, as a crash mid-write by hand would
    silenced, _acks, problems = gather(SilenceStore(path), now=T0 + 1)
    assert silenced == {}
    (problem,) = problems
    assert problem.startswith(f"silences: {path} is not valid JSON (")
    assert problem.endswith("; move it aside to start afresh; nothing in it is silenced")


def test_write_is_atomic_no_temporary_left(tmp_path: Path) -> None:
    store = SilenceStore(tmp_path / "st" / "s.json", clock=Clock())
    store.add("error_rate", 60, by="ana")
    left = sorted(p.name for p in (tmp_path / "st").iterdir())
    assert left == ["s.json", "s.json.lock"]


def _add_many(path: str, alert: str) -> None:
    store = SilenceStore(Path(path))
    for _ in range(20):
        store.add(alert, 3600, by="p")


def test_two_processes_adding_at_once_keep_every_silence(tmp_path: Path) -> None:
    path = str(tmp_path / "s.json")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_add_many, args=(path, name))
               for name in ("error_rate", "queue_depth")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert len(SilenceStore(Path(path)).silences()) == 40


def test_unwritable_directory_is_one_line_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        blocker = tmp_path / "file"
        blocker.write_text("")
        path = blocker / "s.json"  # a directory that is a file: fails even for root
    else:
        tmp_path.chmod(0o500)
        path = tmp_path / "sub" / "s.json"
    with pytest.raises(SilenceError, match="cannot write"):
        SilenceStore(path).add("error_rate", 60)


def silence(alert: str, ends: float, sid: str = "x") -> Silence:
    return Silence(id=sid, alert=alert, ends_at=ends, created_by="a", comment="",
                   starts_at=T0)


def test_longest_silence_wins_and_firing_unsilenced() -> None:
    chosen = silences_by_alert([silence("error_rate", T0 + 60, "short"),
                                silence("error_rate", T0 + 600, "long"),
                                silence("queue_depth", T0 - 1, "over")], T0)
    assert {k: v.id for k, v in chosen.items()} == {"error_rate": "long"}
    firing = ThresholdState("error_rate", 0.2, 0.05, "firing", "page")
    other = ThresholdState("queue_depth", 2e4, 1e4, "firing", "scale")
    assert firing_unsilenced([firing], chosen) is False
    assert firing_unsilenced([firing, other], chosen) is True
