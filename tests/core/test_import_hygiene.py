"""The core never imports Textual (docs/architecture.md), and `wftui check` does not
load the UI toolkit either (wftui/cli.py: check in cron must not pay for it)."""

from __future__ import annotations

import json
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "wftui" / "core"


def core_modules() -> list[str]:
    names = [f"wftui.core.{info.name}" for info in pkgutil.iter_modules([str(CORE)])]
    assert len(names) >= 8, names  # parse, ledger, figures, thresholds, ... all found
    return names


def modules_loaded_after(imports: list[str]) -> set[str]:
    """Import the given modules in a fresh interpreter; the top-level packages loaded."""
    return modules_loaded_by("import importlib\n"
                             f"for name in {imports!r}:\n"
                             "    importlib.import_module(name)\n")


def modules_loaded_by(code: str) -> set[str]:
    """Run `code` in a fresh interpreter; the top-level packages loaded by then."""
    code += ("import json, sys\n"
             "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout))


def test_importing_every_core_module_does_not_load_textual() -> None:
    loaded = modules_loaded_after(core_modules())
    assert "wftui" in loaded
    assert "textual" not in loaded


def test_core_source_never_imports_textual() -> None:
    pattern = re.compile(r"^\s*(import\s+textual\b|from\s+textual\b)", re.MULTILINE)
    offenders = [path.name for path in sorted(CORE.rglob("*.py"))
                 if pattern.search(path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_check_command_does_not_load_textual() -> None:
    loaded = modules_loaded_after(["wftui.cli", "wftui.commands.check", "wftui.config",
                                   "wftui.view.render_text"])
    assert "textual" not in loaded
    # Nor Rich (the TUI's text styling): check prints plain text and JSON.
    assert "rich" not in loaded


def test_a_replay_by_command_loads_no_http_client(tmp_path: Path) -> None:
    # httpx is half of a replay's start; only a URL hook (--replay-url) needs it. The
    # hook is read from a config file, as an operator sets it.
    config = tmp_path / "config.toml"
    config.write_text('[replay]\ncommand = "echo {execution_id}"\n')
    loaded = modules_loaded_by("from wftui.config import load_settings\n"
                               "from wftui.replay.plan import hook_from\n"
                               f"hook = hook_from(load_settings({str(config)!r}))\n"
                               "assert hook is not None and hook.command\n")
    assert "wftui" in loaded
    assert "httpx" not in loaded


def test_a_watch_of_logs_loads_no_network_stack() -> None:
    # `watch` on a log alone (a sidecar started often) pays for no HTTP client, no
    # exposition parser and no OTLP receiver; they load with the flag that needs them.
    loaded = modules_loaded_after(["wftui.cli", "wftui.commands.watch",
                                   "wftui.sources.otlp.options"])
    assert "wftui" in loaded
    assert loaded.isdisjoint({"httpx", "prometheus_client", "aiohttp", "google"}), \
        sorted(loaded & {"httpx", "prometheus_client", "aiohttp", "google"})


def test_the_tui_draws_its_first_screen_before_loading_anyio() -> None:
    # The sources' background loops are made with the app and started after its first
    # screen: anyio (their portal) loads then, not before the first paint.
    loaded = modules_loaded_after(["wftui.cli", "wftui.commands.monitor", "wftui.ui.app",
                                   "wftui.live"])
    assert "textual" in loaded
    assert "anyio" not in loaded
