"""How a trace says it was sampled, read into its adjusted count; and weighted quantiles
against the same values repeated by their weights (a different computation)."""

from __future__ import annotations

import json
import random

import pytest

from wftui.core.figures import log_figures
from wftui.core.ledger import Ledger
from wftui.core.quantiles import QUANTILES, exact_quantile, quantiles_of, weighted_quantiles
from wftui.core.sampling import adjusted_count, p_count, threshold_count, tracestate_count

TWO_56 = 2**56


@pytest.mark.parametrize(("tracestate", "count"), [
    ("ot=th:0", 1.0),  # threshold 0: everything kept
    ("ot=th:8", 2.0),  # 0x80000000000000 = 2^55 rejected: half kept
    ("ot=th:c", 4.0),  # 0xc0... = 3/4 rejected
    ("ot=th:c0", 4.0),  # trailing zeros are optional
    ("ot=th:c0000000000000", 4.0),  # all 14 digits
    ("ot=th:f", 16.0),
    ("ot=th:ff", 256.0),
    ("ot=th:fffffffffffff", 2.0**52),  # 13 f's + a 0: 2^56 - 16 rejected, 16 kept
    ("ot=th:ffffffffffffff", float(TWO_56)),  # 14 f's: one value in 2^56 kept
    ("ot=th:E", 8.0),  # upper case read too
    ("ot=p:0", 1.0),
    ("ot=p:3", 8.0),
    ("ot=p:62", float(2**62)),
    ("ot=p:63", 0.0),  # "not sampled": stands for no execution
    ("vendor=abc,ot=th:8", 2.0),  # among other vendors' entries
    ("vendor=abc , ot=rv:0123456789abcd;th:c ,x=y", 4.0),  # spaces, other ot sub-keys
    ("ot=p:2;th:8", 2.0),  # th wins over the older p
])
def test_tracestate_counts(tracestate: str, count: float) -> None:
    assert tracestate_count(tracestate) == pytest.approx(count, rel=1e-12)


@pytest.mark.parametrize("tracestate", [
    "", "ot=", "ot=th:", "ot=th:g", "ot=th:0x8", "ot=th:-8", "ot=th:123456789abcdef",
    "ot=th: 8", "ot=p:", "ot=p:64", "ot=p:-1", "ot=p:1.5", "ot=p:x", "ot=p:٣",
    "ot=rv:0123456789abcd", "vendor=th:8", "ot", "ot:th=8", ",,,", "ot=th:8" * 100 + "x",
    "\x00ot=\xff", "not=th:8",
])
def test_malformed_tracestate_is_unknown(tracestate: str) -> None:
    assert tracestate_count(tracestate) is None
    assert adjusted_count(tracestate, {}) is None


def test_threshold_and_p_by_hand() -> None:
    # th:fd70a4 -> 0xfd70a400000000 rejected of 2^56
    kept = TWO_56 - 0xFD70A400000000
    assert threshold_count("fd70a4") == pytest.approx(TWO_56 / kept)
    assert threshold_count("") is None and threshold_count("1" * 15) is None
    assert p_count("10") == 1024.0 and p_count("010") is None


@pytest.mark.parametrize(("attributes", "count"), [
    ({"sample_rate": 0.1}, 10.0),
    ({"sample_rate": 0.25}, 4.0),
    ({"sample_rate": 1}, 1.0),
    ({"sample_rate": 10}, 10.0),  # above 1: "1 in N"
    ({"sample_rate": "0.5"}, 2.0),  # text holding a number
    ({"sampling.priority": 1}, 1.0),  # kept on purpose
    ({"sampling.priority": 2}, 1.0),
    ({"sample_rate": 0.5, "sampling.priority": 1}, 2.0),  # a probability wins
])
def test_attribute_counts(attributes: dict[str, object], count: float) -> None:
    assert adjusted_count("", attributes) == pytest.approx(count)


@pytest.mark.parametrize("attributes", [
    {}, {"sample_rate": 0}, {"sample_rate": -0.5}, {"sample_rate": float("nan")},
    {"sample_rate": float("inf")}, {"sample_rate": "often"}, {"sample_rate": True},
    {"sample_rate": None}, {"sample_rate": [0.1]}, {"sampling.priority": 0},
    {"sampling.priority": -1}, {"sampling.priority": "high"},
    # Counts past 2^62 (the most `p:` states): their sum overflowed to inf, and every
    # figure of the window failed ("cannot convert float infinity to integer").
    {"sample_rate": 1e-300}, {"sample_rate": "1e-320"}, {"sample_rate": 1e308},
    {"sample_rate": 2.0**62 * 2},
])
def test_attributes_that_say_nothing_are_unknown(attributes: dict[str, object]) -> None:
    assert adjusted_count("", attributes) is None


