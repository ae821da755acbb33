"""A threshold's change of state as the operator's notification says it."""

from __future__ import annotations

from wftui.core.thresholds import Transition
from wftui.view.notices import transition_notice


def test_a_lower_bound_at_the_threshold_does_not_read_as_a_contradiction() -> None:
    """A p95 of "≥ 60 s" fires a 60 s threshold: the notice says it is over 1m00s,
    not "1m00s > 1m00s"; a plain value keeps "value > threshold"."""
    beyond = Transition("latency_p95_s", "ok", "firing", 60.0, 60.0, "look", 0.0,
                        at_least=True)
    notice = transition_notice(beyond)
    assert notice is not None
    assert notice.message == ("latency_p95_s FIRING: over 1m00s (past the highest bucket), "
                              "threshold 1m00s. look")
    plain = transition_notice(Transition("latency_p95_s", "ok", "firing", 75.0, 60.0,
                                         "look", 0.0))
    assert plain is not None and plain.message == "latency_p95_s FIRING: 1m15s > 1m00s. look"


def test_watch_text_and_the_hooks_say_a_bound_is_a_bound(capsysbinary) -> None:
    """`alert latency_p95_s: ok -> firing (1m00s, threshold 1m00s)` read as a value at
    the line, not past it: a p95 in the +Inf bucket is at least the highest bound."""
    from wftui.alerts.notify import transition_record
    from wftui.commands.watch import Output
    from wftui.core.thresholds import Transition

    bound = Transition("latency_p95_s", "ok", "firing", 60.0, 60.0, "look", 0.0,
                       at_least=True)
    record = transition_record(bound)
    assert record["at_least"] is True
    plain = transition_record(Transition("latency_p95_s", "ok", "firing", 61.0, 60.0,
                                         "look", 0.0))
    assert "at_least" not in plain  # the hooks' object is as before unless it is a bound
    Output("text").transition(record)
    out = capsysbinary.readouterr().out.decode()
    assert "alert latency_p95_s: ok -> firing (≥ 1m00s, threshold 1m00s)" in out


def test_a_change_judged_along_an_old_log_says_when_it_happened() -> None:
    """Opening a log of 84 days ago: its error rate was firing at its end. The notice
    read "error_rate FIRING: ..." as if it were happening now."""
    at = 1_789_376_700.0  # 2026-09-14 09:05:00 UTC
    firing = Transition("error_rate", "ok", "firing", 0.57, 0.05, "page", at)
    notice = transition_notice(firing, at + 84 * 86_400 + 3600)
    assert notice is not None and notice.title == "Threshold firing in the log"
    assert notice.message == ("error_rate FIRING (in the log since 2026-09-14 09:05:00, "
                              "84 days ago): 57.00% > 5.00%. page")
    live = transition_notice(firing, at + 2.0)  # judged as it came
    assert live is not None and live.title == "Threshold firing"
    assert live.message == "error_rate FIRING: 57.00% > 5.00%. page"
