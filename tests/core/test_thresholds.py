"""Thresholds (docs/figures.md): the default thresholds, `for`, `clear`, no_data,
transitions and the alert history. Every step gives `now` explicitly."""

from __future__ import annotations

from typing import Any

import pytest

from wftui.core.thresholds import (
    DEFAULT_THRESHOLDS,
    FIRING,
    NO_DATA,
    OK,
    PENDING,
    Threshold,
    ThresholdEngine,
)

ERROR_ACTION = "Page on-call, investigate root cause"


def figures(error_rate: float | None = None, p95: float | None = None,
            active: float | None = None, queue: float | None = None) -> dict[str, Any]:
    return {"error_rate": error_rate,
            "latency_s": {"p50": None, "p95": p95, "p99": None},
            "step_latency_s": {}, "throughput_per_min": None,
            "active_workflows": active, "queue_depth": queue}


def state_of(engine: ThresholdEngine, name: str, fig: dict[str, Any], now: float) -> str:
    states, _ = engine.update(fig, now)
    return next(s.state for s in states if s.name == name)


def error_only(**kwargs: Any) -> ThresholdEngine:
    return ThresholdEngine((Threshold("error_rate", 0.05, ERROR_ACTION, **kwargs),))


def test_defaults_are_the_articles_table() -> None:
    table = {t.name: (t.above, t.action, t.for_s, t.enabled) for t in DEFAULT_THRESHOLDS}
    assert table == {
        "error_rate": (0.05, "Page on-call, investigate root cause", 0.0, True),
        "latency_p95_s": (60.0, "Identify slow steps, check external services", 0.0, True),
        "active_workflows": (1000.0, "Check for backlog, scale workers", 0.0, True),
        "queue_depth": (10000.0, "Tasks accumulating; potential bottleneck", 0.0, True),
    }


@pytest.mark.parametrize(("fig", "expected"), [
    (figures(0.05, 60.0, 1000, 10000), {"error_rate": OK, "latency_p95_s": OK,
                                        "active_workflows": OK, "queue_depth": OK}),
    (figures(0.0501, 60.01, 1001, 10001), {"error_rate": FIRING, "latency_p95_s": FIRING,
                                           "active_workflows": FIRING,
                                           "queue_depth": FIRING}),
    (figures(None, None, None, None), {"error_rate": NO_DATA, "latency_p95_s": NO_DATA,
                                       "active_workflows": NO_DATA,
                                       "queue_depth": NO_DATA}),
    (figures(0.2, 1.0, None, 3), {"error_rate": FIRING, "latency_p95_s": OK,
                                  "active_workflows": NO_DATA, "queue_depth": OK}),
])
def test_breach_is_strictly_above(fig: dict[str, Any], expected: dict[str, str]) -> None:
    states, _ = ThresholdEngine().update(fig, 0.0)
    assert {s.name: s.state for s in states} == expected
    by_name = {s.name: s for s in states}
    assert by_name["latency_p95_s"].value == fig["latency_s"]["p95"]
    assert by_name["error_rate"].threshold == 0.05
    assert by_name["error_rate"].action == ERROR_ACTION


def test_for_holds_pending_then_fires() -> None:
    engine = error_only(for_s=60.0)
    assert state_of(engine, "error_rate", figures(0.1), 1000.0) == PENDING
    assert state_of(engine, "error_rate", figures(0.2), 1030.0) == PENDING
    assert state_of(engine, "error_rate", figures(0.2), 1059.0) == PENDING
    assert state_of(engine, "error_rate", figures(0.2), 1061.0) == FIRING


def test_breach_that_goes_away_before_for_resets_the_wait() -> None:
    engine = error_only(for_s=60.0)
    assert state_of(engine, "error_rate", figures(0.1), 0.0) == PENDING
    assert state_of(engine, "error_rate", figures(0.01), 50.0) == OK
    assert state_of(engine, "error_rate", figures(0.1), 70.0) == PENDING
    assert state_of(engine, "error_rate", figures(0.1), 100.0) == PENDING  # 30 s, not 100
    assert state_of(engine, "error_rate", figures(0.1), 131.0) == FIRING