def test_tracestate_comes_before_attributes() -> None:
    assert adjusted_count("ot=th:c", {"sample_rate": 0.5}) == 4.0
    # A tracestate we cannot read says nothing: the attribute does.
    assert adjusted_count("ot=th:zz", {"sample_rate": 0.5}) == 2.0


def expanded(values: list[float], weights: list[int]) -> list[float]:
    return sorted(v for v, w in zip(values, weights, strict=True) for _ in range(w))


def test_weighted_quantiles_are_the_values_repeated_by_their_weights() -> None:
    generator = random.Random(7)
    for _ in range(200):
        size = generator.randint(1, 12)
        values = [round(generator.uniform(0, 100), 3) for _ in range(size)]
        weights = [generator.randint(1, 12) for _ in range(size)]
        repeated = expanded(values, weights)
        got = weighted_quantiles(values, [float(w) for w in weights])
        for q in QUANTILES:
            assert got[f"p{round(q * 100)}"] == pytest.approx(exact_quantile(repeated, q))


def test_weight_one_is_the_unweighted_rule_and_zero_counts_for_none() -> None:
    values = [5.0, 1.0, 3.0, 9.0]
    assert weighted_quantiles(values, [1.0] * 4) == quantiles_of(values)
    assert weighted_quantiles(values + [1000.0], [1.0] * 4 + [0.0]) == quantiles_of(values)
    assert weighted_quantiles([1.0], [0.0]) == {"p50": None, "p95": None, "p99": None}
    # by hand: 2 x10, 4 x10, 6 x10, 8 x1 (31 values): p50 rank 15 -> 4; p95 rank 28.5
    # -> 6; p99 rank 29.7 -> 6 + (8 - 6) * 0.7
    got = weighted_quantiles([2.0, 4.0, 6.0, 8.0], [10.0, 10.0, 10.0, 1.0])
    assert got == pytest.approx({"p50": 4.0, "p95": 6.0, "p99": 7.4})


def root_lines(execution_id: str, start: float, duration: float, failed: bool,
               sampling: float | str | None) -> list[bytes]:
    """The lines a root span becomes (as `SpanReader` writes them), or a log's own when
    `sampling` is None."""
    mark = {} if sampling is None else {"sampling": sampling}
    out = [{"event": "workflow_start", "execution_id": execution_id, "timestamp": start,
            **mark}]
    if failed:
        out.append({"event": "error", "execution_id": execution_id,
                    "timestamp": start + duration, "error": "boom", **mark})
    out.append({"event": "workflow_complete", "execution_id": execution_id,
                "timestamp": start + duration, "status": "failure" if failed else "success",
                "duration_ms": duration * 1000, **mark})
    return [json.dumps(line).encode() for line in out]


@pytest.mark.parametrize("retention", [100_000, 3])
def test_weighted_figures_are_those_of_the_executions_repeated(retention: int) -> None:
    """Each trace of adjusted count w counts as w logged executions would: the same
    figures as a ledger holding the w copies (integer weights), retained or folded."""
    generator = random.Random(11)
    weighted = Ledger(idle_timeout=30.0, retention=retention)
    repeated = Ledger(idle_timeout=30.0)
    t0 = 1_767_268_800.0
    for index in range(40):
        start = t0 + index * 3
        duration = round(generator.uniform(0.5, 30), 3)
        failed = generator.random() < 0.3
        weight = generator.choice([1, 2, 4, 10])
        logged = generator.random() < 0.2
        weighted.ingest_lines("x", 1, root_lines(f"E{index}", start, duration, failed,
                                                 None if logged else float(weight)))
        for copy in range(1 if logged else weight):
            repeated.ingest_lines("x", 1, root_lines(f"E{index}-{copy}", start, duration,
                                                     failed, None))
    assert weighted.kept.folded_count == (37 if retention == 3 else 0)
    end = t0 + 200
    mine, theirs = log_figures(weighted, None, end, end), log_figures(repeated, None, end, end)
    assert mine.error_rate == pytest.approx(theirs.error_rate)
    assert mine.throughput_per_min == pytest.approx(theirs.throughput_per_min)
    assert mine.latency_s == pytest.approx(theirs.latency_s)
    assert (mine.basis, theirs.basis) == ("traces, weighted by sampling", "logs")
    window = log_figures(weighted, 60.0, end - 30, end)  # a window inside the log
    assert window.error_rate == pytest.approx(
        log_figures(repeated, 60.0, end - 30, end).error_rate)


@pytest.mark.parametrize("rate", [2.0**-62, 2.0**62])
def test_the_largest_count_sampling_states_is_read(rate: float) -> None:
    assert adjusted_count("", {"sample_rate": rate}) == 2.0**62
