"""The service starts whatever the working directory holds.

`wftui demo` run from a checkout: with `-m`, Python puts the working directory first on
the module path, and the checkout's own wftui/ (which has no _demo: the wheel carries
demo/ under that name) hid the installed package. A shadowing `demo` package in the
working directory stands in for that here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from demo import start_demo_process


def test_a_shadowing_package_in_the_working_directory_is_not_imported(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shadow = tmp_path / "cwd" / "demo"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('the shadow was imported')\n")
    monkeypatch.chdir(shadow.parent)
    service = start_demo_process(tmp_path / "events.log", speed=20)
    try:
        assert service.running()
    finally:
        service.stop()
