"""`wftui check` run as an operator runs it: its own process (forked, `tests.forked`), with an
empty config home and no WFTUI_* variables from outside (shared by the check tests)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.forked import run_wftui

REPO = Path(__file__).resolve().parents[1]


def check_env(tmp_path: Path) -> dict[str, str]:
    """PYTHONPATH at the repo; an empty XDG config home; no WFTUI_* from outside (each
    test module's `env` fixture)."""
    xdg = tmp_path / "xdg"
    xdg.mkdir()
    out = {k: v for k, v in os.environ.items() if not k.startswith("WFTUI_")}
    out.update(PYTHONPATH=str(REPO), XDG_CONFIG_HOME=str(xdg))
    return out


def check(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`wftui check --window all ARGS`."""
    return run_wftui(["check", "--window", "all", *args], cwd=REPO, env=env, timeout=120)
