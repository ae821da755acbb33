"""The dashboard: figures, thresholds (pending / firing / cleared), sources, windows."""

from __future__ import annotations

from pathlib import Path

from tests.ui.conftest import NOW, T0, append, execution, record_notes, settled, wait_for
from tests.ui.screen import screen_text
from wftui.config import load_settings
from wftui.ui.widgets.figure_panel import FigurePanel


def _mixed(total: int, failed: int, start: float = T0) -> list[dict]:
    """`total` executions, the first `failed` of them failing, 1 s apart."""
    events: list[dict] = []
    for n in range(total):
        events += execution(f"ex-{n:03d}", start + n, failed=n < failed)
    return events


def panel(app, name: str) -> FigurePanel:
    return app.screen.query_one(f"#panel-{name}", FigurePanel)


async def test_firing_error_rate_shows_value_threshold_and_action(harness) -> None:
    events = _mixed(10, 2)  # 2 of 10 ended executions failed: 20.00%
    h = harness(events)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        text = screen_text(h.app)
        assert "20.00%" in text
        assert "FIRING" in text
        assert "threshold > 5.00%" in text
        # the action wraps inside the panel: both halves are on screen
        assert "▶ Page on-call, investigate" in text and "root cause" in text
        assert panel(h.app, "error_rate").has_class("-firing")
        assert "error_rate  fired" in text  # in the alerts list
        # p95 of durations 0.7 s each = 0.7 s (all equal), by hand
        assert "700ms" in text


async def test_pending_looks_different_from_firing(harness, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[thresholds.error_rate]\nthreshold = 0.05\nfor = "1h"\n')
    events = _mixed(10, 2)
    h = harness(events, settings=load_settings(str(config)))
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        text = screen_text(h.app)
        assert "PENDING" in text and "FIRING" not in text
        assert "threshold > 5.00% for 1h" in text
        assert panel(h.app, "error_rate").has_class("-pending")
        assert not panel(h.app, "error_rate").has_class("-firing")
        # the action is shown only once it fires
        assert "Page on-call" not in text


async def test_no_data_is_not_zero(harness) -> None:
    h = harness([])
    async with h.app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: h.app.refreshes > 0, "a first refresh")
        # the (empty) log read: until then the table says it is being read
        await wait_for(pilot, lambda: "no executions yet" in screen_text(h.app),
                       "the log read and the table saying so")
        text = screen_text(h.app)
        assert "no traffic" in text  # error rate with nothing ended
        assert "0.00%" not in text
        assert panel(h.app, "latency").view.quality == "no_data"
        assert panel(h.app, "queue").view.value == "no data"
        assert "no executions yet" in text


async def test_alert_clears_and_history_keeps_fired_cleared_and_peak(harness) -> None:
    events = _mixed(10, 2)
    h = harness(events)
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        assert "FIRING" in screen_text(h.app)
        more = _mixed(40, 0, start=T0 + 20)  # 2 of 50 failed: 4% <= 5%
        more = [{**e, "execution_id": "ok-" + e["execution_id"]} for e in more]
        append(h.log, more)
        await settled(pilot, h.app, len(events) + len(more))
        text = screen_text(h.app)
        assert "4.00%" in text
        assert "cleared" in text
        # judged along the log's time: when the first two had ended, both failed: 100%
        assert "peak 100.00%" in text
        alert = h.app.latest.snapshot.alerts[0]
        assert alert.name == "error_rate" and alert.cleared_at is not None


async def test_sources_header_shows_every_file_and_its_health(harness, tmp_path: Path) -> None:
    events = execution("ex-1", T0)
    h = harness([*events, b"this is not json"])
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        await wait_for(pilot, lambda: "1 malformed" in screen_text(h.app), "malformed count")
        text = screen_text(h.app)
        assert "app.log" in text and "following" in text
        assert f"{len(events) + 1} lines" in text


async def test_missing_file_says_waiting(tmp_path: Path) -> None:
    from wftui.config import Settings
    from wftui.live import LiveMonitor
    from wftui.ui.app import make_app

    monitor = LiveMonitor(Settings(), [str(tmp_path / "not-yet.log")])
    app = make_app(Settings(), monitor, clock=lambda: NOW)
    try:
        async with app.run_test(size=(160, 45)) as pilot:
            await wait_for(pilot, lambda: "waiting for file" in screen_text(app),
                           "the waiting state")
    finally:
        monitor.stop()


