"""Links between an execution and its replays (`workflow_start.replay_of`).

A replay may be logged before its original (another file, or the original folded and
read again): its id waits here until the original is retained, then comes first in the
original's `replays`, in the order the replays were read.
"""

from __future__ import annotations

from collections.abc import Mapping

from wftui.core.execution import Execution


class ReplayLinks:
    """Replays waiting for their original, at most `limit` originals' worth."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._waiting: dict[str, list[str]] = {}

    def link(self, executions: Mapping[str, Execution], original: str,
             replay_id: str) -> None:
        """`replay_id` replays `original`: note it on the original, or keep it waiting."""
        target = executions.get(original)
        if target is not None:
            if replay_id not in target.replays:
                target.replays.append(replay_id)
        elif len(self._waiting) < self.limit:
            waiting = self._waiting.setdefault(original, [])
            if replay_id not in waiting:
                waiting.append(replay_id)

    def claim(self, execution: Execution) -> None:
        """A newly retained execution takes the replays that were waiting for it."""
        waiting = self._waiting.pop(execution.execution_id, None)
        if waiting:  # replays logged before their original come first (and once: an
            # execution a merge brings may have linked one already)
            execution.replays = waiting + [r for r in execution.replays if r not in waiting]

    def waiting(self) -> dict[str, list[str]]:
        """original id -> replay ids still waiting for it (a copy)."""
        return {original: list(ids) for original, ids in self._waiting.items()}
