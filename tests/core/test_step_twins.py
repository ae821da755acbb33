"""The marks that make a step both logged and traced count once, for steps run more
than once in an execution (`wftui.core.step_twins`; MATCH_SLACK_S is 1 s)."""

from __future__ import annotations

from wftui.core.step_twins import StepTwins


def test_each_span_takes_the_closest_logged_run_of_its_step() -> None:
    twins = StepTwins()
    assert not twins.logged_done("fetch", 10.0)
    assert not twins.logged_done("fetch", 10.5)
    assert not twins.logged_done("fetch", 30.0)
    # 9.4-13 holds the runs at 10.0 and 10.5: 10.5 is nearer the span's start (10.4)
    assert twins.span_done("fetch", 10.4, 12.0)
    assert twins.logged == {"fetch": [10.0, 30.0]}
    assert twins.span_done("fetch", 9.9, 11.0)  # then the run at 10.0
    assert not twins.span_done("fetch", 9.9, 11.0)  # none left near: a run of its own
    assert twins.span_done("fetch", 29.5, 31.0)
    assert twins.logged == {} and twins.spans == {"fetch": (9.9, 11.0)}


def test_each_logged_run_takes_the_span_it_started_in() -> None:
    twins = StepTwins()
    assert not twins.span_done("chat", 0.0, 5.0)
    assert not twins.span_done("chat", 6.0, 9.0)
    assert not twins.span_done("search", 0.0, 1.0)
    assert twins.logged_done("chat", 6.2)  # 5-10: the second span (start 6.0 nearer)
    assert twins.spans == {"chat": [(0.0, 5.0)], "search": (0.0, 1.0)}
    assert not twins.logged_done("chat", 12.5)  # outside every span, give or take 1 s
    assert twins.logged_done("chat", 0.1)
    assert twins.logged_done("search", 1.9)  # at 1 s past its end: still it
    assert twins.spans == {} and twins.logged == {"chat": 12.5}