async def test_window_key_cycles_windows(harness) -> None:
    h = harness(_mixed(3, 0))
    async with h.app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: h.app.refreshes > 0, "a first refresh")
        assert h.monitor.window_s == 300.0
        await pilot.press("w")
        assert h.monitor.window_s == 900.0
        await pilot.press("w", "w")
        assert h.monitor.window_s is None
        await wait_for(pilot, lambda: "window all" in screen_text(h.app), "window all shown")
        await pilot.press("w")
        assert h.monitor.window_s == 60.0


async def test_config_reload_updates_thresholds_and_keeps_them_on_error(
        harness, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[thresholds.error_rate]\nthreshold = 0.5\n")
    events = _mixed(10, 2)
    h = harness(events, settings=load_settings(str(config)))
    async with h.app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, h.app, len(events))
        assert "threshold > 50.00%" in screen_text(h.app)
        config.write_text("[thresholds.error_rate]\nthreshold = 0.1\n")
        await wait_for(pilot, lambda: "threshold > 10.00%" in screen_text(h.app),
                       "the reloaded threshold", )
        assert h.monitor.engine.thresholds[0].above == 0.1
        config.write_text("[thresholds.error_rate]\nthreshold = 'high'\n")
        await wait_for(pilot, lambda: "config not reloaded" in screen_text(h.app),
                       "the reload error")
        assert h.monitor.engine.thresholds[0].above == 0.1  # the old settings stay
        assert "threshold > 10.00%" in screen_text(h.app)


async def test_a_failing_refresh_is_one_line_and_the_app_carries_on(tmp_path: Path) -> None:
    """A bug under the snapshot (no real data produces one: a subclass stands in)."""
    from wftui.config import Settings
    from wftui.live import LiveMonitor
    from wftui.ui.app import make_app

    class FlakyMonitor(LiveMonitor):
        failures = 1

        def snapshot(self, *args, **kwargs):
            if self.failures:
                self.failures -= 1
                raise RuntimeError("core bug")
            return super().snapshot(*args, **kwargs)

    log = tmp_path / "app.log"
    events = _mixed(3, 0)
    append(log, events)
    monitor = FlakyMonitor(Settings(), [str(log)])
    app = make_app(Settings(), monitor, clock=lambda: NOW)
    notes = record_notes(app)
    try:
        async with app.run_test(size=(160, 45)) as pilot:
            await wait_for(pilot, lambda: any("refresh failed: RuntimeError: core bug"
                                              in note for note in notes),
                           "the one-line error")
            await settled(pilot, app, len(events))
            assert app.is_running
            assert "ex-002" in screen_text(app)
    finally:
        monitor.stop()
    _remove_crash_reports(notes)


def _remove_crash_reports(notes: list[str]) -> None:
    for note in notes:
        if "details in " in note:
            Path(note.rsplit("details in ", 1)[1].rstrip(")")).unlink()


async def test_a_config_replaced_by_a_fifo_is_refused_and_the_ui_goes_on(
        harness, tmp_path: Path) -> None:
    """The config file replaced by a FIFO (opening one waits for a writer): the reload,
    run off the UI thread, says why it was not reloaded; keys and refreshes go on and
    the old thresholds stay."""
    import os

    config = tmp_path / "config.toml"
    config.write_text("[thresholds.error_rate]\nthreshold = 0.5\n")
    h = harness(_mixed(3, 0), settings=load_settings(str(config)))
    async with h.app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: "threshold > 50.00%" in screen_text(h.app),
                       "the configured threshold")
        config.unlink()
        os.mkfifo(config)
        await h.app.run_action("reload_config")
        await pilot.press("w")  # the UI answers
        assert h.monitor.window_s == 900.0
        await wait_for(pilot, lambda: "config not reloaded" in screen_text(h.app)
                       and "window 15m" in screen_text(h.app), "the refusal on screen")
        assert any("FIFO" in note for note in h.notes)
        assert "threshold > 50.00%" in screen_text(h.app)  # the old settings stay