def test_no_data_during_pending_resets_the_wait() -> None:
    engine = error_only(for_s=60.0)
    assert state_of(engine, "error_rate", figures(0.1), 0.0) == PENDING
    assert state_of(engine, "error_rate", figures(None), 30.0) == NO_DATA
    assert state_of(engine, "error_rate", figures(0.1), 61.0) == PENDING


def test_clear_hysteresis() -> None:
    engine = error_only(clear=0.02)
    assert state_of(engine, "error_rate", figures(0.06), 0.0) == FIRING
    assert state_of(engine, "error_rate", figures(0.04), 10.0) == FIRING  # below 0.05
    assert state_of(engine, "error_rate", figures(0.03), 20.0) == FIRING
    assert state_of(engine, "error_rate", figures(0.02), 30.0) == OK  # the value that ends it
    # from ok, a breach needs > 0.05 again, not > 0.02
    assert state_of(engine, "error_rate", figures(0.04), 40.0) == OK


def test_without_clear_it_ends_at_the_threshold() -> None:
    engine = error_only()
    assert state_of(engine, "error_rate", figures(0.06), 0.0) == FIRING
    assert state_of(engine, "error_rate", figures(0.05), 10.0) == OK


def test_disabled_threshold_never_fires() -> None:
    engine = ThresholdEngine((Threshold("error_rate", 0.05, ERROR_ACTION, enabled=False),
                              DEFAULT_THRESHOLDS[3]))
    states, transitions = engine.update(figures(0.9, queue=20_000), 0.0)
    assert [(s.name, s.state) for s in states] == [("queue_depth", FIRING)]
    assert [t.name for t in transitions] == ["queue_depth"]


def test_transitions_say_what_changed() -> None:
    engine = error_only(for_s=10.0)
    _, changes = engine.update(figures(0.01), 0.0)
    assert changes == []  # ok at start is not news
    _, changes = engine.update(figures(0.1), 5.0)
    assert [(c.before, c.after, c.value, c.at) for c in changes] == [(OK, PENDING, 0.1, 5.0)]
    _, changes = engine.update(figures(0.1), 10.0)
    assert changes == []
    _, changes = engine.update(figures(0.3), 16.0)
    assert [(c.before, c.after, c.value, c.threshold, c.action, c.at) for c in changes] == [
        (PENDING, FIRING, 0.3, 0.05, ERROR_ACTION, 16.0)]
    _, changes = engine.update(figures(0.2), 20.0)
    assert changes == []
    _, changes = engine.update(figures(0.0), 30.0)
    assert [(c.before, c.after) for c in changes] == [(FIRING, OK)]
    _, changes = engine.update(figures(None), 40.0)
    assert [(c.before, c.after) for c in changes] == [(OK, NO_DATA)]


def test_alert_history_records_fired_peak_and_cleared() -> None:
    engine = error_only()
    for now, value in [(0.0, 0.01), (10.0, 0.1), (20.0, 0.3), (30.0, 0.2), (40.0, 0.01),
                       (50.0, 0.07)]:
        engine.update(figures(value), now)
    alerts = engine.alerts()
    assert len(alerts) == 2
    newest, first = alerts  # newest first
    assert (first.name, first.fired_at, first.peak, first.cleared_at) == (
        "error_rate", 10.0, 0.3, 40.0)
    assert (newest.fired_at, newest.peak, newest.cleared_at) == (50.0, 0.07, None)


def test_alerts_are_copies() -> None:
    engine = error_only()
    engine.update(figures(0.1), 0.0)
    engine.alerts()[0].cleared_at = 99.0
    assert engine.alerts()[0].cleared_at is None


def test_firing_holds_through_no_data() -> None:
    """No data proves nothing: a firing alert keeps firing (and is not resolved, so
    watch sends no "all clear") until data shows it at or below `clear`."""
    engine = error_only(clear=0.04)
    engine.update(figures(0.1), 0.0)
    assert state_of(engine, "error_rate", figures(None), 5.0) == FIRING
    assert engine.alerts()[0].cleared_at is None
    assert state_of(engine, "error_rate", figures(0.045), 6.0) == FIRING  # above clear
    assert state_of(engine, "error_rate", figures(0.03), 7.0) == OK
    assert engine.alerts()[0].cleared_at == 7.0


