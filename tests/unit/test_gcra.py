"""GCRA: the rate limiter's core, checked against the token bucket it stands for."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from app.limits.gcra import Gcra


def test_a_whole_burst_fits_at_once_then_one_call_per_interval() -> None:
    gcra = Gcra(rate=10, burst=5, max_keys=10)
    assert gcra.charge("k", [1] * 5, now=100.0).allowed == 5
    refused = gcra.charge("k", [1], now=100.0)
    assert refused.allowed == 0
    assert math.isclose(refused.retry_after_s, 0.1)
    assert gcra.charge("k", [1], now=100.1).allowed == 1


def test_calls_are_charged_in_order_and_the_first_misfit_stops_the_rest() -> None:
    gcra = Gcra(rate=1, burst=4, max_keys=10)
    charge = gcra.charge("k", [2, 3, 1], now=0.0)
    assert charge.allowed == 1  # 2 fits, 3 does not, and 1 after it is not charged
    assert math.isclose(charge.retry_after_s, 1.0)
    assert gcra.charge("k", [2], now=0.0).allowed == 1  # the refused calls cost nothing


def test_a_call_dearer_than_the_burst_takes_the_whole_burst() -> None:
    gcra = Gcra(rate=1, burst=3, max_keys=10)
    assert gcra.charge("k", [50], now=0.0).allowed == 1
    assert gcra.charge("k", [1], now=0.0).allowed == 0


def test_callers_have_separate_allowances() -> None:
    gcra = Gcra(rate=1, burst=1, max_keys=10)
    assert gcra.charge("a", [1], now=0.0).allowed == 1
    assert gcra.charge("b", [1], now=0.0).allowed == 1
    assert gcra.charge("a", [1], now=0.0).allowed == 0


def test_a_full_table_forgets_callers_whose_allowance_is_whole_first() -> None:
    gcra = Gcra(rate=1, burst=1, max_keys=2)
    gcra.charge("a", [1], now=0.0)
    gcra.charge("b", [1], now=0.5)
    gcra.charge("c", [1], now=1.0)  # full: "a" is whole again at 1.0, so only it goes
    assert len(gcra) == 2
    assert gcra.charge("b", [1], now=1.0).allowed == 0  # still remembered, still spent
    assert gcra.charge("a", [1], now=1.0).allowed == 1


def test_a_full_table_of_spent_callers_drops_its_older_half() -> None:
    gcra = Gcra(rate=1, burst=1, max_keys=4)
    for key in "abcde":
        gcra.charge(key, [1], now=0.0)
    assert len(gcra) <= 4
    assert gcra.charge("e", [1], now=0.0).allowed == 0  # the newest is kept


def test_a_clock_set_back_does_not_lock_a_caller_out_for_longer_than_a_burst() -> None:
    gcra = Gcra(rate=1, burst=2, max_keys=10)
    gcra.charge("k", [1, 1], now=1000.0)
    assert gcra.charge("k", [1], now=2.0).allowed == 0
    assert gcra.charge("k", [1], now=3.0).allowed == 1  # 1 s later, not 998


@given(
    rate=st.sampled_from([0.5, 1.0, 3.0, 100.0]),
    burst=st.integers(1, 20),
    requests=st.lists(
        st.tuples(st.floats(0, 5), st.lists(st.integers(1, 6), min_size=1, max_size=8)),
        max_size=40,
    ),
)
def test_no_window_ever_gets_more_than_the_burst_plus_the_rate(
    rate: float, burst: int, requests: list[tuple[float, list[int]]]
) -> None:
    """Over any span, the units allowed are at most burst + rate * span (the token bucket's
    promise), and after a pause long enough to refill, a whole burst always fits."""
    gcra = Gcra(rate, burst, max_keys=4)
    now = 0.0
    granted: list[tuple[float, int]] = []
    for gap, costs in requests:
        now += gap
        refilled = not granted or now - granted[-1][0] >= burst / rate
        charge = gcra.charge("k", costs, now)
        if refilled and sum(min(cost, burst) for cost in costs) <= burst:
            assert charge.allowed == len(costs)
        assert 0 <= charge.allowed <= len(costs)
        granted += [(now, min(cost, burst)) for cost in costs[: charge.allowed]]
        if charge.allowed < len(costs):
            assert charge.retry_after_s > 0
    for start, _ in granted:
        for end, _ in granted:
            if end >= start:
                units = sum(cost for at, cost in granted if start <= at <= end)
                assert units <= burst + rate * (end - start) + 1e-6


def test_wrong_keys_are_allowed_in_a_burst_then_one_per_interval() -> None:
    """The credentials' failure throttle: ``retry_after`` before each charge."""
    failures = Gcra(rate=1 / 10, burst=3, max_keys=10)
    for _ in range(3):
        assert failures.retry_after("a", 0.0) == 0
        failures.charge("a", (1,), 0.0)
    assert math.isclose(failures.retry_after("a", 0.0), 10)
    assert failures.retry_after("b", 0.0) == 0  # per address
    assert failures.retry_after("a", 10.0) == 0
