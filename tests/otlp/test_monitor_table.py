"""The monitor receiving OTLP only: its executions table lists traces, so while none
has come it says so, not that executions need a log file."""

from __future__ import annotations

from tests.helpers import free_port
from tests.ui.conftest import wait_for
from tests.ui.screen import screen_text
from wftui.config import Settings
from wftui.core.spans import SpanReader
from wftui.live import LiveMonitor
from wftui.sources.otlp.receiver import OtlpReceiver
from wftui.ui.app import make_app


async def test_empty_table_with_only_otlp_waits_for_traces() -> None:
    settings = Settings()
    receiver = OtlpReceiver("127.0.0.1", free_port(), reader=SpanReader())
    monitor = LiveMonitor(settings, [], otlp=receiver)
    app = make_app(settings, monitor)
    try:
        async with app.run_test(size=(160, 45)) as pilot:
            await wait_for(pilot, lambda: "listening" in screen_text(app),
                           "the receiver listening")
            text = screen_text(app)
            assert "no executions yet" in text
            assert "executions come from log files" not in text
    finally:
        monitor.stop()
