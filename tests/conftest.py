"""Suite-wide test settings: fuzz depth, and a private home (and tmux socket
directory) for every test.

Fuzz depth: every property test runs ``FUZZ_EXAMPLES`` examples (default 50, enough to
find the shallow cases on every run while the suite stays inside its 2-minute budget);
``FUZZ_EXAMPLES=3000 python -m pytest tests/core/test_parse_fuzz.py`` digs deeper.
Tests take their depth from this profile, so no test sets ``max_examples`` itself.
"""

from __future__ import annotations

import compileall
import contextlib
import gc
import importlib
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from wftui.cli import GC_THRESHOLDS

DEFAULT_FUZZ_EXAMPLES = 50


def _fuzz_examples() -> int:
    raw = os.environ.get("FUZZ_EXAMPLES", "").strip()
    if not raw:
        return DEFAULT_FUZZ_EXAMPLES
    try:
        count = int(raw)
    except ValueError:
        raise pytest.UsageError(f"FUZZ_EXAMPLES must be a whole number, got {raw!r}") from None
    if count < 1:
        raise pytest.UsageError(f"FUZZ_EXAMPLES must be at least 1, got {count}")
    return count


# No deadline: a loaded 2-core machine (or many xdist workers) makes single examples
# slow now and then, and a flaky "deadline exceeded" says nothing about the code.
settings.register_profile(
    "wftui", max_examples=_fuzz_examples(), deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("wftui")


@pytest.fixture(autouse=True)
def private_home(tmp_path_factory: pytest.TempPathFactory,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own XDG directories.

    Nothing reads the developer's own config, and no two tests (or xdist workers)
    share the replay audit log or an export directory. Tests that need a particular
    directory still set the variable themselves, after this.
    """
    home = tmp_path_factory.mktemp("xdg")
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        path = home / name.removeprefix("XDG_").removesuffix("_HOME").lower()
        path.mkdir()
        monkeypatch.setenv(name, str(path))
    for name in ("WFTUI_CONFIG", "WFTUI_WINDOW", "WFTUI_IDLE_TIMEOUT", "WFTUI_RETENTION"):
        monkeypatch.delenv(name, raising=False)
    # The terminal tests' tmux servers make their sockets here, not in /tmp/tmux-UID
    # (where kill-server leaves each one behind: hundreds per run).
    sockets = home / "tmux"
    sockets.mkdir()
    monkeypatch.setenv("TMUX_TMPDIR", str(sockets))
    yield home


def pytest_configure(config: pytest.Config) -> None:
    """A suite started in the background (`pytest &`) inherits ctrl+c ignored, and so
    would every wftui it starts: the tests that send SIGINT would wait for nothing.
    A handler (not an ignore) is reset to the default in the processes started here.

    Once per run (not in each xdist worker), the repository's packages are compiled:
    hundreds of tests start `python -m wftui` from this checkout, and where Python
    writes no bytecode itself (PYTHONDONTWRITEBYTECODE, as on our CI machines) each
    start compiled every module again (a fresh clone's suite: ~25 s more CPU)."""
    # Also: pytest caches each test module's assertion rewrite in __pycache__ only when
    # Python may write bytecode. Without that cache every worker rewrote every test
    # module on every run (~2.8 s of CPU each).
    sys.dont_write_bytecode = False
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if not hasattr(config, "workerinput"):
        root = Path(__file__).resolve().parent.parent
        for package in ("wftui", "demo"):
            compileall.compile_dir(root / package, quiet=1)
        if config.getoption("numprocesses", None):
            _rewrite_test_modules_once(root)


def _rewrite_test_modules_once(root: Path) -> None:
    """Before the xdist workers start: rewrite the asserts of each test module whose
    rewrite is not cached yet, here, once. Each worker collects every module, and on a
    first run (a fresh clone, CI) every worker on the two cores rewrote all of them
    at once: ~5 s of CPU each, ~12 s more wall time than a warm run (cold collection
    7.0 s a process, warm 1.8 s). Importing a module here caches its rewrite in
    __pycache__ for the workers; a warm run finds every cache fresh and imports none."""
    try:
        from _pytest.assertion.rewrite import PYC_TAIL
    except ImportError:  # pytest moved it: the workers rewrite, as before
        return
    for path in sorted((root / "tests").rglob("test_*.py")):
        cached = path.parent / "__pycache__" / (path.stem + PYC_TAIL)
        if cached.exists() and cached.stat().st_mtime >= path.stat().st_mtime:
            continue
        name = ".".join(path.relative_to(root).with_suffix("").parts)
        # A module that cannot be imported is the workers' to report, at collection.
        with contextlib.suppress(Exception, pytest.skip.Exception):
            importlib.import_module(name)


def pytest_collection_finish(session: pytest.Session) -> None:
    """The apps under test run with the collector settings the `wftui` command gives
    them (they run in this process, not through the command), and what importing and
    collecting made is never scanned again. The default thresholds had the collector
    walk every module and test item over and over: tests/ui and tests/core took 44.5 and
    45.7 s of CPU this way against 48.4 and 58.0 s (2 workers, two runs each)."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


#: Test files that spend most of their time waiting (on a terminal in tmux, a server's
#: scrape, a hook's timeout) rather than computing. They run first: xdist hands out the
#: first quarter of the tests round-robin, so their waits overlap the CPU-bound tests
#: instead of leaving cores idle at the end of the run (collected last, the tmux files
#: alone kept one or two workers busy for the run's final ~18 s).
WAITING_FILES = (
    "tests/ui/test_terminal.py", "tests/ui/test_terminal_dies.py",
    "tests/ui/test_terminal_history.py", "tests/replay/test_run.py",
    "tests/test_watch.py", "tests/alerts/test_watch_notify.py",
    "tests/alerts/test_explain_metrics.py", "tests/sources/test_prometheus_server.py",
    "tests/alerts/test_notify.py", "tests/alerts/test_demo_alertmanager.py",
    "tests/demo/test_demo_incidents.py", "tests/otlp/test_monitor_table.py",
    "tests/test_live_metrics_backlog.py", "tests/sources/test_files_fifo_rotation.py",
    "tests/sources/test_metrics_first_answer.py", "tests/otlp/test_stop_drain.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(__file__).resolve().parent.parent
    missing = [name for name in WAITING_FILES if not (root / name).is_file()]
    if missing:
        raise pytest.UsageError(f"tests/conftest.py WAITING_FILES names no file: {missing}")
    first = {root / name for name in WAITING_FILES}
    # A stable sort: every worker computes the same order, as xdist requires.
    items.sort(key=lambda item: item.path not in first)
