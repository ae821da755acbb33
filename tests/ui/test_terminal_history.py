"""End to end in a real terminal (tmux): an old log opened for a post-mortem, and a big
one being caught up on.

The old log is generated here: 30 minutes on 2026-03-01 (09:00:00 to 09:29:50), one
execution every 2 s, all failing between 09:26:00 and 09:27:00 (so the error rate over
5 minutes passes 5% at about 09:26), the last two still open at the end. Worked out by
hand: the alert fires at 09:26:0x log time, the log ends 09:29:50, running executions
are open at the end of the log (not aged against today), the error-rate sparkline has
the log's history (many bars, not one), and the alert key goes to the moment it fired.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.ui.test_terminal import REPO, Terminal
from tests.ui.test_terminal import terminal as terminal  # noqa: PLC0414 - the fixture

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SPIKE = (26 * 60, 27 * 60)  # seconds after 09:00 in which every execution fails
END_S = 29 * 60 + 50


def _line(kind: str, execution: str, second: float, **fields: object) -> str:
    record = {"event": kind, "execution_id": execution,
              "timestamp": (T0 + timedelta(seconds=second)).isoformat()}
    record.update(fields)
    return json.dumps(record)


def old_log(path: Path) -> None:
    lines = []
    for n, start in enumerate(range(0, END_S - 4, 2)):
        name = f"run-{n:04d}"
        failed = SPIKE[0] <= start < SPIKE[1]
        lines.append(_line("workflow_start", name, start, workflow_name="support"))
        lines.append(_line("step_start", name, start, step_name="fetch"))
        lines.append(_line("step_complete", name, start + 1.5, step_name="fetch",
                           success=not failed, duration_ms=1500))
        lines.append(_line("workflow_complete", name, start + 1.5,
                           status="failure" if failed else "success"))
    for name, start in (("open-1", END_S - 3), ("open-2", END_S - 1)):
        lines.append(_line("workflow_start", name, start, workflow_name="support"))
        lines.append(_line("step_start", name, start, step_name="fetch"))
    lines.append(_line("step_start", "open-2", END_S, step_name="classify"))
    path.write_text("\n".join(lines) + "\n")


def wide(term: Terminal) -> Terminal:
    """160x45 whatever tmux chose for a detached session (the layout is asserted on)."""
    term._tmux("resize-window", "-t", term.session, "-x", "160", "-y", "45", check=False)
    return term


def wftui(path: Path) -> str:
    # COLUMNS/LINES from the test runner's own terminal would override the pane's size
    return (f"cd {shlex.quote(str(path.parent))} && unset COLUMNS LINES && "
            f"exec {shlex.quote(sys.executable)} -m wftui {shlex.quote(path.name)}")


def test_an_old_log_is_shown_in_its_own_time(tmp_path: Path,
                                             terminal: Callable[[str], Terminal]) -> None:
    path = tmp_path / "yesterday.log"
    old_log(path)
    term = wide(terminal(wftui(path)))
    screen = term.wait(lambda s: "history: log ends 2026-03-01 09:29:50" in s
                       and "FIRING" in s and "fired" in s and "open at end of log" in s,
                       "the old log judged")
    # judged along the 30-minute log every 6 s: the time is marked as near (≈)
    fired = re.search(r"fired ≈(\d\d:\d\d:\d\d)", screen)
    assert fired is not None and "09:26:00" <= fired.group(1) < "09:26:30", screen
    # the two open at the end are said once, in those words (not also "2 running")
    assert "· 2 open at end of log ·" in screen and "◌ open" in screen
    assert "running" not in screen.split("Executions", 1)[1].splitlines()[0], screen
    assert not re.search(r"\d{3,}h\d\dm", screen)  # no age measured against today
    panel_rows = [row for row in screen.splitlines() if "last 10m" in row]
    assert panel_rows, screen
    error_panel = panel_rows[0].split("││")[0]
    assert sum(error_panel.count(block) for block in "▁▂▃▄▅▆▇█") >= 10, error_panel
    term.keys("t")  # to the moment the alert fired
    screen = term.wait(lambda s: "(history)" in s, "the alert's moment")
    marker = re.search(r"at (\d\d:\d\d(?::\d\d)?)–(\d\d:\d\d(?::\d\d)?) \(history\)",
                       screen)
    assert marker is not None and marker.group(2) == fired.group(1), screen
    assert "FIRING" in screen
    term.keys("l")  # back to live (here: the log's end)
    term.wait(lambda s: "(history)" not in s and "history: log ends" in s, "back to now")


def test_a_big_log_says_how_far_reading_has_got(tmp_path: Path,
                                                terminal: Callable[[str], Terminal]
                                                ) -> None:
    path = tmp_path / "big.log"
    total = 400_000
    template = ('{"event": "step_start", "execution_id": "run-%07d", "step_name": "fetch",'
                ' "timestamp": "2026-03-01T09:%02d:%02d"}')
    with path.open("w") as out:
        for n in range(total):
            out.write(template % (n // 4, (n // 20000) % 60, (n // 400) % 60) + "\n")
    term = terminal(wftui(path))
    seen = term.wait(lambda s: re.search(r"reading \d+%.*lines", s) is not None
                     or re.search(r"following\s+400,000 lines", s) is not None,
                     "the progress line or the end of reading")
    term.wait(lambda s: re.search(r"following\s+400,000 lines", s) is not None,
              "the whole file read")
    assert re.search(r"reading \d+%", seen), "no progress line was seen:\n" + seen
    assert REPO.exists()