def test_pending_to_no_data_forgets_the_breach() -> None:
    engine = error_only(for_s=30.0)
    assert state_of(engine, "error_rate", figures(0.1), 0.0) == PENDING
    assert state_of(engine, "error_rate", figures(None), 10.0) == NO_DATA
    assert state_of(engine, "error_rate", figures(0.1), 20.0) == PENDING
    assert state_of(engine, "error_rate", figures(0.1), 45.0) == PENDING  # 25 s, not 45


def test_for_and_clear_together() -> None:
    engine = error_only(for_s=30.0, clear=0.02)
    assert state_of(engine, "error_rate", figures(0.1), 0.0) == PENDING
    assert state_of(engine, "error_rate", figures(0.1), 31.0) == FIRING
    assert state_of(engine, "error_rate", figures(0.03), 40.0) == FIRING  # above clear
    assert state_of(engine, "error_rate", figures(0.01), 50.0) == OK
    assert state_of(engine, "error_rate", figures(0.1), 60.0) == PENDING  # waits again


def test_since_is_when_the_state_began() -> None:
    engine = error_only(for_s=60.0)
    states, _ = engine.update(figures(0.1), 1000.0)
    assert (states[0].state, states[0].since) == (PENDING, 1000.0)
    states, _ = engine.update(figures(0.1), 1030.0)
    assert (states[0].state, states[0].since) == (PENDING, 1000.0)
    states, _ = engine.update(figures(0.1), 1061.0)
    assert (states[0].state, states[0].since) == (FIRING, 1061.0)


def test_a_quantile_in_the_inf_bucket_at_the_threshold_is_a_breach() -> None:
    """A p95 in the +Inf bucket reads as the highest finite bound, 60 s, and the truth
    is above it: more than 5% of executions took longer than 60 s. With the default
    threshold of 60 s (breach above it), that is a breach, not "ok at 60"; a plain 60
    (interpolated inside a bucket) is not."""
    beyond = figures(p95=60.0)
    beyond["latency_s"]["at_least"] = {"p95": True}
    engine = ThresholdEngine((Threshold("latency_p95_s", 60.0, "look"),))
    assert state_of(engine, "latency_p95_s", beyond, 0.0) == FIRING
    assert state_of(ThresholdEngine((Threshold("latency_p95_s", 60.0, "look"),)),
                    "latency_p95_s", figures(p95=60.0), 0.0) == OK
    # Firing with clear = 60: still above 60, so still firing; a plain 60 clears it.
    engine = ThresholdEngine((Threshold("latency_p95_s", 70.0, "look", clear=60.0),))
    assert state_of(engine, "latency_p95_s", figures(p95=80.0), 0.0) == FIRING
    assert state_of(engine, "latency_p95_s", beyond, 1.0) == FIRING
    assert state_of(engine, "latency_p95_s", figures(p95=60.0), 2.0) == OK


def test_a_firing_threshold_disabled_by_a_reload_ends_its_alert() -> None:
    """A reloaded config disables a firing threshold: it is no longer judged, so its
    alert in the history ends then instead of reading "firing" for ever, and enabled
    again it starts afresh (a breach fires anew)."""
    threshold = Threshold("error_rate", 0.05, ERROR_ACTION)
    engine = ThresholdEngine((threshold,))
    assert state_of(engine, "error_rate", figures(error_rate=0.5), 10.0) == FIRING
    engine.set_thresholds((Threshold("error_rate", 0.05, ERROR_ACTION, enabled=False),))
    states, _ = engine.update(figures(error_rate=0.5), 20.0)
    assert states == []
    assert [(a.fired_at, a.cleared_at) for a in engine.alerts()] == [(10.0, 20.0)]
    engine.set_thresholds((threshold,))
    states, transitions = engine.update(figures(error_rate=0.5), 30.0)
    assert [s.state for s in states] == [FIRING]
    assert [(t.before, t.after) for t in transitions] == [(OK, FIRING)]
    assert [a.fired_at for a in engine.alerts()] == [30.0, 10.0]
