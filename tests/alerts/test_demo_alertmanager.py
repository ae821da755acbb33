"""`wftui demo --alertmanager URL` in a real terminal (tmux) pushes its alert to a real
Alertmanager: an operator trying wftui with the team's pager sees it reach it."""

from __future__ import annotations

from pathlib import Path

from tests.alerts.alertmanager_server import Alertmanager, require_binary
from tests.alerts.test_notify import Receiver
from tests.helpers import wait_for
from tests.ui.test_terminal import _command, terminal  # noqa: F401


def test_demo_pushes_its_firing_alert(terminal, tmp_path: Path) -> None:  # noqa: F811
    require_binary()
    config = tmp_path / "wftui.toml"  # a short `for`: the error spike fires quickly
    config.write_text('[thresholds.error_rate]\nthreshold = 0.05\nfor = "1s"\n'
                      '[alertmanager]\nseverity = "page"\nresend = "1s"\n')
    with Receiver() as hook:
        server = Alertmanager(hook.url).start()
        try:
            term = terminal(_command("demo", "--speed", "10", "--incident", "error-spike",
                                     "--log", str(tmp_path / "demo.log"), "--config",
                                     str(config), "--alertmanager", server.url))
            term.wait(lambda s: f"alertmanager {server.url}" in s, "its source line")
            (alert,) = wait_for(server.alerts, "the demo's alert in Alertmanager")
            assert (alert["labels"]["figure"], alert["labels"]["severity"]) == (
                "error_rate", "page")
            assert alert["labels"]["workflow_name"] == "support_ticket"
            term.wait(lambda s: "alerts delivered" in s, "delivered, on its source line")
        finally:
            server.close()
