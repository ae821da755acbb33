"""What the compare screen says while one of its executions is not in the monitor.

A replay shows up once its first event is read, so at first the screen waits. But a
replay id may never come (the hook answered an id its system never used, or the replay
logs where wftui does not read): after `GHOST_AFTER_S` the screen says so, and keeps
waiting. When nothing can bring it (every source has ended, or it was folded away past
`retention`), it says so at once: waiting would be a promise no source can keep.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from wftui.view.text import safe

#: How long a replay may take to log its first event before the screen says it has not.
GHOST_AFTER_S = 30.0

WAITING, LATE, NEVER = "waiting", "late", "never"


def absent_text(absent: Sequence[str], waited_s: float, *, folded: Collection[str],
                may_come: bool, retention: int) -> tuple[str, str]:
    """(what to say, how grave: WAITING, LATE or NEVER) about the executions `absent`
    after `waited_s` seconds of waiting. folded: those of them read but folded away;
    may_come: whether a source can still bring new lines."""
    gone = [execution_id for execution_id in absent if execution_id in folded]
    if gone:
        return (f"{_names(gone)} {'was' if len(gone) == 1 else 'were'} read but "
                f"{'is' if len(gone) == 1 else 'are'} no longer kept (only the "
                f"{retention:,} newest executions are, the retention setting): "
                "nothing to compare", NEVER)
    one = len(absent) == 1
    names = _names(absent)
    if not may_come:
        return (f"{names} {'is' if one else 'are'} in no source, and none can bring "
                f"{'it' if one else 'them'} any more (every source has ended): "
                "nothing to compare", NEVER)
    if waited_s < GHOST_AFTER_S:
        return (f"waiting for {names} to appear in the log (a replay shows up once its "
                "first event is read)", WAITING)
    return (f"{names} {'has' if one else 'have'} not appeared in {waited_s:.0f} s: no "
            f"source has logged {'it' if one else 'them'}. The replay may not have "
            "started, or logs where wftui does not read (still waiting; esc goes back)",
            LATE)


def _names(ids: Sequence[str]) -> str:
    return " and ".join(safe(execution_id) for execution_id in ids)
