"""Silences and acknowledgements of alerts, kept on disk so every wftui process agrees.

A silenced alert is still judged and shown ("FIRING · silenced until 14:05 by ana:
known incident") but notifies no one, and `wftui check` exits 0 for it. A silence ends
by itself at its end time. An acknowledgement only records who has taken the alert and
when; it silences nothing.

The file is `$XDG_STATE_HOME/wftui/silences.json` (default
`~/.local/state/wftui/silences.json`). The TUI, `watch` and `check` may run at once, so
every change re-reads the file under a lock and replaces it atomically (write a
temporary file beside it, then rename), and readers re-read it when it changed.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from wftui.core import format as fmt
from wftui.core.thresholds import FIRING, ThresholdState
from wftui.core.timestamps import format_timestamp

LOCAL = "local"
ALERTMANAGER = "alertmanager"
FILE_VERSION = 1


class SilenceError(Exception):
    """The silences file cannot be read or written (one line for the operator)."""


def state_dir() -> Path:
    """$XDG_STATE_HOME/wftui, else ~/.local/state/wftui (the XDG default)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "wftui"


def user_name() -> str:
    """Who is at the keyboard: the login name, or "unknown" when there is none."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no LOGNAME/USER and no passwd entry (containers)
        return "unknown"


DAY_S = 86_400.0


@dataclass(frozen=True, slots=True)
class Silence:
    """One alert (a threshold's name) muted until `ends_at`."""

    id: str
    alert: str
    ends_at: float
    created_by: str
    comment: str
    starts_at: float
    origin: str = LOCAL  # or ALERTMANAGER: read from its API, removed there

    def active(self, now: float) -> bool:
        return self.starts_at <= now < self.ends_at

    def until(self) -> str:
        """When it ends: the time of day (UTC, as every time on screen), with the date
        for a silence of a day or more ("12-09 14:05"): "until 14:05" alone would read
        as today's."""
        if self.ends_at - self.starts_at < DAY_S:
            return fmt.clock(self.ends_at)[:5]
        try:
            return datetime.fromtimestamp(self.ends_at, tz=UTC).strftime("%m-%d %H:%M")
        except (ValueError, OverflowError, OSError):
            return fmt.clock(self.ends_at)[:5]

    def describe(self) -> str:
        """silenced until 14:05 by ana: known incident"""
        until = self.until()
        where = " (Alertmanager)" if self.origin == ALERTMANAGER else ""
        comment = f": {fmt.visible(self.comment)}" if self.comment else ""
        return f"silenced until {until} by {fmt.visible(self.created_by)}{where}{comment}"

    def forms(self) -> tuple[str, ...]:
        """`describe()`, then ever shorter forms of it for a narrow panel."""
        until = self.until()
        return (self.describe(),
                f"silenced until {until} by {fmt.visible(self.created_by)}",
                f"silenced until {until}", f"silenced → {until}", "silenced")

    def as_dict(self) -> dict[str, Any]:
        """The `"silenced"` object of a threshold entry in `check`/`watch` JSON."""
        return {"id": self.id, "until": format_timestamp(self.ends_at),
                "by": self.created_by, "comment": self.comment, "origin": self.origin}


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """Someone has taken an alert: who and when."""

    alert: str
    by: str
    at: float

    def describe(self) -> str:
        return f"acknowledged by {fmt.visible(self.by)} at {fmt.clock(self.at)[:5]}"

    def forms(self) -> tuple[str, ...]:
        """`describe()`, then ever shorter forms of it for a narrow panel."""
        return (self.describe(), f"acknowledged by {fmt.visible(self.by)}", "acknowledged",
                "ack'd")


def _silence(entry: Any) -> Silence | None:
    """A silence from the file, or None for an entry that is not one (skipped)."""
    if not isinstance(entry, dict):
        return None
    try:
        return Silence(id=str(entry["id"]), alert=str(entry["alert"]),
                       ends_at=float(entry["ends_at"]), created_by=str(entry["created_by"]),
                       comment=str(entry.get("comment", "")),
                       starts_at=float(entry.get("starts_at", 0.0)))
    except (KeyError, TypeError, ValueError):
        return None


def _acknowledgement(entry: Any) -> Acknowledgement | None:
    if not isinstance(entry, dict):
        return None
    try:
        return Acknowledgement(str(entry["alert"]), str(entry["by"]), float(entry["at"]))
    except (KeyError, TypeError, ValueError):
        return None


def _entries(data: dict[str, Any], key: str) -> list[Any]:
    """The file's list under `key` (anything else there is one entry not understood)."""
    value = data.get(key)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class SilenceStore:
    """The silences file: add, remove, list; expired silences drop out by themselves."""

    def __init__(self, path: Path | None = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = path if path is not None else state_dir() / "silences.json"
        self.clock = clock
        self._seen: tuple[int, int] | None = None  # (mtime_ns, size) of the last read
        self._silences: list[Silence] = []
        self._acks: dict[str, Acknowledgement] = {}
        self.skipped = 0  # entries of the last read that were not silences

    # -- reading -----------------------------------------------------------------------

    def _read_file(self) -> tuple[list[Silence], dict[str, Acknowledgement]]:
        try:
            data = orjson.loads(self.path.read_bytes())
        except FileNotFoundError:
            return [], {}
        except OSError as error:
            raise SilenceError(f"cannot read {self.path}: {error.strerror or error}") from error
        except orjson.JSONDecodeError as error:
            raise SilenceError(f"{self.path} is not valid JSON ({error}); "
                               "move it aside to start afresh") from error
        if not isinstance(data, dict):
            raise SilenceError(f"{self.path}: expected a JSON object")
        entries = _entries(data, "silences")
        silences = [s for s in map(_silence, entries) if s is not None]
        # An entry that is not a silence is skipped, never silently: its alert is not
        # silenced, and the operator is told (`gather`).
        self.skipped = len(entries) - len(silences)
        acks = {a.alert: a for a in map(_acknowledgement, _entries(data, "acknowledgements"))
                if a is not None}
        return silences, acks

    def refresh(self) -> None:
        """Re-read the file if another process changed it since the last read."""
        try:
            info = self.path.stat()
            seen: tuple[int, int] | None = (info.st_mtime_ns, info.st_size)
        except FileNotFoundError:
            seen = None
        except OSError as error:
            raise SilenceError(f"cannot read {self.path}: {error.strerror or error}") from error
        if seen == self._seen and seen is not None:
            return
        self._silences, self._acks = self._read_file()
        self._seen = seen

    def silences(self, now: float | None = None) -> list[Silence]:
        """The silences in force now, soonest to end first."""
        self.refresh()
        moment = self.clock() if now is None else now
        return sorted((s for s in self._silences if s.active(moment)),
                      key=lambda s: (s.ends_at, s.id))

    def acknowledgements(self) -> dict[str, Acknowledgement]:
        self.refresh()
        return dict(self._acks)

    # -- changing ----------------------------------------------------------------------

    @contextlib.contextmanager
    def _change(self) -> Iterator[tuple[list[Silence], dict[str, Acknowledgement]]]:
        """Read, let the caller change, write back atomically: all under a lock, so two
        processes adding at once both keep their silence."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock = open(self.path.with_name(self.path.name + ".lock"), "a+b")  # noqa: SIM115
        except OSError as error:
            raise SilenceError(f"cannot write {self.path}: {error.strerror or error}") from error
        with lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            silences, acks = self._read_file()
            yield silences, acks
            now = self.clock()
            kept = [s for s in silences if s.ends_at > now]  # expired ones go for good
            self._write(kept, acks)
            self._silences, self._acks, self._seen = kept, dict(acks), None

    def _write(self, silences: Iterable[Silence], acks: Mapping[str, Acknowledgement]) -> None:
        data = {"version": FILE_VERSION,
                "silences": [{k: v for k, v in asdict(s).items() if k != "origin"}
                             for s in silences],
                "acknowledgements": [asdict(a) for a in acks.values()]}
        try:
            handle, temporary = tempfile.mkstemp(prefix=".silences.", dir=self.path.parent)
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(orjson.dumps(data, option=orjson.OPT_INDENT_2))
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        except OSError as error:
            raise SilenceError(f"cannot write {self.path}: {error.strerror or error}") from error

    def add(self, alert: str, duration_s: float, comment: str = "", *,
            by: str | None = None) -> Silence:
        """Silence `alert` from now for `duration_s` seconds."""
        if duration_s <= 0:
            raise SilenceError("a silence needs a duration above zero")
        now = self.clock()
        try:
            datetime.fromtimestamp(now + duration_s, tz=UTC)
        except (ValueError, OverflowError, OSError):
            # Past datetime's years: no time could say when it ends (a typo, "9999999d").
            raise SilenceError("a silence must end before the year 10000: "
                               "give a shorter duration") from None
        silence = Silence(id=uuid.uuid4().hex[:12], alert=alert, ends_at=now + duration_s,
                          created_by=by or user_name(), comment=comment, starts_at=now)
        with self._change() as (silences, _):
            silences.append(silence)
        return silence

    def remove(self, silence_id: str) -> bool:
        """End a silence now; False when there is no such silence (or it has ended)."""
        with self._change() as (silences, _):
            before = len(silences)
            silences[:] = [s for s in silences if s.id != silence_id]
            return len(silences) != before

    def acknowledge(self, alert: str, *, by: str | None = None) -> Acknowledgement:
        """Record that `by` (default: the user name) has taken `alert` now."""
        ack = Acknowledgement(alert, by or user_name(), self.clock())
        with self._change() as (_, acks):
            acks[alert] = ack
        return ack

    def forget_acknowledgement(self, alert: str) -> None:
        """The alert cleared: its acknowledgement is over (a new firing needs a new one)."""
        if alert not in self.acknowledgements():
            return
        with self._change() as (_, acks):
            acks.pop(alert, None)


# -- applying silences to what is judged -----------------------------------------------

def silences_by_alert(silences: Iterable[Silence], now: float) -> dict[str, Silence]:
    """The silence in force for each alert: the one that lasts longest."""
    out: dict[str, Silence] = {}
    for silence in silences:
        if silence.active(now) and (silence.alert not in out
                                    or silence.ends_at > out[silence.alert].ends_at):
            out[silence.alert] = silence
    return out


def firing_unsilenced(states: Iterable[ThresholdState], silenced: Mapping[str, Silence]
                      ) -> bool:
    """Is anything firing that nobody silenced? (`check` and `watch` exit 1 then.)"""
    return any(state.state == FIRING and state.name not in silenced for state in states)


def annotate(check: dict[str, Any], silenced: Mapping[str, Silence],
             acks: Mapping[str, Acknowledgement] | None = None) -> dict[str, Any]:
    """Add `"silenced": {...}` (and `"acknowledged"`) to the threshold entries of a
    `check`/`watch` JSON object; returns it."""
    for entry in check.get("thresholds", []):
        silence = silenced.get(entry.get("name"))
        if silence is not None:
            entry["silenced"] = silence.as_dict()
        ack = (acks or {}).get(entry.get("name"))
        if ack is not None and entry.get("state") == FIRING:
            entry["acknowledged"] = {"by": ack.by, "at": format_timestamp(ack.at)}
    return check


def marks(silenced: Mapping[str, Silence], acks: Mapping[str, Acknowledgement] | None = None,
          states: Iterable[ThresholdState] = ()) -> dict[str, str]:
    """Per alert, what the text forms add after its state: its silence, and who has
    acknowledged it while it fires."""
    out = {name: silence.describe() for name, silence in silenced.items()}
    for state in states:
        ack = (acks or {}).get(state.name)
        if ack is not None and state.state == FIRING:
            out[state.name] = " · ".join(filter(None, (out.get(state.name), ack.describe())))
    return out


def mark_forms(silenced: Mapping[str, Silence],
               acks: Mapping[str, Acknowledgement] | None = None,
               states: Iterable[ThresholdState] = ()) -> dict[str, tuple[str, ...]]:
    """Per alert, the same marks as `marks` in forms from longest to shortest (a
    panel shows the longest that fits its width): silence and acknowledgement
    shortened together, the silence kept longer."""
    out: dict[str, tuple[str, ...]] = {}
    names = [*silenced, *(s.name for s in states if s.name not in silenced)]
    firing = {state.name for state in states if state.state == FIRING}
    for name in names:
        silence = silenced.get(name)
        ack = (acks or {}).get(name) if name in firing else None
        if silence is None and ack is None:
            continue
        quiet = silence.forms() if silence is not None else ()
        taken = ack.forms() if ack is not None else ()
        if not (quiet and taken):
            out[name] = quiet or taken
            continue
        forms: list[str] = []
        for step in range(len(quiet)):
            # the acknowledgement shortens first: who silenced it, and till when, matters more
            form = (f"{quiet[min(max(step - 1, 0), len(quiet) - 2)]} · "
                    f"{taken[min(step, len(taken) - 1)]}")
            if form not in forms:
                forms.append(form)
        forms += quiet[-2:]  # at the narrowest, the silence alone: till when, then "silenced"
        out[name] = tuple(forms)
    return out


def gather(store: SilenceStore | None, extra: Iterable[Silence] = (), *,
           now: float | None = None
           ) -> tuple[dict[str, Silence], dict[str, Acknowledgement], list[str]]:
    """Silences in force per alert (the file's and `extra`, e.g. Alertmanager's), the
    acknowledgements, and what went wrong reading them (a warning: a broken file
    silences nothing, so alerts still reach someone)."""
    moment = time.time() if now is None else now
    local: list[Silence] = []
    acks: dict[str, Acknowledgement] = {}
    problems: list[str] = []
    if store is not None:
        try:
            local = store.silences(moment)
            acks = store.acknowledgements()
        except SilenceError as error:
            problems.append(f"silences: {error}; nothing in it is silenced")
        else:
            if store.skipped:
                problems.append(f"silences: {store.skipped} entr"
                                f"{'y' if store.skipped == 1 else 'ies'} of {store.path} "
                                "not understood: not silenced")
    return silences_by_alert([*local, *extra], moment), acks, problems
