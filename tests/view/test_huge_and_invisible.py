"""Numbers far past any sane value (duration_ms 1e308, 10**30 tokens) are said short,
never in hundreds of digits that wrap a panel or are cut in a cell ("1,000,00…" reads as
a million); and zero-width / bidi characters in names are shown, not hidden.

Expected values by hand: 1e308 ms = 1e305 s = 1e305 / 86,400 days = 1.157e300 days.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.forked import run_wftui
from wftui.core import format as fmt
from wftui.core.ledger import Ledger
from wftui.view.table import row_text

HUGE_TOKENS = 10**30
SPOOF = "pay\u200bments"  # looks like "payments"


def _log(tmp_path: Path) -> Path:
    path = tmp_path / "huge.log"
    start, end = "2026-01-01T12:00:00.000000", "2026-01-01T12:00:01.000000"
    events = [
        {"event": "workflow_start", "execution_id": "H", "workflow_name": SPOOF,
         "timestamp": start},
        {"event": "step_start", "execution_id": "H", "step_name": "llm\u2066x\u2069",
         "step_type": "llm", "timestamp": start},
        {"event": "step_complete", "execution_id": "H", "step_name": "llm\u2066x\u2069",
         "duration_ms": 1e308, "success": True, "input_tokens": HUGE_TOKENS,
         "output_tokens": 5, "cost_usd": 1e30, "timestamp": end},
        {"event": "workflow_complete", "execution_id": "H", "status": "success",
         "duration_ms": 1e308, "timestamp": end},
    ]
    path.write_text("".join(json.dumps(event) + "\n" for event in events))
    return path


def test_the_formats_say_huge_numbers_short() -> None:
    assert fmt.seconds(1e305) == "1.2e300d"
    assert fmt.seconds(1e308) == "1.2e303d"
    assert fmt.seconds(99_999 * 86_400 + 12 * 3600) == "99,999d12h"  # still in full
    assert fmt.count(HUGE_TOKENS) == "1.0e30"
    assert fmt.count(999_999_999_999) == "999,999,999,999"
    assert fmt.count_in(1_234_567_890, 9) == "1.23G"
    assert fmt.count_in(999_960, 6) == "1.00M"  # 999.96k rounds to 1,000k: the next prefix
    assert fmt.dollars(1e30) == "$1.0e30"
    assert fmt.ratio(1e300) == "1.0e300"
    assert fmt.usage(HUGE_TOKENS, 5, 0.0)[0] == "1.0e30 in / 5 out"


def test_check_text_says_a_1e308_ms_duration_in_a_few_cells(tmp_path: Path) -> None:
    done = run_wftui(["check", str(_log(tmp_path)), "--format", "text", "--window", "all"])
    assert done.returncode == 1  # p95 far above 60 s: firing
    assert "p95 1.2e300d" in done.stdout
    assert not re.search(r"\d{20}|(\d{1,3},){7}", done.stdout), done.stdout
    assert max(len(line) for line in done.stdout.splitlines()) < 160
    assert "\u2066" not in done.stdout and "\u2069" not in done.stdout
    assert "llm⍰x⍰" in done.stdout


def test_the_table_row_says_huge_values_short_and_shows_the_hidden_space(
        tmp_path: Path) -> None:
    ledger = Ledger()
    ledger.ingest_lines("huge.log", 1, _log(tmp_path).read_bytes().splitlines())
    (execution,) = ledger.summaries()
    text = row_text(execution.row(1_767_268_800 + 10, 30.0), 120).plain  # 12:00:10Z
    assert len(text) == 120
    # duration 11 cells from 43, steps 8, errors 9, tokens 10, cost 10 (right-aligned)
    assert text[43:54] == "1.2e300d ".rjust(11)
    assert text[71:81] == "1.0e30 ".rjust(10)
    assert text[81:91] == "$1.0e30 ".rjust(10)
    assert text[91:].rstrip() == "pay⍰ments"
