"""What the compare screen says while a side is missing (wftui.view.compare_wait)."""

from __future__ import annotations

from wftui.view.compare_wait import LATE, NEVER, WAITING, absent_text


def test_the_wait_turns_into_a_warning_and_never_says_so_at_once() -> None:
    def say(waited: float, *, folded: frozenset[str] = frozenset(),
            may_come: bool = True) -> tuple[str, str]:
        return absent_text(["A", "B"], waited, folded=folded, may_come=may_come,
                           retention=50_000)

    assert say(5.0) == ("waiting for A and B to appear in the log (a replay shows up "
                        "once its first event is read)", WAITING)
    assert say(42.4) == ("A and B have not appeared in 42 s: no source has logged them. "
                         "The replay may not have started, or logs where wftui does not "
                         "read (still waiting; esc goes back)", LATE)
    assert say(0.0, may_come=False) == ("A and B are in no source, and none can bring "
                                        "them any more (every source has ended): "
                                        "nothing to compare", NEVER)
    assert say(0.0, folded=frozenset({"B"})) == (
        "B was read but is no longer kept (only the 50,000 newest executions are, the "
        "retention setting): nothing to compare", NEVER)
