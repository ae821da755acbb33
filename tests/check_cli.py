"""`wftui check` run as an operator runs it: a real subprocess of this checkout, with an
empty config home and no WFTUI_* variables from outside (shared by the check tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
    return subprocess.run([sys.executable, "-m", "wftui", "check", "--window", "all", *args],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
